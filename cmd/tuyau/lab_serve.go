package main

import (
	"log/slog"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/tuyau-net/tuyau/testlab"
)

// newLabServeCmd is the background lab process "tuyau lab up" starts.
func newLabServeCmd(d *deps) *cobra.Command {
	var o labOpts
	c := &cobra.Command{
		Use:    "serve",
		Short:  "Run a prepared virtual lab (started by tuyau lab up)",
		Hidden: true,
		Args:   cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			o.resolve(d)
			log := slog.New(slog.NewTextHandler(d.stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
			return testlab.Serve(c.Context(), filepath.Join(o.Dir, o.Name), log)
		},
	}
	o.flags(c)
	return c
}
