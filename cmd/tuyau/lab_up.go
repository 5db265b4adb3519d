package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/tuyau-net/tuyau/testlab"
	"github.com/tuyau-net/tuyau/testlab/netns"
)

type labUpOpts struct {
	labOpts
	Mode           string
	Bootstrap      string
	User           string
	AuthorizedKeys string
	Foreground     bool
	GNMIInsecure   bool
}

func newLabUpCmd(d *deps) *cobra.Command {
	var o labUpOpts
	c := &cobra.Command{
		Use:   "up",
		Short: "Start a lab of the inventory's devices",
		Long: `Start a lab built from the inventory.

virtual (default, no root): one virtual device per inventory device, each on
its own 127.x.y.z address, with an FRR-style SSH CLI and a GoBGP speaker
configured from its running config. The lab runs in a background process;
"tuyau lab down" stops it and removes its files.

netns (root): real FRR per device in its own network namespace, veth pairs
for the routed links, sshd landing in vtysh.

The SSH password is TUYAU_LAB_PASSWORD, or a random one kept in the lab
directory (see "tuyau lab status").`,
		Example: `  tuyau lab up -i examples/manche
  tuyau lab up -i examples/manche --bootstrap base   # interfaces only: provisioning pushes BGP
  sudo tuyau lab up -i examples/manche --mode netns`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			return runLabUp(c.Context(), d, o)
		},
	}
	o.flags(c)
	c.Flags().StringVar(&o.Mode, "mode", "virtual", "virtual|netns")
	c.Flags().StringVar(&o.Bootstrap, "bootstrap", "full", "initial device config: full (BGP from the inventory) or base (interfaces only)")
	c.Flags().StringVar(&o.User, "user", "admin", "SSH user of every device")
	c.Flags().StringVar(&o.AuthorizedKeys, "authorized-keys", "", "authorized_keys file accepted besides the lab's own key")
	c.Flags().BoolVar(&o.Foreground, "foreground", false, "run the lab in this process until interrupted (virtual mode)")
	c.Flags().BoolVar(&o.GNMIInsecure, "gnmi-insecure", false, "serve gNMI without TLS (virtual mode; default TLS from the lab CA, ca.pem)")
	return c
}

func runLabUp(ctx context.Context, d *deps, o labUpOpts) error {
	o.resolve(d)
	if o.Bootstrap != string(testlab.BootstrapFull) && o.Bootstrap != string(testlab.BootstrapBase) {
		return fmt.Errorf("--bootstrap %q: want full or base", o.Bootstrap)
	}
	var keys []byte
	if o.AuthorizedKeys != "" {
		b, err := os.ReadFile(o.AuthorizedKeys)
		if err != nil {
			return fmt.Errorf("--authorized-keys: %w", err)
		}
		keys = b
	}
	start := time.Now()
	snap, err := d.loadInventory(ctx)
	if err != nil {
		return err
	}
	invName, _ := d.inventoryPath()
	log := slog.New(slog.NewTextHandler(d.stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	switch o.Mode {
	case "virtual":
	case "netns":
		if err := netns.Preflight(); err != nil {
			return err
		}
		level := netns.ConfigBGP
		if o.Bootstrap == string(testlab.BootstrapBase) {
			level = netns.ConfigBootstrap
		}
		// The password lives where a virtual lab of the same name keeps it.
		pw := d.getenv("TUYAU_LAB_PASSWORD")
		if pw == "" {
			dir := filepath.Join(o.Dir, o.Name)
			if err := os.MkdirAll(dir, 0o700); err != nil {
				return err
			}
			if pw, err = testlab.EnsurePassword(dir); err != nil {
				return err
			}
		}
		lab, err := netns.Up(ctx, snap, netns.Options{
			Name: o.Name, Config: level, User: o.User, Password: pw,
			AuthorizedKeys: keys, Log: log,
		})
		if err != nil {
			return err
		}
		fmt.Fprintf(d.stdout, "lab %s up (netns): %d devices in %v; state %s, known_hosts %s\n",
			o.Name, len(lab.State().Devices), time.Since(start).Round(time.Millisecond), lab.StatePath(), lab.KnownHosts())
		return nil
	default:
		return fmt.Errorf("--mode %q: want virtual or netns", o.Mode)
	}
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	up := testlab.UpOptions{
		Root: o.Dir, Name: o.Name, Snapshot: snap, InventoryName: invName,
		Bootstrap: testlab.Bootstrap(o.Bootstrap), User: o.User, Password: d.getenv("TUYAU_LAB_PASSWORD"),
		AuthorizedKeys: keys, Foreground: o.Foreground, GNMIInsecure: o.GNMIInsecure, Log: log,
		Command: []string{exe, "lab", "serve", "--lab-dir", o.Dir, "--name", o.Name},
	}
	st, err := testlab.Up(ctx, up)
	if err != nil || o.Foreground {
		return err
	}
	return printLabUp(d.stdout, st, time.Since(start))
}

func printLabUp(w io.Writer, st *testlab.State, took time.Duration) error {
	p := st.Plan
	fmt.Fprintf(w, "lab %s up: %d devices, %d links in %s, ready in %v (pid %d)\n",
		st.Name, len(p.Devices), len(p.Links), p.Block, took.Round(time.Millisecond), st.PID)
	fmt.Fprintf(w, "ssh: port %d as %s, password in %s, key %s, known_hosts %s\n",
		p.Ports.SSH, st.User, st.PasswordFile(), st.ClientKey(), st.KnownHosts())
	if st.GNMIInsecure {
		fmt.Fprintf(w, "gnmi: port %d, no TLS\n", p.Ports.GNMI)
	} else {
		fmt.Fprintf(w, "gnmi: port %d, TLS with CA %s\n", p.Ports.GNMI, filepath.Join(st.Dir, testlab.CAFile))
	}
	if len(p.Devices) > 0 {
		dev := p.Devices[0]
		fmt.Fprintf(w, "try: ssh -i %s -o UserKnownHostsFile=%s -p %d %s@%s\n",
			st.ClientKey(), st.KnownHosts(), p.Ports.SSH, st.User, dev.Addr)
	}
	return nil
}
