package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/tuyau-net/tuyau/bgp"
	"github.com/tuyau-net/tuyau/inventory"
)

// bgpOpts are the flags every bgp command shares.
type bgpOpts struct {
	Speaker string
	API     string
	Secrets string
	// Lab and LabDir: work against a running virtual lab (bgp_lab.go).
	Lab    string
	LabDir string
}

func newBGPCmd(d *deps) *cobra.Command {
	var o bgpOpts
	c := &cobra.Command{
		Use:   "bgp",
		Short: "tuyau's own BGP speaker: serve it, and see or steer what it announces",
		Long: `bgp runs tuyau's BGP speaker (one per core site, "speakers:" in the
inventory) and talks to a running one over GoBGP's gRPC API, the API Debian's
gobgp CLI uses too (gobgp --target unix:///run/tuyau/bgp-SITE.sock neighbor).

The speaker is found by --speaker (required when the inventory has several),
its API by the inventory or --api. MD5 passwords come from the secrets file
(--secrets or TUYAU_SECRETS, section bgp: passwords:), never the inventory.`,
		Example: `  tuyau bgp serve --speaker saint-lo-dc -i examples/manche --secrets /etc/tuyau/secrets.yaml
  tuyau bgp peers --speaker saint-lo-dc -i examples/manche
  tuyau bgp routes 198.51.100.0/24 --speaker saint-lo-dc
  tuyau bgp announce 198.51.100.0/24 --med 10 --community 65000:100 --speaker saint-lo-dc`,
	}
	c.PersistentFlags().StringVar(&o.Speaker, "speaker", "", "speaker name (inventory speakers:); the only one by default")
	c.PersistentFlags().StringVar(&o.API, "api", "", "the speaker's API (unix socket path or loopback host:port) instead of the inventory's")
	c.PersistentFlags().StringVar(&o.Secrets, "secrets", envOr(d, "TUYAU_SECRETS", ""), "secrets file (YAML, bgp: passwords:) (env TUYAU_SECRETS)")
	c.PersistentFlags().StringVar(&o.Lab, "lab", "", "run or reach the speaker in this virtual lab (tuyau lab up): its lab address and port, the routers' lab addresses, sockets in the lab's directory")
	c.PersistentFlags().StringVar(&o.LabDir, "lab-dir", "", "directory of the labs' state (env TUYAU_LAB_DIR)")
	c.AddCommand(newBGPServeCmd(d, &o), newBGPPeersCmd(d, &o), newBGPRoutesCmd(d, &o),
		newBGPAnnounceCmd(d, &o, false), newBGPAnnounceCmd(d, &o, true),
		newBGPServicesCmd(d, &o), newBGPDrainCmd(d, &o, false), newBGPDrainCmd(d, &o, true),
		newBGPDumpCmd(d, &o))
	return c
}

// speaker picks the speaker of the inventory the flags name.
func (o *bgpOpts) speaker(snap *inventory.Snapshot) (*inventory.Speaker, error) {
	if o.Speaker != "" {
		sp := snap.Speaker(o.Speaker)
		if sp == nil {
			return nil, fmt.Errorf("speaker %q is not in the inventory (speakers: %v)", o.Speaker, bgp.Speakers(snap))
		}
		return sp, nil
	}
	switch len(snap.Speakers) {
	case 0:
		return nil, fmt.Errorf("the inventory has no speakers: (see docs/bgp.md)")
	case 1:
		return &snap.Speakers[0], nil
	}
	return nil, fmt.Errorf("the inventory has %d speakers: name one with --speaker (%v)", len(snap.Speakers), bgp.Speakers(snap))
}

// client connects to the speaker's API: --api, else the inventory's.
func (o *bgpOpts) client(ctx context.Context, d *deps) (*bgp.Client, error) {
	addr := o.API
	var cfg bgp.Config
	if addr == "" || o.Speaker != "" {
		snap, err := d.loadInventory(ctx)
		if err != nil && addr == "" {
			return nil, err
		}
		if err == nil {
			sp, err := o.speaker(snap)
			if err != nil && addr == "" {
				return nil, err
			}
			if err == nil {
				// Passwords are not needed to talk to the API.
				cfg, _ = bgp.ConfigFor(snap, sp.Name, func(string) (string, error) { return "", nil })
				if addr == "" {
					addr = sp.API
				}
			}
		}
	}
	if o.API == "" && cfg.Name != "" {
		lab, err := o.lab(ctx, d)
		if err != nil {
			return nil, err
		}
		if lab != nil {
			addr = lab.api(cfg.Name)
		}
	}
	c, err := bgp.Dial(ctx, addr)
	if err != nil {
		return nil, err
	}
	c.Origins, c.Site = cfg.Origins, cfg.Site
	return c, nil
}
