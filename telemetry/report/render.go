package report

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// Formats are the output formats Write knows.
var Formats = []string{"table", "csv", "json", "html"}

// Write renders r as table, csv, json or html.
func Write(w io.Writer, r Report, format string) error {
	switch format {
	case "table", "":
		return writeTable(w, r)
	case "csv":
		return writeCSV(w, r)
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	case "html":
		return writeHTML(w, r)
	}
	return fmt.Errorf("output %q: want one of %s", format, strings.Join(Formats, ", "))
}

func writeTable(w io.Writer, r Report) error {
	fmt.Fprintf(w, "Availability of %s, %s to %s (UTC); core sites %s and %s\n", r.Network,
		r.From.Format(time.RFC3339), r.To.Format(time.RFC3339), r.CoreA, r.CoreB)
	if len(r.NoData) > 0 {
		var total time.Duration
		for _, g := range r.NoData {
			total += g.Duration()
		}
		fmt.Fprintf(w, "No data (no collector watching) for %s in %d period(s): counted as unknown, not up or down\n",
			Human(total), len(r.NoData))
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SITE\tHOSTING\tBOTH CORES\tHOSTING LOST\tONE CORE LOST\tUNKNOWN\tOUTAGES")
	for _, m := range r.Members {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%d\n", m.Site, Pct(m.Hosting.Percent), Pct(m.BothCores.Percent),
			Human(m.Hosting.Down.D()), Human(m.BothCores.Down.D()-m.Hosting.Down.D()), Human(m.Hosting.Unknown.D()), len(m.Outages))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	var any bool
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, m := range r.Members {
		for _, o := range m.Outages {
			if !any {
				fmt.Fprintln(w, "\nOutages")
				fmt.Fprintln(tw, "SITE\tSTART\tEND\tDURATION\tLOST\tCAUSE")
				any = true
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", m.Site, o.Start.Format(time.RFC3339), endText(o),
				Human(o.Duration.D()), LostText(o), CauseText(o.Causes))
		}
	}
	return tw.Flush()
}

func endText(o Outage) string {
	switch {
	case o.Ongoing:
		return "ongoing"
	case o.BeforeNoData:
		return o.End.Format(time.RFC3339) + " (then no data)"
	}
	return o.End.Format(time.RFC3339)
}

// LostText says what an outage lost.
func LostText(o Outage) string {
	if o.HostingLost > 0 {
		if o.HostingLost == o.Duration {
			return "hosting"
		}
		return "hosting for " + Human(o.HostingLost.D())
	}
	return "core " + strings.Join(o.Lost, ", ")
}

// CauseText names the causes: "duct D (3 links)".
func CauseText(cs []Cause) string {
	if len(cs) == 0 {
		return "unknown"
	}
	var parts []string
	for _, c := range cs {
		s := c.Kind + " " + c.Name
		if c.Kind != "link" && len(c.Links) > 0 {
			s += fmt.Sprintf(" (%d link%s down)", len(c.Links), plural(len(c.Links)))
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, "; ")
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

func writeCSV(w io.Writer, r Report) error {
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"record", "site", "name", "hosting_pct", "both_cores_pct", "hosting_lost_s", "one_core_lost_s",
		"unknown_s", "outages", "start", "end", "duration_s", "lost", "cause"})
	sec := func(d time.Duration) string {
		return strconv.FormatFloat(d.Round(time.Millisecond).Seconds(), 'f', -1, 64)
	}
	pct := func(p *float64) string {
		if p == nil {
			return ""
		}
		return strconv.FormatFloat(*p, 'f', 4, 64)
	}
	for _, m := range r.Members {
		_ = cw.Write([]string{"member", m.Site, m.Name, pct(m.Hosting.Percent), pct(m.BothCores.Percent), sec(m.Hosting.Down.D()),
			sec(m.BothCores.Down.D() - m.Hosting.Down.D()), sec(m.Hosting.Unknown.D()), strconv.Itoa(len(m.Outages)), "", "", "", "", ""})
	}
	for _, m := range r.Members {
		for _, o := range m.Outages {
			end := o.End.Format(time.RFC3339)
			if o.Ongoing {
				end = ""
			}
			_ = cw.Write([]string{"outage", m.Site, m.Name, "", "", sec(o.HostingLost.D()), "", "", "", o.Start.Format(time.RFC3339),
				end, sec(o.Duration.D()), strings.Join(o.Lost, " "), CauseText(o.Causes)})
		}
	}
	for _, g := range r.NoData {
		_ = cw.Write([]string{"no_data", "", "", "", "", "", "", sec(g.Duration()), "", g.Start.Format(time.RFC3339), g.End.Format(time.RFC3339),
			sec(g.Duration()), "", ""})
	}
	cw.Flush()
	return cw.Error()
}

// Pct is a share for people: 99.95 %, "no data" when nothing is known.
func Pct(p *float64) string {
	if p == nil {
		return "no data"
	}
	switch {
	case *p >= 100:
		return "100 %"
	case *p >= 99.995:
		return "99.99 %" // never round a loss up to 100
	}
	return strconv.FormatFloat(*p, 'f', 2, 64) + " %"
}

// Human is a duration for people: 45 s, 12 min 5 s, 3 h 20 min, 2 d 4 h.
func Human(d time.Duration) string {
	if d <= 0 {
		return "0"
	}
	d = d.Round(time.Second)
	days, hours := d/(24*time.Hour), (d%(24*time.Hour))/time.Hour
	mins, secs := (d%time.Hour)/time.Minute, (d%time.Minute)/time.Second
	switch {
	case days > 0 && hours == 0:
		return fmt.Sprintf("%d d", days)
	case days > 0:
		return fmt.Sprintf("%d d %d h", days, hours)
	case hours > 0 && mins == 0:
		return fmt.Sprintf("%d h", hours)
	case hours > 0:
		return fmt.Sprintf("%d h %d min", hours, mins)
	case mins > 0 && secs == 0:
		return fmt.Sprintf("%d min", mins)
	case mins > 0:
		return fmt.Sprintf("%d min %d s", mins, secs)
	}
	if d < time.Second {
		return "<1 s"
	}
	return fmt.Sprintf("%d s", secs)
}
