package netbox

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	gonetbox "github.com/netbox-community/go-netbox/v4"
)

// APIError is a NetBox answer other than success. Callers branch on Status
// (403: bad token, 400: validation, 404: gone).
type APIError struct {
	Method string
	URL    string
	Status int
	// Detail is NetBox's message: the "detail" field, or the validation errors.
	Detail string
}

func (e *APIError) Error() string {
	msg := fmt.Sprintf("netbox: %s %s: %d %s", e.Method, e.URL, e.Status, http.StatusText(e.Status))
	if e.Detail != "" {
		msg += ": " + e.Detail
	}
	if e.Status == http.StatusForbidden || e.Status == http.StatusUnauthorized {
		msg += " (check the token in NETBOX_TOKEN and its permissions)"
	}
	return msg
}

// Option configures a Store.
type Option func(*Store) error

// WithToken sets the API token. It is sent in the Authorization header and
// never logged or put in errors.
func WithToken(token string) Option {
	return func(s *Store) error { s.c.token = strings.TrimSpace(token); return nil }
}

// WithCAFile trusts the PEM certificates in path as well as the system ones,
// for a NetBox behind an internal CA. TLS is always verified.
func WithCAFile(path string) Option {
	return func(s *Store) error {
		pem, err := os.ReadFile(path)
		if err != nil {
			return fmt.Errorf("netbox CA file: %w", err)
		}
		pool, err := x509.SystemCertPool()
		if err != nil || pool == nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(pem) {
			return fmt.Errorf("netbox CA file %s: no PEM certificate found", path)
		}
		s.tlsConfig().RootCAs = pool
		return nil
	}
}

// WithHTTPClient replaces the HTTP client (its TLS settings included).
func WithHTTPClient(hc *http.Client) Option {
	return func(s *Store) error { s.c.hc = hc; return nil }
}

// WithLogger sets where retries and progress are logged.
func WithLogger(l *slog.Logger) Option {
	return func(s *Store) error {
		if l != nil {
			s.c.log = l
		}
		return nil
	}
}

// WithConcurrency bounds the requests in flight during a load (default 8).
func WithConcurrency(n int) Option {
	return func(s *Store) error {
		if n < 1 {
			return fmt.Errorf("netbox concurrency %d: want at least 1", n)
		}
		s.c.concurrency = n
		return nil
	}
}

// WithPageSize sets the page size asked for (default 1000, NetBox's MAX_PAGE_SIZE).
func WithPageSize(n int) Option {
	return func(s *Store) error {
		if n < 1 {
			return fmt.Errorf("netbox page size %d: want at least 1", n)
		}
		s.c.pageSize = n
		return nil
	}
}

// WithRetry sets how many times a request is tried and the first backoff;
// backoff doubles, capped at 10 s, with full jitter.
func WithRetry(attempts int, backoff time.Duration) Option {
	return func(s *Store) error {
		if attempts < 1 {
			return fmt.Errorf("netbox attempts %d: want at least 1", attempts)
		}
		s.c.attempts, s.c.backoff = attempts, backoff
		return nil
	}
}

// WithTimeout bounds each HTTP request (default 30 s).
func WithTimeout(d time.Duration) Option {
	return func(s *Store) error { s.c.timeout = d; return nil }
}

// client speaks NetBox's REST API: auth, retries, paging. Request bodies
// are go-netbox writable models where their shapes are right; responses are
// decoded into this package's types, which match what NetBox really sends.
type client struct {
	base        string // https://netbox.example.org, no trailing slash
	token       string
	hc          *http.Client
	cfg         *gonetbox.Configuration
	log         *slog.Logger
	concurrency int
	pageSize    int
	attempts    int
	backoff     time.Duration
	maxBackoff  time.Duration
	timeout     time.Duration
	sleep       func(ctx context.Context, d time.Duration) error
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

const maxRetryAfter = 60 * time.Second

// do sends one request, retrying reads on 429, 5xx, timeouts and
// connection errors, and writes only when NetBox cannot have acted (429,
// connection refused). out, when not nil, receives the decoded JSON.
func (c *client) do(ctx context.Context, method, path string, query url.Values, body, out any) error {
	u := c.base + "/api/" + strings.TrimPrefix(path, "/")
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	return c.doURL(ctx, method, u, body, out)
}

func (c *client) doURL(ctx context.Context, method, u string, body, out any) error {
	var payload []byte
	if body != nil {
		var err error
		if payload, err = json.Marshal(body); err != nil {
			return fmt.Errorf("netbox: %s %s: encode request: %w", method, u, err)
		}
	}
	read := method == http.MethodGet
	for attempt := 1; ; attempt++ {
		status, retryAfter, data, err := c.once(ctx, method, u, payload)
		if err == nil && status < 300 {
			if out == nil || status == http.StatusNoContent {
				return nil
			}
			if err := decodeJSON(data, out); err != nil {
				return fmt.Errorf("netbox: %s %s: malformed JSON in the response: %w", method, u, err)
			}
			return nil
		}
		if ctx.Err() != nil {
			return fmt.Errorf("netbox: %s %s: %w", method, u, ctx.Err())
		}
		retry := false
		switch {
		case err != nil:
			retry = read || isDialError(err)
			err = fmt.Errorf("netbox: %s %s: %w", method, u, err)
		default:
			retry = status == http.StatusTooManyRequests ||
				(read && (status == 500 || status == 502 || status == 503 || status == 504))
			err = &APIError{Method: method, URL: u, Status: status, Detail: detailOf(data)}
		}
		if !retry || attempt >= c.attempts {
			if attempt > 1 {
				return fmt.Errorf("after %d attempts: %w", attempt, err)
			}
			return err
		}
		wait := c.backoffFor(attempt)
		if retryAfter > wait {
			wait = min(retryAfter, maxRetryAfter)
		}
		c.log.Debug("netbox request failed, retrying", "method", method, "url", u, "attempt", attempt, "wait", wait, "err", err)
		if err := c.sleep(ctx, wait); err != nil {
			return fmt.Errorf("netbox: %s %s: %w", method, u, err)
		}
	}
}

// backoffFor is exponential backoff with full jitter.
func (c *client) backoffFor(attempt int) time.Duration {
	d := c.backoff << (attempt - 1)
	if d > c.maxBackoff || d <= 0 {
		d = c.maxBackoff
	}
	return time.Duration(rand.Int64N(int64(d)) + 1)
}

func (c *client) once(ctx context.Context, method, u string, payload []byte) (int, time.Duration, []byte, error) {
	rctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	var rd io.Reader
	if payload != nil {
		rd = bytes.NewReader(payload)
	}
	req, err := http.NewRequestWithContext(rctx, method, u, rd)
	if err != nil {
		return 0, 0, nil, err
	}
	req.Header.Set("Accept", "application/json")
	if payload != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("User-Agent", "tuyau ("+c.cfg.UserAgent+")")
	if c.token != "" {
		// NetBox 4.5's v2 tokens (nbt_KEY.TOKEN) go in a Bearer header;
		// legacy tokens, which 4.7 drops, in a Token one.
		if strings.HasPrefix(c.token, "nbt_") {
			req.Header.Set("Authorization", "Bearer "+c.token)
		} else {
			req.Header.Set("Authorization", "Token "+c.token)
		}
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return 0, 0, nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 512<<20))
	if err != nil {
		return 0, 0, nil, fmt.Errorf("read response: %w", err)
	}
	return resp.StatusCode, parseRetryAfter(resp.Header.Get("Retry-After"), time.Now()), data, nil
}

func parseRetryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	if n, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && n >= 0 {
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

func isDialError(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

// detailOf extracts NetBox's message from an error body: {"detail": ...},
// validation errors {"field": ["msg"]}, or the start of an HTML page.
func detailOf(data []byte) string {
	var m map[string]any
	if json.Unmarshal(data, &m) == nil {
		if d, ok := m["detail"].(string); ok {
			return d
		}
		b, _ := json.Marshal(m)
		return clip(string(b))
	}
	var list []any
	if json.Unmarshal(data, &list) == nil {
		// A bulk create answers one error object per item, {} for the good ones.
		var bad []any
		for i, e := range list {
			if m, ok := e.(map[string]any); ok && len(m) > 0 {
				bad = append(bad, map[string]any{"item": i, "errors": m})
			}
		}
		b, _ := json.Marshal(bad)
		return clip(fmt.Sprintf("%d of %d items rejected: %s", len(bad), len(list), b))
	}
	s := strings.TrimSpace(string(data))
	if i := strings.Index(s, "<title>"); i >= 0 {
		s = s[i+len("<title>"):]
		if j := strings.Index(s, "</title>"); j >= 0 {
			s = s[:j]
		}
	}
	return clip(s)
}

func clip(s string) string {
	if len(s) > 400 {
		return s[:400] + "..."
	}
	return s
}

func newHTTPClient() *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 32
	tr.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	return &http.Client{Transport: tr}
}

// decodeJSON decodes a NetBox answer (and the brief objects of cable ends) with encoding/json/v2's decoder
// (go-json-experiment), as lenient as encoding/json (duplicate names,
// invalid UTF-8, names matched case-insensitively): it reads in one pass
// where encoding/json validates the whole body and then decodes it, and
// decoding was 81% of tuyau's CPU in a 3,000-site read (a page of 1,000
// cables: 37 ms with encoding/json, 8 ms with it).
func decodeJSON(data []byte, out any) error {
	return jsonv2.Unmarshal(data, out, jsontext.AllowDuplicateNames(true), jsontext.AllowInvalidUTF8(true),
		jsonv2.MatchCaseInsensitiveNames(true))
}
