package hosting

import (
	"context"
	"errors"
	"time"
)

// Check is one health check of a service at a site: nil when healthy, else
// an error saying why not ("http://10.0.0.10/health: status 503").
type Check interface {
	Check(ctx context.Context) error
	String() string
}

// Result is one round of a site's checks.
type Result struct {
	OK     bool      `json:"ok"`
	Reason string    `json:"reason,omitempty"`
	At     time.Time `json:"at"`
}

// Hysteresis turns check results into a health state: Fall failures in a
// row take an up site down, Rise successes in a row bring a down site up
// (HAProxy's and ExaBGP healthcheck's rise and fall). The first result
// decides the state at once: with nothing to protect yet, waiting would only
// delay the first announcement.
type Hysteresis struct {
	Rise, Fall int
	known, up  bool
	run        int // consecutive results disagreeing with the state
}

// Observe feeds one result and reports whether the state changed.
func (h *Hysteresis) Observe(ok bool) bool {
	if !h.known {
		h.known, h.up, h.run = true, ok, 0
		return true
	}
	if ok == h.up {
		h.run = 0
		return false
	}
	h.run++
	need := max(h.Fall, 1)
	if ok {
		need = max(h.Rise, 1)
	}
	if h.run < need {
		return false
	}
	h.up, h.run = ok, 0
	return true
}

// Known, Up and Pending report the state: Pending counts the results in a
// row that disagree with it (a transition under way).
func (h *Hysteresis) Known() bool  { return h.known }
func (h *Hysteresis) Up() bool     { return h.up }
func (h *Hysteresis) Pending() int { return h.run }

// Monitor runs a site's checks every Interval (FastInterval while a
// transition is under way, as ExaBGP does after a change), each bounded by
// Timeout, and reports every round.
type Monitor struct {
	Site         string
	Checks       []Check
	Interval     time.Duration
	FastInterval time.Duration
	Timeout      time.Duration
	Now          func() time.Time
}

// Round runs every check once: the site is healthy when all pass; the
// reason joins the failures.
func (m *Monitor) Round(ctx context.Context) Result {
	now := time.Now
	if m.Now != nil {
		now = m.Now
	}
	var errs []error
	for _, c := range m.Checks {
		cctx, cancel := context.WithTimeout(ctx, m.Timeout)
		err := c.Check(cctx)
		cancel()
		if err != nil {
			errs = append(errs, err)
		}
	}
	r := Result{OK: len(errs) == 0, At: now()}
	if err := errors.Join(errs...); err != nil {
		r.Reason = err.Error()
	}
	return r
}

// Run checks until ctx ends. report is given every round and answers
// whether a transition is under way (then the next round comes after
// FastInterval).
func (m *Monitor) Run(ctx context.Context, report func(Result) (transition bool)) {
	if m.Interval <= 0 {
		m.Interval = DefaultInterval
	}
	if m.Timeout <= 0 {
		m.Timeout = DefaultTimeout
	}
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		next := m.Interval
		if report(m.Round(ctx)) && m.FastInterval > 0 {
			next = m.FastInterval
		}
		t.Reset(next)
	}
}
