package main

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"

	"github.com/spf13/cobra"
)

// deps carries what commands need from the outside world, so tests run the
// CLI in-process with their own writers and environment.
type deps struct {
	stdout, stderr io.Writer
	stdin          io.Reader
	getenv         func(string) string
	// configPath is --config; empty means ./tuyau.yaml when present.
	configPath string
	// inventory is --inventory, resolved with the environment and config by inventoryPath.
	inventory string
	// debug is --debug: debug logs on stderr.
	debug bool
	// self, when set, is how tuyau runs itself as another process (the
	// confirm timer); nil runs os.Executable. Tests set it to re-run the
	// test binary as tuyau.
	self func(args []string) (*exec.Cmd, error)
}

// selfCommand is a command running this tuyau with args.
func (d *deps) selfCommand(args []string) (*exec.Cmd, error) {
	if d.self != nil {
		return d.self(args)
	}
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("find the tuyau executable to run the confirm timer: %w", err)
	}
	return exec.Command(exe, args...), nil
}

// logger logs on stderr: warnings and errors, and debug details with --debug.
func (d *deps) logger() *slog.Logger {
	level := slog.LevelWarn
	if d.debug {
		level = slog.LevelDebug
	}
	return slog.New(slog.NewTextHandler(d.stderr, &slog.HandlerOptions{Level: level}))
}

func newRootCmd(d *deps) *cobra.Command {
	root := &cobra.Command{
		Use:   "tuyau",
		Short: "Manage a regional public fiber network and its dual-site routed core",
		Long: `tuyau is the everyday tool of the engineers of a public fiber network:
the inventory is the source of truth (YAML files or NetBox), and everything
else (topology, configs, BGP, telemetry, labs) is derived from it.

Exit codes: 0 success, 1 error (or an invalid inventory), 2 changes pending
(only with --detailed-exitcode).`,
		Example: `  tuyau inventory validate -i examples/manche
  TUYAU_INVENTORY=examples/manche tuyau inventory show
  tuyau inventory generate --sites 10000 --seed 1 --out /tmp/big`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.PersistentFlags().StringVarP(&d.inventory, "inventory", "i", "", "inventory file or directory (env TUYAU_INVENTORY, or inventory: in tuyau.yaml)")
	root.PersistentFlags().StringVar(&d.configPath, "config", "", "config file (default ./tuyau.yaml when present)")
	root.PersistentFlags().BoolVar(&d.debug, "debug", false, "log debug details on stderr (such as each YAML file that leaves the fast reader, and why)")
	root.AddCommand(newVersionCmd(d), newInventoryCmd(d), newLabCmd(d), newConfigCmd(d), newTopologyCmd(d), newNetboxCmd(d), newTelemetryCmd(d), newNocCmd(d), newWebCmd(d), newBGPCmd(d), newReportCmd(d), newServeCmd(d))
	return root
}
