package web

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"sync"
	"time"

	"github.com/tuyau-net/tuyau/telemetry"
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
}

// hub holds the latest state and hands it to the event streams.
type hub struct {
	mu   sync.Mutex
	last []byte
	subs map[chan []byte]struct{}
	wake chan struct{}
}

func newHub() *hub {
	return &hub{last: []byte(`{"alarms":[],"links":{},"targets":[0,0]}`), subs: map[chan []byte]struct{}{}, wake: make(chan struct{}, 1)}
}

func (h *hub) latest() []byte {
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

func (h *hub) publish(b []byte) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.last = b
	for c := range h.subs {
		select {
		case c <- b:
		default: // a slow client gets the next one; it always ends up current
		}
	}
}

func (h *hub) subscribe() (chan []byte, func()) {
	c := make(chan []byte, 1)
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
	tick := time.NewTicker(s.o.Interval)
	defer tick.Stop()
	var prev []byte
	for {
		doc := s.read(ctx)
		body, err := json.Marshal(doc.Alarms)
		if err == nil {
			var lb []byte
			lb, err = json.Marshal([]any{doc.Links, doc.Targets, doc.Err})
			body = append(body, lb...)
		}
		if err != nil {
			return fmt.Errorf("web: encode state: %w", err)
		}
		// Publish on change only: the time alone changing is no news.
		if !bytes.Equal(body, prev) {
			prev = body
			b, err := json.Marshal(doc)
			if err != nil {
				return fmt.Errorf("web: encode state: %w", err)
			}
			s.hub.publish(b)
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
	if send(s.hub.latest()) != nil {
		return
	}
	keep := time.NewTicker(15 * time.Second)
	defer keep.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case b := <-c:
			if send(b) != nil {
				return
			}
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
