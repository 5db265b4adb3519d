package testlab

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// Publish makes a lab started in this process with Start reachable as a
// running lab by the CLI: "tuyau ... --lab NAME --lab-dir ROOT" (bgp serve,
// lab status, lab exec and the fault commands) find it as they find one
// "tuyau lab up" started, through its state file and control socket in
// l's Dir, which must be ROOT/NAME (NAME the plan's). It writes the lab's
// known_hosts too. Tests that drive the lab's Go API and run tuyau
// processes against it at once (testlab/chaos) use it; stop removes the
// socket and the state file. The lab itself is the caller's to close.
func Publish(ctx context.Context, l *Lab) (stop func(), err error) {
	dir := l.opts.Dir
	if filepath.Base(dir) != l.plan.Name {
		return nil, fmt.Errorf("lab %s: publish: its directory %s must be named after it", l.plan.Name, dir)
	}
	if _, err := WriteKnownHosts(dir, l.plan); err != nil {
		return nil, fmt.Errorf("lab %s: publish: %w", l.plan.Name, err)
	}
	if _, err := os.Stat(filepath.Join(dir, PasswordFile)); err != nil {
		if err := os.WriteFile(filepath.Join(dir, PasswordFile), []byte(l.opts.Password+"\n"), 0o600); err != nil {
			return nil, fmt.Errorf("lab %s: publish: %w", l.plan.Name, err)
		}
	}
	boot := l.opts.Bootstrap
	if boot == "" {
		boot = BootstrapFull
	}
	now := time.Now().UTC()
	st := &State{Name: l.plan.Name, Mode: "virtual", Dir: dir, PID: os.Getpid(), Started: now, Ready: now, Phase: PhaseReady,
		User: l.opts.User, Bootstrap: boot, GNMIInsecure: l.opts.GNMIInsecure, Plan: l.plan}
	ctx, cancel := context.WithCancel(ctx)
	closeCtl, err := l.serveControl(ctx, st.Socket(), func() {})
	if err != nil {
		cancel()
		return nil, fmt.Errorf("lab %s: publish: %w", l.plan.Name, err)
	}
	if err := st.write(); err != nil {
		closeCtl()
		cancel()
		return nil, fmt.Errorf("lab %s: publish: %w", l.plan.Name, err)
	}
	return func() {
		cancel()
		closeCtl()
		os.Remove(filepath.Join(dir, stateFile))
	}, nil
}
