package telemetry

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// engineSink feeds an engine as a collector holding it does; standby
// refuses as a collector whose engine another one holds.
type engineSink struct {
	mu      sync.Mutex
	e       *Engine
	standby bool
	calls   int
}

func (s *engineSink) IngestEvents(_ context.Context, evs []Event) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls++
	if s.standby {
		return fmt.Errorf("events: %w", ErrNotEngineHolder)
	}
	for _, ev := range evs {
		s.e.Ingest(ev)
	}
	return nil
}

func (s *engineSink) set(standby bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.standby = standby
}

// TestEventForwarderAPI: events sent through EventForwarder, over the
// HTTP API (POST /api/v1/events) of two collectors, land in the engine of
// the one holding it (the other answers 409); the active condition is
// resent so a new holder gets it; a clear clears it.
func TestEventForwarderAPI(t *testing.T) {
	n := manche(t)
	p := newPlant(n)
	a := &engineSink{e: newMancheEngine(t, testRules(), p), standby: true}
	b := &engineSink{e: newMancheEngine(t, testRules(), p)}
	srvA := httptest.NewServer(NewAPI(nil, APIOptions{Events: a}))
	defer srvA.Close()
	srvB := httptest.NewServer(NewAPI(nil, APIOptions{Events: b}))
	defer srvB.Close()
	f := NewEventForwarder([]EventSink{NewHTTPReader(srvA.URL), NewHTTPReader(srvB.URL)}, ForwarderOptions{Resend: 200 * time.Millisecond, Retry: 50 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); f.Run(ctx) }()
	defer func() { cancel(); <-done }()

	hijack := Event{Source: "bgp", Rule: "bgp-origin-hijack", Severity: SevCritical, ObjectKind: "prefix", Object: "198.51.100.128/25 AS64666",
		Active: true, Message: "hijack", Attrs: map[string]string{"prefix": "198.51.100.128/25", "expected_origin": "AS65000", "seen_origin": "AS64666", "peer": "127.0.0.2"}}
	f.Send(hijack)
	waitAlarm := func(s *engineSink, what string, state AlarmState) Alarm {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for {
			s.mu.Lock()
			s.e.Tick(p.now)
			as := s.e.Alarms()
			s.mu.Unlock()
			for _, al := range as {
				if al.Rule == "bgp-origin-hijack" && al.State == state {
					return al
				}
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: no %s hijack alarm in %+v", what, state, as)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	al := waitAlarm(b, "holder B", AlarmActive)
	if al.Source != "bgp" || al.Attrs["seen_origin"] != "AS64666" || al.Attrs["peer"] != "127.0.0.2" || al.Severity != SevCritical {
		t.Errorf("alarm at the holder %+v", al)
	}
	if as := a.e.Alarms(); len(as) != 0 {
		t.Errorf("the standby collector's engine took the event: %+v", as)
	}
	// A takes the engine over: the resend gives it the active condition.
	b.set(true)
	a.set(false)
	waitAlarm(a, "new holder A, by the resend", AlarmActive)
	hijack.Active = false
	f.Send(hijack)
	waitAlarm(a, "cleared at A", AlarmCleared)
	if sent, dropped := f.Sent(); sent == 0 || dropped != 0 {
		t.Errorf("sent %d, dropped %d", sent, dropped)
	}
}

// TestEventsAPIRefuses: bad bodies, missing fields, no sink, and a
// standby's 409 as ErrNotEngineHolder at the client.
func TestEventsAPIRefuses(t *testing.T) {
	standby := &engineSink{standby: true}
	for _, c := range []struct {
		name string
		opts APIOptions
		body []Event
		want string
	}{
		{"no sink", APIOptions{}, []Event{{Rule: "r", Object: "o"}}, "takes no events"},
		{"no rule", APIOptions{Events: standby}, []Event{{Object: "o"}}, "events[0]: rule and object are required"},
		{"standby", APIOptions{Events: standby}, []Event{{Rule: "r", Object: "o"}}, ErrNotEngineHolder.Error()},
	} {
		t.Run(c.name, func(t *testing.T) {
			srv := httptest.NewServer(NewAPI(nil, c.opts))
			defer srv.Close()
			err := NewHTTPReader(srv.URL).IngestEvents(context.Background(), c.body)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("IngestEvents = %v, want %q", err, c.want)
			}
			if c.name == "standby" && !errors.Is(err, ErrNotEngineHolder) {
				t.Errorf("IngestEvents = %v, want ErrNotEngineHolder", err)
			}
		})
	}
}
