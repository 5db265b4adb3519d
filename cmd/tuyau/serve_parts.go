package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"sync"
	"time"
)

// Part states, as /healthz shows them.
const (
	partPending  = "pending"
	partStarting = "starting"
	partRunning  = "running"
	partStopping = "stopping"
	partStopped  = "stopped"
	partFailed   = "failed"
)

// servePart is one part of "tuyau serve" and what /healthz says of it.
type servePart struct {
	name string
	log  *slog.Logger

	mu     sync.Mutex
	state  string
	since  time.Time
	addr   string
	err    error
	detail func(context.Context) string

	ready chan struct{}
	done  chan struct{}
}

func (p *servePart) set(state string, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.state, p.since = state, time.Now()
	if err != nil {
		p.err = err
	}
}

// setReady is what a part's run function calls once it serves.
func (p *servePart) setReady(addr string, detail func(context.Context) string) {
	p.mu.Lock()
	p.addr, p.detail = addr, detail
	p.mu.Unlock()
	p.set(partRunning, nil)
	close(p.ready)
}

// partHealth is one part in GET /healthz.
type partHealth struct {
	Name   string    `json:"name"`
	State  string    `json:"state"`
	Since  time.Time `json:"since"`
	Addr   string    `json:"addr,omitempty"`
	Detail string    `json:"detail,omitempty"`
	Error  string    `json:"error,omitempty"`
}

func (p *servePart) health(ctx context.Context) partHealth {
	p.mu.Lock()
	h := partHealth{Name: p.name, State: p.state, Since: p.since, Addr: p.addr}
	if p.err != nil {
		h.Error = p.err.Error()
	}
	detail := p.detail
	p.mu.Unlock()
	if detail != nil && h.State == partRunning {
		h.Detail = detail(ctx)
	}
	return h
}

// server runs the parts: started in order, each once the one before is
// ready; stopped in reverse order.
type server struct {
	parts        []*servePart
	log          *slog.Logger
	start, stop  time.Duration
	mu           sync.Mutex
	stoppingAll  bool
	startedParts []*servePart
}

func newServer(names []string, base *slog.Logger, start, stop time.Duration) *server {
	s := &server{log: base.With("part", "serve"), start: start, stop: stop}
	for _, n := range names {
		s.parts = append(s.parts, &servePart{name: n, log: base.With("part", n), state: partPending, since: time.Now(),
			ready: make(chan struct{}), done: make(chan struct{})})
	}
	return s
}

// run starts every part and returns when ctx ends (nil once all stopped
// cleanly) or when a part fails (its error, after stopping the others).
func (s *server) run(ctx context.Context, starts map[string]func(context.Context, *servePart) error) error {
	failed := make(chan *servePart, len(s.parts))
	cancels := map[string]context.CancelFunc{}
	var first error
	for _, p := range s.parts {
		// Each part's context ends when serve stops it, not with the
		// signal: the parts stop one after the other.
		pctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
		cancels[p.name] = cancel
		p.set(partStarting, nil)
		p.log.Info("starting")
		go func() {
			defer close(p.done)
			err := starts[p.name](pctx, p)
			s.mu.Lock()
			stopping := s.stoppingAll
			s.mu.Unlock()
			switch {
			case stopping && err == nil:
				p.set(partStopped, nil)
			case err == nil:
				err = errPartStopped
				fallthrough
			default:
				p.set(partFailed, err)
				failed <- p
			}
		}()
		s.startedParts = append(s.startedParts, p)
		timer := time.NewTimer(s.start)
		select {
		case <-p.ready:
			p.log.Info("ready")
		case <-p.done:
			first = fmt.Errorf("serve: %s did not start: %w", p.name, p.errOr())
		case fp := <-failed:
			if fp == p {
				first = fmt.Errorf("serve: %s did not start: %w", p.name, p.errOr())
			} else { // an earlier part
				first = fmt.Errorf("serve: %s %w", fp.name, fp.errOr())
			}
		case <-timer.C:
			first = fmt.Errorf("serve: %s not ready within --start-timeout %v", p.name, s.start)
			p.set(partFailed, errors.New("not ready in time"))
		case <-ctx.Done():
		}
		timer.Stop()
		if first != nil || ctx.Err() != nil {
			break
		}
	}
	if first == nil && ctx.Err() == nil {
		s.log.Info("all parts running", "parts", len(s.parts))
		select {
		case <-ctx.Done():
			s.log.Info("stopping: signal")
		case p := <-failed:
			first = fmt.Errorf("serve: %s %w", p.name, p.errOr())
			s.log.Error("a part failed: stopping the others", "failed", p.name, "err", p.errOr())
		}
	}
	s.mu.Lock()
	s.stoppingAll = true
	s.mu.Unlock()
	stopErr := s.stopAll(cancels)
	if first != nil {
		return errors.Join(first, stopErr)
	}
	return stopErr
}

func (p *servePart) errOr() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.err == nil {
		return errPartStopped
	}
	return p.err
}

// stopAll stops the started parts in reverse order, each within the stop
// timeout: the web before the speaker (nothing reads it any more), the
// speaker before the collector (its last alarms get in, the final flush
// carries them).
func (s *server) stopAll(cancels map[string]context.CancelFunc) error {
	var errs []error
	for _, p := range slices.Backward(s.startedParts) {
		select {
		case <-p.done:
			continue // failed already
		default:
		}
		p.set(partStopping, nil)
		p.log.Info("stopping")
		t0 := time.Now()
		cancels[p.name]()
		timer := time.NewTimer(s.stop)
		select {
		case <-p.done:
			p.log.Info("stopped", "took", time.Since(t0).Round(time.Millisecond))
			if h := p.health(context.Background()); h.State == partFailed {
				errs = append(errs, fmt.Errorf("serve: %s: %s", p.name, h.Error))
			}
		case <-timer.C:
			errs = append(errs, fmt.Errorf("serve: %s did not stop within --stop-timeout %v", p.name, s.stop))
		}
		timer.Stop()
	}
	for _, c := range cancels {
		c()
	}
	return errors.Join(errs...)
}

// serveHealth serves GET /healthz at addr: 200 and every part's state
// when all run, 503 otherwise (starting, stopping, failed).
func (s *server) serveHealth(addr string) (stop func(), bound string, err error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, "", fmt.Errorf("health %s: %w", addr, err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		type body struct {
			Status string       `json:"status"`
			Parts  []partHealth `json:"parts"`
		}
		b := body{Status: "ok"}
		for _, p := range s.parts {
			h := p.health(r.Context())
			if h.State != partRunning {
				b.Status = "unavailable"
			}
			b.Parts = append(b.Parts, h)
		}
		w.Header().Set("Content-Type", "application/json")
		if b.Status != "ok" {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
		_ = json.NewEncoder(w).Encode(b)
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	}, ln.Addr().String(), nil
}
