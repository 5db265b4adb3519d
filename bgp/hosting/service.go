package hosting

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"slices"
	"sync"
	"time"

	"github.com/tuyau-net/tuyau/inventory"
)

// ErrUnknownSite is returned for a site the service is not hosted at.
var ErrUnknownSite = errors.New("not a site of the service")

// announceTimeout bounds one Announce or Withdraw call: the speaker is
// local, a call that takes longer is a speaker in trouble.
const announceTimeout = 5 * time.Second

// site is one core site of a service.
type site struct {
	name   string
	pref   int
	ann    Announcer
	checks []Check

	hyst      Hysteresis
	lastCheck time.Time
	health    string // last failure, or what the last success was

	drain   bool
	drainAt time.Time
	waiters []chan error

	state  State
	since  time.Time
	reason string // the cause of the last state transition
	why    string // the cause of the next one

	role  Role
	attrs Attrs
	err   string
	// seen: the view shows the site carrying every prefix with the
	// attributes it announces; present: with any attributes.
	seen, present bool
}

// eligible says the site may carry the service: healthy and not drained.
func (x *site) eligible() bool { return x.hyst.Known() && x.hyst.Up() && !x.drain }

func (x *site) announcing() bool { return x.role != RoleWithdrawn }

// rank orders roles: moving up is a make (done at once), moving down a
// break (done once the replacement is seen).
func rank(r Role) int {
	switch r {
	case RolePrimary:
		return 3
	case RoleBackup:
		return 2
	case RoleDemoted:
		return 1
	}
	return 0
}

// Service is the failover state machine of one hosting service. Its methods
// are safe for concurrent use; Run drives it, tests drive Step by hand.
type Service struct {
	name     string
	prefixes []netip.Prefix
	cfg      Config
	view     View
	links    LinkSource
	log      *slog.Logger
	now      func() time.Time
	events   func(Transition)
	kick     chan struct{}

	mu      sync.Mutex
	sites   []*site
	started time.Time
	active  string
	pending string
	queue   []Transition
}

// NewService builds the state machine of svc: announcers holds each core
// site's Announcer, view the core's BGP visibility.
func NewService(svc inventory.HostingService, cfg Config, announcers map[string]Announcer, view View, opts ...Option) (*Service, error) {
	cfg = cfg.withDefaults()
	s := &Service{name: svc.Name, prefixes: slices.Clone(svc.Prefixes), cfg: cfg, view: view, now: time.Now,
		kick: make(chan struct{}, 1)}
	for _, o := range opts {
		o(s)
	}
	if s.log == nil {
		s.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	s.log = s.log.With("service", svc.Name)
	fail := func(format string, a ...any) (*Service, error) {
		return nil, fmt.Errorf("hosting service %s: %s", svc.Name, fmt.Sprintf(format, a...))
	}
	if err := cfg.validate(); err != nil {
		return fail("%v", err)
	}
	if len(svc.Prefixes) == 0 {
		return fail("no prefixes")
	}
	if len(svc.Sites) == 0 {
		return fail("no sites")
	}
	if view == nil {
		return fail("no BGP view: the failover never withdraws without seeing the replacement")
	}
	if cfg.Links != nil && s.links == nil {
		return fail("links check configured but no telemetry link source given")
	}
	for ep := range cfg.Endpoints {
		if !slices.Contains(svc.Sites, ep) {
			return fail("endpoint for %s, which is not one of its sites %v", ep, svc.Sites)
		}
	}
	s.started = s.now()
	for i, name := range svc.Sites {
		a := announcers[name]
		if a == nil {
			return fail("site %s: no announcer (no speaker at that site)", name)
		}
		x := &site{name: name, pref: i + 1, ann: a, state: StateUnknown, since: s.started, role: RoleWithdrawn,
			hyst: Hysteresis{Rise: cfg.Rise, Fall: cfg.Fall}, health: "no check run yet"}
		if ep := cfg.Endpoints[name]; ep != "" {
			c, err := NewProbe(cfg.Check, ep)
			if err != nil {
				return fail("site %s: %v", name, err)
			}
			x.checks = append(x.checks, c)
		}
		if cfg.Links != nil {
			x.checks = append(x.checks, &LinkCheck{Source: s.links, Site: name, MinUp: cfg.Links.MinUp})
		}
		if len(x.checks) == 0 {
			return fail("site %s: no endpoint and no links check: nothing would tell its health", name)
		}
		s.sites = append(s.sites, x)
	}
	return s, nil
}

// Name returns the service's name.
func (s *Service) Name() string { return s.name }

func (s *Service) site(name string) *site {
	for _, x := range s.sites {
		if x.name == name {
			return x
		}
	}
	return nil
}

// Observe feeds one round of a site's checks through its hysteresis and
// reports whether a transition is under way (the monitor then checks at
// the fast interval).
func (s *Service) Observe(siteName string, r Result) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	x := s.site(siteName)
	if x == nil {
		return false
	}
	x.lastCheck = r.At
	if r.OK {
		x.health = ""
	} else {
		x.health = r.Reason
	}
	if x.hyst.Observe(r.OK) {
		switch {
		case r.OK && x.hyst.Pending() == 0 && x.state == StateUnknown:
			x.why = "first check passed"
		case r.OK:
			x.why = fmt.Sprintf("%d checks passed in a row", x.hyst.Rise)
		case x.state == StateUnknown:
			x.why = "first check failed: " + r.Reason
		default:
			x.why = fmt.Sprintf("%d checks failed in a row: %s", x.hyst.Fall, r.Reason)
		}
		s.poke()
	}
	return x.hyst.Pending() > 0
}

func (s *Service) poke() {
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

// RequestDrain asks for site to be drained and returns at once; the channel
// gets nil once the site is drained, or why the drain failed (timeout,
// undrain). It refuses a drain that would leave no healthy site.
func (s *Service) RequestDrain(siteName string) (<-chan error, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	x := s.site(siteName)
	if x == nil {
		return nil, fmt.Errorf("drain %s of service %s: %w", siteName, s.name, ErrUnknownSite)
	}
	done := make(chan error, 1)
	if x.drain && x.state == StateDrained {
		done <- nil
		return done, nil
	}
	var other []string
	for _, y := range s.sites {
		if y != x && y.eligible() {
			other = append(other, y.name)
		}
	}
	if len(other) == 0 {
		return nil, fmt.Errorf("drain %s of service %s refused: no other site is healthy and undrained to carry it (%s)",
			siteName, s.name, s.othersHealth(x))
	}
	if !x.drain {
		x.drain, x.drainAt, x.why = true, s.now(), "drain asked"
	}
	x.waiters = append(x.waiters, done)
	s.poke()
	return done, nil
}

func (s *Service) othersHealth(x *site) string {
	var parts []string
	for _, y := range s.sites {
		if y == x {
			continue
		}
		switch {
		case y.drain:
			parts = append(parts, y.name+" is drained")
		case !y.hyst.Known():
			parts = append(parts, y.name+" has no health result yet")
		default:
			parts = append(parts, y.name+" is down: "+y.health)
		}
	}
	return fmt.Sprint(parts)
}

// Drain drains site and waits until it is drained, the drain is aborted, or
// ctx ends (the drain then goes on; Undrain cancels it).
func (s *Service) Drain(ctx context.Context, siteName string) error {
	done, err := s.RequestDrain(siteName)
	if err != nil {
		return err
	}
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return fmt.Errorf("drain %s of service %s: still %s: %w", siteName, s.name, s.Status().Pending, ctx.Err())
	}
}

// Undrain puts a drained (or draining) site back in service: it becomes
// eligible again, and if it is the preferred site the hosting moves back to
// it, make before break.
func (s *Service) Undrain(siteName string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	x := s.site(siteName)
	if x == nil {
		return fmt.Errorf("undrain %s of service %s: %w", siteName, s.name, ErrUnknownSite)
	}
	if !x.drain {
		return nil
	}
	x.drain, x.why = false, "undrain asked"
	s.finishDrain(x, fmt.Errorf("drain %s of service %s: cancelled by undrain", x.name, s.name))
	s.poke()
	return nil
}

func (s *Service) finishDrain(x *site, err error) {
	for _, w := range x.waiters {
		w <- err
	}
	x.waiters = nil
}

// Run checks every site's health and steps the machine until ctx ends.
// Announcements are left in place on return: the speakers' own shutdown
// withdraws them (or keeps them through a graceful restart).
func (s *Service) Run(ctx context.Context) {
	var wg sync.WaitGroup
	for _, x := range s.sites {
		m := &Monitor{Site: x.name, Checks: x.checks, Interval: s.cfg.Interval, FastInterval: s.cfg.FastInterval,
			Timeout: s.cfg.Timeout, Now: s.now}
		wg.Add(1)
		go func() {
			defer wg.Done()
			m.Run(ctx, func(r Result) bool { return s.Observe(m.Site, r) })
		}()
	}
	t := time.NewTicker(s.cfg.Step)
	defer func() {
		t.Stop()
		wg.Wait()
	}()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-s.kick:
		}
		s.Step(ctx)
	}
}
