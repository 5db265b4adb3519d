package report

import (
	"cmp"
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"slices"
	"time"
)

//go:embed report.html.tmpl
var htmlTemplate string

var htmlPage = template.Must(template.New("report").Funcs(template.FuncMap{
	"pct":   Pct,
	"human": func(s Secs) string { return Human(s.D()) },
	"hdur":  Human,
	"when":  func(t time.Time) string { return t.UTC().Format("Mon 2 Jan 2006 15:04:05 UTC") },
	"lost":  LostText,
	"cause": plainCause,
	"until": plainEnd,
}).Parse(htmlTemplate))

// htmlView is what the template draws: the report with the charts'
// geometry worked out here, so the template only places it.
type htmlView struct {
	Report
	Summary  []summaryBar
	Members  []memberView
	NoDataT  time.Duration
	Ticks    []tick
	ChartW   float64
	SummaryH float64
}

type summaryBar struct {
	Site, Label string
	Y, W        float64
	Color       string
}

type memberView struct {
	Member
	Headline string
	Class    string // good, fair, bad, nodata: the headline's colour
	Bars     []rect
}

type rect struct {
	X, W  float64
	Color string
	Title string
}

type tick struct {
	X      float64
	Label  string
	Anchor string // the first and last labels stay inside the chart
}

// Colours of the states: green, amber, red, grey; the same in the
// legend.
var stateColor = map[string]string{StateBoth: "#2e7d32", StateOne: "#f9a825", StateNone: "#c62828", StateUnknown: "#9e9e9e",
	StateHostingOnly: "#81c784"}

const chartW = 640.0

func writeHTML(w io.Writer, r Report) error {
	v := htmlView{Report: r, ChartW: chartW}
	for _, g := range r.NoData {
		v.NoDataT += g.Duration()
	}
	span := r.To.Sub(r.From)
	x := func(t time.Time) float64 { return chartW * float64(t.Sub(r.From)) / float64(span) }
	v.Ticks = ticks(r.From, r.To, x)
	order := slices.Clone(r.Members)
	slices.SortStableFunc(order, func(a, b Member) int { return cmp.Compare(pctOr(a.Hosting.Percent), pctOr(b.Hosting.Percent)) })
	for i, m := range order {
		p := pctOr(m.Hosting.Percent)
		col := stateColor[StateBoth]
		switch {
		case m.Hosting.Percent == nil:
			col = stateColor[StateUnknown]
		case p < 99:
			col = stateColor[StateNone]
		case p < 99.9:
			col = stateColor[StateOne]
		}
		label := Pct(m.Hosting.Percent)
		v.Summary = append(v.Summary, summaryBar{Site: m.Site, Label: label, Y: float64(i) * 22, W: max(1, 4*max(0, p-75)), Color: col})
	}
	v.SummaryH = float64(len(order))*22 + 4
	for _, m := range r.Members {
		mv := memberView{Member: m, Headline: Pct(m.Hosting.Percent) + " access to hosting"}
		switch p := m.Hosting.Percent; {
		case p == nil:
			mv.Headline, mv.Class = "No data for this period", "nodata"
		case *p >= 99.9:
			mv.Class = "good"
		case *p >= 99:
			mv.Class = "fair"
		default:
			mv.Class = "bad"
		}
		for _, s := range m.Timeline {
			mv.Bars = append(mv.Bars, rect{X: x(s.Start), W: max(0.5, x(s.End)-x(s.Start)), Color: stateColor[s.State],
				Title: fmt.Sprintf("%s to %s: %s", s.Start.UTC().Format("2 Jan 15:04:05"), s.End.UTC().Format("2 Jan 15:04:05"), plainState(s.State))})
		}
		v.Members = append(v.Members, mv)
	}
	return htmlPage.Execute(w, v)
}

func pctOr(p *float64) float64 {
	if p == nil {
		return -1
	}
	return *p
}

// ticks puts about six labelled marks on the time axis.
func ticks(from, to time.Time, x func(time.Time) float64) []tick {
	span := to.Sub(from)
	steps := []time.Duration{time.Minute, 5 * time.Minute, 15 * time.Minute, time.Hour, 3 * time.Hour, 6 * time.Hour,
		12 * time.Hour, 24 * time.Hour, 7 * 24 * time.Hour, 30 * 24 * time.Hour}
	step := steps[len(steps)-1]
	for _, s := range steps {
		if span/s <= 6 {
			step = s
			break
		}
	}
	layout := "15:04"
	if step >= 24*time.Hour {
		layout = "2 Jan"
	} else if span > 24*time.Hour {
		layout = "2 Jan 15:04"
	}
	var out []tick
	for t := from.UTC().Truncate(step); !t.After(to); t = t.Add(step) {
		if t.Before(from) {
			continue
		}
		out = append(out, tick{X: x(t), Label: t.Format(layout), Anchor: "middle"})
	}
	for i := range out {
		switch {
		case out[i].X < 30:
			out[i].Anchor = "start"
		case out[i].X > chartW-30:
			out[i].Anchor = "end"
		}
	}
	return out
}

func plainState(s string) string {
	switch s {
	case StateBoth:
		return "both core sites reachable"
	case StateOne:
		return "one core site reachable (hosting up, without its backup)"
	case StateNone:
		return "no core site reachable: no access to the hosting"
	case StateHostingOnly:
		return "hosting reachable; whether its backup was is not known"
	}
	return "no data"
}

func plainEnd(o Outage) string {
	switch {
	case o.Ongoing:
		return "still going on"
	case o.BeforeNoData:
		return o.End.UTC().Format("Mon 2 Jan 2006 15:04:05 UTC") + " (no data after)"
	}
	return o.End.UTC().Format("Mon 2 Jan 2006 15:04:05 UTC")
}

// plainCause names causes in words a member can read.
func plainCause(cs []Cause) string {
	if len(cs) == 0 {
		return "not identified"
	}
	out := ""
	for i, c := range cs {
		if i > 0 {
			out += "; "
		}
		switch c.Kind {
		case "duct":
			out += "damage to the duct " + c.Name + " (the underground conduit carrying the fibre cables)"
		case "cable":
			out += "cut or fault on the fibre cable " + c.Name
		case "site":
			out += "failure at the site " + c.Name + " (power or equipment)"
		case "link":
			out += "the connection " + c.Name + " went down"
		default:
			out += "alarm " + c.Name
		}
	}
	return out
}
