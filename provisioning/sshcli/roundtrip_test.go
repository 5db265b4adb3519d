package sshcli

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tuyau-net/tuyau/inventory"
	"github.com/tuyau-net/tuyau/provisioning"
)

// tracingDialer keeps every session it opens, to read their exchanges.
type tracingDialer struct {
	*Dialer
	mu    sync.Mutex
	conns map[string][]*Conn
}

func (d *tracingDialer) Dial(ctx context.Context, dev inventory.Device, tr string) (provisioning.Conn, error) {
	c, err := d.Dialer.Dial(ctx, dev, tr)
	if err != nil {
		return nil, err
	}
	d.mu.Lock()
	d.conns[dev.Name] = append(d.conns[dev.Name], c.(*Conn))
	d.mu.Unlock()
	return c, nil
}

// exchanges lists, per device, the logins and the round trips made since
// each login, and resets them.
func (d *tracingDialer) exchanges() map[string][]string {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := map[string][]string{}
	for n, cs := range d.conns {
		for _, c := range cs {
			out[n] = append(out[n], c.trace...)
			c.trace = nil
		}
	}
	return out
}

// TestFRRRoundTrips counts the vtysh round trips per router of "tuyau
// config apply" as the command makes them (one pooled session per router,
// the plan's read reused by the stale check), for a first push and a run
// with nothing to change. Time on a loaded machine says little; the count
// is the critical path that stays once the network is the cost. The
// exchanges up to the end of the verify, and the no-change run's, are
// asserted; the post-check polls that follow depend on how fast the
// sessions come up and are only printed. The plan's read takes the
// interfaces (HostState) in the same write as the config since
// 2026-12-06: a no-change run is one exchange per router, was two.
func TestFRRRoundTrips(t *testing.T) {
	if testing.Short() {
		t.Skip("starts FRR and sshd")
	}
	lab, x, devs, dial, _ := startTwoRouters(t, 10*time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	reg := provisioning.Builtin()
	td := &tracingDialer{Dialer: dial, conns: map[string][]*Conn{}}
	apply := func(t *testing.T, want provisioning.Outcome) map[string][]string {
		t.Helper()
		pool := provisioning.NewPool(td)
		defer pool.Close()
		pool.ReuseReads(5 * time.Second)
		plan, err := provisioning.MakePlan(ctx, x, reg, pool, provisioning.PlanOptions{})
		if err != nil || plan.Err() != nil {
			t.Fatalf("plan: %v %v", err, plan.Err())
		}
		res := provisioning.Apply(ctx, plan, reg, devs, pool, provisioning.ApplyOptions{
			Confirm: time.Minute, PostChecks: true, PollEvery: 500 * time.Millisecond})
		for _, r := range res {
			// The header comes from "show daemons" read in the same
			// write as the config: none of the write's echo in it.
			if h, _, _ := strings.Cut(string(r.After), "\n"); r.After != nil && (!strings.HasPrefix(h, provisioning.FRRDaemonsHeader+" zebra") ||
				strings.ContainsAny(strings.TrimPrefix(h, provisioning.FRRDaemonsHeader), "#%:") || strings.Contains(h, "show") || strings.Contains(h, "sync")) {
				t.Errorf("%s: daemons header %q", r.Device, h)
			}
			if r.Outcome != want && !(want == provisioning.Unchanged && r.Outcome == provisioning.Skipped) {
				t.Fatalf("%s: %s %s, want %s", r.Device, r.Outcome, r.Error, want)
			}
		}
		ex := td.exchanges()
		for n, e := range ex {
			t.Logf("%s: %d logins, %d round trips: %s", n, len(td.conns[n]), len(e), strings.Join(e, " | "))
		}
		return ex
	}
	t.Run("first push", func(t *testing.T) {
		ex := apply(t, provisioning.Applied)
		for n, e := range ex {
			// read (plan, stale check), baseline status, push + verify read
			if len(e) < 3 || e[0] != "show daemons, show interface json, show running-config" ||
				e[1] != "show interface brief, show bgp summary json" || !strings.HasPrefix(e[2], "configure terminal, ") ||
				!strings.HasSuffix(e[2], ", end, show daemons, show running-config") {
				t.Errorf("%s: exchanges up to the verify %q, want the read, the baseline status, the push with its verify read", n, e[:min(3, len(e))])
			}
			if c := strings.Count(strings.Join(e, "|"), "write memory"); c != 1 {
				t.Errorf("%s: %d saves, want 1", n, c)
			}
		}
		for n, r := range lab {
			if out := r.vtyshShow(t, "show running-config"); !strings.Contains(out, "router bgp") {
				t.Errorf("%s: no router bgp after the push:\n%s", n, out)
			}
		}
	})
	td.conns = map[string][]*Conn{}
	t.Run("no change", func(t *testing.T) {
		for n, e := range apply(t, provisioning.Unchanged) {
			if len(e) != 1 || e[0] != "show daemons, show interface json, show running-config" {
				t.Errorf("%s: exchanges %q, want one read", n, e)
			}
		}
	})
}
