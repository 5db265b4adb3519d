package sshcli

import (
	"context"
	"fmt"
	"io"
	"maps"
	"net"
	"net/netip"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"

	"github.com/tuyau-net/tuyau/inventory"
	"github.com/tuyau-net/tuyau/inventory/synth"
	"github.com/tuyau-net/tuyau/provisioning"
	"github.com/tuyau-net/tuyau/testlab"
	"github.com/tuyau-net/tuyau/testlab/labtest"
)

// faultLab is a virtual lab of a small generated network booted with
// interfaces only, reached over real SSH through scrapligo.
type faultLab struct {
	lab     *testlab.Lab
	x       *inventory.Index
	devs    map[string]inventory.Device
	kh      string
	targets map[string]string // device -> lab SSH address
	reg     *provisioning.Registry
}

func startFaultLab(t *testing.T) *faultLab {
	t.Helper()
	snap, err := synth.Generate(synth.Options{Sites: 8, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	// The virtual device shows an IPv6 static as "ip route" (reported to
	// testlab): keep hosting IPv4-only so verify can pass, as cfg_test does.
	for i := range snap.Services {
		snap.Services[i].Prefixes = slices.DeleteFunc(snap.Services[i].Prefixes, func(p netip.Prefix) bool { return !p.Addr().Is4() })
	}
	dir := t.TempDir()
	plan := labtest.Plan(t, "faults", snap)
	kh, err := testlab.WriteKnownHosts(dir, plan)
	if err != nil {
		t.Fatal(err)
	}
	fl := &faultLab{x: inventory.NewIndex(snap), devs: map[string]inventory.Device{}, kh: kh, targets: map[string]string{}, reg: provisioning.Builtin()}
	for _, d := range plan.Devices {
		if d.Role == testlab.RoleTransit {
			continue // the provider's router: not ours to provision
		}
		fl.targets[d.Name] = net.JoinHostPort(d.Addr.String(), fmt.Sprint(plan.Ports.SSH))
		fl.devs[d.Name] = *fl.x.Device(d.Name)
	}
	lab, err := testlab.Start(context.Background(), plan, snap, testlab.Options{Dir: dir, User: "noc", Password: "lab-pw", Bootstrap: testlab.BootstrapBase})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lab.Close() })
	fl.lab = lab
	return fl
}

// dialer is the production SSH transport, reaching devices at targets.
func (fl *faultLab) dialer(targets map[string]string) *Dialer {
	return &Dialer{KnownHosts: fl.kh, Credentials: Credentials{Username: "noc", Password: "lab-pw"}, Targets: targets, Timeout: 10 * time.Second}
}

// running reads a device's running config with a plain SSH exec, not
// through scrapligo or provisioning, so the check does not trust the code
// under test.
func (fl *faultLab) running(t *testing.T, device string) string {
	t.Helper()
	out, err := fl.show(device)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// midway reads the device's config from inside a fault, which runs on
// Apply's goroutine.
func (fl *faultLab) midway(t *testing.T, device string) string {
	out, err := fl.show(device)
	if err != nil {
		t.Errorf("midway: %v", err)
	}
	return out
}

// show is running for goroutines other than the test's (t.Fatal is not
// allowed there).
func (fl *faultLab) show(device string) (string, error) {
	cb, err := knownhosts.New(fl.kh)
	if err != nil {
		return "", err
	}
	cfg := &ssh.ClientConfig{User: "noc", Auth: []ssh.AuthMethod{ssh.Password("lab-pw")}, HostKeyCallback: cb, Timeout: 10 * time.Second}
	c, err := ssh.Dial("tcp", fl.targets[device], cfg)
	if err != nil {
		return "", fmt.Errorf("%s: ssh: %w", device, err)
	}
	defer c.Close()
	s, err := c.NewSession()
	if err != nil {
		return "", fmt.Errorf("%s: ssh session: %w", device, err)
	}
	defer s.Close()
	out, err := s.Output("show running-config")
	if err != nil {
		return "", fmt.Errorf("%s: show running-config: %w", device, err)
	}
	return string(out), nil
}

// faultDialer wraps the real dialer: the first push to device runs fault
// instead of a plain push; every later push (the rollback) goes through.
type faultDialer struct {
	provisioning.Dialer
	device string
	fault  pushFunc
	fired  atomic.Bool
}

func (f *faultDialer) Dial(ctx context.Context, dev inventory.Device, tr string) (provisioning.Conn, error) {
	c, err := f.Dialer.Dial(ctx, dev, tr)
	if err != nil || dev.Name != f.device {
		return c, err
	}
	return &faultConn{Conn: c, f: f}, nil
}

type faultConn struct {
	provisioning.Conn
	f *faultDialer
}

func (c *faultConn) Push(ctx context.Context, d provisioning.Delta) error {
	if c.f.fired.CompareAndSwap(false, true) {
		return c.f.fault(ctx, c.Conn, d)
	}
	return c.Conn.Push(ctx, d)
}

type (
	pushFunc  func(ctx context.Context, c provisioning.Conn, d provisioning.Delta) error
	faultFunc func(t *testing.T, fl *faultLab, device string, p *cutProxy, mid *string) pushFunc
)

// splitPush sends the first half of d as its own push, so the device holds
// half the change when the fault strikes.
func splitPush(ctx context.Context, c provisioning.Conn, d provisioning.Delta) (rest provisioning.Delta, err error) {
	k := len(d.Commands) / 2
	first, rest := d, d
	first.Commands, rest.Commands = d.Commands[:k], d.Commands[k:]
	return rest, c.Push(ctx, first)
}

// cutProxy forwards TCP to one device and can sever every connection
// through it at once, as a link failure does (RST, no goodbye).
type cutProxy struct {
	ln       net.Listener
	mu       sync.Mutex
	conns    []net.Conn
	armed    bool // cut when the client next sends anything
	accepted int
}

func newCutProxy(t *testing.T, target string) *cutProxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &cutProxy{ln: ln}
	t.Cleanup(func() { ln.Close(); p.cut() })
	go func() {
		for {
			in, err := ln.Accept()
			if err != nil {
				return
			}
			out, err := net.DialTimeout("tcp", target, 5*time.Second)
			if err != nil {
				in.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, in, out)
			p.accepted++
			p.mu.Unlock()
			go func() { p.forward(out, in); out.Close() }()
			go func() { io.Copy(in, out); in.Close() }()
		}
	}()
	return p
}

// forward copies the client's bytes to the device until the proxy is
// armed: then the next bytes are dropped and the connection is cut, so the
// cut lands under whatever the client was sending.
func (p *cutProxy) forward(out, in net.Conn) {
	buf := make([]byte, 32<<10)
	for {
		n, err := in.Read(buf)
		if n > 0 {
			p.mu.Lock()
			armed := p.armed
			p.armed = false
			p.mu.Unlock()
			if armed {
				p.cut()
				return
			}
			if _, err := out.Write(buf[:n]); err != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

func (p *cutProxy) arm() {
	p.mu.Lock()
	p.armed = true
	p.mu.Unlock()
}

func (p *cutProxy) connections() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.accepted
}

func (p *cutProxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		if tc, ok := c.(*net.TCPConn); ok {
			tc.SetLinger(0)
		}
		c.Close()
	}
	p.conns = nil
}

// trustProxy records device's host key for the proxy's address.
func (fl *faultLab) trustProxy(t *testing.T, device, proxy string) {
	b, err := os.ReadFile(fl.kh)
	if err != nil {
		t.Fatal(err)
	}
	host := knownhosts.Normalize(fl.targets[device])
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Fields(l); len(f) == 3 && f[0] == host {
			line := knownhosts.Normalize(proxy) + " " + f[1] + " " + f[2] + "\n"
			if err := os.WriteFile(fl.kh, append(b, line...), 0o644); err != nil {
				t.Fatal(err)
			}
			return
		}
	}
	t.Fatalf("no host key for %s (%s) in %s", device, host, fl.kh)
}

// TestApplyFaultsVirtualLab injects faults in the middle of an apply to a
// virtual lab over the real SSH transport: the faulted device ends on its
// exact previous config (or, when it cannot be reached, is named as
// failed), the other devices are applied, and a second plan shows the
// faulted device's change still pending, exactly as first planned.
func TestApplyFaultsVirtualLab(t *testing.T) {
	for _, tc := range []struct {
		name string
		// fault returns what runs in place of the first push to the
		// device; it fills mid with the device's config once half-changed.
		fault faultFunc
		// proxied routes the device's sessions through a cutProxy.
		proxied bool
		want    provisioning.Outcome
		errHas  []string
	}{
		{
			name:    "connection cut mid-push",
			proxied: true,
			fault: func(t *testing.T, fl *faultLab, device string, p *cutProxy, mid *string) pushFunc {
				return func(ctx context.Context, c provisioning.Conn, d provisioning.Delta) error {
					rest, err := splitPush(ctx, c, d)
					if err != nil {
						return err
					}
					*mid = fl.midway(t, device)
					p.arm()
					return c.Push(ctx, rest)
				}
			},
			want: provisioning.RolledBack,
		},
		{
			name: "device killed mid-apply",
			fault: func(t *testing.T, fl *faultLab, device string, _ *cutProxy, mid *string) pushFunc {
				return func(ctx context.Context, c provisioning.Conn, d provisioning.Delta) error {
					rest, err := splitPush(ctx, c, d)
					if err != nil {
						return err
					}
					*mid = fl.midway(t, device)
					if _, err := fl.lab.Kill(ctx, device); err != nil {
						t.Errorf("kill %s: %v", device, err)
					}
					return c.Push(ctx, rest)
				}
			},
			want: provisioning.Failed,
		},
		{
			name: "rejected command mid-push",
			fault: func(t *testing.T, fl *faultLab, device string, _ *cutProxy, mid *string) pushFunc {
				return func(ctx context.Context, c provisioning.Conn, d provisioning.Delta) error {
					k := len(d.Commands) / 2
					d.Commands = slices.Insert(slices.Clone(d.Commands), k, "frobnicate tuyau-fault")
					err := c.Push(ctx, d)
					*mid = fl.midway(t, device)
					return err
				}
			},
			want:   provisioning.RolledBack,
			errHas: []string{"frobnicate tuyau-fault"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fl := startFaultLab(t)
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			dial := fl.dialer(fl.targets)
			plan, err := provisioning.MakePlan(ctx, fl.x, fl.reg, dial, provisioning.PlanOptions{Render: provisioning.Options{NoIGP: true}})
			if err != nil || plan.Err() != nil {
				t.Fatalf("plan: %v %v", err, plan.Err())
			}
			if plan.Changes() != len(plan.Devices) || len(plan.Devices) < 3 {
				t.Fatalf("plan changes %d of %d devices, want all of at least 3", plan.Changes(), len(plan.Devices))
			}
			// A device in the middle of the plan, with enough commands
			// that half of them change something.
			var victim provisioning.DevicePlan
			for _, dp := range plan.Devices[len(plan.Devices)/2:] {
				if len(dp.Commands) >= 6 {
					victim = dp
					break
				}
			}
			if victim.Device == "" {
				t.Fatal("no device with at least 6 commands to push")
			}
			before := fl.running(t, victim.Device)

			targets := fl.targets
			var p *cutProxy
			if tc.proxied {
				p = newCutProxy(t, fl.targets[victim.Device])
				targets = maps.Clone(fl.targets)
				targets[victim.Device] = p.ln.Addr().String()
				fl.trustProxy(t, victim.Device, targets[victim.Device])
				t.Cleanup(func() {
					// The cut session is dead: restoring needed a new one.
					if n := p.connections(); n < 2 {
						t.Errorf("%d sessions through the proxy, want a second one for the rollback", n)
					}
				})
			}
			var mid string
			fault := tc.fault(t, fl, victim.Device, p, &mid)
			fd := &faultDialer{Dialer: fl.dialer(targets), device: victim.Device, fault: fault}
			res := provisioning.Apply(ctx, plan, fl.reg, fl.devs, fd, provisioning.ApplyOptions{})

			if mid == "" || mid == before {
				t.Fatalf("the fault struck before %s was changed: the test proves nothing", victim.Device)
			}
			for _, r := range res {
				if r.Device != victim.Device {
					if r.Outcome != provisioning.Applied {
						t.Errorf("%s: %s %s %s, want applied: a fault on %s must not stop the others", r.Device, r.Outcome, r.Error, r.RollbackError, victim.Device)
					}
					continue
				}
				t.Logf("%s: %s: %s; rollback: %s", r.Device, r.Outcome, r.Error, r.RollbackError)
				if r.Outcome != tc.want {
					t.Errorf("%s: outcome %s, want %s (error %q, rollback %q)", r.Device, r.Outcome, tc.want, r.Error, r.RollbackError)
				}
				for _, s := range append([]string{victim.Device}, tc.errHas...) {
					if !strings.Contains(r.Error+r.RollbackError, s) {
						t.Errorf("%s: error %q (rollback %q) does not name %q", r.Device, r.Error, r.RollbackError, s)
					}
				}
			}
			if tc.want == provisioning.Failed {
				if _, err := fl.lab.Restore(ctx, testlab.Target{Device: victim.Device}); err != nil {
					t.Fatal(err)
				}
			}
			after := fl.running(t, victim.Device)
			if after != before {
				t.Errorf("%s not back on its exact previous config:\n%s", victim.Device, provisioning.UnifiedDiff("before", "after", before, after))
			}

			// Nothing half-applied: the second plan is the first one for
			// the faulted device and empty for the others.
			again, err := provisioning.MakePlan(ctx, fl.x, fl.reg, dial, provisioning.PlanOptions{Render: provisioning.Options{NoIGP: true}})
			if err != nil || again.Err() != nil {
				t.Fatalf("second plan: %v %v", err, again.Err())
			}
			for _, dp := range again.Devices {
				switch {
				case dp.Device == victim.Device:
					if dp.RunningHash != victim.RunningHash || !slices.Equal(dp.Commands, victim.Commands) {
						t.Errorf("%s: second plan differs from the first:\n%s", dp.Device, dp.Diff)
					}
				case dp.Changed():
					t.Errorf("%s: second plan still changes it:\n%s", dp.Device, dp.Diff)
				}
			}
		})
	}
}
