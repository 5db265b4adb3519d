package sshcli

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/tuyau-net/tuyau/inventory"
	"github.com/tuyau-net/tuyau/provisioning"
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
	// Timeout bounds each operation: the login, and then every read,
	// push and status read on the session (30s by default). A device that
	// stops answering is reported once it runs out, never waited for.
	Timeout time.Duration

	keysOnce sync.Once
	keys     *hostKeys
}

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
	// Only FRR has a CLI dialect tuyau plans and applies (support.go says
	// which and why); the others are refused before any login, naming gNMI.
	if err := provisioning.SSHRefusal(dev.Name, dev.Platform); err != nil {
		return nil, err
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
	if dev.Platform != "frr" {
		return nil, fmt.Errorf("device %s: no SSH platform for %q", dev.Name, dev.Platform)
	}
	algos, err := d.keys.ensure(ctx, addr, timeout)
	if err != nil {
		return nil, fmt.Errorf("device %s (%s): %w", dev.Name, addr, err)
	}
	hostKey, err := d.keys.callback()
	if err != nil {
		return nil, fmt.Errorf("device %s (%s): %w", dev.Name, addr, err)
	}
	s, err := login(ctx, addr, hostKey, algos, d.Credentials, timeout)
	if err != nil {
		return nil, fmt.Errorf("device %s (%s): open ssh: %w", dev.Name, addr, cleanErr(err))
	}
	return &Conn{dev: dev.Name, platform: dev.Platform, s: s, timeout: timeout}, nil
}

// cleanErr keeps errors short: one can quote a device's whole output.
func cleanErr(err error) error {
	s := err.Error()
	if len(s) > 300 {
		return errors.New(s[:300] + "...")
	}
	return err
}
