package noc

import (
	"math"
	"sort"

	"github.com/tuyau-net/tuyau/telemetry"
)

// alarmRow is one line of the alarm pane: a root alarm (Depth 0) or, when
// its root is unfolded, one of its children (Depth 1).
type alarmRow struct {
	Alarm    telemetry.Alarm
	Depth    int
	Children int // active children of a root
	Expanded bool
}

// alarmRows orders the active alarms by severity, then age (the newest
// first: a NOC looks at what just happened), folds the children under the
// root that explains them and unfolds the roots named in expanded. A child
// whose root is not active stands as a root.
func alarmRows(all []telemetry.Alarm, expanded map[string]bool) []alarmRow {
	active := map[string]telemetry.Alarm{}
	for _, a := range all {
		if a.State == telemetry.AlarmActive {
			active[a.ID] = a
		}
	}
	var roots []telemetry.Alarm
	kids := map[string][]telemetry.Alarm{}
	for _, a := range active {
		if _, ok := active[a.Parent]; ok && a.Parent != a.ID {
			kids[a.Parent] = append(kids[a.Parent], a)
			continue
		}
		roots = append(roots, a)
	}
	sortAlarms(roots)
	rows := make([]alarmRow, 0, len(active))
	for _, r := range roots {
		ch := kids[r.ID]
		rows = append(rows, alarmRow{Alarm: r, Children: len(ch), Expanded: expanded[r.ID]})
		if expanded[r.ID] {
			sortAlarms(ch)
			for _, c := range ch {
				rows = append(rows, alarmRow{Alarm: c, Depth: 1})
			}
		}
	}
	return rows
}

func sortAlarms(as []telemetry.Alarm) {
	sort.Slice(as, func(i, j int) bool {
		a, b := as[i], as[j]
		if a.Severity.Rank() != b.Severity.Rank() {
			return a.Severity.Rank() < b.Severity.Rank()
		}
		if !a.Raised.Equal(b.Raised) {
			return a.Raised.After(b.Raised)
		}
		return a.ID < b.ID
	})
}

// worstLinks orders links for the NOC: down first, then unknown, then by
// optical margin left (least first; links without a receive reading
// after those with one), then by utilization (highest first).
func worstLinks(ls []telemetry.LinkState) []telemetry.LinkState {
	out := append([]telemetry.LinkState(nil), ls...)
	rank := func(l telemetry.LinkState) int {
		switch l.Oper {
		case "down":
			return 0
		case "up":
			return 2
		}
		return 1
	}
	margin := func(l telemetry.LinkState) float64 {
		if !l.HasRx {
			return math.Inf(1)
		}
		return l.MarginDB
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if rank(a) != rank(b) {
			return rank(a) < rank(b)
		}
		if ma, mb := margin(a), margin(b); ma != mb {
			return ma < mb
		}
		if a.Utilization != b.Utilization {
			return a.Utilization > b.Utilization
		}
		return a.ID < b.ID
	})
	return out
}

// sickTargets orders targets: disconnected first, then by gaps, then name.
func sickTargets(ts []telemetry.TargetHealth) []telemetry.TargetHealth {
	out := append([]telemetry.TargetHealth(nil), ts...)
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Connected != b.Connected {
			return !a.Connected
		}
		if a.Gaps != b.Gaps {
			return a.Gaps > b.Gaps
		}
		return a.Name < b.Name
	})
	return out
}
