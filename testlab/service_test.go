package testlab

import (
	"context"
	"errors"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tuyau-net/tuyau/bgp/hosting"
)

// TestFailService fails and restores hosting endpoints and checks them with
// the failover's own probes, as the failover would see them.
func TestFailService(t *testing.T) {
	snap := smallNet(t, 8)
	l := startTestLab(t, snap, BootstrapFull)
	ctx := context.Background()
	eps := l.Endpoints()
	want := 0
	for _, s := range snap.Services {
		want += len(s.Sites)
	}
	if len(eps) != want || want == 0 {
		t.Fatalf("Endpoints() = %d endpoints, want one per service and site (%d): %+v", len(eps), want, eps)
	}
	svc := snap.Services[0]
	primary, backup := svc.Sites[0], svc.Sites[1]
	addr := func(service, site string) string {
		for _, e := range l.Endpoints() {
			if e.Service == service && e.Site == site {
				return e.Addr
			}
		}
		t.Fatalf("no endpoint for %s at %s", service, site)
		return ""
	}
	probe := func(kind, service, site string) error {
		c, err := hosting.NewProbe(hosting.CheckConfig{Kind: kind, Path: "/health"}, addr(service, site))
		if err != nil {
			t.Fatal(err)
		}
		m := hosting.Monitor{Checks: []hosting.Check{c}, Timeout: 2e9}
		if r := m.Round(ctx); !r.OK {
			return errors.New(r.Reason)
		}
		return nil
	}
	other := snap.Services[1].Name
	for _, e := range eps {
		if err := probe("http", e.Service, e.Site); err != nil {
			t.Errorf("fresh endpoint %+v: %v", e, err)
		}
	}
	before := addr(svc.Name, primary)
	steps := []struct {
		name   string
		do     func() (FaultResult, error)
		checks []struct {
			kind, service, site, err string
		}
	}{
		{"stop the primary's service", func() (FaultResult, error) { return l.FailService(ctx, primary, svc.Name, "") },
			[]struct{ kind, service, site, err string }{
				{"tcp", svc.Name, primary, "connection refused"},
				{"http", svc.Name, backup, ""},
				{"http", other, primary, ""}, // another service at the same site is untouched
			}},
		{"restore it", func() (FaultResult, error) { return l.RestoreService(ctx, primary, svc.Name) },
			[]struct{ kind, service, site, err string }{{"http", svc.Name, primary, ""}}},
		{"503 at the backup site, every service", func() (FaultResult, error) { return l.FailService(ctx, backup, "", Service503) },
			[]struct{ kind, service, site, err string }{
				{"tcp", svc.Name, backup, ""}, // still accepts
				{"http", svc.Name, backup, "status 503"},
				{"http", other, backup, "status 503"},
			}},
		{"restore --all repairs services too", func() (FaultResult, error) { return l.Restore(ctx, Target{}) },
			[]struct{ kind, service, site, err string }{{"http", svc.Name, backup, ""}, {"http", other, backup, ""}}},
	}
	for _, st := range steps {
		if _, err := st.do(); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		for _, c := range st.checks {
			err := probe(c.kind, c.service, c.site)
			if (c.err == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), c.err)) {
				t.Errorf("%s: %s probe of %s at %s = %v, want %q", st.name, c.kind, c.service, c.site, err, c.err)
			}
		}
	}
	if got := addr(svc.Name, primary); got != before {
		t.Errorf("restored endpoint moved from %s to %s", before, got)
	}
	st := l.Status(ctx)
	if len(st.Endpoints) != want {
		t.Errorf("Status().Endpoints = %+v", st.Endpoints)
	}
	if _, err := l.FailService(ctx, "nowhere", "", ""); !errors.Is(err, ErrUnknown) {
		t.Errorf("FailService(nowhere) = %v, want ErrUnknown", err)
	}
	if _, err := l.FailService(ctx, primary, "", "reboot"); err == nil {
		t.Errorf("FailService with mode reboot accepted")
	}
}

// ribs is the BGP side of TestFailServiceFailover: what each site announces,
// shown at once by the view (the lab's own BGP is not what is tested here).
type ribs struct {
	mu  sync.Mutex
	rib map[string]map[netip.Prefix]hosting.Attrs
}

type ribAnnouncer struct {
	r    *ribs
	site string
}

func (a ribAnnouncer) Announce(_ context.Context, p netip.Prefix, at hosting.Attrs) error {
	a.r.mu.Lock()
	defer a.r.mu.Unlock()
	if a.r.rib[a.site] == nil {
		a.r.rib[a.site] = map[netip.Prefix]hosting.Attrs{}
	}
	a.r.rib[a.site][p] = at
	return nil
}

func (a ribAnnouncer) Withdraw(_ context.Context, p netip.Prefix) error {
	a.r.mu.Lock()
	defer a.r.mu.Unlock()
	delete(a.r.rib[a.site], p)
	return nil
}

func (r *ribs) Paths(_ context.Context, p netip.Prefix) ([]hosting.Path, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []hosting.Path
	for site, m := range r.rib {
		if at, ok := m[p]; ok {
			out = append(out, hosting.Path{Site: site, Attrs: at, HasAttrs: true})
		}
	}
	return out, nil
}

// TestFailServiceFailover runs the failover's state machine on the lab's
// endpoints: fail-service at the primary moves the service to the backup
// site, restore-service brings it back.
func TestFailServiceFailover(t *testing.T) {
	snap := smallNet(t, 8)
	l := startTestLab(t, snap, BootstrapBase)
	svc := snap.Services[0]
	eps := map[string]string{}
	for _, e := range l.Endpoints() {
		if e.Service == svc.Name {
			eps[e.Site] = e.Addr
		}
	}
	r := &ribs{rib: map[string]map[netip.Prefix]hosting.Attrs{}}
	ann := map[string]hosting.Announcer{}
	for _, s := range svc.Sites {
		ann[s] = ribAnnouncer{r, s}
	}
	trs := make(chan hosting.Transition, 100)
	cfg := hosting.Config{Check: hosting.CheckConfig{Kind: "http"}, Endpoints: eps, Rise: 2, Fall: 2,
		Interval: 50 * time.Millisecond, FastInterval: 10 * time.Millisecond, Timeout: 50 * time.Millisecond, Step: 10 * time.Millisecond}
	fo, err := hosting.NewService(svc, cfg, ann, r, hosting.WithEvents(func(tr hosting.Transition) { trs <- tr }))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { fo.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	waitActive := func(want string) {
		t.Helper()
		deadline := time.After(10 * time.Second)
		for {
			select {
			case tr := <-trs:
				if tr.Site == "" && tr.To == want {
					return
				}
			case <-deadline:
				t.Fatalf("active site never became %s: %s", want, fo.Status())
			}
		}
	}
	primary, backup := svc.Sites[0], svc.Sites[1]
	waitActive(primary)
	failed := time.Now()
	if _, err := l.FailService(ctx, primary, svc.Name, ""); err != nil {
		t.Fatal(err)
	}
	waitActive(backup)
	// A number for the record, never asserted: with interval 50 ms, fast
	// interval 10 ms and fall 2, the move follows the failure by about
	// one interval plus one fast interval.
	t.Logf("fail-service to active site %s: %s", backup, time.Since(failed).Round(time.Millisecond))
	if st := fo.Status(); !strings.Contains(st.Sites[0].HealthReason, "connection refused") {
		t.Errorf("primary's health after fail-service: %+v", st.Sites[0])
	}
	restored := time.Now()
	if _, err := l.RestoreService(ctx, primary, svc.Name); err != nil {
		t.Fatal(err)
	}
	waitActive(primary)
	t.Logf("restore-service to active site %s again: %s", primary, time.Since(restored).Round(time.Millisecond))
}
