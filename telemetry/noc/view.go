package noc

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"

	"github.com/tuyau-net/tuyau/telemetry"
)

// styles are the dashboard's colors; all empty without color, so that a
// no-color terminal and --once get plain text (the selected row is marked
// with ">" either way).
type styles struct {
	on                                    bool
	title, focus, sel, dim, bad, warn, ok lipgloss.Style
	sev                                   map[telemetry.Severity]lipgloss.Style
}

func newStyles(color bool) styles {
	s := styles{on: color}
	if !color {
		return s
	}
	s.title = lipgloss.NewStyle().Bold(true)
	s.focus = lipgloss.NewStyle().Bold(true).Foreground(lipgloss.Color("14"))
	s.sel = lipgloss.NewStyle().Reverse(true)
	s.dim = lipgloss.NewStyle().Faint(true)
	s.bad = lipgloss.NewStyle().Foreground(lipgloss.Color("9")).Bold(true)
	s.warn = lipgloss.NewStyle().Foreground(lipgloss.Color("11"))
	s.ok = lipgloss.NewStyle().Foreground(lipgloss.Color("10"))
	s.sev = map[telemetry.Severity]lipgloss.Style{
		telemetry.SevCritical: s.bad,
		telemetry.SevMajor:    lipgloss.NewStyle().Foreground(lipgloss.Color("208")).Bold(true),
		telemetry.SevMinor:    s.warn,
		telemetry.SevWarning:  lipgloss.NewStyle().Foreground(lipgloss.Color("12")),
	}
	return s
}

func (s styles) r(st lipgloss.Style, text string) string {
	if !s.on {
		return text
	}
	return st.Render(text)
}

// fit cuts or pads a line to exactly w cells.
func fit(line string, w int) string {
	if w <= 0 {
		return ""
	}
	if ansi.StringWidth(line) > w {
		line = ansi.Truncate(line, w, "…")
	}
	if n := ansi.StringWidth(line); n < w {
		line += strings.Repeat(" ", w-n)
	}
	return line
}

// View renders the frame: a header, the panes (or the link view, or the
// help) and a status line, every line exactly the terminal's width.
func (m Model) View() string {
	w, h := m.width, m.height
	if w <= 0 {
		w = 80
	}
	body := 0 // unbounded: --once
	if h > 0 {
		body = max(1, h-2)
	}
	var lines []string
	switch {
	case m.help:
		lines = m.helpLines()
	case m.detail != "":
		lines = m.detailLines(w)
	default:
		lines = m.paneLines(w, body)
	}
	if body > 0 {
		for len(lines) < body {
			lines = append(lines, "")
		}
		lines = lines[:body]
	}
	out := make([]string, 0, len(lines)+2)
	out = append(out, fit(m.header(), w))
	for _, l := range lines {
		out = append(out, fit(l, w))
	}
	out = append(out, fit(m.footer(), w))
	if h > 0 && len(out) > h { // a tiny terminal: the header first
		out = out[:h]
	}
	return strings.Join(out, "\n")
}

func (m Model) header() string {
	crit, active, unacked := 0, 0, 0
	for _, a := range m.snap.Alarms {
		if a.State != telemetry.AlarmActive {
			continue
		}
		active++
		if a.Severity == telemetry.SevCritical {
			crit++
		}
		if !a.Acked {
			unacked++
		}
	}
	down := 0
	for _, l := range m.snap.Links {
		if l.Oper == "down" {
			down++
		}
	}
	conn := 0
	for _, t := range m.snap.Targets {
		if t.Connected {
			conn++
		}
	}
	s := m.st.r(m.st.title, "noc")
	if !m.loaded {
		return s + "  reading the sink..."
	}
	alarms := fmt.Sprintf("%d alarms (%d crit, %d unacked)", active, crit, unacked)
	if crit > 0 {
		alarms = m.st.r(m.st.bad, alarms)
	}
	links := fmt.Sprintf("%d/%d links down", down, len(m.snap.Links))
	if down > 0 {
		links = m.st.r(m.st.bad, links)
	}
	return s + " " + m.snap.At.Format("15:04:05") + "  " + alarms + "  " + links + fmt.Sprintf("  %d/%d targets", conn, len(m.snap.Targets))
}

func (m Model) footer() string {
	switch {
	case m.editing:
		return "filter: " + m.filter + "_   (enter keep, esc clear)"
	case m.snap.Err != nil:
		return m.st.r(m.st.bad, m.snap.Err.Error())
	case m.status != "":
		return m.status
	}
	f := ""
	if m.filter != "" {
		f = "[filter " + m.filter + "] "
	}
	if m.detail != "" {
		return f + "esc back  q quit  ? help"
	}
	return f + "tab pane  ↑↓ row  space fold  enter open  / filter  a ack  ? help  q quit"
}

// paneLines lays the four panes out: stacked in one column below 150
// columns, two columns at 150 and more (alarms and targets left, links and
// BGP right). body is the rows available (0: as many as needed).
func (m Model) paneLines(w, body int) []string {
	blocks := [paneCount]func(width, rows int) []string{m.alarmPane, m.linkPane, m.targetPane, m.bgpPane}
	need := [paneCount]int{}
	for p := pane(0); p < paneCount; p++ {
		need[p] = 1 + max(1, m.rowCount(p))
	}
	if w < 150 {
		rows := share(need[:], body)
		var out []string
		for p := pane(0); p < paneCount; p++ {
			out = append(out, blocks[p](w, rows[p]-1)...)
		}
		return out
	}
	lw := (w - 1) / 2
	rw := w - 1 - lw
	left := share([]int{need[paneAlarms], need[paneTargets]}, body)
	right := share([]int{need[paneLinks], need[paneBGP]}, body)
	l := append(m.alarmPane(lw, left[0]-1), m.targetPane(lw, left[1]-1)...)
	r := append(m.linkPane(rw, right[0]-1), m.bgpPane(rw, right[1]-1)...)
	n := max(len(l), len(r))
	out := make([]string, n)
	for i := range n {
		a, b := "", ""
		if i < len(l) {
			a = l[i]
		}
		if i < len(r) {
			b = r[i]
		}
		out[i] = fit(a, lw) + "│" + fit(b, rw)
	}
	return out
}

// share splits body rows between panes that need need[i] rows each: every
// pane gets its title and a row, then rows go round-robin to the panes
// still wanting some, in order. body 0 gives each what it needs.
func share(need []int, body int) []int {
	got := make([]int, len(need))
	if body <= 0 {
		copy(got, need)
		return got
	}
	left := body
	for i := range got {
		got[i] = min(2, need[i])
		left -= got[i]
	}
	for left > 0 {
		gave := false
		for i := range got {
			if left > 0 && got[i] < need[i] {
				got[i]++
				left--
				gave = true
			}
		}
		if !gave {
			break
		}
	}
	// Too small a terminal for even a row each: titles only, from the top.
	for i := len(got) - 1; left < 0 && i >= 0; i-- {
		cut := min(got[i], -left)
		got[i] -= cut
		left += cut
	}
	return got
}

// window returns the [from, to) of n rows that fit in rows with cursor
// shown.
func window(n, cursor, rows int) (int, int) {
	if rows <= 0 {
		return 0, 0
	}
	from := 0
	if cursor >= rows {
		from = cursor - rows + 1
	}
	return from, min(n, from+rows)
}

// list renders a pane: its title (with the column heads) then the rows,
// the selected one marked when the pane has the focus. rows < 0 means the
// pane has no room at all; rows == 0 the title only.
func (m Model) list(p pane, head string, n, rows int, row func(i int) string, empty string) []string {
	if rows < 0 {
		return nil
	}
	title := fmt.Sprintf("%s %d", p, n)
	if m.focus == p {
		title = m.st.r(m.st.focus, "▶ "+title)
	} else {
		title = m.st.r(m.st.title, "  "+title)
	}
	out := []string{title + "  " + m.st.r(m.st.dim, head)}
	if rows == 0 {
		return out
	}
	if n == 0 {
		return append(out, "  "+m.st.r(m.st.dim, empty))
	}
	if rows < n && rows > 1 {
		rows-- // keep a line for "n more"
	}
	from, to := window(n, m.cursor[p], rows)
	for i := from; i < to; i++ {
		line := row(i)
		if m.focus == p && i == m.cursor[p] {
			line = m.st.r(m.st.sel, "> "+line)
		} else {
			line = "  " + line
		}
		out = append(out, line)
	}
	if more := n - to; to-from < n {
		note := fmt.Sprintf("  … %d more", more)
		if from > 0 {
			note = fmt.Sprintf("  … %d above, %d below", from, more)
		}
		out = append(out, m.st.r(m.st.dim, note))
	}
	return out
}

func (m Model) alarmPane(w, rows int) []string {
	items := m.alarmItems()
	now := m.o.Now()
	return m.list(paneAlarms, "SEV   AGE   ACK  RULE            OBJECT / MESSAGE", len(items), rows, func(i int) string {
		r := items[i]
		a := r.Alarm
		sev := fmt.Sprintf("%-5s", sevShort(a.Severity))
		if st, ok := m.st.sev[a.Severity]; ok {
			sev = m.st.r(st, sev)
		}
		ack := "   "
		if a.Acked {
			ack = "ack"
		}
		fold := ""
		switch {
		case r.Depth > 0:
			fold = "└ "
		case r.Children > 0 && r.Expanded:
			fold = fmt.Sprintf("[-%d] ", r.Children)
		case r.Children > 0:
			fold = fmt.Sprintf("[+%d] ", r.Children)
		}
		return fmt.Sprintf("%s %-5s %s  %-15s %s%s", sev, ageOf(now, a.Raised), ack, a.Rule, fold, alarmLine(a))
	}, "no active alarm")
}

func alarmLine(a telemetry.Alarm) string {
	if a.Message != "" {
		return a.Message
	}
	return a.ObjectKind + " " + a.Object
}

func sevShort(s telemetry.Severity) string {
	switch s {
	case telemetry.SevCritical:
		return "CRIT"
	case telemetry.SevMajor:
		return "MAJOR"
	case telemetry.SevMinor:
		return "MINOR"
	case telemetry.SevWarning:
		return "WARN"
	}
	return "INFO"
}

func (m Model) linkPane(w, rows int) []string {
	items := m.linkItems()
	return m.list(paneLinks, "OPER    MARGIN  UTIL  RX/EXP dBm     LINK", len(items), rows, func(i int) string {
		l := items[i]
		oper := fmt.Sprintf("%-7s", l.Oper)
		switch l.Oper {
		case "down":
			oper = m.st.r(m.st.bad, oper)
		case "up":
			oper = m.st.r(m.st.ok, oper)
		default:
			oper = m.st.r(m.st.warn, oper)
		}
		margin, rx := "     -", "-"
		if l.HasRx {
			margin = fmt.Sprintf("%6.1f", l.MarginDB)
			rx = fmt.Sprintf("%.1f/%.1f", l.MeasuredRxDBm, l.ExpectedRxDBm)
			if l.MarginDB < 3 {
				margin = m.st.r(m.st.warn, margin)
			}
		}
		return fmt.Sprintf("%s %s %4.0f%%  %-14s %s", oper, margin, 100*l.Utilization, rx, l.ID)
	}, "no link in the sink yet")
}

func (m Model) targetPane(w, rows int) []string {
	items := m.targetItems()
	now := m.o.Now()
	return m.list(paneTargets, "STATE LAST   UPD/S  RECONN GAPS  TARGET", len(items), rows, func(i int) string {
		t := items[i]
		state := "up   "
		if !t.Connected {
			state = m.st.r(m.st.bad, "DOWN ")
		}
		line := fmt.Sprintf("%s %-6s %6.1f %6d %5d  %s", state, ageOf(now, t.LastUpdate), t.UpdatesPerSec, t.Reconnects, t.Gaps, t.Name)
		if t.LastError != "" && !t.Connected {
			line += "  " + m.st.r(m.st.dim, t.LastError)
		}
		return line
	}, "no target in the sink yet")
}

func (m Model) bgpPane(w, rows int) []string {
	items := m.bgpItems()
	b := m.snap.BGP
	head := "SESSION / SERVICE   STATE / ACTIVE SITE"
	if !b.Running {
		head = "BGP speaker not running: no session state"
		if b.Note != "" {
			head += " (" + b.Note + ")"
		}
	}
	now := m.o.Now()
	return m.list(paneBGP, head, len(items), rows, func(i int) string {
		it := items[i]
		if s := it.session; s != nil {
			st := fmt.Sprintf("%-12s", s.State)
			if s.State != "ESTABLISHED" {
				st = m.st.r(m.st.bad, st)
			}
			return fmt.Sprintf("session %s %-4s %s %s AS%d", st, ageOf(now, s.Since), s.Device, s.Peer, s.PeerASN)
		}
		s := it.service
		active := s.ActiveSite
		switch {
		case !s.Known:
			active = "?"
		case active == "":
			active = m.st.r(m.st.bad, "NONE (withdrawn)")
		}
		line := fmt.Sprintf("service %-12s active %s", s.Name, active)
		if len(s.Sites) > 0 {
			line += "  (preference " + strings.Join(s.Sites, " > ") + ")"
		}
		return line
	}, "no session or service")
}

func (m Model) helpLines() []string {
	return []string{
		m.st.r(m.st.title, "Keys"),
		"  tab, →, l         next pane          shift+tab, ←, h  previous pane",
		"  1 2 3 4           alarms, links, targets, BGP",
		"  ↑ ↓ j k           previous / next row   pgup pgdown  g G  page, first, last",
		"  space             fold / unfold the selected root alarm   e  all",
		"  enter             open the link (a link, or a link alarm); fold other roots",
		"  /                 filter every pane (enter keep, esc clear)",
		"  a                 acknowledge the selected alarm",
		"  r                 read the sink now",
		"  esc               close the link view or this help, clear the filter",
		"  ?                 this help          q  quit",
		"",
		"Alarms: active only, most severe first, then newest; [+n] a root with n",
		"correlated children (a duct cut and the links in it). Links: down first,",
		"then least optical margin, then highest utilization.",
	}
}
