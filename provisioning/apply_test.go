package provisioning

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tuyau-net/tuyau/inventory"
)

// linesPlatform is a test platform whose config is a set of lines and whose
// delta is "replace with want": it lets apply's logic be tested on a fake
// device without an FRR command interpreter.
type linesPlatform struct{}

func (linesPlatform) Name() string { return "lines" }
func (linesPlatform) Render(in Intent) ([]byte, error) {
	return []byte("hostname " + in.Hostname + "\n"), nil
}
func (linesPlatform) Delta(running, want []byte) (Delta, error) {
	h, w := strings.TrimSpace(string(running)), strings.TrimSpace(string(want))
	d := Delta{Have: h + "\n", Want: w + "\n", Replace: true}
	if h != w {
		d.Commands = strings.Split(w, "\n")
	}
	return d, nil
}

// fakeDevice is a hand-written device behind the Conn seam; faults are set
// per test.
type fakeDevice struct {
	mu      sync.Mutex
	running string
	// pushErr makes Push apply half the commands, then fail.
	pushErr error
	// dialErr makes Dial fail.
	dialErr error
	status  Status
	// after, when set, is the state the device reaches once a push lands.
	after *Status
	// decay, when set, is the state the device reaches once its status
	// was read once after the push: a change whose effect shows late.
	decay  *Status
	pushes int
	// saved is the config last saved with Save ("write memory").
	saved string
	saves int
	// cut makes Push apply half the commands and kill the session: every
	// later call on that session fails, a new session works.
	cut bool
}

type fakeNet struct{ devs map[string]*fakeDevice }

func (n *fakeNet) Dial(_ context.Context, dev inventory.Device, _ string) (Conn, error) {
	d, ok := n.devs[dev.Name]
	if !ok {
		return nil, fmt.Errorf("device %s: no route to host", dev.Name)
	}
	if d.dialErr != nil {
		return nil, d.dialErr
	}
	return &fakeConn{d: d}, nil
}

type fakeConn struct {
	d    *fakeDevice
	dead bool
}

func (c *fakeConn) Running(context.Context) ([]byte, error) {
	c.d.mu.Lock()
	defer c.d.mu.Unlock()
	if c.dead {
		return nil, errors.New("session closed")
	}
	return []byte(c.d.running), nil
}

func (c *fakeConn) Push(_ context.Context, d Delta) error {
	c.d.mu.Lock()
	defer c.d.mu.Unlock()
	if c.dead {
		return errors.New("session closed")
	}
	c.d.pushes++
	if c.d.cut {
		c.d.cut, c.dead = false, true
		c.d.running = strings.Join(d.Commands[:len(d.Commands)/2], "\n") + "\nhalf-applied"
		return errors.New("connection reset by peer")
	}
	if c.d.pushErr != nil {
		err := c.d.pushErr
		c.d.pushErr = nil // the rollback push goes through
		c.d.running = strings.Join(d.Commands[:len(d.Commands)/2], "\n") + "\nhalf-applied"
		return err
	}
	c.d.running = strings.Join(d.Commands, "\n")
	if c.d.after != nil {
		c.d.status = *c.d.after
	}
	return nil
}

func (c *fakeConn) Close() error { return nil }

func (c *fakeConn) Save(context.Context) error {
	c.d.mu.Lock()
	defer c.d.mu.Unlock()
	if c.dead {
		return errors.New("session closed")
	}
	c.d.saved, c.d.saves = c.d.running, c.d.saves+1
	return nil
}

func (c *fakeConn) Status(context.Context) (Status, error) {
	c.d.mu.Lock()
	defer c.d.mu.Unlock()
	st := c.d.status
	if c.d.decay != nil && c.d.pushes > 0 {
		c.d.status, c.d.decay = *c.d.decay, nil
	}
	return st, nil
}

func fakeLab(names ...string) (*inventory.Index, *fakeNet, map[string]inventory.Device) {
	snap := &inventory.Snapshot{}
	net := &fakeNet{devs: map[string]*fakeDevice{}}
	devs := map[string]inventory.Device{}
	for i, n := range names {
		d := inventory.Device{Name: n, Platform: "lines", Role: inventory.RoleMember, Transports: []string{"ssh"}}
		d.Loopback = mustAddr(fmt.Sprintf("10.255.0.%d", i+1))
		d.BGPSessions = []inventory.BGPSession{{PeerAddress: mustAddr("192.0.2.1"), PeerASN: 64496, Role: inventory.BGPTransit}}
		snap.Devices = append(snap.Devices, d)
		devs[n] = d
		net.devs[n] = &fakeDevice{running: "hostname old-" + n}
	}
	return inventory.NewIndex(snap), net, devs
}

func TestApplyFake(t *testing.T) {
	ctx := context.Background()
	reg := NewRegistry(linesPlatform{})
	tests := []struct {
		name  string
		fault func(n *fakeNet)
		opt   ApplyOptions
		want  map[string]Outcome
	}{
		{name: "all applied", want: map[string]Outcome{"r1": Applied, "r2": Applied, "r3": Applied}},
		{name: "rejected command rolls back one device", fault: func(n *fakeNet) { n.devs["r2"].pushErr = errors.New("% Unknown command") },
			want: map[string]Outcome{"r1": Applied, "r2": RolledBack, "r3": Applied}},
		{name: "connection cut mid-push rolls back on a new session", fault: func(n *fakeNet) { n.devs["r3"].cut = true },
			want: map[string]Outcome{"r1": Applied, "r2": Applied, "r3": RolledBack}},
		{name: "unconfirmed change rolls back", fault: func(n *fakeNet) {
			n.devs["r1"].after = &Status{BGP: map[string]string{"192.0.2.1": "Active"}}
		}, opt: ApplyOptions{Confirm: 50 * time.Millisecond, PostChecks: true, PollEvery: 10 * time.Millisecond},
			want: map[string]Outcome{"r1": RolledBack, "r2": RolledBack, "r3": RolledBack}},
		{name: "passing post-checks keep the change", fault: func(n *fakeNet) {
			for _, d := range n.devs {
				d.status = Status{BGP: map[string]string{"192.0.2.1": "Established"}}
			}
		}, opt: ApplyOptions{Confirm: time.Second, PostChecks: true, PollEvery: 10 * time.Millisecond},
			want: map[string]Outcome{"r1": Applied, "r2": Applied, "r3": Applied}},
		{name: "post-checks passing once, then failing, roll back", fault: func(n *fakeNet) {
			for _, d := range n.devs {
				d.status = Status{BGP: map[string]string{"192.0.2.1": "Established"}}
				d.decay = &Status{BGP: map[string]string{"192.0.2.1": "Active"}}
			}
		}, opt: ApplyOptions{Confirm: 200 * time.Millisecond, PostChecks: true, PollEvery: 10 * time.Millisecond, Settle: 50 * time.Millisecond},
			want: map[string]Outcome{"r1": RolledBack, "r2": RolledBack, "r3": RolledBack}},
		{name: "operator confirmation keeps the change", opt: ApplyOptions{Confirm: time.Second, Confirmed: func() bool { return true }},
			want: map[string]Outcome{"r1": Applied, "r2": Applied, "r3": Applied}},
		{name: "fail-fast stops the others", fault: func(n *fakeNet) { n.devs["r1"].pushErr = errors.New("connection reset") },
			opt:  ApplyOptions{Parallel: 1, FailFast: true},
			want: map[string]Outcome{"r1": RolledBack, "r2": Skipped, "r3": Skipped}},
		{name: "fail-fast goes on past a device already on its intent", fault: func(n *fakeNet) {
			n.devs["r1"].running = "hostname r1"
			n.devs["r2"].pushErr = errors.New("connection reset")
		}, opt: ApplyOptions{Parallel: 1, FailFast: true},
			want: map[string]Outcome{"r1": Unchanged, "r2": RolledBack, "r3": Skipped}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			x, net, devs := fakeLab("r1", "r2", "r3")
			plan, err := MakePlan(ctx, x, reg, net, PlanOptions{})
			if err != nil || plan.Err() != nil {
				t.Fatalf("MakePlan: %v %v", err, plan.Err())
			}
			if plan.Changes() != 3 {
				t.Fatalf("plan has %d changes, want 3", plan.Changes())
			}
			if tt.fault != nil {
				tt.fault(net)
			}
			res := Apply(ctx, plan, reg, devs, net, tt.opt)
			for _, r := range res {
				if r.Outcome != tt.want[r.Device] {
					t.Errorf("%s: outcome %s (%s), want %s", r.Device, r.Outcome, r.Error, tt.want[r.Device])
				}
				got := net.devs[r.Device].running
				// What the device is left on is what it boots with.
				if r.Outcome == Applied || r.Outcome == RolledBack {
					if !r.Saved || net.devs[r.Device].saved != got {
						t.Errorf("%s %s: saved=%v, startup %q, running %q; want the running config saved", r.Device, r.Outcome, r.Saved, net.devs[r.Device].saved, got)
					}
				}
				if r.Outcome == Skipped && r.Error == "" {
					t.Errorf("%s skipped without saying why", r.Device)
				}
				switch r.Outcome {
				case Applied:
					if got != "hostname "+r.Device {
						t.Errorf("%s runs %q after apply", r.Device, got)
					}
				case RolledBack, Skipped:
					if got != "hostname old-"+r.Device {
						t.Errorf("%s runs %q, want its previous config", r.Device, got)
					}
				}
			}
			// Idempotence: planning again after a full apply finds nothing.
			again, _ := MakePlan(ctx, x, reg, net, PlanOptions{})
			applied := 0
			for _, o := range tt.want {
				if o == Applied {
					applied++
				}
			}
			if tt.want["r1"] == Unchanged {
				applied++
			}
			if again.Changes() != 3-applied {
				t.Errorf("second plan has %d changes, want %d", again.Changes(), 3-applied)
			}
		})
	}
}

func TestApplySamePlanTwice(t *testing.T) {
	ctx := context.Background()
	reg := NewRegistry(linesPlatform{})
	x, net, devs := fakeLab("r1", "r2")
	plan, err := MakePlan(ctx, x, reg, net, PlanOptions{})
	if err != nil {
		t.Fatal(err)
	}
	Apply(ctx, plan, reg, devs, net, ApplyOptions{})
	pushes := net.devs["r1"].pushes
	for _, r := range Apply(ctx, plan, reg, devs, net, ApplyOptions{}) {
		if r.Outcome != Unchanged || r.Error != "" {
			t.Errorf("%s: second apply of the same plan: %s %q, want unchanged", r.Device, r.Outcome, r.Error)
		}
	}
	if net.devs["r1"].pushes != pushes {
		t.Error("the second apply pushed")
	}
}

func TestApplyRefusesStalePlan(t *testing.T) {
	ctx := context.Background()
	reg := NewRegistry(linesPlatform{})
	x, net, devs := fakeLab("r1")
	plan, err := MakePlan(ctx, x, reg, net, PlanOptions{})
	if err != nil {
		t.Fatal(err)
	}
	net.devs["r1"].running = "hostname changed-by-hand"
	res := Apply(ctx, plan, reg, devs, net, ApplyOptions{})
	if res[0].Outcome != Skipped || !strings.Contains(res[0].Error, "changed since the plan") {
		t.Errorf("stale plan: outcome %s %q, want skipped with a stale error", res[0].Outcome, res[0].Error)
	}
	if net.devs["r1"].pushes != 0 || net.devs["r1"].running != "hostname changed-by-hand" {
		t.Errorf("stale plan touched the device: %d pushes, runs %q", net.devs["r1"].pushes, net.devs["r1"].running)
	}
}

func TestPlanBadInput(t *testing.T) {
	ctx := context.Background()
	reg := NewRegistry(linesPlatform{})
	x, net, _ := fakeLab("r1")
	if _, err := MakePlan(ctx, x, reg, net, PlanOptions{Devices: []string{"nope"}}); !errors.Is(err, ErrUnknownDevice) {
		t.Errorf("MakePlan(unknown device) = %v, want ErrUnknownDevice", err)
	}
	net.devs["r1"].dialErr = errors.New("dial tcp 10.250.0.1:22: connect: connection refused")
	plan, err := MakePlan(ctx, x, reg, net, PlanOptions{})
	if err != nil || plan.Err() == nil || !strings.Contains(plan.Err().Error(), "r1") {
		t.Errorf("MakePlan(unreachable) = %v / %v, want a per-device error naming r1", err, plan.Err())
	}
	if plan.Changes() != 0 {
		t.Errorf("an unreachable device counts as a change")
	}
}

func mustAddr(s string) netip.Addr { return netip.MustParseAddr(s) }

// countingNet counts logins to check the pool reuses sessions.
type countingNet struct {
	*fakeNet
	dials int
}

func (n *countingNet) Dial(ctx context.Context, dev inventory.Device, tr string) (Conn, error) {
	n.dials++
	return n.fakeNet.Dial(ctx, dev, tr)
}

func TestPoolReusesSessions(t *testing.T) {
	ctx := context.Background()
	reg := NewRegistry(linesPlatform{})
	x, net, devs := fakeLab("r1", "r2")
	cn := &countingNet{fakeNet: net}
	pool := NewPool(cn)
	plan, err := MakePlan(ctx, x, reg, pool, PlanOptions{Parallel: 1})
	if err != nil {
		t.Fatal(err)
	}
	res := Apply(ctx, plan, reg, devs, pool, ApplyOptions{Parallel: 1})
	for _, r := range res {
		if r.Outcome != Applied {
			t.Errorf("%s: %s %s", r.Device, r.Outcome, r.Error)
		}
	}
	if cn.dials != 2 {
		t.Errorf("plan and apply of 2 devices logged in %d times, want 2", cn.dials)
	}
	// A session that failed is not reused.
	net.devs["r1"].running = "hostname changed"
	net.devs["r1"].pushErr = errors.New("% Unknown command")
	plan, _ = MakePlan(ctx, x, reg, pool, PlanOptions{Devices: []string{"r1"}})
	Apply(ctx, plan, reg, devs, pool, ApplyOptions{})
	before := cn.dials
	MakePlan(ctx, x, reg, pool, PlanOptions{Devices: []string{"r1"}})
	if cn.dials != before+1 {
		t.Errorf("a session that failed a push was reused")
	}
	if err := pool.Close(); err != nil {
		t.Error(err)
	}
}

// brokenPlatform fails to render, as a template with an error would.
type brokenPlatform struct{ linesPlatform }

func (brokenPlatform) Render(Intent) ([]byte, error) {
	return renderTemplateText("broken", "{{.NoSuchField}}", Intent{})
}

func TestRenderErrorTouchesNothing(t *testing.T) {
	x, net, _ := fakeLab("r1")
	cn := &countingNet{fakeNet: net}
	_, err := MakePlan(context.Background(), x, NewRegistry(brokenPlatform{}), cn, PlanOptions{})
	if err == nil || !strings.Contains(err.Error(), "r1") || !strings.Contains(err.Error(), "NoSuchField") {
		t.Errorf("MakePlan with a broken template = %v, want an error naming the device and the field", err)
	}
	if cn.dials != 0 {
		t.Errorf("a render error still opened %d sessions", cn.dials)
	}
}

// TestApplyBaseline checks that post-checks judge the change, not the
// network: what was down before the apply is noted, not checked, and what
// was up before and is down after rolls the device back.
func TestApplyBaseline(t *testing.T) {
	ctx := context.Background()
	reg := NewRegistry(linesPlatform{})
	est := map[string]string{"192.0.2.1": "Established"}
	tests := []struct {
		name          string
		before, after Status
		want          Outcome
		notes         []string
	}{
		{"new session comes up", Status{}, Status{BGP: est}, Applied, nil},
		{"new session stays down", Status{}, Status{BGP: map[string]string{"192.0.2.1": "Connect"}}, RolledBack, nil},
		{"session down before and after is noted", Status{BGP: map[string]string{"192.0.2.1": "Active"}},
			Status{BGP: map[string]string{"192.0.2.1": "Active"}}, Applied,
			[]string{"bgp 192.0.2.1 was Active before the apply: not checked"}},
		{"session up before, down after", Status{BGP: est}, Status{BGP: map[string]string{"192.0.2.1": "Idle"}}, RolledBack, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			x, net, devs := fakeLab("r1")
			plan, err := MakePlan(ctx, x, reg, net, PlanOptions{})
			if err != nil || plan.Err() != nil {
				t.Fatalf("MakePlan: %v %v", err, plan.Err())
			}
			d := net.devs["r1"]
			d.status, d.after = tt.before, &tt.after
			res := Apply(ctx, plan, reg, devs, net, ApplyOptions{Confirm: 100 * time.Millisecond, PostChecks: true, PollEvery: 10 * time.Millisecond})
			r := res[0]
			if r.Outcome != tt.want {
				t.Errorf("outcome %s (%s), want %s", r.Outcome, r.Error, tt.want)
			}
			if !slices.Equal(r.Notes, tt.notes) {
				t.Errorf("notes %q, want %q", r.Notes, tt.notes)
			}
		})
	}
}

func TestChecksExcluding(t *testing.T) {
	c := Checks{Interfaces: []string{"eth1", "eth2", "eth3"}, Neighbors: []string{"10.0.0.1", "10.0.0.2", "10.0.0.3"}}
	base := Status{
		InterfacesUp: map[string]bool{"eth1": true, "eth2": false},
		BGP:          map[string]string{"10.0.0.1": "Established", "10.0.0.2": "Active"},
	}
	got, notes := c.Excluding(base)
	want := Checks{Interfaces: []string{"eth1", "eth3"}, Neighbors: []string{"10.0.0.1", "10.0.0.3"}}
	if !slices.Equal(got.Interfaces, want.Interfaces) || !slices.Equal(got.Neighbors, want.Neighbors) {
		t.Errorf("Excluding = %+v, want %+v", got, want)
	}
	if len(notes) != 2 || !strings.Contains(notes[0], "eth2") || !strings.Contains(notes[1], "10.0.0.2 was Active") {
		t.Errorf("notes %q, want one for eth2 and one for 10.0.0.2", notes)
	}
}

// TestForEachStopped: once ctx is done no work starts, even when a slot is
// free at the same moment (select would pick either case at random).
func TestForEachStopped(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for run := 0; run < 200; run++ {
		started := 0
		forEach(ctx, 3, 1, func(context.Context, int) { started++ })
		if started != 0 {
			t.Fatalf("run %d: %d started after the stop, want 0", run, started)
		}
	}
}
