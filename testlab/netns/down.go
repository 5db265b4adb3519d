package netns

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Down removes everything the lab whose state file is at path made:
// processes, namespaces (and the veths in them), the management bridge,
// FRR pathspace directories, /etc/netns entries, the lab's files and the
// state file. It works on a lab half built or left by a crashed process;
// what is already gone is skipped.
func Down(ctx context.Context, path string) error {
	l, err := Open(path)
	if err != nil {
		return err
	}
	return l.Down(ctx)
}

// Down removes the lab; see the package function Down.
func (l *Lab) Down(ctx context.Context) error {
	unlock, err := lockState(l.path)
	if err != nil {
		return err
	}
	defer unlock()
	s := l.state
	var errs []error
	names := make([]string, len(s.Devices))
	for i, d := range s.Devices {
		names[i] = d.Netns
	}
	var pids []int
	for _, p := range nsPids(names) {
		pids = append(pids, p...)
	}
	if err := stopPids(ctx, pids, 3*time.Second); err != nil {
		errs = append(errs, fmt.Errorf("lab %s: %w", s.Name, err))
	}
	// Host-side veths first: deleting one deletes its peer at once, where
	// the kernel tears a deleted namespace's interfaces down in the
	// background, seconds later on a busy machine.
	var del []string
	for _, d := range s.Devices {
		if _, err := net.InterfaceByName(d.HostVeth); err == nil && d.HostVeth != "" {
			del = append(del, "link del "+d.HostVeth)
		}
	}
	if _, err := net.InterfaceByName(s.Bridge); err == nil && s.Bridge != "" {
		del = append(del, "link del "+s.Bridge)
	}
	for _, n := range append(names, s.Wire) {
		if _, err := os.Stat(filepath.Join("/run/netns", n)); err == nil && n != "" {
			del = append(del, "netns del "+n)
		}
	}
	if err := ipForce(ctx, del); err != nil {
		errs = append(errs, fmt.Errorf("lab %s: %w", s.Name, err))
	}
	for _, d := range s.Devices {
		for _, p := range d.Paths {
			if err := os.RemoveAll(p); err != nil {
				errs = append(errs, fmt.Errorf("device %s: %w", d.Name, err))
			}
		}
	}
	if s.Dir != "" {
		if err := os.RemoveAll(s.Dir); err != nil {
			errs = append(errs, fmt.Errorf("lab %s: %w", s.Name, err))
		}
	}
	if len(errs) > 0 {
		// Keep the state file so down can be run again.
		return errors.Join(errs...)
	}
	for _, p := range []string{l.path, l.path + ".lock", l.path + ".tmp"} {
		if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// ipForce runs ip commands, going on past failures.
func ipForce(ctx context.Context, lines []string) error {
	if len(lines) == 0 {
		return nil
	}
	_, err := run(ctx, strings.Join(lines, "\n")+"\n", "ip", "-force", "-batch", "-")
	return err
}
