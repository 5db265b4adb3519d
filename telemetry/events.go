package telemetry

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"time"
)

// EventSink takes events from another package (the BGP speaker's monitor
// and hosting failover): a collector (IngestEvents), or a collector's HTTP
// API seen from another process (HTTPReader.PostEvents).
type EventSink interface {
	IngestEvents(ctx context.Context, evs []Event) error
}

// eventIngester is an engine that takes events (Engine.Ingest).
type eventIngester interface {
	Ingest(ev Event)
}

// IngestEvents hands events to the collector's engine, where they go
// through the rules' hysteresis and deduplication like its own alarms and
// land in the same alarm list. A collector whose engine another collector
// runs (shared Redis, engine lease held elsewhere) refuses them with
// ErrNotEngineHolder: the sender then tries the next collector.
func (c *Collector) IngestEvents(_ context.Context, evs []Event) error {
	c.flushMu.Lock()
	holding := c.holding
	c.flushMu.Unlock()
	if c.o.Leases != nil && !holding {
		return fmt.Errorf("events: %w", ErrNotEngineHolder)
	}
	ing, ok := c.currentEngine().(eventIngester)
	if !ok {
		return errors.New("events: this collector's engine takes no events")
	}
	for _, ev := range evs {
		ing.Ingest(ev)
	}
	return nil
}

// maxEventBody bounds POST /api/v1/events.
const maxEventBody = 4 << 20

func (a *api) events(w http.ResponseWriter, r *http.Request) {
	if err := a.mayWrite(r); err != nil {
		writeJSON(w, http.StatusForbidden, apiError{err.Error()})
		return
	}
	if a.o.Events == nil {
		writeJSON(w, http.StatusNotImplemented, apiError{"events: this API takes no events"})
		return
	}
	var evs []Event
	if err := json.NewDecoder(io.LimitReader(r.Body, maxEventBody)).Decode(&evs); err != nil {
		writeJSON(w, http.StatusBadRequest, apiError{"events: body must be a JSON array of events: " + err.Error()})
		return
	}
	for i, ev := range evs {
		if ev.Rule == "" || ev.Object == "" {
			writeJSON(w, http.StatusBadRequest, apiError{fmt.Sprintf("events[%d]: rule and object are required", i)})
			return
		}
	}
	if err := a.o.Events.IngestEvents(r.Context(), evs); err != nil {
		code := http.StatusInternalServerError
		if errors.Is(err, ErrNotEngineHolder) {
			code = http.StatusConflict
		}
		writeJSON(w, code, apiError{err.Error()})
		return
	}
	writeJSON(w, http.StatusOK, map[string]int{"accepted": len(evs)})
}

// IngestEvents posts events to the collector (POST /api/v1/events); a
// collector in standby answers 409, returned as ErrNotEngineHolder.
func (h *HTTPReader) IngestEvents(ctx context.Context, evs []Event) error {
	body, err := json.Marshal(evs)
	if err != nil {
		return fmt.Errorf("collector %s: events: %w", h.base, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.base+"/api/v1/events", bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("collector %s: %w", h.base, err)
	}
	req.Header.Set("Content-Type", "application/json")
	if h.token != "" {
		req.Header.Set("Authorization", "Bearer "+h.token)
	}
	resp, err := h.client.Do(req)
	if err != nil {
		return fmt.Errorf("collector %s: events: %w", h.base, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
	switch resp.StatusCode {
	case http.StatusOK:
		return nil
	case http.StatusConflict:
		return fmt.Errorf("collector %s: events: %w", h.base, ErrNotEngineHolder)
	}
	var e apiError
	if json.Unmarshal(b, &e) == nil && e.Error != "" {
		return fmt.Errorf("collector %s: events: %s", h.base, e.Error)
	}
	return fmt.Errorf("collector %s: events: %s", h.base, resp.Status)
}

// ForwarderOptions configure an EventForwarder; the zero value works.
type ForwarderOptions struct {
	// Resend is how often the conditions still active are sent again, so
	// that a collector restarted, or one taking the engine over, has them
	// (30 s).
	Resend time.Duration
	// Retry is the wait after no sink took a batch (1 s).
	Retry time.Duration
	// Queue bounds the events waiting (10,000): past it the oldest clears
	// and raises are dropped, the active conditions are still resent.
	Queue  int
	Logger *slog.Logger
}

// EventForwarder sends another process's events to the collectors: Send
// never blocks, Run delivers each batch to the first sink that takes it
// (the engine holder among collectors sharing Redis), retries while none
// does, and resends the active conditions every Resend.
type EventForwarder struct {
	sinks []EventSink
	o     ForwarderOptions

	mu      sync.Mutex
	queue   []Event
	active  map[string]Event
	wake    chan struct{}
	sent    uint64
	drops   uint64
	failing bool // the last batch found no sink: logged once until one takes
}

// NewEventForwarder returns a forwarder to sinks, tried in order.
func NewEventForwarder(sinks []EventSink, o ForwarderOptions) *EventForwarder {
	if o.Resend <= 0 {
		o.Resend = 30 * time.Second
	}
	if o.Retry <= 0 {
		o.Retry = time.Second
	}
	if o.Queue <= 0 {
		o.Queue = 10000
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return &EventForwarder{sinks: sinks, o: o, active: map[string]Event{}, wake: make(chan struct{}, 1)}
}

// Send queues ev for the collectors.
func (f *EventForwarder) Send(ev Event) {
	if ev.Time.IsZero() {
		ev.Time = time.Now()
	}
	id := AlarmID(ev.Source, ev.Rule, ev.ObjectKind, ev.Object)
	f.mu.Lock()
	if ev.Active {
		f.active[id] = ev
	} else {
		delete(f.active, id)
	}
	if len(f.queue) >= f.o.Queue {
		f.queue = f.queue[1:]
		f.drops++
	}
	f.queue = append(f.queue, ev)
	f.mu.Unlock()
	select {
	case f.wake <- struct{}{}:
	default:
	}
}

// Sent returns how many events were delivered and how many dropped.
func (f *EventForwarder) Sent() (sent, dropped uint64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.sent, f.drops
}

// Run delivers until ctx ends.
func (f *EventForwarder) Run(ctx context.Context) {
	resend := time.NewTicker(f.o.Resend)
	defer resend.Stop()
	var retry <-chan time.Time
	for {
		select {
		case <-ctx.Done():
			// A last try, bounded: the clears of a stopping speaker matter.
			fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
			f.flush(fctx)
			cancel()
			return
		case <-f.wake:
		case <-retry:
		case <-resend.C:
			f.mu.Lock()
			for _, ev := range f.active {
				f.queue = append(f.queue, ev)
			}
			f.mu.Unlock()
		}
		retry = nil
		if !f.flush(ctx) {
			retry = time.After(f.o.Retry)
		}
	}
}

// flush sends the queue to the first sink taking it; false when none did.
func (f *EventForwarder) flush(ctx context.Context) bool {
	f.mu.Lock()
	batch := f.queue
	f.queue = nil
	f.mu.Unlock()
	if len(batch) == 0 {
		return true
	}
	var errs []error
	for _, s := range f.sinks {
		sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		err := s.IngestEvents(sctx, batch)
		cancel()
		if err == nil {
			f.mu.Lock()
			f.sent += uint64(len(batch))
			was := f.failing
			f.failing = false
			f.mu.Unlock()
			if was {
				f.o.Logger.Info("events delivered again", "events", len(batch))
			}
			return true
		}
		errs = append(errs, err)
	}
	f.mu.Lock()
	if !f.failing {
		f.o.Logger.Warn("events not delivered to any collector; retrying every "+f.o.Retry.String(), "events", len(batch), "err", errors.Join(errs...))
	}
	f.failing = true
	f.queue = append(batch, f.queue...)
	if over := len(f.queue) - f.o.Queue; over > 0 {
		f.queue = f.queue[over:]
		f.drops += uint64(over)
	}
	f.mu.Unlock()
	return false
}
