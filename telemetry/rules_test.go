package telemetry

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

func TestParseRules(t *testing.T) {
	tests := []struct {
		name, in string
		check    func(r Rules) bool
		err      string
	}{
		{"empty is the defaults", "", func(r Rules) bool { return reflect.DeepEqual(r, DefaultRules()) }, ""},
		{"one field overrides, the rest stays", "rx_margin:\n  threshold: 1\n  clear: 2\n",
			func(r Rules) bool {
				return r.RxMargin.Threshold == 1 && r.RxMargin.Clear == 2 && r.RxMargin.RaiseSamples == 3 && r.RxMargin.Severity == SevMajor
			}, ""},
		{"durations with units", "target_unreachable:\n  raise_after: 1m30s\ncorrelation:\n  settle: 5s\n",
			func(r Rules) bool {
				return r.TargetUnreachable.RaiseAfter.D() == 90*time.Second && r.Correlation.Settle.D() == 5*time.Second && r.Correlation.MinLinks == 2
			}, ""},
		{"event rules by name", "events:\n  bgp-session-down:\n    severity: critical\n    raise_after: 10s\n",
			func(r Rules) bool { return r.Events["bgp-session-down"].Severity == SevCritical }, ""},
		{"disable a rule", "utilization:\n  disabled: true\n", func(r Rules) bool { return r.Utilization.Disabled }, ""},
		{"a bare number is not a duration", "link_down:\n  clear_after: 30\n", nil, `duration "30": want a number with a unit`},
		{"unknown field", "link_dwn:\n  severity: major\n", nil, `tuyau.yaml:1:1: alarm rules: unknown key "link_dwn" in alarms (known keys: cleared_retention, correlation`},
		{"unknown nested field", "rx_margin:\n  threshhold: 1\n", nil, `tuyau.yaml:2:3: alarm rules: unknown key "threshhold" in alarms.rx_margin (known keys: clear, clear_after`},
		{"a duration's line", "link_down:\n  severity: major\n  clear_after: 30\n", nil, `tuyau.yaml:3:16: alarm rules: link_down.clear_after: duration "30"`},
		{"a wrong type's line", "errors:\n  threshold: lots\n", nil, "tuyau.yaml:2: alarm rules: cannot unmarshal"},
		{"a bad rule's line", "\n\nerrors:\n  severity: urgent\n", nil, "tuyau.yaml:3:1: alarm rule errors"},
		{"a bad nested figure's line", "correlation:\n  min_links: 3\n  settle: -1s\n", nil, "tuyau.yaml:3:3: alarm correlation: settle -1s is negative"},
		{"not a mapping", "- a\n", nil, "tuyau.yaml:1:1: alarm rules: want a mapping"},
		{"unknown severity", "errors:\n  severity: urgent\n", nil, `alarm rule errors: severity "urgent"`},
		{"clear past the threshold", "utilization:\n  threshold: 0.8\n  clear: 0.9\n", nil, "alarm rule utilization: clear 0.9 is above threshold 0.8"},
		{"rx margin clears above its threshold", "rx_margin:\n  threshold: 2\n  clear: 1\n", nil, "alarm rule rx_margin: clear 1 is below threshold 2"},
		{"utilization is a share", "utilization:\n  threshold: 80\n  clear: 70\n", nil, "thresholds are shares between 0 and 1"},
		{"negative samples", "errors:\n  raise_samples: -1\n", nil, "must not be negative"},
		{"tolerance under the link speed", "counters:\n  tolerance: 0.5\n", nil, "tolerance 0.5"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := ParseRules([]byte(tt.in), "tuyau.yaml")
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) || !strings.HasPrefix(err.Error(), "tuyau.yaml:") {
					t.Fatalf("ParseRules(%q) error %v, want one naming the file and containing %q", tt.in, err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseRules(%q): %v", tt.in, err)
			}
			if !tt.check(r) {
				t.Errorf("ParseRules(%q) = %+v", tt.in, r)
			}
		})
	}
}

// The defaults written as YAML read back the same: what docs/telemetry.md
// shows is what the engine runs.
func TestDefaultRulesRoundTrip(t *testing.T) {
	out, err := yaml.Marshal(DefaultRules())
	if err != nil {
		t.Fatal(err)
	}
	r, err := ParseRules(out, "defaults")
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if !reflect.DeepEqual(r, DefaultRules()) {
		t.Errorf("round trip changed the rules:\n%s", out)
	}
	if !strings.Contains(string(out), "clear_after: 10s") {
		t.Errorf("durations not written with their unit:\n%s", out)
	}
}

// Partial rules given to the engine take the defaults for what they omit.
func TestEngineRulesDefaults(t *testing.T) {
	e := NewEngine(nil, nil, EngineOptions{Rules: Rules{Utilization: Rule{Threshold: 0.9, Clear: 0.8}}})
	r := e.Rules()
	if r.Utilization.Threshold != 0.9 || r.Utilization.Severity != SevWarning || r.LinkDown != DefaultRules().LinkDown || r.Optics.BaselineSamples != 30 {
		t.Errorf("rules %+v", r)
	}
}

// FuzzParseRules: tuyau.yaml is outside input. Whatever it holds,
// ParseRules returns valid rules or an error naming the file, never panics.
func FuzzParseRules(f *testing.F) {
	for _, s := range []string{
		"", "rx_margin:\n  threshold: 1\n  clear: 2\n", "link_down:\n  clear_after: 30\n",
		"events:\n  x:\n    severity: critical\n", "correlation: {settle: 5s, min_links: 0}\n",
		"utilization: [1, 2]\n", "counters:\n  tolerance: .nan\n", "telemetry_gap:\n  window: -1s\n",
		"optics: {los_dbm: -30, baseline_samples: 1}\ncleared_retention: 1h\n", "{{{", "- a\n- b\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := ParseRules(data, "tuyau.yaml")
		if err != nil {
			if !strings.HasPrefix(err.Error(), "tuyau.yaml:") {
				t.Fatalf("error %q does not name the file", err)
			}
			return
		}
		if err := r.Validate(); err != nil {
			t.Fatalf("ParseRules returned rules that do not validate: %v", err)
		}
	})
}
