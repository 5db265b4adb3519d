package chaos

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"text/tabwriter"
	"time"

	"github.com/tuyau-net/tuyau/testlab"
)

var testlabAll = testlab.Target{} // Restore's "everything"

// Event is one line of a run's timeline.
type Event struct {
	AtMS   int64  `json:"at_ms"` // since the start of the run
	Fault  int    `json:"fault,omitempty"`
	Kind   Kind   `json:"kind,omitempty"`
	What   string `json:"what"` // start, healthy, inject, expect, detect, restore, recover, VIOLATION, end
	Detail string `json:"detail,omitempty"`
}

// Violation is a broken invariant, with the fault in force if any.
type Violation struct {
	AtMS      int64  `json:"at_ms"`
	Invariant string `json:"invariant"`
	Fault     int    `json:"fault,omitempty"`
	Kind      Kind   `json:"kind,omitempty"`
	Detail    string `json:"detail"`
	Known     string `json:"known,omitempty"` // why it is a known violation
}

// FaultRecord is one fault's measures: time to detect (all its alarms
// raised, or the takeover done) and time to recover (the healthy alarms
// again, and the kind's own condition) after the restore.
type FaultRecord struct {
	Fault     Fault `json:"fault"`
	Detected  bool  `json:"detected"`
	MTTDMS    int64 `json:"ttd_ms,omitempty"`
	Recovered bool  `json:"recovered"`
	MTTRMS    int64 `json:"ttr_ms,omitempty"`
}

// Memory are the figures of the memory invariant.
type Memory struct {
	HeapFirst    uint64 `json:"heap_first"`
	HeapLast     uint64 `json:"heap_last"`
	HeapPeak     uint64 `json:"heap_peak"`
	RedisRSSPeak uint64 `json:"redis_rss_peak"`
}

// Report is a whole run: enough to replay it (seed, kinds, duration)
// and to see what happened (the timeline).
type Report struct {
	Seed       uint64         `json:"seed"`
	DurationMS int64          `json:"duration_ms"`
	Kinds      []Kind         `json:"kinds"`
	Replay     string         `json:"replay"`
	ElapsedMS  int64          `json:"elapsed_ms"`
	SLO        SLO            `json:"slo"`
	Baseline   []string       `json:"baseline_alarms"`
	Faults     []FaultRecord  `json:"faults"`
	Checks     map[string]int `json:"checks"` // invariant -> times checked
	Violations []Violation    `json:"violations"`
	Memory     Memory         `json:"memory"`
	// HostingGapMS is, per fault kind in force ("" for none), the longest
	// a member router connected to a core site held no path to the
	// hosting prefix (absent: never).
	HostingGapMS map[Kind]int64 `json:"hosting_gap_ms,omitempty"`
	Timeline     []Event        `json:"timeline"`
}

// Unknown are the violations that are not known ones: what fails a run.
func (r *Report) Unknown() []Violation {
	var out []Violation
	for _, v := range r.Violations {
		if v.Known == "" {
			out = append(out, v)
		}
	}
	return out
}

// AddViolation records a violation found outside the run (the cleanup).
func (r *Report) AddViolation(inv, detail string) {
	r.Violations = append(r.Violations, Violation{AtMS: r.ElapsedMS, Invariant: inv, Detail: detail})
	r.Timeline = append(r.Timeline, Event{AtMS: r.ElapsedMS, What: "VIOLATION", Detail: inv + ": " + detail})
}

// Check counts one check of an invariant done outside the run.
func (r *Report) Check(inv string) { r.Checks[inv]++ }

// KindStats are one kind's figures over a run.
type KindStats struct {
	Kind                Kind
	Injected, Detected  int
	Recovered           int
	MTTD, MTTR, MaxMTTR time.Duration // means, and the worst recovery
	MaxMTTD             time.Duration
	Violations, Known   int
}

// ByKind sums the faults per kind, in Kinds order.
func (r *Report) ByKind() []KindStats {
	m := map[Kind]*KindStats{}
	for _, f := range r.Faults {
		k := m[f.Fault.Kind]
		if k == nil {
			k = &KindStats{Kind: f.Fault.Kind}
			m[f.Fault.Kind] = k
		}
		k.Injected++
		if f.Detected {
			k.Detected++
			d := time.Duration(f.MTTDMS) * time.Millisecond
			k.MTTD += d
			k.MaxMTTD = max(k.MaxMTTD, d)
		}
		if f.Recovered {
			k.Recovered++
			d := time.Duration(f.MTTRMS) * time.Millisecond
			k.MTTR += d
			k.MaxMTTR = max(k.MaxMTTR, d)
		}
	}
	for _, v := range r.Violations {
		if k := m[v.Kind]; k != nil {
			k.Violations++
			if v.Known != "" {
				k.Known++
			}
		}
	}
	var out []KindStats
	for _, kind := range Kinds {
		if k := m[kind]; k != nil {
			if k.Detected > 0 {
				k.MTTD /= time.Duration(k.Detected)
			}
			if k.Recovered > 0 {
				k.MTTR /= time.Duration(k.Recovered)
			}
			out = append(out, *k)
		}
	}
	return out
}

func secs(d time.Duration) string {
	if d == 0 {
		return "-"
	}
	return fmt.Sprintf("%.1fs", d.Seconds())
}

// WriteTable prints the run's summary: faults per kind with MTTD and
// MTTR, the invariants and how often each was checked, the violations.
func (r *Report) WriteTable(w io.Writer) {
	fmt.Fprintf(w, "chaos run: seed %d, %s of faults (%.0fs in all), replay: %s\n\n", r.Seed, time.Duration(r.DurationMS)*time.Millisecond, float64(r.ElapsedMS)/1000, r.Replay)
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "fault kind\tinjected\tdetected\trecovered\tMTTD (mean/max)\tMTTR (mean/max)\tviolations (known)")
	total := KindStats{}
	for _, k := range r.ByKind() {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%s / %s\t%s / %s\t%d (%d)\n", k.Kind, k.Injected, k.Detected, k.Recovered, secs(k.MTTD), secs(k.MaxMTTD), secs(k.MTTR), secs(k.MaxMTTR), k.Violations, k.Known)
		total.Injected += k.Injected
		total.Detected += k.Detected
		total.Recovered += k.Recovered
	}
	fmt.Fprintf(tw, "total\t%d\t%d\t%d\t\t\t%d (%d)\n", total.Injected, total.Detected, total.Recovered, len(r.Violations), len(r.Violations)-len(r.Unknown()))
	tw.Flush()
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "invariant\tchecks\tviolations (known)")
	per, known := map[string]int{}, map[string]int{}
	for _, v := range r.Violations {
		per[v.Invariant]++
		if v.Known != "" {
			known[v.Invariant]++
		}
	}
	for _, inv := range slices.Sorted(maps.Keys(r.Checks)) {
		fmt.Fprintf(tw, "%s\t%d\t%d (%d)\n", inv, r.Checks[inv], per[inv], known[inv])
		delete(per, inv)
	}
	for _, inv := range slices.Sorted(maps.Keys(per)) {
		fmt.Fprintf(tw, "%s\t-\t%d (%d)\n", inv, per[inv], known[inv])
	}
	tw.Flush()
	fmt.Fprintf(w, "\nmemory: Go heap %d MiB at the start, %d MiB at the end, %d MiB peak; redis-server RSS peak %d MiB\n",
		r.Memory.HeapFirst>>20, r.Memory.HeapLast>>20, r.Memory.HeapPeak>>20, r.Memory.RedisRSSPeak>>20)
	if r.Checks[invHosting] > 0 {
		fmt.Fprintf(w, "hosting: %d checks of every member router's paths; longest without a path (budget %s):", r.Checks[invHosting], r.SLO.Hosting)
		if len(r.HostingGapMS) == 0 {
			fmt.Fprint(w, " never without one")
		}
		for _, k := range slices.Sorted(maps.Keys(r.HostingGapMS)) {
			name := string(k)
			if name == "" {
				name = "no fault"
			}
			fmt.Fprintf(w, " %s %.1fs", name, float64(r.HostingGapMS[k])/1000)
		}
		fmt.Fprintln(w)
	}
	if len(r.Violations) > 0 {
		fmt.Fprintf(w, "\nVIOLATIONS (seed %d; replay: %s)\n", r.Seed, r.Replay)
		for _, v := range r.Violations {
			fmt.Fprintf(w, "  %7.1fs fault #%d %s: %s: %s\n", float64(v.AtMS)/1000, v.Fault, v.Kind, v.Invariant, v.Detail)
			if v.Known != "" {
				fmt.Fprintf(w, "           known: %s\n", v.Known)
			}
		}
	}
}

// WriteTimeline prints the timeline, one event a line.
func (r *Report) WriteTimeline(w io.Writer) {
	for _, e := range r.Timeline {
		f := ""
		if e.Fault > 0 {
			f = fmt.Sprintf("#%d %s", e.Fault, e.Kind)
		}
		fmt.Fprintf(w, "%8.1fs  %-9s %-22s %s\n", float64(e.AtMS)/1000, e.What, f, e.Detail)
	}
}

// Save writes the report as JSON to path.
func (r *Report) Save(path string) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return fmt.Errorf("chaos report: %w", err)
	}
	if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("chaos report %s: %w", path, err)
	}
	return nil
}
