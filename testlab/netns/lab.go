package netns

import (
	"context"
	"log/slog"
	"net"
	"sync"

	"github.com/tuyau-net/tuyau/inventory"
)

// Lab is a running netns lab. Up returns one; Open finds one again from
// its state file in another process.
type Lab struct {
	path  string
	state *State
	log   *slog.Logger
}

// Open loads the lab whose state file is at path.
func Open(path string) (*Lab, error) {
	s, err := readState(path)
	if err != nil {
		return nil, err
	}
	return &Lab{path: path, state: s, log: slog.New(slog.DiscardHandler)}, nil
}

// StatePath is the lab's state file, what Down and Open take.
func (l *Lab) StatePath() string { return l.path }

// State returns the lab's state as last read or written.
func (l *Lab) State() *State { return l.state }

// KnownHosts is the known_hosts file holding every device's host key,
// under its management address and its name.
func (l *Lab) KnownHosts() string { return l.state.KnownHosts }

// User is the SSH login of the lab.
func (l *Lab) User() string { return l.state.User }

// Targets maps each device to the host:port its sshd listens on, in the
// form of provisioning/sshcli.Dialer.Targets.
func (l *Lab) Targets() map[string]string {
	m := make(map[string]string, len(l.state.Devices))
	for _, d := range l.state.Devices {
		m[d.Name] = net.JoinHostPort(d.Mgmt.Addr().String(), "22")
	}
	return m
}

// Vtysh runs commands in a device's vtysh (as `vtysh -N PATHSPACE -c ...`)
// and returns the output.
func (l *Lab) Vtysh(ctx context.Context, device string, cmds ...string) (string, error) {
	d := l.state.device(device)
	if d == nil {
		return "", errUnknownDevice(device)
	}
	return vtysh(ctx, d, cmds...)
}

// forEach runs fn for 0..n-1, at most parallel at a time, and joins the errors.
func forEach(ctx context.Context, n, parallel int, fn func(ctx context.Context, i int) error) error {
	sem := make(chan struct{}, parallel)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			errs[i] = ctx.Err()
			continue
		}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			errs[i] = fn(ctx, i)
		}()
	}
	wg.Wait()
	return joinErrs(errs)
}

// RenderConfigs renders the initial frr.conf of every device, keyed by name.
func RenderConfigs(snap *inventory.Snapshot, s *State, level ConfigLevel) (map[string]string, error) {
	out := make(map[string]string, len(s.Devices))
	for _, d := range s.Devices {
		c, err := RenderConfig(snap, s, d.Name, level)
		if err != nil {
			return nil, err
		}
		out[d.Name] = c
	}
	return out, nil
}
