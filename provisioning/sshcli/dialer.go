package sshcli

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/scrapli/scrapligo/driver/network"
	"github.com/scrapli/scrapligo/driver/opoptions"
	"github.com/scrapli/scrapligo/driver/options"
	"github.com/scrapli/scrapligo/platform"
	"github.com/scrapli/scrapligo/transport"
	"github.com/scrapli/scrapligo/util"

	"github.com/tuyau-net/tuyau/inventory"
	"github.com/tuyau-net/tuyau/provisioning"
	"github.com/tuyau-net/tuyau/provisioning/platforms"
)

// Dialer opens SSH CLI sessions. Its zero value is not usable: KnownHosts
// and Credentials are required.
type Dialer struct {
	// KnownHosts is the known_hosts file host keys are checked against.
	KnownHosts string
	// TrustOnFirstUse records the key of a host absent from KnownHosts
	// instead of refusing it. A host whose key changed is always refused.
	TrustOnFirstUse bool
	Credentials     Credentials
	// Targets override where a device is reached (device name to
	// host:port); otherwise its management address, port 22.
	Targets map[string]string
	// Timeout bounds each operation (30s by default).
	Timeout time.Duration

	keysOnce sync.Once
	keys     *hostKeys
}

// scrapliPlatforms maps inventory platforms to scrapligo definitions; FRR's
// comes from provisioning/platforms.
var scrapliPlatforms = map[string]string{"eos": "arista_eos", "iosxe": "cisco_iosxe", "junos": "juniper_junos", "srlinux": "nokia_srl"}

// Addr returns where the device is reached.
func (d *Dialer) Addr(dev inventory.Device) (string, error) {
	if a, ok := d.Targets[dev.Name]; ok {
		return a, nil
	}
	if !dev.Mgmt.IsValid() {
		return "", fmt.Errorf("device %s: no management address and no target", dev.Name)
	}
	return net.JoinHostPort(dev.Mgmt.String(), "22"), nil
}

// Dial implements provisioning.Dialer for transport "ssh".
func (d *Dialer) Dial(ctx context.Context, dev inventory.Device, tr string) (provisioning.Conn, error) {
	if tr != "ssh" {
		return nil, fmt.Errorf("device %s: sshcli cannot speak %s", dev.Name, tr)
	}
	if d.KnownHosts == "" {
		return nil, errors.New("no known_hosts file given")
	}
	// Plan and apply dial devices in parallel: one hostKeys (one lock on
	// the known_hosts file) for all of them.
	d.keysOnce.Do(func() { d.keys = &hostKeys{path: d.KnownHosts, tofu: d.TrustOnFirstUse} })
	timeout := d.Timeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	addr, err := d.Addr(dev)
	if err != nil {
		return nil, err
	}
	host, portS, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("device %s: address %q: %w", dev.Name, addr, err)
	}
	port, _ := strconv.Atoi(portS)
	algos, err := d.keys.ensure(ctx, addr, timeout)
	if err != nil {
		return nil, fmt.Errorf("device %s (%s): %w", dev.Name, addr, err)
	}
	var def any = platforms.FRRVtysh()
	if dev.Platform != "frr" {
		name, ok := scrapliPlatforms[dev.Platform]
		if !ok {
			return nil, fmt.Errorf("device %s: no SSH platform for %q", dev.Name, dev.Platform)
		}
		def = name
	}
	opts := []util.Option{
		options.WithTransportType(transport.StandardTransport),
		options.WithPort(port),
		options.WithAuthUsername(d.Credentials.Username),
		options.WithSSHKnownHostsFile(d.KnownHosts),
		options.WithStandardTransportHostKeyAlgorithms(algos),
		options.WithTimeoutOps(timeout),
		options.WithTimeoutSocket(timeout),
	}
	if d.Credentials.Password != "" {
		opts = append(opts, options.WithAuthPassword(d.Credentials.Password))
	}
	if d.Credentials.PrivateKey != "" {
		opts = append(opts, options.WithAuthPrivateKey(d.Credentials.PrivateKey, ""))
	}
	p, err := platform.NewPlatform(def, host, opts...)
	if err != nil {
		return nil, fmt.Errorf("device %s: scrapligo platform: %w", dev.Name, err)
	}
	drv, err := p.GetNetworkDriver()
	if err != nil {
		return nil, fmt.Errorf("device %s: %w", dev.Name, err)
	}
	opened := make(chan error, 1)
	go func() { opened <- drv.Open() }()
	select {
	case err = <-opened:
	case <-ctx.Done():
		go func() { <-opened; drv.Close() }()
		return nil, fmt.Errorf("device %s (%s): open ssh: %w", dev.Name, addr, ctx.Err())
	}
	if err != nil {
		return nil, fmt.Errorf("device %s (%s): open ssh: %w", dev.Name, addr, cleanErr(err))
	}
	return &Conn{dev: dev.Name, platform: dev.Platform, drv: drv}, nil
}

// cleanErr keeps scrapligo's errors short: they can repeat the whole
// channel output.
func cleanErr(err error) error {
	s := err.Error()
	if len(s) > 300 {
		return errors.New(s[:300] + "...")
	}
	return err
}

// Conn is an open CLI session to one device.
type Conn struct {
	dev, platform string
	drv           *network.Driver
}

// run runs fn unless ctx ends first; scrapligo has no contexts, so on
// cancellation the session is closed to unblock it.
func (c *Conn) run(ctx context.Context, fn func() error) error {
	done := make(chan error, 1)
	go func() { done <- fn() }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		c.drv.Close()
		<-done
		return ctx.Err()
	}
}

// Command runs one exec-mode command and returns its output.
func (c *Conn) Command(ctx context.Context, cmd string) (string, error) {
	var out string
	err := c.run(ctx, func() error {
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

// Running implements provisioning.Conn.
func (c *Conn) Running(ctx context.Context) ([]byte, error) {
	cmd := "show running-config"
	if c.platform == "junos" {
		cmd = "show configuration"
	}
	out, err := c.Command(ctx, cmd)
	return []byte(out), err
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
	err := c.run(ctx, func() error {
		mr, err := c.drv.SendConfigs(d.Commands, opoptions.WithStopOnFailed())
		if err != nil {
			return cleanErr(err)
		}
		if mr.Failed != nil {
			for _, r := range mr.Responses {
				if r.Failed != nil {
					return fmt.Errorf("command %q rejected: %s", r.Input, strings.TrimSpace(r.Result))
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

// pushBatch sends all commands to vtysh in one write instead of one round
// trip per command (10 ms each, most of an apply's time). vtysh runs them in
// order as readline hands them over; a final unknown command carrying a
// nonce marks the end, since its error is printed only once vtysh has
// processed everything before it (the pty echoes input at once, so an
// echoed marker would prove nothing). Any "% ..." line before it is a
// rejected command: vtysh goes on with the next ones, and apply rolls the
// whole device back.
func (c *Conn) pushBatch(ctx context.Context, cmds []string) error {
	nonce := make([]byte, 8)
	if _, err := rand.Read(nonce); err != nil {
		return err
	}
	marker := "tuyau-sync-" + hex.EncodeToString(nonce)
	return c.run(ctx, func() error {
		if err := c.drv.AcquirePriv("configuration"); err != nil {
			return cleanErr(err)
		}
		payload := strings.Join(cmds, "\n") + "\nend\n" + marker + "\n"
		if err := c.drv.Channel.Write([]byte(payload), false); err != nil {
			return err
		}
		out, err := c.readUntil(ctx, "Unknown command: "+marker)
		if err != nil {
			return err
		}
		c.drv.CurrentPriv = "exec"
		var rejected []string
		for _, l := range strings.Split(string(out), "\n") {
			l = strings.TrimSpace(l)
			if strings.HasPrefix(l, "%") && !strings.Contains(l, marker) {
				rejected = append(rejected, l)
			}
		}
		if len(rejected) > 0 {
			return fmt.Errorf("rejected: %s", strings.Join(rejected, "; "))
		}
		return nil
	})
}

// readUntil reads the session's output until it holds want and the prompt
// that follows it.
func (c *Conn) readUntil(ctx context.Context, want string) ([]byte, error) {
	var out []byte
	for {
		if err := ctx.Err(); err != nil {
			return out, err
		}
		b, err := c.drv.Channel.Read()
		if err != nil {
			return out, err
		}
		if b == nil {
			time.Sleep(time.Millisecond)
			continue
		}
		out = append(out, b...)
		if i := bytes.Index(out, []byte(want)); i >= 0 && bytes.HasSuffix(bytes.TrimRight(out[i:], " "), []byte("#")) {
			return out, nil
		}
	}
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
