package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/tuyau-net/tuyau/testlab"
)

// labOpts are the flags every lab command shares: which lab, where its
// files live.
type labOpts struct {
	Dir  string
	Name string
}

func (o *labOpts) flags(c *cobra.Command) {
	c.Flags().StringVar(&o.Dir, "lab-dir", "", "directory of the labs' state (env TUYAU_LAB_DIR, default ~/.local/state/tuyau/labs)")
	c.Flags().StringVar(&o.Name, "name", "", "lab name (env TUYAU_LAB_NAME, default lab)")
}

// resolve applies the environment and defaults: flag > TUYAU_* > default.
func (o *labOpts) resolve(d *deps) {
	if o.Dir == "" {
		o.Dir = d.getenv("TUYAU_LAB_DIR")
	}
	if o.Dir == "" {
		base := d.getenv("XDG_STATE_HOME")
		if base == "" {
			home, err := os.UserHomeDir()
			if err != nil {
				home = os.TempDir()
			}
			base = filepath.Join(home, ".local", "state")
		}
		o.Dir = filepath.Join(base, "tuyau", "labs")
	}
	if abs, err := filepath.Abs(o.Dir); err == nil {
		o.Dir = abs
	}
	if o.Name == "" {
		o.Name = d.getenv("TUYAU_LAB_NAME")
	}
	if o.Name == "" {
		o.Name = "lab"
	}
}

// running resolves o and returns the status of the lab it names: the
// commands that work on a running lab (--lab) share this check. They
// need its addresses, not its BGP sessions: the brief status answers at
// once while a large lab's BGP converges.
func (o *labOpts) running(ctx context.Context, d *deps) (testlab.LabStatus, error) {
	o.resolve(d)
	st, err := testlab.BriefStatusOf(ctx, o.Dir, o.Name)
	if err != nil {
		return st, err
	}
	if !st.Running {
		return st, fmt.Errorf("lab %s: not running (%s)", o.Name, st.Note)
	}
	return st, nil
}
