package web

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/tuyau-net/tuyau/telemetry"
	"github.com/tuyau-net/tuyau/telemetry/report"
)

// availWindows are the windows a member site page offers: the night's
// events, and the month the members are reported on.
var availWindows = map[string]time.Duration{"24h": 24 * time.Hour, "30d": 30 * 24 * time.Hour}

// How long a computed report is served. The replay covers every member
// site at once (on the 10,000-site network it is the costly part), so it
// is never redone per page refresh or per state event: only when a link
// changed state since (the history then has something new), at most once
// per availFresh, and at least once per availMaxAge (the window slides and
// an ongoing outage grows).
const (
	availFresh  = time.Second
	availMaxAge = 30 * time.Second
)

// AlarmsByIDer resolves root alarm ids, cleared ones included (the Redis
// reader does): the causes of old outages. Without it the causes are
// named from the source's alarms.
type AlarmsByIDer interface {
	AlarmsByID(ctx context.Context, ids []string) ([]telemetry.Alarm, error)
}

// availDoc is GET /api/sites/{slug}/availability?window=24h|30d: the
// member site's share of the window with the hosting reachable (at least
// one core site) and with both, its unknown time, and its outages with
// their causes, as telemetry/report computes them from the state-change
// history.
type availDoc struct {
	Window    string        `json:"window"`
	From      time.Time     `json:"from"`
	To        time.Time     `json:"to"`
	Generated time.Time     `json:"generated"`
	Source    string        `json:"source"`
	Hosting   report.Share  `json:"hosting"`
	BothCores report.Share  `json:"both_cores"`
	Unknown   string        `json:"unknown"` // the unknown time, for people
	Outages   []availOutage `json:"outages"`
	Note      string        `json:"note,omitempty"`
	Err       string        `json:"error,omitempty"`
}

type availOutage struct {
	report.Outage
	EndText  string `json:"end_text"`
	Lasted   string `json:"lasted"`
	LostText string `json:"lost_text"`
	Cause    string `json:"cause"`
}

type availEntry struct {
	gen uint64
	at  time.Time
	rep report.Report
	err error
}

// availCache holds one report per window; mu also makes concurrent pages
// wait for one computation instead of each running its own.
type availCache struct {
	mu      sync.Mutex
	entries map[string]availEntry
}

// bumpLinks notes that a link changed state: the cached reports are stale.
func (s *Server) bumpLinks() { s.linkGen.Add(1) }

func (s *Server) availability(w http.ResponseWriter, r *http.Request) {
	slug := r.PathValue("slug")
	win := r.URL.Query().Get("window")
	if win == "" {
		win = "24h"
	}
	span, ok := availWindows[win]
	if !ok {
		writeJSON(w, http.StatusBadRequest, apiError{"availability: window " + win + ": want 24h or 30d"})
		return
	}
	if _, ok := s.topo.Site(slug); !ok {
		writeJSON(w, http.StatusNotFound, apiError{"site " + slug + ": not in the inventory"})
		return
	}
	if s.o.History == nil {
		writeJSON(w, http.StatusOK, availDoc{Window: win, Outages: []availOutage{}, Err: "this source keeps no state-change history"})
		return
	}
	ctx, cancel := contextTimeout(r, s.o.Timeout)
	defer cancel()
	rep, err := s.report(ctx, win, span)
	doc := availDoc{Window: win, From: rep.From, To: rep.To, Generated: rep.Generated, Source: rep.Source, Outages: []availOutage{}}
	if err != nil {
		doc.Err = err.Error()
		writeJSON(w, http.StatusOK, doc)
		return
	}
	i := slices.IndexFunc(rep.Members, func(m report.Member) bool { return m.Site == slug })
	if i < 0 {
		doc.Err = "site " + slug + ": not a member site: no availability of the hosting to report"
		writeJSON(w, http.StatusOK, doc)
		return
	}
	m := rep.Members[i]
	doc.Hosting, doc.BothCores, doc.Note = m.Hosting, m.BothCores, m.Note
	doc.Unknown = report.Human(m.Hosting.Unknown.D())
	// Newest first: the page is read for what just happened.
	for _, o := range slices.Backward(m.Outages) {
		end := o.End.UTC().Format(time.RFC3339)
		switch {
		case o.Ongoing:
			end = "ongoing"
		case o.BeforeNoData:
			end += " (then no data)"
		}
		doc.Outages = append(doc.Outages, availOutage{Outage: o, EndText: end, Lasted: report.Human(o.Duration.D()),
			LostText: report.LostText(o), Cause: report.CauseText(o.Causes)})
	}
	writeJSON(w, http.StatusOK, doc)
}

// report is the availability of every member site over the last span,
// from the cache when it is current.
func (s *Server) report(ctx context.Context, win string, span time.Duration) (report.Report, error) {
	c := &s.avail
	c.mu.Lock()
	defer c.mu.Unlock()
	gen, now := s.linkGen.Load(), time.Now()
	if e, ok := c.entries[win]; ok {
		age := now.Sub(e.at)
		// A failed read is tried again after availFresh, not kept.
		if age < availFresh || e.err == nil && age < availMaxAge && e.gen == gen {
			return e.rep, e.err
		}
	}
	rep, err := s.compute(ctx, now, span)
	if c.entries == nil {
		c.entries = map[string]availEntry{}
	}
	c.entries[win] = availEntry{gen: gen, at: now, rep: rep, err: err}
	return rep, err
}

func (s *Server) compute(ctx context.Context, now time.Time, span time.Duration) (report.Report, error) {
	h, err := s.o.History.History(ctx)
	if err != nil {
		return report.Report{}, fmt.Errorf("availability: read the state-change history: %w", err)
	}
	ids := report.CauseIDs(h)
	var alarms []telemetry.Alarm
	if by, ok := s.o.History.(AlarmsByIDer); ok {
		alarms, err = by.AlarmsByID(ctx, ids)
	} else {
		alarms, err = s.o.Source.Alarms(ctx)
	}
	if err != nil {
		// The causes are then named by their alarm ids: still an answer.
		alarms = nil
	}
	alarms = slices.DeleteFunc(alarms, func(a telemetry.Alarm) bool { return !slices.Contains(ids, a.ID) })
	return report.Availability(s.topo, h, report.Options{From: now.Add(-span), To: now, Alarms: alarms,
		Source: s.o.HistoryName, Now: func() time.Time { return now }})
}
