package hosting

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tuyau-net/tuyau/inventory"
)

// world is the fake BGP side of the tests: what each site's speaker
// announces (rib), and what the core's view shows (seen), which lags until
// propagate unless auto is set.
type world struct {
	mu   sync.Mutex
	log  []string
	rib  map[string]map[netip.Prefix]Attrs
	seen map[string]map[netip.Prefix]Attrs
	auto bool
	// hide keeps a site out of the view whatever it announces (its
	// sessions to the core are down); fail makes its announcer fail.
	hide map[string]bool
	fail map[string]error
}

func newWorld() *world {
	return &world{rib: map[string]map[netip.Prefix]Attrs{}, seen: map[string]map[netip.Prefix]Attrs{},
		hide: map[string]bool{}, fail: map[string]error{}}
}

type fakeAnnouncer struct {
	w    *world
	site string
}

func (a fakeAnnouncer) Announce(_ context.Context, p netip.Prefix, at Attrs) error {
	a.w.mu.Lock()
	defer a.w.mu.Unlock()
	if err := a.w.fail[a.site]; err != nil {
		return err
	}
	if a.w.rib[a.site] == nil {
		a.w.rib[a.site] = map[netip.Prefix]Attrs{}
	}
	a.w.rib[a.site][p] = at
	a.w.log = append(a.w.log, fmt.Sprintf("announce %s %s lp%d med%d", a.site, p, at.LocalPref, at.MED))
	return nil
}

func (a fakeAnnouncer) Withdraw(_ context.Context, p netip.Prefix) error {
	a.w.mu.Lock()
	defer a.w.mu.Unlock()
	if err := a.w.fail[a.site]; err != nil {
		return err
	}
	delete(a.w.rib[a.site], p)
	a.w.log = append(a.w.log, fmt.Sprintf("withdraw %s %s", a.site, p))
	return nil
}

// Holds makes fakeAnnouncer a Holder: the site's speaker holds what it
// was told to announce, until restart.
func (a fakeAnnouncer) Holds(_ context.Context, p netip.Prefix) (bool, error) {
	a.w.mu.Lock()
	defer a.w.mu.Unlock()
	if err := a.w.fail[a.site]; err != nil {
		return false, err
	}
	_, ok := a.w.rib[a.site][p]
	return ok, nil
}

// restart is a site's speaker restarted: it announces nothing, and the
// core has dropped its paths.
func (w *world) restart(site string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	delete(w.rib, site)
	delete(w.seen, site)
}

func (w *world) Paths(_ context.Context, p netip.Prefix) ([]Path, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	src := w.seen
	if w.auto {
		src = w.rib
	}
	var out []Path
	for site, m := range src {
		if a, ok := m[p]; ok && !w.hide[site] {
			out = append(out, Path{Site: site, Attrs: a, HasAttrs: true})
		}
	}
	slices.SortFunc(out, func(a, b Path) int { return strings.Compare(a.Site, b.Site) })
	return out, nil
}

// propagate makes the view show what the speakers announce.
func (w *world) propagate() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.seen = map[string]map[netip.Prefix]Attrs{}
	for s, m := range w.rib {
		w.seen[s] = map[netip.Prefix]Attrs{}
		for p, a := range m {
			w.seen[s][p] = a
		}
	}
}

func (w *world) takeLog() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	l := w.log
	w.log = nil
	return l
}

// fakeClock is advanced by hand.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

const (
	siteA = "saint-lo-dc"
	siteB = "cherbourg-en-cotentin-dc"
)

var (
	pfx1 = netip.MustParsePrefix("192.0.2.0/25")
	pfx2 = netip.MustParsePrefix("2001:db8:100::/48")
)

// harness is one service on the fake world.
type harness struct {
	t      *testing.T
	w      *world
	clock  *fakeClock
	svc    *Service
	events []Transition
}

func newHarness(t *testing.T, cfg Config) *harness {
	t.Helper()
	h := &harness{t: t, w: newWorld(), clock: &fakeClock{t: time.Date(2026, 3, 1, 2, 0, 0, 0, time.UTC)}}
	if cfg.Endpoints == nil {
		cfg.Endpoints = map[string]string{siteA: "127.0.0.1:1", siteB: "127.0.0.1:2"}
	}
	inv := inventory.HostingService{Name: "web", Prefixes: []netip.Prefix{pfx1, pfx2}, Sites: []string{siteA, siteB}}
	ann := map[string]Announcer{siteA: fakeAnnouncer{h.w, siteA}, siteB: fakeAnnouncer{h.w, siteB}}
	svc, err := NewService(inv, cfg, ann, h.w, WithClock(h.clock.Now),
		WithEvents(func(tr Transition) { h.events = append(h.events, tr) }))
	if err != nil {
		t.Fatalf("NewService: %v", err)
	}
	h.svc = svc
	return h
}

func (h *harness) observe(site string, ok bool) {
	reason := ""
	if !ok {
		reason = "http 503"
	}
	h.svc.Observe(site, Result{OK: ok, Reason: reason, At: h.clock.Now()})
}

// roles returns each site's role as "A=primary B=backup".
func (h *harness) roles() string {
	var parts []string
	for _, x := range h.svc.Status().Sites {
		parts = append(parts, fmt.Sprintf("%s=%s/%s", short(x.Site), x.State, x.Role))
	}
	return strings.Join(parts, " ")
}

func short(site string) string {
	switch site {
	case siteA:
		return "A"
	case siteB:
		return "B"
	}
	return site
}
