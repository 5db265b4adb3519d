package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/spf13/cobra"

	"github.com/tuyau-net/tuyau/inventory"
	"github.com/tuyau-net/tuyau/testlab/netboxsim"
)

type labNetboxOpts struct {
	Listen      string
	Latency     time.Duration
	FailureRate float64
	Empty       bool
	Brownfield  int
}

func newLabNetboxCmd(d *deps) *cobra.Command {
	var o labNetboxOpts
	c := &cobra.Command{
		Use:   "netbox",
		Short: "Serve a NetBox 4.0 API simulator filled with the inventory",
		Long: `Lab netbox starts an in-memory NetBox 4.0 REST API on --listen, creates
tuyau's custom fields, pushes the inventory into it, and serves until
interrupted. It answers like NetBox (brief nested objects, pagination, token
auth, validation errors) so the NetBox path can be tried without a NetBox.
The token is NETBOX_TOKEN when set, otherwise a random one printed at start.`,
		Example: `  tuyau lab netbox -i examples/manche --listen 127.0.0.1:8000
  tuyau lab netbox --empty --latency 20ms`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			return runLabNetbox(c.Context(), d, o, c.OutOrStdout())
		},
	}
	c.Flags().StringVar(&o.Listen, "listen", "127.0.0.1:8000", "address to serve the API on")
	c.Flags().DurationVar(&o.Latency, "latency", 0, "latency added to every request, like a remote NetBox")
	c.Flags().Float64Var(&o.FailureRate, "failure-rate", 0, "fraction of requests answered 500")
	c.Flags().BoolVar(&o.Empty, "empty", false, "start empty (only the custom fields), to try push")
	c.Flags().IntVar(&o.Brownfield, "brownfield", 0, "serve a NetBox filled by hand instead (no tuyau custom fields): a Morbihan-like network with this many member sites (22 gives 28 sites)")
	return c
}

func runLabNetbox(ctx context.Context, d *deps, o labNetboxOpts, w io.Writer) error {
	token, printed := d.getenv("NETBOX_TOKEN"), false
	if token == "" {
		b := make([]byte, 20)
		if _, err := rand.Read(b); err != nil {
			return err
		}
		token, printed = hex.EncodeToString(b), true
	}
	var snap *inventory.Snapshot
	if !o.Empty && o.Brownfield == 0 {
		var err error
		if snap, err = d.loadInventory(ctx); err != nil {
			return err
		}
	}
	opts := netboxsim.Options{Latency: o.Latency, FailureRate: o.FailureRate,
		Logger: slog.New(slog.NewTextHandler(d.stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))}
	if o.Brownfield > 0 {
		opts.Brownfield = &netboxsim.BrownfieldOptions{Members: o.Brownfield}
	}
	lab, err := netboxsim.StartLab(ctx, o.Listen, token, snap, opts)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "NetBox %s simulator on %s (%d devices and panels, %d cables)\n", netboxsim.Version, lab.URL,
		lab.Sim.Count("dcim/devices"), lab.Sim.Count("dcim/cables"))
	fmt.Fprintf(w, "  export NETBOX_URL=%s\n", lab.URL)
	if printed {
		// A lab token guards a throwaway simulator on loopback; printing it is how the user gets it.
		fmt.Fprintf(w, "  export NETBOX_TOKEN=%s\n", token)
	}
	if snap != nil && len(snap.Optics) > 0 {
		// NetBox holds no optics table: the pull reads the inventory's.
		if optics, err := d.inventoryPath(); err == nil {
			fmt.Fprintf(w, "  export OPTICS=%s   # NetBox holds no optics table: pull and diff read it with --optics\n", optics)
			fmt.Fprintln(w, "  tuyau inventory pull --optics $OPTICS --out /tmp/pulled.yaml; tuyau inventory diff --optics $OPTICS --from /tmp/pulled.yaml --to netbox")
		}
	} else {
		fmt.Fprintln(w, "  tuyau inventory pull --out /tmp/pulled.yaml; tuyau inventory diff --from /tmp/pulled.yaml --to netbox")
	}
	fmt.Fprintln(w, "Ctrl-C to stop.")
	return lab.Wait()
}
