package noc

import (
	"fmt"
	"math"
	"strings"

	"github.com/tuyau-net/tuyau/telemetry"
)

// detailLines is the link view: both ends, the cables and ducts under the
// link (named from the inventory when there is one), its receive power
// against the budget and sparklines of its recent history.
func (m Model) detailLines(w int) []string {
	var l *telemetry.LinkState
	for i := range m.snap.Links {
		if m.snap.Links[i].ID == m.detail {
			l = &m.snap.Links[i]
		}
	}
	if l == nil {
		return []string{"link " + m.detail + ": not in the sink (esc to go back)"}
	}
	oper := l.Oper
	if oper == "down" {
		oper = m.st.r(m.st.bad, "DOWN")
	}
	out := []string{m.st.r(m.st.title, "Link "+l.ID) + "  " + oper +
		fmt.Sprintf("  %s  util %.0f%%", speed(l.SpeedMbps), 100*l.Utilization)}
	for _, e := range []struct {
		name string
		end  telemetry.LinkEnd
	}{{"A", l.A}, {"B", l.B}} {
		out = append(out, m.endLine(e.name, e.end))
	}
	out = append(out, m.st.r(m.st.title, "Cables"))
	if len(l.Cables) == 0 {
		out = append(out, "  none known (a circuit, or a link without cables in the inventory)")
	}
	for _, c := range l.Cables {
		out = append(out, "  "+m.cableLine(c))
	}
	if len(l.Ducts) > 0 {
		out = append(out, m.st.r(m.st.title, "Ducts"))
		for _, d := range l.Ducts {
			line := "  " + d
			if cs := m.inv.ducts[d]; len(cs) > 0 {
				line += fmt.Sprintf(": %d cables (%s)", len(cs), strings.Join(cs, ", "))
			}
			out = append(out, line)
		}
	}
	out = append(out, m.st.r(m.st.title, "Rx power against the budget"))
	out = append(out, m.budgetLines(*l, w)...)
	out = append(out, m.st.r(m.st.title, "History"))
	out = append(out, m.historyLines(w)...)
	return out
}

func (m Model) endLine(name string, e telemetry.LinkEnd) string {
	if e.Device == "" {
		return fmt.Sprintf("  %s  (outside the network)", name)
	}
	site := e.Site
	if s := m.inv.sites[e.Site]; s != nil && s.Name != "" {
		site = s.Name + " (" + e.Site + ")"
	}
	line := fmt.Sprintf("  %s  %s:%s at %s  %s  in %s out %s", name, e.Device, e.Interface, site, orDash(e.Oper), bps(e.InBps), bps(e.OutBps))
	if e.HasOptics {
		line += fmt.Sprintf("  rx %.1f tx %.1f dBm", e.RxDBm, e.TxDBm)
	}
	return line
}

func (m Model) cableLine(label string) string {
	c := m.inv.cables[label]
	if c == nil {
		return label
	}
	parts := []string{label}
	switch l := c.Length.Meters; {
	case l >= 1000:
		parts = append(parts, fmt.Sprintf("%.1f km", l/1000))
	case l > 0:
		parts = append(parts, fmt.Sprintf("%.0f m", l))
	}
	if c.Type != "" {
		parts = append(parts, string(c.Type))
	}
	if c.A.Kind() != "" && c.B.Kind() != "" {
		parts = append(parts, c.A.String()+" - "+c.B.String())
	}
	if len(c.SRLGs) > 0 {
		parts = append(parts, "in "+strings.Join(c.SRLGs, ", "))
	}
	if c.Status != "" {
		parts = append(parts, string(c.Status))
	}
	return strings.Join(parts, "  ")
}

// budgetLines hold the worse end's receive power against the planned one,
// with a gauge from the receiver's sensitivity to the expected power.
func (m Model) budgetLines(l telemetry.LinkState, w int) []string {
	if !l.HasRx {
		return []string{fmt.Sprintf("  no receive power reported (expected %.1f dBm, sensitivity %.1f)", l.ExpectedRxDBm, l.SensitivityDBm)}
	}
	out := []string{fmt.Sprintf("  measured %.1f dBm (end %s)  expected %.1f  sensitivity %.1f  margin %.1f dB",
		l.MeasuredRxDBm, orDash(l.RxEnd), l.ExpectedRxDBm, l.SensitivityDBm, l.MarginDB)}
	if l.HasBudget {
		out = append(out, fmt.Sprintf("  planned margin %.1f dB  deviation %+.1f  drift %+.1f  excess loss %.1f  worst-case margin %.1f",
			l.BudgetMarginDB, l.DeviationDB, l.DriftDB, l.ExcessLossDB, l.WorstCaseMarginDB))
	}
	lo, hi := l.SensitivityDBm, max(l.ExpectedRxDBm, l.MeasuredRxDBm)+1
	if n := min(w-30, 60); n > 10 && hi > lo {
		gauge := []rune(strings.Repeat("-", n))
		at := func(v float64) int { return max(0, min(n-1, int(math.Round((v-lo)/(hi-lo)*float64(n-1))))) }
		gauge[at(l.ExpectedRxDBm)] = 'E'
		gauge[at(l.MeasuredRxDBm)] = '*'
		out = append(out, fmt.Sprintf("  %.1f |%s| %.1f dBm   (* measured, E expected)", lo, string(gauge), hi))
	}
	return out
}

// history is the sink's history of the open link, then what the dashboard
// polled after it.
func (m Model) history() []telemetry.LinkPoint {
	var pts []telemetry.LinkPoint
	for _, p := range m.served {
		if !p.Time.IsZero() { // a link's state before its first update
			pts = append(pts, p)
		}
	}
	var last = m.o.Now().AddDate(-100, 0, 0)
	if n := len(pts); n > 0 {
		last = pts[n-1].Time
	}
	for _, p := range m.hist[m.detail] {
		if p.Time.After(last) {
			pts = append(pts, p)
		}
	}
	return pts
}

func (m Model) historyLines(w int) []string {
	pts := m.history()
	if len(pts) == 0 {
		return []string{"  no point yet"}
	}
	n := max(10, w-24)
	if len(pts) > n {
		pts = pts[len(pts)-n:]
	}
	rx := make([]float64, 0, len(pts))
	util := make([]float64, len(pts))
	oper := make([]rune, len(pts))
	for i, p := range pts {
		util[i] = p.Utilization
		switch p.Oper {
		case "up":
			oper[i] = '▇'
		case "down":
			oper[i] = '_'
		default:
			oper[i] = '?'
		}
		if p.MeasuredRxDBm != 0 {
			rx = append(rx, p.MeasuredRxDBm)
		}
	}
	span := pts[len(pts)-1].Time.Sub(pts[0].Time).Round(1e9)
	out := []string{fmt.Sprintf("  %d points over %s", len(pts), span)}
	if len(rx) > 0 {
		lo, hi := minMax(rx)
		out = append(out, fmt.Sprintf("  rx   %s  %.1f..%.1f dBm", sparkline(rx), lo, hi))
	}
	lo, hi := minMax(util)
	out = append(out, fmt.Sprintf("  util %s  %.0f..%.0f%%", sparkline(util), 100*lo, 100*hi))
	out = append(out, "  oper "+string(oper))
	return out
}

var sparks = []rune("▁▂▃▄▅▆▇█")

// sparkline draws vs scaled between their minimum and maximum (a flat
// series is a flat line).
func sparkline(vs []float64) string {
	lo, hi := minMax(vs)
	r := make([]rune, len(vs))
	for i, v := range vs {
		k := 0
		if hi > lo {
			k = int(math.Round((v - lo) / (hi - lo) * float64(len(sparks)-1)))
		}
		r[i] = sparks[k]
	}
	return string(r)
}

func minMax(vs []float64) (float64, float64) {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, v := range vs {
		lo, hi = min(lo, v), max(hi, v)
	}
	return lo, hi
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func speed(mbps int64) string {
	switch {
	case mbps <= 0:
		return "speed ?"
	case mbps >= 1000 && mbps%1000 == 0:
		return fmt.Sprintf("%dG", mbps/1000)
	}
	return fmt.Sprintf("%dM", mbps)
}

// bps writes a rate with an SI prefix.
func bps(v float64) string {
	for _, u := range []struct {
		f float64
		s string
	}{{1e9, "G"}, {1e6, "M"}, {1e3, "k"}} {
		if v >= u.f {
			return fmt.Sprintf("%.1f%sb/s", v/u.f, u.s)
		}
	}
	return fmt.Sprintf("%.0fb/s", v)
}
