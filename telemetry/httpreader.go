package telemetry

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// HTTPReader reads a running collector through its HTTP API: the CLI and
// the NOC views use it as a Reader and an Acker.
type HTTPReader struct {
	base   string
	token  string
	client *http.Client
}

// HTTPOption configures an HTTPReader.
type HTTPOption func(*HTTPReader)

// WithToken sends the API token on writes (TUYAU_API_TOKEN).
func WithToken(tok string) HTTPOption { return func(h *HTTPReader) { h.token = tok } }

// WithHTTPClient replaces the default client (10 s timeout).
func WithHTTPClient(c *http.Client) HTTPOption { return func(h *HTTPReader) { h.client = c } }

// NewHTTPReader reads the collector at base (http://127.0.0.1:9378; a
// bare host:port means http).
func NewHTTPReader(base string, opts ...HTTPOption) *HTTPReader {
	if !strings.Contains(base, "://") {
		base = "http://" + base
	}
	h := &HTTPReader{base: strings.TrimRight(base, "/"), client: &http.Client{Timeout: 10 * time.Second}}
	for _, o := range opts {
		o(h)
	}
	return h
}

func (h *HTTPReader) get(ctx context.Context, path string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, h.base+path, nil)
	if err != nil {
		return fmt.Errorf("collector %s: %w", h.base, err)
	}
	return h.do(req, v)
}

func (h *HTTPReader) do(req *http.Request, v any) error {
	resp, err := h.client.Do(req)
	if err != nil {
		return fmt.Errorf("collector %s: %w", h.base, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 256<<20))
	if err != nil {
		return fmt.Errorf("collector %s: %s: %w", h.base, req.URL.Path, err)
	}
	if resp.StatusCode != http.StatusOK {
		var e apiError
		if json.Unmarshal(body, &e) == nil && e.Error != "" {
			return fmt.Errorf("collector %s: %s: %s", h.base, req.URL.Path, e.Error)
		}
		return fmt.Errorf("collector %s: %s: %s", h.base, req.URL.Path, resp.Status)
	}
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("collector %s: %s: %w", h.base, req.URL.Path, err)
	}
	return nil
}

// Targets implements Reader.
func (h *HTTPReader) Targets(ctx context.Context) ([]TargetHealth, error) {
	var v []TargetHealth
	return v, h.get(ctx, "/api/v1/targets", &v)
}

// Runtime reads the collector process's Go runtime figures.
func (h *HTTPReader) Runtime(ctx context.Context) (RuntimeStats, error) {
	var v RuntimeStats
	return v, h.get(ctx, "/api/v1/runtime", &v)
}

// Links implements Reader.
func (h *HTTPReader) Links(ctx context.Context) ([]LinkState, error) {
	var v []LinkState
	return v, h.get(ctx, "/api/v1/links", &v)
}

// Alarms implements Reader.
func (h *HTTPReader) Alarms(ctx context.Context) ([]Alarm, error) {
	var v []Alarm
	return v, h.get(ctx, "/api/v1/alarms", &v)
}

// Interfaces returns every interface's state.
func (h *HTTPReader) Interfaces(ctx context.Context) ([]InterfaceState, error) {
	var v []InterfaceState
	return v, h.get(ctx, "/api/v1/interfaces", &v)
}

// Link returns one link with its recent history.
func (h *HTTPReader) Link(ctx context.Context, id string) (LinkDetail, error) {
	var v LinkDetail
	return v, h.get(ctx, "/api/v1/links/"+url.PathEscape(id), &v)
}

// History is the state-change history the collector keeps in memory
// (since it started, within its bound), with its links' current states.
func (h *HTTPReader) History(ctx context.Context) (ChangeHistory, error) {
	var v ChangeHistory
	return v, h.get(ctx, "/api/v1/changes", &v)
}

// Ack implements Acker.
func (h *HTTPReader) Ack(ctx context.Context, id, by string) error {
	body, _ := json.Marshal(ackRequest{By: by})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.base+"/api/v1/alarms/"+url.PathEscape(id)+"/ack", bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("collector %s: %w", h.base, err)
	}
	req.Header.Set("Content-Type", "application/json")
	if h.token != "" {
		req.Header.Set("Authorization", "Bearer "+h.token)
	}
	var ok map[string]string
	return h.do(req, &ok)
}
