package noc

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/tuyau-net/tuyau/inventory"
	"github.com/tuyau-net/tuyau/telemetry"
)

// pane is one of the dashboard's four lists.
type pane int

const (
	paneAlarms pane = iota
	paneLinks
	paneTargets
	paneBGP
	paneCount
)

func (p pane) String() string {
	return [...]string{"Alarms", "Links", "Targets", "BGP & hosting"}[p]
}

// Model is the dashboard's state: a bubbletea model. Its zero value is not
// usable; New makes one.
type Model struct {
	ctx context.Context
	o   Options
	inv invIndex
	st  styles

	snap    Snapshot
	loaded  bool
	gen     int // the poll chain's generation: only its tick is honoured
	reading bool

	width, height int
	focus         pane
	cursor        [paneCount]int
	expanded      map[string]bool
	filter        string
	editing       bool
	help          bool
	detail        string                // link id of the open link view, "" for none
	served        []telemetry.LinkPoint // the sink's history of the open link
	status        string
	hist          map[string][]telemetry.LinkPoint
}

// New returns the dashboard reading o.Source until ctx ends.
func New(ctx context.Context, o Options) Model {
	o.defaults()
	return Model{ctx: ctx, o: o, inv: indexInventory(o.Inventory), st: newStyles(o.Color),
		width: o.Width, height: o.Height, expanded: map[string]bool{}, hist: map[string][]telemetry.LinkPoint{}}
}

// Messages.
type (
	snapshotMsg Snapshot
	tickMsg     int // generation
	ackMsg      struct {
		id  string
		err error
	}
	detailMsg struct {
		id     string
		points []telemetry.LinkPoint
		err    error
	}
)

// Init starts the first read and, when the sink publishes changes, the
// watch.
func (m Model) Init() tea.Cmd {
	cmds := []tea.Cmd{m.read()}
	if w, ok := m.o.Source.(Watcher); ok {
		ch := w.Watch(m.ctx)
		cmds = append(cmds, waitChange(ch))
	}
	return tea.Batch(cmds...)
}

func (m Model) read() tea.Cmd {
	ctx, o := m.ctx, m.o
	return func() tea.Msg { return snapshotMsg(Read(ctx, o)) }
}

// waitChange turns one notification of ch into a message; Update asks for
// the next.
func waitChange(ch <-chan struct{}) tea.Cmd {
	return func() tea.Msg {
		if _, ok := <-ch; !ok {
			return nil
		}
		return changedWith{ch}
	}
}

type changedWith struct{ ch <-chan struct{} }

// Update handles one message.
func (m Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
	case snapshotMsg:
		m.apply(Snapshot(msg))
		m.reading = false
		m.gen++
		gen := m.gen
		return m, tea.Tick(m.o.Interval, func(time.Time) tea.Msg { return tickMsg(gen) })
	case tickMsg:
		if int(msg) == m.gen && !m.reading {
			m.reading = true
			return m, m.read()
		}
	case changedWith:
		cmd := waitChange(msg.ch)
		if !m.reading {
			m.reading = true
			return m, tea.Batch(cmd, m.read())
		}
		return m, cmd
	case ackMsg:
		if msg.err != nil {
			m.status = "ack failed: " + msg.err.Error()
		} else {
			m.status = "alarm " + msg.id + " acknowledged by " + m.o.User
		}
		if !m.reading {
			m.reading = true
			return m, m.read()
		}
	case detailMsg:
		if msg.id == m.detail {
			m.served = msg.points
			if msg.err != nil {
				m.status = "history: " + msg.err.Error()
			}
		}
	case tea.KeyMsg:
		return m.key(msg)
	}
	return m, nil
}

// apply takes a new read: the polled history of every link grows by a
// point when the link changed since its last one.
func (m *Model) apply(s Snapshot) {
	m.snap, m.loaded = s, true
	for _, l := range s.Links {
		if l.Updated.IsZero() {
			continue
		}
		h := m.hist[l.ID]
		p := pointOf(l)
		if n := len(h); n > 0 && !h[n-1].Time.Before(p.Time) {
			continue
		}
		h = append(h, p)
		if len(h) > m.o.HistoryLen {
			h = h[len(h)-m.o.HistoryLen:]
		}
		m.hist[l.ID] = h
	}
	m.clamp()
}

func pointOf(l telemetry.LinkState) telemetry.LinkPoint {
	p := telemetry.LinkPoint{Time: l.Updated, Oper: l.Oper, InBps: l.A.InBps, OutBps: l.A.OutBps, Utilization: l.Utilization}
	if l.HasRx {
		p.MeasuredRxDBm, p.MarginDB, p.DriftDB = l.MeasuredRxDBm, l.MarginDB, l.DriftDB
	}
	return p
}

// clamp keeps every cursor on a row.
func (m *Model) clamp() {
	for p := pane(0); p < paneCount; p++ {
		n := m.rowCount(p)
		if m.cursor[p] >= n {
			m.cursor[p] = n - 1
		}
		if m.cursor[p] < 0 {
			m.cursor[p] = 0
		}
	}
}

func (m Model) key(k tea.KeyMsg) (tea.Model, tea.Cmd) {
	m.status = "" // said once; the next key clears it
	if m.editing {
		switch k.Type {
		case tea.KeyEnter:
			m.editing = false
		case tea.KeyEsc:
			m.editing, m.filter = false, ""
		case tea.KeyBackspace:
			if r := []rune(m.filter); len(r) > 0 {
				m.filter = string(r[:len(r)-1])
			}
		case tea.KeyCtrlC:
			return m, tea.Quit
		case tea.KeyRunes, tea.KeySpace:
			m.filter += string(k.Runes)
			if k.Type == tea.KeySpace {
				m.filter += " "
			}
		}
		m.cursor = [paneCount]int{}
		m.clamp()
		return m, nil
	}
	switch k.String() {
	case "q", "ctrl+c":
		return m, tea.Quit
	case "?":
		m.help = !m.help
		return m, nil
	case "esc":
		switch {
		case m.help:
			m.help = false
		case m.detail != "":
			m.detail, m.served = "", nil
		default:
			m.filter = ""
			m.clamp()
		}
		return m, nil
	}
	if m.help {
		return m, nil
	}
	if m.detail != "" {
		if k.String() == "backspace" || k.String() == "left" || k.String() == "h" {
			m.detail, m.served = "", nil
		}
		return m, nil
	}
	switch k.String() {
	case "tab", "right", "l":
		m.focus = (m.focus + 1) % paneCount
	case "shift+tab", "left", "h":
		m.focus = (m.focus + paneCount - 1) % paneCount
	case "up", "k":
		m.cursor[m.focus]--
	case "down", "j":
		m.cursor[m.focus]++
	case "pgup":
		m.cursor[m.focus] -= 10
	case "pgdown":
		m.cursor[m.focus] += 10
	case "home", "g":
		m.cursor[m.focus] = 0
	case "end", "G":
		m.cursor[m.focus] = m.rowCount(m.focus) - 1
	case "1", "2", "3", "4":
		m.focus = pane(k.Runes[0] - '1')
	case "/":
		m.editing = true
	case "r":
		if !m.reading {
			m.reading = true
			return m, m.read()
		}
	case " ":
		m.toggle()
	case "e":
		m.expandAll()
	case "a":
		return m.ack()
	case "enter":
		return m.open()
	}
	m.clamp()
	return m, nil
}

// toggle folds or unfolds the selected root alarm (or the root of the
// selected child).
func (m *Model) toggle() {
	if m.focus != paneAlarms {
		return
	}
	rows := m.alarmItems()
	if len(rows) == 0 {
		return
	}
	r := rows[m.cursor[paneAlarms]]
	id := r.Alarm.ID
	if r.Depth > 0 {
		id = r.Alarm.Parent
	} else if r.Children == 0 {
		return
	}
	m.expanded[id] = !m.expanded[id]
	// Keep the cursor on the root when folding from a child.
	for i, row := range m.alarmItems() {
		if row.Alarm.ID == id {
			m.cursor[paneAlarms] = i
		}
	}
}

// expandAll unfolds every root, or folds them all when all are unfolded.
func (m *Model) expandAll() {
	rows := alarmRows(m.snap.Alarms, nil)
	all := true
	for _, r := range rows {
		if r.Children > 0 && !m.expanded[r.Alarm.ID] {
			all = false
		}
	}
	for _, r := range rows {
		if r.Children > 0 {
			m.expanded[r.Alarm.ID] = !all
		}
	}
}

func (m Model) ack() (tea.Model, tea.Cmd) {
	rows := m.alarmItems()
	if m.focus != paneAlarms || len(rows) == 0 {
		m.status = "select an alarm to acknowledge (tab to the alarm pane)"
		return m, nil
	}
	if m.o.Acker == nil {
		m.status = "acknowledgements are not available from this source"
		return m, nil
	}
	a := rows[m.cursor[paneAlarms]].Alarm
	ctx, acker, by, timeout := m.ctx, m.o.Acker, m.o.User, m.o.Timeout
	m.status = "acknowledging " + a.ID + "..."
	return m, func() tea.Msg {
		ctx, cancel := context.WithTimeout(ctx, timeout)
		defer cancel()
		return ackMsg{id: a.ID, err: acker.Ack(ctx, a.ID, by)}
	}
}

// open opens the link view of the selected link, or of the selected
// alarm's link; on a root alarm about something else it unfolds it.
func (m Model) open() (tea.Model, tea.Cmd) {
	id := ""
	switch m.focus {
	case paneLinks:
		if ls := m.linkItems(); len(ls) > 0 {
			id = ls[m.cursor[paneLinks]].ID
		}
	case paneAlarms:
		rows := m.alarmItems()
		if len(rows) == 0 {
			return m, nil
		}
		a := rows[m.cursor[paneAlarms]].Alarm
		if a.ObjectKind != "link" {
			m.toggle()
			return m, nil
		}
		id = a.Object
	}
	if id == "" {
		return m, nil
	}
	m.detail, m.served = id, nil
	d, ok := m.o.Source.(LinkDetailer)
	if !ok {
		return m, nil
	}
	ctx, timeout := m.ctx, m.o.Timeout
	return m, func() tea.Msg {
		ctx, cancel := context.WithTimeout(ctx, timeout)
		defer cancel()
		ld, err := d.Link(ctx, id)
		return detailMsg{id: id, points: ld.History, err: err}
	}
}

// The panes' rows, filtered.

func (m Model) alarmItems() []alarmRow {
	if m.filter == "" {
		return alarmRows(m.snap.Alarms, m.expanded)
	}
	all := map[string]bool{}
	for _, a := range m.snap.Alarms {
		all[a.ID] = true
	}
	var out []alarmRow
	for _, r := range alarmRows(m.snap.Alarms, all) {
		if m.match(alarmText(r.Alarm)) {
			out = append(out, r)
		}
	}
	return out
}

func (m Model) linkItems() []telemetry.LinkState {
	var out []telemetry.LinkState
	for _, l := range worstLinks(m.snap.Links) {
		if m.match(l.ID, l.Oper, l.A.Site, l.B.Site, strings.Join(l.Cables, " "), strings.Join(l.Ducts, " ")) {
			out = append(out, l)
		}
	}
	return out
}

func (m Model) targetItems() []telemetry.TargetHealth {
	var out []telemetry.TargetHealth
	for _, t := range sickTargets(m.snap.Targets) {
		if m.match(t.Name, t.Address, t.LastError) {
			out = append(out, t)
		}
	}
	return out
}

// bgpItem is a row of the BGP pane: a session or a service.
type bgpItem struct {
	session *Session
	service *Service
}

func (m Model) bgpItems() []bgpItem {
	var out []bgpItem
	b := m.snap.BGP
	for i := range b.Sessions {
		s := &b.Sessions[i]
		if m.match(s.Device, s.Peer, s.State) {
			out = append(out, bgpItem{session: s})
		}
	}
	for i := range b.Services {
		s := &b.Services[i]
		if m.match(s.Name, s.ActiveSite, strings.Join(s.Sites, " ")) {
			out = append(out, bgpItem{service: s})
		}
	}
	return out
}

func (m Model) rowCount(p pane) int {
	switch p {
	case paneAlarms:
		return len(m.alarmItems())
	case paneLinks:
		return len(m.linkItems())
	case paneTargets:
		return len(m.targetItems())
	}
	return len(m.bgpItems())
}

func alarmText(a telemetry.Alarm) string {
	return strings.Join([]string{a.ID, a.Rule, string(a.Severity), a.ObjectKind, a.Object, a.Message,
		strings.Join(a.Cables, " "), strings.Join(a.Ducts, " "), strings.Join(a.Sites, " ")}, " ")
}

// match says whether any of the fields holds the filter (case-insensitive).
func (m Model) match(fields ...string) bool {
	if m.filter == "" {
		return true
	}
	f := strings.ToLower(m.filter)
	for _, s := range fields {
		if strings.Contains(strings.ToLower(s), f) {
			return true
		}
	}
	return false
}

// invIndex finds the inventory's objects the link view names.
type invIndex struct {
	cables map[string]*inventory.Cable
	sites  map[string]*inventory.Site
	ducts  map[string][]string // duct -> cable labels
}

func indexInventory(s *inventory.Snapshot) invIndex {
	ix := invIndex{cables: map[string]*inventory.Cable{}, sites: map[string]*inventory.Site{}, ducts: map[string][]string{}}
	if s == nil {
		return ix
	}
	for i := range s.Cables {
		c := &s.Cables[i]
		ix.cables[c.Label] = c
		for _, d := range c.SRLGs {
			ix.ducts[d] = append(ix.ducts[d], c.Label)
		}
	}
	for i := range s.Sites {
		ix.sites[s.Sites[i].Slug] = &s.Sites[i]
	}
	return ix
}

// errNoSource is Once's answer without a source.
var errNoSource = errors.New("noc: no source: give a collector URL or a Redis URL")

func ageOf(now, t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	d := now.Sub(t)
	switch {
	case d < 0:
		return "0s"
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh", int(d.Hours()))
	}
	return fmt.Sprintf("%dd", int(d.Hours()/24))
}
