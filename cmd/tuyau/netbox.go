package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/tuyau-net/tuyau/inventory"
	"github.com/tuyau-net/tuyau/inventory/netbox"
	"github.com/tuyau-net/tuyau/inventory/yamlstore"
)

// netboxOpts says how to reach NetBox. The token comes only from the
// environment (NETBOX_TOKEN) or a file, never from a flag value or the inventory.
type netboxOpts struct {
	URL       string
	CAFile    string
	TokenFile string
	Verbose   bool
	Filter    string
	// Optics is the user optics table's file (NetBox has none).
	Optics string
	// sideOptics, when no file is given, is the table of the inventory
	// file on the other side of a diff or push, sideFrom its path: the
	// only table in play.
	sideOptics []inventory.Optic
	sideFrom   string
}

func addNetboxFlags(fs *pflag.FlagSet, o *netboxOpts) {
	fs.StringVar(&o.URL, "netbox-url", "", "NetBox base URL (env NETBOX_URL), e.g. https://netbox.example.org")
	fs.StringVar(&o.CAFile, "netbox-ca", "", "PEM file of the CA that signed NetBox's certificate (env NETBOX_CA_FILE); TLS is always verified")
	fs.StringVar(&o.TokenFile, "netbox-token-file", "", "file holding the API token (default: env NETBOX_TOKEN)")
	fs.BoolVarP(&o.Verbose, "verbose", "v", false, "also log every request retried on stderr")
	fs.StringVar(&o.Optics, "optics", "", "YAML file of the user optics table (optics:) the NetBox interfaces' transceiver types may name, since NetBox holds none (default netbox.optics in tuyau.yaml)")
	fs.StringVar(&o.Filter, "filter", "", "read only these sites of a larger NetBox: tag=SLUG,region=SLUG,site_group=SLUG,tenant=SLUG (default netbox.filter in tuyau.yaml)")
}

// openNetBox builds the NetBox store from flags and environment.
func (d *deps) openNetBox(ctx context.Context, o netboxOpts) (*netbox.Store, error) {
	url := o.URL
	if url == "" {
		url = d.getenv("NETBOX_URL")
	}
	if url == "" {
		return nil, errors.New("no NetBox given: use --netbox-url URL or set NETBOX_URL (try `tuyau lab netbox` for a local one)")
	}
	token := d.getenv("NETBOX_TOKEN")
	if o.TokenFile != "" {
		b, err := os.ReadFile(o.TokenFile)
		if err != nil {
			return nil, err
		}
		token = strings.TrimSpace(string(b))
	}
	if token == "" {
		return nil, errors.New("no NetBox token: set NETBOX_TOKEN or use --netbox-token-file FILE")
	}
	// Progress of a push (one line per kind) goes to stderr; stdout stays
	// the command's output.
	level := slog.LevelInfo
	if o.Verbose {
		level = slog.LevelDebug
	}
	opts := []netbox.Option{netbox.WithToken(token),
		netbox.WithLogger(slog.New(slog.NewTextHandler(d.stderr, &slog.HandlerOptions{Level: level})))}
	ca := o.CAFile
	if ca == "" {
		ca = d.getenv("NETBOX_CA_FILE")
	}
	if ca != "" {
		opts = append(opts, netbox.WithCAFile(ca))
	}
	cfg, err := d.loadConfig()
	if err != nil {
		return nil, err
	}
	filter := cfg.NetBox.Filter
	if o.Filter != "" {
		if filter, err = netbox.ParseFilter(o.Filter); err != nil {
			return nil, fmt.Errorf("--filter: %w", err)
		}
	}
	if path := cmp.Or(o.Optics, cfg.NetBox.Optics); path != "" {
		optics, err := readOptics(ctx, path)
		if err != nil {
			return nil, err
		}
		opts = append(opts, netbox.WithOptics(optics, path))
	} else if len(o.sideOptics) > 0 {
		opts = append(opts, netbox.WithOptics(o.sideOptics, o.sideFrom))
	}
	opts = append(opts, netbox.WithMapping(cfg.NetBox.Mapping), netbox.WithFilter(filter), netbox.WithProgress(progressTo(d.stderr)))
	return netbox.New(url, opts...)
}

func newNetboxCmd(d *deps) *cobra.Command {
	c := &cobra.Command{
		Use:   "netbox",
		Short: "Prepare a NetBox to hold the inventory",
	}
	c.AddCommand(newNetboxBootstrapCmd(d))
	return c
}

// progressTo draws a push's progress as a bar redrawn in place on a
// terminal; elsewhere (logs, CI) the push's plain log lines, one per kind,
// say the same.
func progressTo(w io.Writer) func(kind string, done, total int) {
	f, ok := w.(*os.File)
	tty := false
	if ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			tty = true
		}
	}
	return progressBar(w, tty)
}

// progressBar is progressTo once it knows whether w is a terminal.
func progressBar(w io.Writer, tty bool) func(kind string, done, total int) {
	return func(kind string, done, total int) {
		if !tty {
			return // the push's log lines say the same, one per kind
		}
		const width = 30
		n := width * done / max(total, 1)
		fmt.Fprintf(w, "\r%-12s [%s%s] %d/%d", kind, strings.Repeat("#", n), strings.Repeat(" ", width-n), done, total)
		if done == total {
			fmt.Fprintln(w)
		}
	}
}

// readOptics reads a user optics table for a NetBox: the optics: list of a
// YAML file (an inventory directory stands for its optics.yaml; other
// sections of an inventory file are not read: NetBox is the inventory),
// checked as the inventory's own optics are, each error at its file:line.
func readOptics(ctx context.Context, path string) ([]inventory.Optic, error) {
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		path = filepath.Join(path, "optics.yaml")
	}
	snap, err := yamlstore.Open(path).Parse(ctx)
	if err != nil {
		return nil, fmt.Errorf("optics %s: %w", path, err)
	}
	if len(snap.Optics) == 0 {
		return nil, fmt.Errorf("optics %s: no optics: list in it", path)
	}
	if ps := inventory.ValidateOptics(snap.Optics); len(ps) > 0 {
		return nil, fmt.Errorf("optics %s: %w", path, ps)
	}
	return snap.Optics, nil
}
