package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/tuyau-net/tuyau/topology"
)

type cutsOpts struct {
	Output     string
	Kinds      []string
	Top        int
	Everything bool
	Stats      bool
	Cable      string
	SRLG       string
	Site       string
}

func newTopologyCutsCmd(d *deps, to *topoOpts) *cobra.Command {
	var o cutsOpts
	c := &cobra.Command{
		Use:   "cuts",
		Short: "What every cable cut, duct cut and site loss breaks, worst first",
		Long: `cuts evaluates every single cable cut, every shared-risk group (duct,
trench) cut and every site loss: the routed links that go down and the
member sites that lose core A, core B, or both (they lose the hosting).
Failures are ranked by member sites losing the hosting, then sites losing one
core, then links down. Member sites carry no transit for others.

With --cable, --srlg or --site it answers for that one failure in full.`,
		Example: `  tuyau topology cuts -i examples/manche --top 10
  tuyau topology cuts -i examples/manche --kind srlg
  tuyau topology cuts -i examples/manche --srlg duct-valognes-pop-s
  tuyau topology cuts -i examples/manche -o json --all`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			return runCuts(c.Context(), d, to, o)
		},
	}
	c.Flags().StringVarP(&o.Output, "output", "o", "table", "table|json")
	c.Flags().StringSliceVar(&o.Kinds, "kind", nil, "failure kinds to evaluate: cable,srlg,site (default all)")
	c.Flags().IntVar(&o.Top, "top", 20, "table: show the N worst failures (0: all)")
	c.Flags().BoolVar(&o.Everything, "all", false, "also list failures that only take links down")
	c.Flags().BoolVar(&o.Stats, "stats", false, "print counts and analysis time on stderr")
	c.Flags().StringVar(&o.Cable, "cable", "", "answer for this cable only")
	c.Flags().StringVar(&o.SRLG, "srlg", "", "answer for this shared-risk group only")
	c.Flags().StringVar(&o.Site, "site", "", "answer for the loss of this site only")
	return c
}

func runCuts(ctx context.Context, d *deps, to *topoOpts, o cutsOpts) error {
	if err := checkFormat(o.Output, "table", "json"); err != nil {
		return err
	}
	var chosen []string
	for _, s := range []struct{ flag, val string }{{"--cable", o.Cable}, {"--srlg", o.SRLG}, {"--site", o.Site}} {
		if s.val != "" {
			chosen = append(chosen, s.flag+" "+s.val)
		}
	}
	if len(chosen) > 1 {
		return fmt.Errorf("%s: --cable, --srlg and --site each answer for one failure; give one of them (a failure of several is not analysed)", strings.Join(chosen, " and "))
	}
	var kinds []topology.FailureKind
	for _, k := range o.Kinds {
		kind := topology.FailureKind(strings.TrimSpace(k))
		if err := checkFormat(string(kind), "cable", "srlg", "site"); err != nil {
			return fmt.Errorf("--kind %q: want cable, srlg or site", k)
		}
		kinds = append(kinds, kind)
	}
	t, err := d.loadTopology(ctx, to)
	if err != nil {
		return err
	}
	start := time.Now()
	a := topology.Analyze(t)
	for _, s := range a.Isolated() {
		fmt.Fprintf(d.stderr, "warning: member site %s reaches no core site even with every link up (%s): it is in no cut\n", s.Site, s.Reason)
	}
	for _, one := range []struct {
		kind topology.FailureKind
		name string
	}{{topology.FailCable, o.Cable}, {topology.FailSRLG, o.SRLG}, {topology.FailSite, o.Site}} {
		if one.name == "" {
			continue
		}
		f, err := a.Cut(one.kind, one.name)
		if err != nil {
			return err
		}
		if o.Output == "json" {
			return writeJSON(d.stdout, f)
		}
		return renderFailure(d, t, f)
	}
	fs := a.Cuts(topology.CutOptions{Kinds: kinds, Everything: o.Everything})
	if o.Stats {
		fmt.Fprintf(d.stderr, "analysed %d cables, %d shared-risk groups, %d sites in %.1f ms: %d failures listed\n",
			len(t.Physical.Spans), len(t.SRLGs()), len(t.Sites), float64(time.Since(start).Microseconds())/1000, len(fs))
	}
	if o.Output == "json" {
		if fs == nil {
			fs = []topology.Failure{}
		}
		return writeJSON(d.stdout, fs)
	}
	return topology.RenderCuts(d.stdout, t, fs, o.Top)
}

func renderFailure(d *deps, t *topology.Topology, f topology.Failure) error {
	w := d.stdout
	fmt.Fprintf(w, "%s %s", f.Kind, f.Name)
	if len(f.Cables) > 0 {
		fmt.Fprintf(w, " (cables %s)", strings.Join(f.Cables, ", "))
	}
	fmt.Fprintln(w)
	list := func(what string, items []string) {
		fmt.Fprintf(w, "%s (%d):\n", what, len(items))
		for _, s := range items {
			fmt.Fprintln(w, "  "+s)
		}
	}
	list("routed links down", f.LinksDown)
	list("member sites losing the hosting (neither "+t.CoreA+" nor "+t.CoreB+")", f.LoseHosting)
	list("member sites losing core A "+t.CoreA+" only", f.LoseCoreA)
	list("member sites losing core B "+t.CoreB+" only", f.LoseCoreB)
	return nil
}
