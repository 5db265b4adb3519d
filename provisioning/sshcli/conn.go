package sshcli

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/scrapli/scrapligo/driver/network"
	"github.com/scrapli/scrapligo/driver/opoptions"

	"github.com/tuyau-net/tuyau/provisioning"
)

// Conn is an open CLI session to one device.
type Conn struct {
	dev, platform string
	drv           *network.Driver
	// timeout bounds each operation on the session.
	timeout time.Duration
	// trace names each exchange with the device (one write answered by a
	// prompt) since the login, for tests that count round trips.
	trace []string
}

// ErrTimeout is returned when the device did not finish an operation
// within the dialer's Timeout; the session is closed.
var ErrTimeout = errors.New("device stopped answering")

// run runs fn with the session's deadline unless ctx ends first;
// scrapligo has no contexts, so on cancellation or deadline the session is
// closed to unblock it.
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
		c.drv.Close()
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
	err := c.run(ctx, fmt.Sprintf("%q", cmd), func(context.Context) error {
		c.trace = append(c.trace, cmd)
		r, err := c.drv.SendCommand(cmd)
		if err != nil {
			return cleanErr(err)
		}
		if r.Failed != nil {
			return fmt.Errorf("%q: %s", cmd, strings.TrimSpace(r.Result))
		}
		out = r.Result
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("device %s: %w", c.dev, err)
	}
	return out, nil
}

// Running implements provisioning.Conn. On FRR, a read that vtysh
// answered with a warning instead of config (a daemon down or
// restarting: "Warning: connecting to bgpd...failed!") is an error: the
// daemon's part is missing from the text, and taking it as config would
// plan to remove it all.
func (c *Conn) Running(ctx context.Context) ([]byte, error) {
	cmd := "show running-config"
	if c.platform == "junos" {
		cmd = "show configuration"
	}
	out, err := c.Command(ctx, cmd)
	if err != nil {
		return nil, err
	}
	if c.platform != "frr" {
		return []byte(out), nil
	}
	if err := provisioning.FRRReadError(out); err != nil {
		return nil, fmt.Errorf("device %s: %s: %w", c.dev, cmd, err)
	}
	// A daemon down when vtysh started is silently absent from its
	// output: say which were there, for the delta to check.
	daemons, err := c.Command(ctx, "show daemons")
	if err != nil {
		return nil, err
	}
	if err := provisioning.FRRReadError(daemons); err != nil {
		return nil, fmt.Errorf("device %s: show daemons: %w", c.dev, err)
	}
	return []byte(provisioning.FRRDaemonsHeader + " " + strings.Join(strings.Fields(daemons), " ") + "\n" + out), nil
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
	err := c.run(ctx, "push", func(context.Context) error {
		mr, err := c.drv.SendConfigs(d.Commands, opoptions.WithStopOnFailed())
		if err != nil {
			return cleanErr(err)
		}
		if mr.Failed != nil {
			for i, r := range mr.Responses {
				if r.Failed != nil {
					return &provisioning.CommandError{Position: i + 1, Total: len(d.Commands), Command: r.Input,
						Message: strings.TrimSpace(r.Result)}
				}
			}
			return mr.Failed
		}
		_, err = c.drv.SendCommand("end")
		return err
	})
	if err != nil {
		return fmt.Errorf("device %s: push: %w", c.dev, err)
	}
	return nil
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
	out, err := c.Command(ctx, "show interface json")
	if err != nil {
		return hs, err
	}
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

// Status implements provisioning.StatusReader from FRR's JSON output.
func (c *Conn) Status(ctx context.Context) (provisioning.Status, error) {
	st := provisioning.Status{}
	out, err := c.Command(ctx, "show bgp summary json")
	if err != nil {
		return st, err
	}
	if st.BGP, err = ParseBGPSummary([]byte(out)); err != nil {
		return st, fmt.Errorf("device %s: %w", c.dev, err)
	}
	out, err = c.Command(ctx, "show interface brief")
	if err != nil {
		return st, err
	}
	st.InterfacesUp = ParseInterfaceBrief(out)
	return st, nil
}

// Close implements provisioning.Conn.
func (c *Conn) Close() error { return c.drv.Close() }
