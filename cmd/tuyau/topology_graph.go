package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"time"

	"github.com/spf13/cobra"

	"github.com/tuyau-net/tuyau/topology"
)

type graphOpts struct {
	Output   string
	Out      string
	Backbone bool
	Physical bool
}

func newTopologyGraphCmd(d *deps, to *topoOpts) *cobra.Command {
	var o graphOpts
	c := &cobra.Command{
		Use:   "graph",
		Short: "Export the network as a map: dot, mermaid, geojson, json, svg or png",
		Long: `graph writes the routed-link graph between sites (or, with --physical,
devices, patch panels and every cable). dot pins sites at their coordinates
and draws bridges in red; geojson puts sites at their coordinates and
inter-site cables as lines, for QGIS or any web map; svg and png are rendered
by Graphviz (the dot command must be installed).`,
		Example: `  tuyau topology graph -i examples/manche -o geojson --out manche.geojson
  tuyau topology graph -i examples/manche -o svg --backbone --out backbone.svg
  tuyau topology graph -i examples/manche -o mermaid`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			return runGraph(c.Context(), d, to, o)
		},
	}
	c.Flags().StringVarP(&o.Output, "output", "o", "dot", "dot|mermaid|geojson|json|svg|png")
	c.Flags().StringVar(&o.Out, "out", "", "write to this file instead of stdout")
	c.Flags().BoolVar(&o.Backbone, "backbone", false, "only core and aggregation sites (the rings)")
	c.Flags().BoolVar(&o.Physical, "physical", false, "devices, patch panels and cables instead of sites and links")
	return c
}

func runGraph(ctx context.Context, d *deps, to *topoOpts, o graphOpts) error {
	if err := checkFormat(o.Output, append(topology.GraphFormats, "svg", "png")...); err != nil {
		return err
	}
	t, err := d.loadTopology(ctx, to)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	format := o.Output
	if format == "svg" || format == "png" {
		format = "dot"
	}
	if err := topology.WriteGraph(&buf, t, format, topology.GraphOptions{Backbone: o.Backbone, Physical: o.Physical}); err != nil {
		return err
	}
	out := buf.Bytes()
	if format != o.Output {
		if out, err = renderGraphviz(ctx, out, o.Output); err != nil {
			return err
		}
	}
	var w io.Writer = d.stdout
	if o.Out != "" {
		if err := os.WriteFile(o.Out, out, 0o644); err != nil {
			return fmt.Errorf("graph: %w", err)
		}
		return nil
	}
	_, err = w.Write(out)
	return err
}

// renderGraphviz runs Graphviz's dot on a DOT graph.
func renderGraphviz(ctx context.Context, dot []byte, format string) ([]byte, error) {
	bin, err := exec.LookPath("dot")
	if err != nil {
		return nil, fmt.Errorf("render %s: Graphviz's dot command is not installed (apt install graphviz), or use -o dot: %w", format, err)
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "-T"+format)
	cmd.Stdin = bytes.NewReader(dot)
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return nil, fmt.Errorf("render %s with %s: %w: %s", format, bin, err, bytes.TrimSpace(stderr.Bytes()))
		}
		return nil, fmt.Errorf("render %s with %s: %w", format, bin, err)
	}
	return out.Bytes(), nil
}
