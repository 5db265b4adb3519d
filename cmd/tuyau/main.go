// Command tuyau manages a regional public fiber network and its dual-site
// routed core: inventory, topology, provisioning, BGP, telemetry and labs.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// Exit codes, documented in README.md.
const (
	exitOK      = 0
	exitError   = 1
	exitChanges = 2
)

// errChangesPending asks main to exit 2 (--detailed-exitcode).
var errChangesPending = errors.New("changes pending")

// errSilent is returned when the command already printed what went wrong.
type errSilent struct{ err error }

func (e errSilent) Error() string { return e.err.Error() }
func (e errSilent) Unwrap() error { return e.err }

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	return runDeps(ctx, &deps{stdout: stdout, stderr: stderr, stdin: stdin, getenv: getenv}, args)
}

// runDeps runs the CLI with d; tests set d.self to re-run their binary.
func runDeps(ctx context.Context, d *deps, args []string) int {
	stdin, stdout, stderr := d.stdin, d.stdout, d.stderr
	root := newRootCmd(d)
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, errChangesPending):
		return exitChanges
	}
	var s errSilent
	if !errors.As(err, &s) {
		fmt.Fprintln(stderr, "tuyau:", err)
	}
	return exitError
}
