package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/tuyau-net/tuyau/testlab"
	"github.com/tuyau-net/tuyau/testlab/netns"
)

type labCutOpts struct {
	labOpts
	SRLG   string
	Output string
}

func newLabCutCmd(d *deps) *cobra.Command {
	var o labCutOpts
	c := &cobra.Command{
		Use:   "cut CABLE | --srlg DUCT",
		Short: "Cut a cable, or every cable of a shared-risk group",
		Long: `Cut a cable, or every cable in a duct (--srlg): every routed link riding it goes
down on both ends, received power drops to the LOS floor, and the BGP
sessions over those links drop. "tuyau lab restore" repairs.`,
		Example: `  tuyau lab cut FO-000002
  tuyau lab cut --srlg duct-dc1-dc2-inland`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			req := testlab.Request{Op: "cut"}
			switch {
			case o.SRLG != "" && len(args) == 0:
				req = testlab.Request{Op: "cut-srlg", SRLG: o.SRLG}
			case o.SRLG == "" && len(args) == 1:
				req.Cable = args[0]
			default:
				return errors.New("give a cable label or --srlg, not both")
			}
			return runLabFault(c.Context(), d, o.labOpts, o.Output, req)
		},
	}
	o.flags(c)
	c.Flags().StringVar(&o.SRLG, "srlg", "", "cut every cable of this shared-risk group (duct, trench)")
	c.Flags().StringVarP(&o.Output, "output", "o", "table", "table|json")
	return c
}

// runLabFault sends a fault or restore to the running lab and prints what
// it touched.
func runLabFault(ctx context.Context, d *deps, o labOpts, format string, req testlab.Request) error {
	if err := checkFormat(format, "table", "json"); err != nil {
		return err
	}
	o.resolve(d)
	if p := netns.StatePath("", o.Name); fileExists(p) {
		return runNetnsFault(ctx, d, p, req)
	}
	res, err := testlab.Control(ctx, o.Dir, o.Name, req)
	if err != nil {
		return err
	}
	if format == "json" {
		return writeJSON(d.stdout, res)
	}
	return printFault(d.stdout, res)
}

func printFault(w io.Writer, r testlab.FaultResult) error {
	if len(r.Links) == 0 && len(r.Endpoints) > 0 {
		fmt.Fprintf(w, "%s:\n", r.Fault)
	} else {
		fmt.Fprintf(w, "%s: %d links, %d down\n", r.Fault, len(r.Links), len(r.Down))
	}
	down := map[string]bool{}
	for _, id := range r.Down {
		down[id] = true
	}
	for _, id := range r.Links {
		state := "up"
		if down[id] {
			state = "down"
		}
		fmt.Fprintf(w, "  %-4s %s\n", state, id)
	}
	if len(r.Devices) > 0 {
		fmt.Fprintf(w, "devices: %s\n", strings.Join(r.Devices, " "))
	}
	for _, e := range r.Endpoints {
		fmt.Fprintf(w, "  %-8s %s at %s (%s)\n", endpointHealth(e), e.Service, e.Site, e.Addr)
	}
	return nil
}

func endpointHealth(e testlab.EndpointStatus) string {
	if e.Healthy {
		return "healthy"
	}
	return "FAILED: " + e.Fault
}

// runNetnsFault applies a fault to a netns lab: the same commands act on
// veths and FRR processes instead of the link model.
func runNetnsFault(ctx context.Context, d *deps, path string, req testlab.Request) error {
	lab, err := netns.Open(path)
	if err != nil {
		return err
	}
	var links []netns.Link
	switch req.Op {
	case "cut":
		links, err = lab.Cut(ctx, req.Cable)
	case "cut-srlg":
		links, err = lab.CutSRLG(ctx, req.SRLG)
	case "kill":
		err = lab.Kill(ctx, req.Device)
	case "restore":
		err = lab.Restore(ctx, netns.Fault{Cable: req.Cable, SRLG: req.SRLG, Device: req.Device})
	default:
		return fmt.Errorf("lab %s is a netns lab: %s has no meaning without a link model (virtual mode only)", filepath.Base(path), req.Op)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(d.stdout, "%s: done\n", req.Op)
	for _, l := range links {
		fmt.Fprintf(d.stdout, "  down %s\n", l)
	}
	return nil
}
