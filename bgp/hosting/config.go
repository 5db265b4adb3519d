package hosting

import (
	"fmt"
	"log/slog"
	"time"
)

// Defaults of a service's timers and counts (docs/bgp.md "Hosting
// failover"): ExaBGP healthcheck's interval, fast interval, rise and fall.
const (
	DefaultInterval     = 5 * time.Second
	DefaultFastInterval = time.Second
	DefaultTimeout      = 2 * time.Second
	DefaultRise         = 3
	DefaultFall         = 3
	// DefaultDrainTimeout bounds how long a drain waits for the other site
	// to be seen carrying the prefixes before it is aborted.
	DefaultDrainTimeout = 30 * time.Second
	// DefaultStartupHold is how long a starting service waits for every
	// site's first health result before choosing an active site: long
	// enough for one round of checks, so that a start does not announce at
	// the backup and move back a second later.
	DefaultStartupHold = 10 * time.Second
	// DefaultStep is how often the state machine re-reads the view while a
	// move waits for a site to be seen (and retries failed announcements).
	DefaultStep = 500 * time.Millisecond
)

// Config is the failover configuration of one hosting service; the
// inventory gives its prefixes and sites (in preference order). Zero fields
// take the defaults above.
type Config struct {
	// Check is the probe run against each site's endpoint.
	Check CheckConfig `json:"check" yaml:"check"`
	// Endpoints are the service's address at each core site, "host:port".
	Endpoints map[string]string `json:"endpoints" yaml:"endpoints"`
	// Links makes a site unhealthy when telemetry sees fewer than MinUp of
	// its links up (needs a LinkSource, WithLinks).
	Links *LinksConfig `json:"links,omitempty" yaml:"links,omitempty"`

	Rise         int           `json:"rise" yaml:"rise"`
	Fall         int           `json:"fall" yaml:"fall"`
	Interval     time.Duration `json:"interval" yaml:"interval"`
	FastInterval time.Duration `json:"fast_interval" yaml:"fast-interval"`
	Timeout      time.Duration `json:"timeout" yaml:"timeout"`
	DrainTimeout time.Duration `json:"drain_timeout" yaml:"drain-timeout"`
	StartupHold  time.Duration `json:"startup_hold" yaml:"startup-hold"`
	Step         time.Duration `json:"step" yaml:"step"`

	Steering *Steering `json:"steering,omitempty" yaml:"steering,omitempty"`
	// Sticky keeps the hosting at the site it moved to when the preferred
	// site comes back (no automatic fail-back; an undrain or a failure moves
	// it). By default it moves back, make before break.
	Sticky bool `json:"sticky,omitempty" yaml:"sticky,omitempty"`
}

// CheckConfig is a service's probe.
type CheckConfig struct {
	// Kind is "tcp" (a connect) or "http" (default when Path is set).
	Kind string `json:"kind" yaml:"kind"`
	// Scheme is http or https. An https check verifies the service's
	// certificate (against the system roots, or CAFile) for Host, or for
	// the endpoint's address when Host is empty, unless Insecure is set.
	Scheme   string `json:"scheme,omitempty" yaml:"scheme,omitempty"`
	CAFile   string `json:"ca_file,omitempty" yaml:"ca-file,omitempty"`
	Insecure bool   `json:"insecure,omitempty" yaml:"insecure,omitempty"`
	Path     string `json:"path,omitempty" yaml:"path,omitempty"`
	// Host is the Host header (and TLS server name) the service expects.
	Host string `json:"host,omitempty" yaml:"host,omitempty"`
	// Status lists the acceptable status codes (default 200).
	Status []int `json:"status,omitempty" yaml:"status,omitempty"`
	// Body, when set, must appear in the first 64 KiB of the response body.
	Body string `json:"body,omitempty" yaml:"body,omitempty"`
}

// LinksConfig is the telemetry input of a site's health.
type LinksConfig struct {
	MinUp int `json:"min_up" yaml:"min-up"`
}

// withDefaults fills the zero fields.
func (c Config) withDefaults() Config {
	set := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	set(&c.Interval, DefaultInterval)
	set(&c.FastInterval, DefaultFastInterval)
	set(&c.Timeout, DefaultTimeout)
	set(&c.DrainTimeout, DefaultDrainTimeout)
	set(&c.StartupHold, DefaultStartupHold)
	set(&c.Step, DefaultStep)
	if c.Rise <= 0 {
		c.Rise = DefaultRise
	}
	if c.Fall <= 0 {
		c.Fall = DefaultFall
	}
	if c.Steering == nil {
		s := DefaultSteering()
		c.Steering = &s
	}
	if c.Check.Kind == "" {
		c.Check.Kind = "tcp"
		if c.Check.Path != "" || c.Check.Body != "" || len(c.Check.Status) > 0 {
			c.Check.Kind = "http"
		}
	}
	if c.Check.Kind == "http" {
		if c.Check.Scheme == "" {
			c.Check.Scheme = "http"
		}
		if c.Check.Path == "" {
			c.Check.Path = "/"
		}
		if len(c.Check.Status) == 0 {
			c.Check.Status = []int{200}
		}
	}
	return c
}

// validate refuses what would make the failover unsafe or meaningless.
func (c Config) validate() error {
	switch c.Check.Kind {
	case "tcp", "http":
	default:
		return fmt.Errorf("check kind %q: want tcp or http", c.Check.Kind)
	}
	if c.Check.Kind == "http" && c.Check.Scheme != "http" && c.Check.Scheme != "https" {
		return fmt.Errorf("check scheme %q: want http or https", c.Check.Scheme)
	}
	if c.Timeout > c.Interval {
		return fmt.Errorf("check timeout %s is longer than the interval %s", c.Timeout, c.Interval)
	}
	st := c.Steering
	if st.Primary.Equal(st.Backup) {
		return fmt.Errorf("steering: primary and backup attributes are the same: routers could not tell the active site")
	}
	if st.Primary.LocalPref < st.Backup.LocalPref ||
		(st.Primary.LocalPref == st.Backup.LocalPref && st.Primary.Prepend > st.Backup.Prepend) ||
		(st.Primary.LocalPref == st.Backup.LocalPref && st.Primary.Prepend == st.Backup.Prepend && st.Primary.MED > st.Backup.MED) {
		return fmt.Errorf("steering: backup attributes (%+v) would win over primary (%+v)", st.Backup, st.Primary)
	}
	return nil
}

// Option configures a Service.
type Option func(*Service)

// WithLogger logs every transition and announcement.
func WithLogger(l *slog.Logger) Option { return func(s *Service) { s.log = l } }

// WithClock replaces time.Now (tests).
func WithClock(now func() time.Time) Option { return func(s *Service) { s.now = now } }

// WithEvents calls fn with every transition, after it is logged, without
// the service's lock held: cmd hands them to telemetry's alarm engine.
func WithEvents(fn func(Transition)) Option { return func(s *Service) { s.events = fn } }

// WithLinks gives the telemetry view of the sites' links (Config.Links).
func WithLinks(src LinkSource) Option { return func(s *Service) { s.links = src } }
