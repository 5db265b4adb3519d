package main

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/tuyau-net/tuyau/inventory/netbox"
)

// netboxOpts says how to reach NetBox. The token comes only from the
// environment (NETBOX_TOKEN) or a file, never from a flag value or the inventory.
type netboxOpts struct {
	URL       string
	CAFile    string
	TokenFile string
	Verbose   bool
	Filter    string
}

func addNetboxFlags(fs *pflag.FlagSet, o *netboxOpts) {
	fs.StringVar(&o.URL, "netbox-url", "", "NetBox base URL (env NETBOX_URL), e.g. https://netbox.example.org")
	fs.StringVar(&o.CAFile, "netbox-ca", "", "PEM file of the CA that signed NetBox's certificate (env NETBOX_CA_FILE); TLS is always verified")
	fs.StringVar(&o.TokenFile, "netbox-token-file", "", "file holding the API token (default: env NETBOX_TOKEN)")
	fs.BoolVarP(&o.Verbose, "verbose", "v", false, "also log every request retried on stderr")
	fs.StringVar(&o.Filter, "filter", "", "read only these sites of a larger NetBox: tag=SLUG,region=SLUG,site_group=SLUG,tenant=SLUG (default netbox.filter in tuyau.yaml)")
}

// openNetBox builds the NetBox store from flags and environment.
func (d *deps) openNetBox(o netboxOpts) (*netbox.Store, error) {
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
