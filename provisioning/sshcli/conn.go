package sshcli

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/tuyau-net/tuyau/provisioning"
)

// Conn is an open CLI session to one device.
type Conn struct {
	dev, platform string
	s             *session
	// timeout bounds each operation on the session.
	timeout time.Duration
	// trace names each exchange with the device (one write answered by a
	// prompt) since the login, for tests that count round trips.
	trace []string
	// after is the running config a push read when done, for the next
	// Running on this session (the read that verifies the push); any
	// other exchange drops it.
	after *frrRead
	// iface is "show interface json" as the session's first read took it
	// with the config, for the HostState that follows it in a plan; read
	// is set once the session read a config.
	iface *string
	read  bool
}

// frrRead is what vtysh answered "show daemons" and "show running-config"
// with, read in one exchange.
type frrRead struct{ daemons, config string }

// ErrTimeout is returned when the device did not finish an operation
// within the dialer's Timeout; the session is closed.
var ErrTimeout = errors.New("device stopped answering")

// run runs fn with the session's deadline unless ctx ends first; on
// cancellation or deadline the session is closed, which also unblocks a
// write the device stopped reading.
func (c *Conn) run(ctx context.Context, op string, fn func(ctx context.Context) error) error {
	if c.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.timeout)
		defer cancel()
	}
	done := make(chan error, 1)
	go func() { done <- fn(ctx) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		c.s.close()
		<-done
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return fmt.Errorf("%s: %w: no answer within %s (session closed)", op, ErrTimeout, c.timeout)
		}
		return fmt.Errorf("%s: %w", op, ctx.Err())
	}
}

// Command runs one exec-mode command and returns its output.
func (c *Conn) Command(ctx context.Context, cmd string) (string, error) {
	var out string
	err := c.run(ctx, fmt.Sprintf("%q", cmd), func(ctx context.Context) error {
		c.trace = append(c.trace, cmd)
		c.after, c.iface = nil, nil
		if err := c.s.write([]byte(cmd + "\n")); err != nil {
			return err
		}
		// The prompt the echo follows came with the last output.
		b, err := c.readCommand(ctx, append([]byte("\n"), c.s.prompt...), cmd)
		if err != nil {
			return cleanErr(err)
		}
		out = string(b)
		if l := failedLine(out); l != "" {
			return fmt.Errorf("%q: %s", cmd, l)
		}
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("device %s: %w", c.dev, err)
	}
	return out, nil
}

// failedLine is the first line of a command's output that says vtysh
// refused it: "% Unknown command", "% Command incomplete" and the like
// (every vtysh error starts with "% ").
func failedLine(out string) string {
	for _, l := range strings.Split(out, "\n") {
		if l = strings.TrimSpace(l); strings.HasPrefix(l, "% ") {
			return l
		}
	}
	return ""
}

// Running implements provisioning.Conn. On FRR, a read that vtysh
// answered with a warning instead of config (a daemon down or
// restarting: "Warning: connecting to bgpd...failed!") is an error: the
// daemon's part is missing from the text, and taking it as config would
// plan to remove it all. A daemon down when vtysh started is silently
// absent from its output: "show daemons", in the same write, says which
// were there, for the delta to check. Right after a push, the read the
// push made when done answers.
func (c *Conn) Running(ctx context.Context) ([]byte, error) {
	cmd := "show running-config"
	if c.platform == "junos" {
		cmd = "show configuration"
	}
	if c.platform != "frr" {
		out, err := c.Command(ctx, cmd)
		if err != nil {
			return nil, err
		}
		return []byte(out), nil
	}
	r := c.after
	c.after, c.iface = nil, nil
	if r == nil {
		// A session's first read is a plan's (or a backup's), which reads
		// the interfaces next (HostState): in the same write, between the
		// two others. JSON read there is whole or fails to parse: a line
		// of echoed input (a mark, a command) is dropped by clean, and one
		// cut into its text makes it invalid JSON, never other MTUs.
		reads := []string{"show daemons", cmd}
		if !c.read {
			reads = []string{"show daemons", ifaceCmd, cmd}
		}
		err := c.run(ctx, "read", func(ctx context.Context) error {
			c.trace = append(c.trace, strings.Join(reads, ", "))
			parts, err := c.exchange(ctx, "", nil, reads...)
			if err != nil {
				return cleanErr(err)
			}
			r = &frrRead{daemons: clean(parts[0], reads...), config: string(parts[len(parts)-1])}
			if len(parts) == 3 {
				j := clean(parts[1], reads...)
				c.iface = &j
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("device %s: %w", c.dev, err)
		}
	}
	c.read = true
	if err := provisioning.FRRReadError(r.config); err != nil {
		return nil, fmt.Errorf("device %s: %s: %w", c.dev, cmd, err)
	}
	if err := provisioning.FRRReadError(r.daemons); err != nil {
		return nil, fmt.Errorf("device %s: show daemons: %w", c.dev, err)
	}
	return []byte(provisioning.FRRDaemonsHeader + " " + strings.Join(strings.Fields(r.daemons), " ") + "\n" + r.config), nil
}

// Push implements provisioning.Conn: commands are sent one by one in
// configuration mode and the first one the device rejects stops the push.
func (c *Conn) Push(ctx context.Context, d provisioning.Delta) error {
	if d.Replace && c.platform != "frr" {
		return fmt.Errorf("device %s: replacing a whole %s config over SSH is not implemented; use gNMI", c.dev, c.platform)
	}
	if c.platform == "frr" {
		if err := c.pushBatch(ctx, d.Commands); err != nil {
			return fmt.Errorf("device %s: push: %w", c.dev, err)
		}
		return nil
	}
	return fmt.Errorf("device %s: pushing to %s over SSH is not implemented; use gNMI", c.dev, c.platform)
}

// Save implements provisioning.Saver: the running config becomes the
// startup config, so a daemon restart or a reboot keeps what was applied.
func (c *Conn) Save(ctx context.Context) error {
	cmd := "write memory"
	switch c.platform {
	case "junos":
		return nil // a Junos commit is already persistent
	case "srlinux":
		cmd = "save startup"
	}
	out, err := c.Command(ctx, cmd)
	if err != nil {
		return err
	}
	for _, l := range strings.Split(out, "\n") {
		l = strings.TrimSpace(l)
		if strings.HasPrefix(l, "%") || strings.Contains(l, "failed") || strings.Contains(l, "Error") {
			return fmt.Errorf("device %s: %s: %s", c.dev, cmd, l)
		}
	}
	return nil
}

// Startup implements provisioning.StartupReader: "show startup-config" on
// EOS and IOS-XE. FRR 8.4's vtysh has no command that shows the saved
// file ("show startup-config" is not in its grammar, checked on 8.4.4),
// and a login whose shell is vtysh cannot read it otherwise: plan then
// compares with the config tuyau last saved, from the records.
func (c *Conn) Startup(ctx context.Context) ([]byte, error) {
	switch c.platform {
	case "eos", "iosxe":
	default:
		return nil, provisioning.ErrNoStartup
	}
	out, err := c.Command(ctx, "show startup-config")
	if err != nil {
		return nil, err
	}
	return []byte(out), nil
}

// HostState implements provisioning.HostStateReader on FRR: the MTUs come
// from the kernel ("show interface json"), which FRR cannot set, and the
// defaults profile from the running config's "frr defaults" line.
func (c *Conn) HostState(ctx context.Context, running []byte) (provisioning.HostState, error) {
	var hs provisioning.HostState
	if c.platform != "frr" {
		return hs, provisioning.ErrNoHostState
	}
	var out string
	if c.iface != nil {
		out, c.iface = *c.iface, nil
		if l := failedLine(out); l != "" {
			return hs, fmt.Errorf("device %s: %q: %s", c.dev, ifaceCmd, l)
		}
	} else {
		var err error
		if out, err = c.Command(ctx, ifaceCmd); err != nil {
			return hs, err
		}
	}
	var err error
	if hs.MTU, err = ParseInterfaceMTUs([]byte(out)); err != nil {
		return hs, fmt.Errorf("device %s: %w", c.dev, err)
	}
	for _, l := range strings.Split(string(running), "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(l), "frr defaults "); ok {
			hs.Defaults = v
		}
	}
	return hs, nil
}

// ifaceCmd reads the interfaces' MTUs (HostState).
const ifaceCmd = "show interface json"

// Status implements provisioning.StatusReader from FRR's JSON output, both
// reads in one write (post-checks poll it, once per router and tick): the
// interface table, a marker whose "% Unknown command" answer ends it, then
// the BGP summary, last so no later input echoes into its JSON. Echoed
// input in the table is no interface line (its second word is not up or
// down) and is ignored.
func (c *Conn) Status(ctx context.Context) (provisioning.Status, error) {
	st := provisioning.Status{}
	const brief, bgp = "show interface brief", "show bgp summary json"
	var table, summary string
	err := c.run(ctx, "status", func(ctx context.Context) error {
		c.trace = append(c.trace, brief+", "+bgp)
		c.after, c.iface = nil, nil
		parts, err := c.exchange(ctx, "", nil, brief, bgp)
		if err != nil {
			return cleanErr(err)
		}
		table, summary = clean(parts[0], brief, bgp), string(parts[1])
		for _, l := range strings.Split(table, "\n") {
			if l = strings.TrimSpace(l); strings.HasPrefix(l, "%") {
				return fmt.Errorf("%q: %s", brief, l)
			}
		}
		return nil
	})
	if err != nil {
		return st, fmt.Errorf("device %s: %w", c.dev, err)
	}
	if st.BGP, err = ParseBGPSummary([]byte(summary)); err != nil {
		return st, fmt.Errorf("device %s: %w", c.dev, err)
	}
	st.InterfacesUp = ParseInterfaceBrief(table)
	return st, nil
}

// Close implements provisioning.Conn.
func (c *Conn) Close() error { return c.s.close() }
