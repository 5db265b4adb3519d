package telemetry

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"reflect"
	"slices"
	"time"

	"gopkg.in/yaml.v3"
)

// Duration is a time.Duration written "30s", "2m" in YAML and JSON: a bare
// number is refused, so "raise_after: 30" cannot silently mean 30 ns.
type Duration time.Duration

// D returns the duration as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// MarshalText writes the duration as time.Duration.String does.
func (d Duration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

// UnmarshalText reads a Go duration with its unit.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return fmt.Errorf("duration %q: want a number with a unit (10s, 2m, 1h)", b)
	}
	*d = Duration(v)
	return nil
}

// Rule is one alarm condition's thresholds and hysteresis. A condition is
// bad when its value crosses Threshold and good when it is back past Clear;
// between the two (the dead band) it is neither and the alarm keeps its
// state. An alarm is raised after RaiseSamples consecutive bad samples or
// once bad for RaiseAfter, whichever comes first (both zero: the first bad
// sample), and cleared after ClearSamples good ones or once good for
// ClearAfter.
type Rule struct {
	Disabled     bool     `yaml:"disabled,omitempty" json:"disabled,omitempty"`
	Severity     Severity `yaml:"severity" json:"severity"`
	Threshold    float64  `yaml:"threshold,omitempty" json:"threshold,omitempty"`
	Clear        float64  `yaml:"clear,omitempty" json:"clear,omitempty"`
	RaiseSamples int      `yaml:"raise_samples,omitempty" json:"raise_samples,omitempty"`
	RaiseAfter   Duration `yaml:"raise_after,omitempty" json:"raise_after,omitempty"`
	ClearSamples int      `yaml:"clear_samples,omitempty" json:"clear_samples,omitempty"`
	ClearAfter   Duration `yaml:"clear_after,omitempty" json:"clear_after,omitempty"`
	// Window is the shortest span one sample covers, for rules measured
	// over a window (telemetry_gap).
	Window Duration `yaml:"window,omitempty" json:"window,omitempty"`
}

// Correlation sets how link-down alarms are grouped under a root alarm
// naming a duct, a cable or a site.
type Correlation struct {
	Disabled bool `yaml:"disabled,omitempty" json:"disabled,omitempty"`
	// Settle is how long the set of link-down alarms must stay unchanged
	// before a new root is named: the ends of a cut report within a second
	// or two of each other, and naming a cable before the rest of its duct
	// has reported would name the wrong thing.
	Settle Duration `yaml:"settle" json:"settle"`
	// MinLinks is the fewest link-down alarms a duct or a cable explains.
	MinLinks int `yaml:"min_links" json:"min_links"`
	// Severity of a root alarm; critical when a member site loses the hosting.
	Severity Severity `yaml:"severity" json:"severity"`
}

// OpticsRules are the figures the Rx power rules share.
type OpticsRules struct {
	// LOSDBm: at or below it a receiver sees no light. The Rx rules leave
	// such a reading to link-down (a cut is not a low-margin link).
	LOSDBm float64 `yaml:"los_dbm" json:"los_dbm"`
	// BaselineSamples: the baseline is the median of the first this many
	// Rx samples of each end, taken while it has light.
	BaselineSamples int `yaml:"baseline_samples" json:"baseline_samples"`
	// LossProfile names the topology loss profile the budgets were
	// computed with ("" is topology's default), for the per-end plan.
	LossProfile string `yaml:"loss_profile,omitempty" json:"loss_profile,omitempty"`
}

// CounterRules bound what a counter delta may imply.
type CounterRules struct {
	// Tolerance times the link speed is the most a delta may imply; more is
	// refused as absurd (a counter glitch, a misread).
	Tolerance float64 `yaml:"tolerance" json:"tolerance"`
	// DefaultSpeedMbps bounds interfaces whose speed the inventory omits.
	DefaultSpeedMbps int64 `yaml:"default_speed_mbps" json:"default_speed_mbps"`
}

// Rules are every alarm rule with its thresholds and hysteresis. The zero
// value of a rule takes its default; a YAML file (the "alarms:" section of
// tuyau.yaml) overrides field by field: see ParseRules and
// docs/telemetry.md "Alarm rules and their defaults".
type Rules struct {
	// LinkDown: either end of a routed link down (oper-status), for links
	// the inventory says should be up.
	LinkDown Rule `yaml:"link_down" json:"link_down"`
	// RxMargin: Threshold and Clear in dB of margin left at worst-case
	// launch power once the loss beyond plan is counted.
	RxMargin Rule `yaml:"rx_margin" json:"rx_margin"`
	// RxDrift: Threshold and Clear in dB below the end's baseline.
	RxDrift Rule `yaml:"rx_drift" json:"rx_drift"`
	// Utilization: Threshold and Clear as a share (0..1) of the link speed,
	// worst direction.
	Utilization Rule `yaml:"utilization" json:"utilization"`
	// Errors and Discards: per second, both directions of both ends.
	Errors   Rule `yaml:"errors" json:"errors"`
	Discards Rule `yaml:"discards" json:"discards"`
	// TargetUnreachable: the collector has no session with the target.
	TargetUnreachable Rule `yaml:"target_unreachable" json:"target_unreachable"`
	// TelemetryGap: Threshold and Clear as the share (0..1) of the samples
	// a target's subscription promised that the collector's gap ledger
	// counts as missed, over windows of at least Window.
	TelemetryGap Rule            `yaml:"telemetry_gap" json:"telemetry_gap"`
	Correlation  Correlation     `yaml:"correlation" json:"correlation"`
	Optics       OpticsRules     `yaml:"optics" json:"optics"`
	Counters     CounterRules    `yaml:"counters" json:"counters"`
	Events       map[string]Rule `yaml:"events,omitempty" json:"events,omitempty"` // by event rule name
	// Retention is how long a cleared alarm stays listed.
	Retention Duration `yaml:"cleared_retention" json:"cleared_retention"`
}

// DefaultRules are the defaults docs/telemetry.md explains.
func DefaultRules() Rules {
	s := Duration(time.Second)
	return Rules{
		LinkDown:          Rule{Severity: SevMajor, RaiseSamples: 1, ClearAfter: 10 * s},
		RxMargin:          Rule{Severity: SevMajor, Threshold: 0, Clear: 1, RaiseSamples: 3, ClearSamples: 3},
		RxDrift:           Rule{Severity: SevMinor, Threshold: 3, Clear: 2, RaiseSamples: 3, ClearSamples: 3},
		Utilization:       Rule{Severity: SevWarning, Threshold: 0.8, Clear: 0.7, RaiseSamples: 3, ClearSamples: 3},
		Errors:            Rule{Severity: SevMinor, Threshold: 1, Clear: 0.1, RaiseSamples: 3, ClearSamples: 6},
		Discards:          Rule{Severity: SevWarning, Threshold: 100, Clear: 10, RaiseSamples: 3, ClearSamples: 6},
		TargetUnreachable: Rule{Severity: SevMajor, RaiseAfter: 30 * s, ClearSamples: 1},
		TelemetryGap:      Rule{Severity: SevMinor, Threshold: 0.05, Clear: 0.01, RaiseSamples: 1, ClearSamples: 2, Window: 30 * s},
		Correlation:       Correlation{Settle: 3 * s, MinLinks: 2, Severity: SevMajor},
		Optics:            OpticsRules{LOSDBm: -30, BaselineSamples: 30},
		Counters:          CounterRules{Tolerance: 1.25, DefaultSpeedMbps: 400_000},
		Retention:         Duration(24 * time.Hour),
	}
}

// eventDefault is the rule of an event with no entry in Rules.Events: the
// source already decided, so raise and clear on the first report.
var eventDefault = Rule{RaiseSamples: 1, ClearSamples: 1}

// withDefaults fills each zero rule or section from DefaultRules.
func (r Rules) withDefaults() Rules {
	d := DefaultRules()
	fill := func(dst *Rule, def Rule) {
		if reflect.ValueOf(*dst).IsZero() {
			*dst = def
		}
		if dst.Severity == "" {
			dst.Severity = def.Severity
		}
	}
	fill(&r.LinkDown, d.LinkDown)
	fill(&r.RxMargin, d.RxMargin)
	fill(&r.RxDrift, d.RxDrift)
	fill(&r.Utilization, d.Utilization)
	fill(&r.Errors, d.Errors)
	fill(&r.Discards, d.Discards)
	fill(&r.TargetUnreachable, d.TargetUnreachable)
	fill(&r.TelemetryGap, d.TelemetryGap)
	if r.Correlation.Settle == 0 && r.Correlation.MinLinks == 0 && r.Correlation.Severity == "" {
		r.Correlation = Correlation{Disabled: r.Correlation.Disabled, Settle: d.Correlation.Settle, MinLinks: d.Correlation.MinLinks, Severity: d.Correlation.Severity}
	}
	if r.Correlation.MinLinks == 0 {
		r.Correlation.MinLinks = d.Correlation.MinLinks
	}
	if r.Correlation.Severity == "" {
		r.Correlation.Severity = d.Correlation.Severity
	}
	if r.Optics.LOSDBm == 0 {
		r.Optics.LOSDBm = d.Optics.LOSDBm
	}
	if r.Optics.BaselineSamples == 0 {
		r.Optics.BaselineSamples = d.Optics.BaselineSamples
	}
	if r.Counters.Tolerance == 0 {
		r.Counters.Tolerance = d.Counters.Tolerance
	}
	if r.Counters.DefaultSpeedMbps == 0 {
		r.Counters.DefaultSpeedMbps = d.Counters.DefaultSpeedMbps
	}
	if r.Retention == 0 {
		r.Retention = d.Retention
	}
	return r
}

// Validate checks every rule and names the first bad one.
func (r Rules) Validate() error {
	_, err := r.check()
	return err
}

// check is Validate that also says where the bad rule is, as a path of
// YAML keys (rx_margin, correlation, events.bgp-session-down), so that
// ParseRulesNode can point at its line.
func (r Rules) check() (string, error) {
	rules := []struct {
		name string
		r    Rule
		up   bool // bad above Threshold (else below)
	}{
		{"link_down", r.LinkDown, true}, {"rx_margin", r.RxMargin, false}, {"rx_drift", r.RxDrift, true},
		{"utilization", r.Utilization, true}, {"errors", r.Errors, true}, {"discards", r.Discards, true},
		{"target_unreachable", r.TargetUnreachable, true}, {"telemetry_gap", r.TelemetryGap, true},
	}
	events := slices.Sorted(maps.Keys(r.Events)) // the first bad one is the same on every run
	for _, name := range events {
		rules = append(rules, struct {
			name string
			r    Rule
			up   bool
		}{"events." + name, r.Events[name], true})
	}
	for _, x := range rules {
		if err := x.r.validate(x.up); err != nil {
			return x.name, fmt.Errorf("alarm rule %s: %w", x.name, err)
		}
	}
	if r.Utilization.Threshold > 1 {
		return "utilization", errors.New("alarm rules utilization and telemetry_gap: thresholds are shares between 0 and 1")
	}
	if r.TelemetryGap.Threshold > 1 {
		return "telemetry_gap", errors.New("alarm rules utilization and telemetry_gap: thresholds are shares between 0 and 1")
	}
	if r.Correlation.MinLinks < 1 {
		return "correlation.min_links", fmt.Errorf("alarm correlation: min_links %d: want at least 1", r.Correlation.MinLinks)
	}
	if r.Correlation.Settle < 0 {
		return "correlation.settle", fmt.Errorf("alarm correlation: settle %v is negative", r.Correlation.Settle.D())
	}
	if !knownSeverity(r.Correlation.Severity) {
		return "correlation.severity", fmt.Errorf("alarm correlation: severity %q: want critical, major, minor, warning or info", r.Correlation.Severity)
	}
	if r.Optics.BaselineSamples < 1 {
		return "optics.baseline_samples", fmt.Errorf("alarm optics: baseline_samples %d: want at least 1", r.Optics.BaselineSamples)
	}
	if r.Counters.Tolerance < 1 || math.IsNaN(r.Counters.Tolerance) {
		return "counters.tolerance", fmt.Errorf("alarm counters: tolerance %v: want at least 1 (times the link speed)", r.Counters.Tolerance)
	}
	if r.Counters.DefaultSpeedMbps < 1 {
		return "counters.default_speed_mbps", fmt.Errorf("alarm counters: default_speed_mbps %d: want a positive speed", r.Counters.DefaultSpeedMbps)
	}
	return "", nil
}

func knownSeverity(s Severity) bool {
	switch s {
	case SevCritical, SevMajor, SevMinor, SevWarning, SevInfo:
		return true
	}
	return false
}

func (r Rule) validate(badAbove bool) error {
	switch {
	case !knownSeverity(r.Severity):
		return fmt.Errorf("severity %q: want critical, major, minor, warning or info", r.Severity)
	case math.IsNaN(r.Threshold) || math.IsNaN(r.Clear):
		return errors.New("threshold and clear must be numbers")
	case r.RaiseSamples < 0 || r.ClearSamples < 0:
		return errors.New("raise_samples and clear_samples must not be negative")
	case r.RaiseAfter < 0 || r.ClearAfter < 0 || r.Window < 0:
		return errors.New("raise_after, clear_after and window must not be negative")
	case badAbove && r.Clear > r.Threshold:
		return fmt.Errorf("clear %v is above threshold %v: the alarm would never clear between them", r.Clear, r.Threshold)
	case !badAbove && r.Clear < r.Threshold:
		return fmt.Errorf("clear %v is below threshold %v: the alarm would never clear between them", r.Clear, r.Threshold)
	}
	return nil
}

// ParseRules reads alarm rules in YAML over the defaults: only the fields
// given change. name (a file name) prefixes the errors, with the line and
// column of what is wrong; unknown fields are refused.
func ParseRules(data []byte, name string) (Rules, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return Rules{}, fmt.Errorf("%s: alarm rules: %w", name, err)
	}
	return ParseRulesNode(&doc, name)
}
