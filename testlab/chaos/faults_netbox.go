package chaos

import (
	"context"
	"fmt"
	"net/http/httptest"
	"strconv"
	"strings"
	"time"

	"github.com/tuyau-net/tuyau/inventory"
	"github.com/tuyau-net/tuyau/inventory/netbox"
	"github.com/tuyau-net/tuyau/testlab/netboxsim"
)

// nbox is the NetBox the inventory is synced to: the simulator, with its
// faults (500s, writes failing after a count, latency), and tuyau's store.
type nbox struct {
	sim   *netboxsim.Server
	srv   *httptest.Server
	store *netbox.Store // the sync's client: short timeout, few retries
	check *netbox.Store // the checker's reads: no fault applies to them but latency
	want  *inventory.Snapshot
	err   error // of the push under the fault
}

const nbToken = "0123456789abcdef0123456789abcdef01234567"

// netBox starts the simulator and pushes the network to it on first
// use (a run without netbox-sync starts none).
func (s *System) netBox(ctx context.Context) (*nbox, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.nb != nil {
		return s.nb, nil
	}
	sim := netboxsim.New(netboxsim.Options{Tokens: []string{nbToken}})
	srv := httptest.NewServer(sim)
	opts := []netbox.Option{netbox.WithToken(nbToken), netbox.WithOptics(s.Snap.Optics, "inventory"), netbox.WithPageSize(200)}
	store, err := netbox.New(srv.URL, append(opts, netbox.WithRetry(3, 20*time.Millisecond), netbox.WithTimeout(time.Second))...)
	if err != nil {
		srv.Close()
		return nil, fmt.Errorf("netbox %s: %w", srv.URL, err)
	}
	check, err := netbox.New(srv.URL, append(opts, netbox.WithRetry(5, 50*time.Millisecond))...)
	if err != nil {
		srv.Close()
		return nil, fmt.Errorf("netbox %s: %w", srv.URL, err)
	}
	if _, err := check.Bootstrap(ctx); err != nil {
		srv.Close()
		return nil, fmt.Errorf("netbox %s: bootstrap: %w", srv.URL, err)
	}
	if _, err := check.Push(ctx, s.Snap, true, false); err != nil {
		srv.Close()
		return nil, fmt.Errorf("netbox %s: first push: %w", srv.URL, err)
	}
	s.nb = &nbox{sim: sim, srv: srv, store: store, check: check, want: s.Snap}
	return s.nb, nil
}

// netboxCandidates are the faults a sync meets: every write refused after
// n of them (a NetBox falling over mid-push), 30 % of requests answered
// 500, requests slower than the client's timeout.
func netboxCandidates(*System) []candidate {
	return []candidate{{Target: "writes-fail-after:1"}, {Target: "writes-fail-after:4"}, {Target: "writes-fail-after:9"},
		{Target: "errors:0.3"}, {Target: "timeouts:1.5s"}}
}

// nextInventory is what the fault's sync pushes: the network with an
// edit numbered by the fault (the description, an MTU, a cable length),
// so every sync has writes to make.
func nextInventory(base *inventory.Snapshot, seq int) *inventory.Snapshot {
	next := base.Clone()
	next.Network.Description = "chaos sync " + strconv.Itoa(seq)
	// An MTU on every device and a few cable lengths: a dozen writes
	// or more, so a NetBox failing after n of them stops a push midway.
	for i := range next.Devices {
		if d := &next.Devices[i]; len(d.Interfaces) > 1 {
			d.Interfaces[1].MTU = 1500 + seq%500
		}
	}
	for i := range min(4, len(next.Cables)) {
		next.Cables[(seq+i)%len(next.Cables)].Length, _ = inventory.NewLength(float64(100+seq), "m")
	}
	return next
}

// injectNetBox turns the fault on and syncs the next inventory under it:
// detected once the push has returned (its error names what failed, or
// the retries carried it through); after the restore (the fault off, the
// sync run again) recovered once NetBox holds exactly the inventory
// pushed: nothing half-written left behind.
func injectNetBox(ctx context.Context, r *runner, f Fault) (outcome, error) {
	nb, err := r.s.netBox(ctx)
	if err != nil {
		return outcome{}, err
	}
	mode, arg, _ := strings.Cut(f.Target, ":")
	switch mode {
	case "writes-fail-after":
		n, _ := strconv.Atoi(arg)
		nb.sim.FailWritesAfter(n)
	case "errors":
		rate, _ := strconv.ParseFloat(arg, 64)
		nb.sim.SetFailureRate(rate)
	case "timeouts":
		d, _ := time.ParseDuration(arg)
		nb.sim.SetLatency(d)
	}
	nb.want = nextInventory(r.s.Snap, f.Seq)
	pctx, cancel := context.WithTimeout(ctx, r.o.SLO.Detect)
	res, perr := nb.store.Push(pctx, nb.want, true, false)
	cancel()
	nb.err = perr
	r.event(&f, "sync", fmt.Sprintf("push under the fault: %d changes, error: %v", len(res.Changes), perr))
	o := outcome{
		detect:  func(view) (bool, string) { return true, "push returned" },
		recover: func(view) (bool, string) { return netboxHolds(ctx, nb) },
	}
	return o, nil
}

func restoreNetBox(ctx context.Context, r *runner, f Fault) error {
	nb, err := r.s.netBox(ctx)
	if err != nil {
		return err
	}
	nb.sim.FailWritesAfter(-1)
	nb.sim.SetFailureRate(0)
	nb.sim.SetLatency(0)
	pctx, cancel := context.WithTimeout(ctx, r.o.SLO.Clear)
	defer cancel()
	if _, err := nb.store.Push(pctx, nb.want, true, false); err != nil {
		return fmt.Errorf("netbox sync again after %s: %w", f.Target, err)
	}
	return nil
}

// netboxHolds says whether NetBox reads back as exactly the inventory
// last pushed.
func netboxHolds(ctx context.Context, nb *nbox) (bool, string) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	got, err := nb.check.Load(ctx)
	if err != nil {
		return false, "load: " + err.Error()
	}
	cs, err := inventory.Diff(nb.want, got)
	if err != nil {
		return false, "diff: " + err.Error()
	}
	if len(cs) > 0 {
		var b strings.Builder
		for i, c := range cs {
			if i == 3 {
				fmt.Fprintf(&b, " and %d more", len(cs)-3)
				break
			}
			fmt.Fprintf(&b, "%s; ", c)
		}
		return false, fmt.Sprintf("NetBox differs from the inventory pushed: %s", b.String())
	}
	return true, ""
}

func (n *nbox) close() {
	if n != nil {
		n.srv.Close()
	}
}
