package topology

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
)

// The Render functions write the tables an engineer reads at a terminal;
// -o json prints the same values as JSON.

// RenderBudgets writes one line per link; flaggedOnly keeps the links
// that need attention.
func RenderBudgets(w io.Writer, bs []LinkBudget, flaggedOnly bool) error {
	tw := newTable(w, "LINK", "OPTIC", "KM", "LOSS dB", "RX dBm", "SENS dBm", "MARGIN dB", "STATUS", "NOTE")
	flagged := 0
	for _, b := range bs {
		if b.Status.Flagged() {
			flagged++
		}
		if flaggedOnly && !b.Status.Flagged() {
			continue
		}
		if b.Status == BudgetElectrical || b.Status == BudgetNoOptic || b.Status == BudgetDown || b.Status == BudgetUnknown {
			tw.row(b.Link, b.Optic, km(b.Km), "-", "-", "-", "-", string(b.Status), b.Note)
			continue
		}
		tw.row(b.Link, b.Optic, km(b.Km), dB(b.LossDB), dB(b.RxDBm), dB(b.SensitivityDBm), dB(b.MarginDB), string(b.Status), b.Note)
	}
	if err := tw.flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "\n%d links, %d below margin or flagged\n", len(bs), flagged)
	return err
}

// RenderCuts writes the failures ranked by impact, top first (0: all).
func RenderCuts(w io.Writer, t *Topology, fs []Failure, top int) error {
	fmt.Fprintf(w, "core A %s, core B %s\n\n", t.CoreA, t.CoreB)
	tw := newTable(w, "#", "FAILURE", "LOSE HOSTING", "LOSE A", "LOSE B", "LINKS DOWN", "MEMBER SITES CUT OFF")
	for i, f := range fs {
		if top > 0 && i >= top {
			break
		}
		tw.row(strconv.Itoa(i+1), string(f.Kind)+" "+f.Name, strconv.Itoa(len(f.LoseHosting)), strconv.Itoa(len(f.LoseCoreA)),
			strconv.Itoa(len(f.LoseCoreB)), strconv.Itoa(len(f.LinksDown)), firstFew(f.LoseHosting, 4))
	}
	if err := tw.flush(); err != nil {
		return err
	}
	shown := len(fs)
	if top > 0 && top < shown {
		shown = top
	}
	_, err := fmt.Fprintf(w, "\n%d failures cut member sites off; %d shown\n", len(fs), shown)
	return err
}

// RenderRisk writes members most exposed first, then the backbone's
// single points of failure.
func RenderRisk(w io.Writer, r Risk, top int) error {
	fmt.Fprintf(w, "core A %s, core B %s; paths are fiber-disjoint / SRLG-disjoint (SRLG: at least)\n\n", r.CoreA, r.CoreB)
	tw := newTable(w, "MEMBER", "UPLINKS", "PATHS TO A", "PATHS TO B", "SPOFS", "SINGLE FAILURES THAT CUT IT OFF")
	exposed := 0
	for i, m := range r.Members {
		if len(m.SPOFs) > 0 {
			exposed++
		}
		if top > 0 && i >= top {
			continue
		}
		up := strconv.Itoa(m.Uplinks)
		if len(m.Via) > 0 {
			up += " (via " + strings.Join(m.Via, ",") + ")"
		}
		cut := firstFew(m.SPOFs, 3)
		if m.Isolated {
			cut = "CUT OFF WITH EVERY LINK UP"
		}
		tw.row(m.Site, up, fmt.Sprintf("%d / %d", m.FiberPathsA, m.SRLGPathsA),
			fmt.Sprintf("%d / %d", m.FiberPathsB, m.SRLGPathsB), strconv.Itoa(len(m.SPOFs)), cut)
	}
	if err := tw.flush(); err != nil {
		return err
	}
	fmt.Fprintf(w, "\n%d of %d member sites have a single point of failure\n", exposed, len(r.Members))
	for _, s := range r.Isolated {
		fmt.Fprintf(w, "WARNING: %s reaches no core site even with every link up: %s\n", s.Site, s.Reason)
	}
	fmt.Fprintf(w, "backbone bridges (%d): %s\n", len(r.Bridges), orNone(r.Bridges))
	_, err := fmt.Fprintf(w, "backbone articulation sites (%d): %s\n", len(r.Articulations), orNone(r.Articulations))
	return err
}

// RenderPath writes each route hop by hop.
func RenderPath(w io.Writer, p PathResult) error {
	for i, r := range p.Routes {
		fmt.Fprintf(w, "route %d: %s -> %s, %d hops, %.1f km, %.1f dB of fiber loss\n", i+1, p.From, p.To, len(r.Hops), r.Km, r.LossDB)
		tw := newTable(w, "  FROM", "TO", "KM", "LOSS dB", "BUDGET", "CABLES", "SRLGS")
		for _, h := range r.Hops {
			tw.row("  "+h.From, h.To, km(h.Km), dB(h.LossDB), h.Status, strings.Join(h.Cables, ","), strings.Join(h.SRLGs, ","))
		}
		if err := tw.flush(); err != nil {
			return err
		}
	}
	if len(p.Routes) == 2 {
		if len(p.SharedCables)+len(p.SharedSRLGs) == 0 {
			fmt.Fprintln(w, "the two routes share no cable and no shared-risk group")
		} else {
			var shared []string
			for _, c := range p.SharedCables {
				shared = append(shared, "cable "+c)
			}
			for _, g := range p.SharedSRLGs {
				shared = append(shared, "srlg "+g)
			}
			fmt.Fprintf(w, "WARNING: both routes run through %s: one failure there breaks both\n", strings.Join(shared, ", "))
		}
	}
	return nil
}

type table struct {
	tw *tabwriter.Writer
}

func newTable(w io.Writer, header ...string) *table {
	t := &table{tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)}
	t.row(header...)
	return t
}

func (t *table) row(cells ...string) { fmt.Fprintln(t.tw, strings.Join(cells, "\t")) }
func (t *table) flush() error        { return t.tw.Flush() }

func km(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) }
func dB(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) }

func firstFew(s []string, n int) string {
	if len(s) <= n {
		return strings.Join(s, ", ")
	}
	return strings.Join(s[:n], ", ") + fmt.Sprintf(" (+%d)", len(s)-n)
}

func orNone(s []string) string {
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, ", ")
}
