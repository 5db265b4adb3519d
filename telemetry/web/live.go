package web

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"reflect"
	"sync"
	"time"

	"github.com/tuyau-net/tuyau/telemetry"
	"github.com/tuyau-net/tuyau/telemetry/noc"
)

// stateDoc is what changes: GET /api/state and each "state" event.
type stateDoc struct {
	At  time.Time `json:"at"`
	Err string    `json:"error,omitempty"`
	// Alarms are the sink's, active first.
	Alarms []telemetry.Alarm `json:"alarms"`
	// Links: id -> [oper, utilization, Rx margin dB or null]; oper is
	// "up", "down" or "unknown".
	Links   map[string][3]any `json:"links"`
	Targets [2]int            `json:"targets"` // connected, total
	Hosting hostingDoc        `json:"hosting"`
}

// hostingDoc is the BGP side: each hosting service's active site and the
// speakers' sessions.
type hostingDoc struct {
	Running  bool          `json:"running"`
	Note     string        `json:"note,omitempty"`
	Services []noc.Service `json:"services"`
	Sessions [2]int        `json:"sessions"` // established, total
}

// update is one publication: the whole state, and what changed since
// the one before (Seq-1) for the streams that have that one.
type update struct {
	Seq   uint64
	Full  []byte
	Delta []byte // nil: send Full
}

// hub holds the latest state and hands it to the event streams.
type hub struct {
	mu   sync.Mutex
	last update
	subs map[chan update]struct{}
	wake chan struct{}
}

func newHub() *hub {
	return &hub{last: update{Full: []byte(`{"alarms":[],"links":{},"targets":[0,0]}`)}, subs: map[chan update]struct{}{}, wake: make(chan struct{}, 1)}
}

func (h *hub) latest() []byte {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.last.Full
}

func (h *hub) current() update {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.last
}

// poke reads the sink at once (after an acknowledgement).
func (h *hub) poke() {
	select {
	case h.wake <- struct{}{}:
	default:
	}
}

func (h *hub) publish(full, delta []byte) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.last = update{Seq: h.last.Seq + 1, Full: full, Delta: delta}
	for c := range h.subs {
		// A slow stream loses the update it has not taken yet and gets
		// this one, whole since it missed one: it always ends up current.
		select {
		case <-c:
		default:
		}
		c <- h.last
	}
}

func (h *hub) subscribe() (chan update, func()) {
	c := make(chan update, 1)
	h.mu.Lock()
	h.subs[c] = struct{}{}
	h.mu.Unlock()
	return c, func() {
		h.mu.Lock()
		delete(h.subs, c)
		h.mu.Unlock()
	}
}

// Run reads the sink every Interval (and whenever the Watcher says it
// changed) and publishes what changed, until ctx ends.
func (s *Server) Run(ctx context.Context) error {
	var changed <-chan struct{}
	if s.o.Watcher != nil {
		changed = s.o.Watcher.Watch(ctx)
	}
	hostDone := make(chan struct{})
	go func() { defer close(hostDone); s.watchHosting(ctx) }()
	defer func() { <-hostDone }()
	tick := time.NewTicker(s.o.Interval)
	defer tick.Stop()
	var prev *stateDoc
	var prevBody []byte
	for {
		doc := s.read(ctx)
		body, err := json.Marshal([]any{doc.Alarms, doc.Links, doc.Targets, doc.Err, doc.Hosting})
		if err != nil {
			return fmt.Errorf("web: encode state: %w", err)
		}
		// Publish on change only: the time alone changing is no news.
		if !bytes.Equal(body, prevBody) {
			full, err := json.Marshal(doc)
			if err != nil {
				return fmt.Errorf("web: encode state: %w", err)
			}
			var delta []byte
			if d, ok := diff(prev, &doc); ok {
				if delta, err = json.Marshal(d); err != nil {
					return fmt.Errorf("web: encode state: %w", err)
				}
			}
			if operChanged(prev, &doc) {
				s.bumpLinks()
			}
			s.hub.publish(full, delta)
			prev, prevBody = &doc, body
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		case <-s.hub.wake:
		case <-changed:
		}
	}
}

// deltaDoc is a "state" event carrying only the links that changed: on
// 10,000 sites the whole state is most of a megabyte, a change a few
// links. Alarms, targets and the error are always whole.
type deltaDoc struct {
	stateDoc
	Delta bool `json:"delta"`
}

// diff is the links of next that differ from prev; false when prev is
// none or a link went away (a delta cannot say so).
func diff(prev, next *stateDoc) (deltaDoc, bool) {
	if prev == nil {
		return deltaDoc{}, false
	}
	d := deltaDoc{stateDoc: *next, Delta: true}
	d.Links = map[string][3]any{}
	for id, v := range next.Links {
		if old, ok := prev.Links[id]; !ok || old != v {
			d.Links[id] = v
		}
	}
	for id := range prev.Links {
		if _, ok := next.Links[id]; !ok {
			return deltaDoc{}, false
		}
	}
	return d, true
}

// operChanged says a link came, went or changed oper state between prev
// and next: the state-change history has news.
func operChanged(prev, next *stateDoc) bool {
	if prev == nil || len(prev.Links) != len(next.Links) {
		return true
	}
	for id, v := range next.Links {
		if old, ok := prev.Links[id]; !ok || old[0] != v[0] {
			return true
		}
	}
	return false
}

func (s *Server) read(ctx context.Context) stateDoc {
	ctx, cancel := context.WithTimeout(ctx, s.o.Timeout)
	defer cancel()
	doc := stateDoc{At: time.Now().UTC(), Alarms: []telemetry.Alarm{}, Links: map[string][3]any{}}
	keep := func(what string, err error) {
		if err != nil && doc.Err == "" {
			doc.Err = "read " + what + ": " + err.Error()
		}
	}
	as, err := s.o.Source.Alarms(ctx)
	keep("alarms", err)
	for _, a := range as {
		if a.State == telemetry.AlarmActive || len(doc.Alarms) < 200 {
			doc.Alarms = append(doc.Alarms, a)
		}
	}
	ls, err := s.o.Source.Links(ctx)
	keep("links", err)
	for _, l := range ls {
		var margin any
		if l.HasRx {
			margin = round1(l.MarginDB)
		}
		oper := l.Oper
		if oper == "" {
			oper = "unknown"
		}
		doc.Links[l.ID] = [3]any{oper, math.Round(l.Utilization*1000) / 1000, margin}
	}
	ts, err := s.o.Source.Targets(ctx)
	keep("targets", err)
	for _, t := range ts {
		if t.Connected {
			doc.Targets[0]++
		}
	}
	doc.Targets[1] = len(ts)
	doc.Hosting = s.lastHosting()
	return doc
}

func round1(v float64) float64 { return math.Round(v*10) / 10 }

// events is the Server-Sent Events stream: the whole state at once, then
// each change, and a comment every 15 s so that proxies keep it open.
func (s *Server) events(w http.ResponseWriter, r *http.Request) {
	fl, ok := w.(http.Flusher)
	if !ok {
		writeJSON(w, http.StatusInternalServerError, apiError{"events: streaming not supported"})
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	c, done := s.hub.subscribe()
	defer done()
	send := func(b []byte) error {
		if _, err := fmt.Fprintf(w, "event: state\ndata: %s\n\n", b); err != nil {
			return err
		}
		fl.Flush()
		return nil
	}
	if _, err := fmt.Fprint(w, "retry: 2000\n\n"); err != nil {
		return
	}
	// The whole state first, then deltas while none is missed.
	cur := s.hub.current()
	if send(cur.Full) != nil {
		return
	}
	seq := cur.Seq
	keep := time.NewTicker(15 * time.Second)
	defer keep.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case u := <-c:
			if u.Seq <= seq {
				continue // already sent whole on connecting
			}
			b := u.Full
			if u.Delta != nil && u.Seq == seq+1 {
				b = u.Delta
			}
			if send(b) != nil {
				return
			}
			seq = u.Seq
		case <-keep.C:
			if _, err := fmt.Fprint(w, ": keep-alive\n\n"); err != nil {
				return
			}
			fl.Flush()
		}
	}
}

func contextTimeout(r *http.Request, d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(r.Context(), d)
}

// watchHosting asks the speakers every second, on its own: a speaker
// that is slow to answer never holds up the links and alarms.
func (s *Server) watchHosting(ctx context.Context) {
	for {
		rctx, cancel := context.WithTimeout(ctx, s.o.Timeout)
		h := s.hosting(rctx)
		cancel()
		s.hostMu.Lock()
		changed := !reflect.DeepEqual(h, s.host)
		s.host = h
		s.hostMu.Unlock()
		if changed {
			s.hub.poke()
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Second):
		}
	}
}

func (s *Server) lastHosting() hostingDoc {
	s.hostMu.Lock()
	defer s.hostMu.Unlock()
	return s.host
}

func (s *Server) hosting(ctx context.Context) hostingDoc {
	h := hostingDoc{Services: []noc.Service{}}
	if s.o.BGP == nil {
		for _, sv := range s.o.Inventory.Services {
			h.Services = append(h.Services, noc.Service{Name: sv.Name, Sites: sv.Sites})
		}
		h.Note = "no BGP speaker view"
		return h
	}
	b, err := s.o.BGP.BGP(ctx)
	h.Running, h.Note = b.Running, b.Note
	if err != nil && h.Note == "" {
		h.Note = err.Error()
	}
	if b.Services != nil {
		h.Services = b.Services
	}
	for _, ss := range b.Sessions {
		if ss.State == "ESTABLISHED" {
			h.Sessions[0]++
		}
	}
	h.Sessions[1] = len(b.Sessions)
	return h
}
