package hosting

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"
)

// The control socket lets "tuyau bgp services|drain|undrain" reach the
// machines a "tuyau bgp serve" runs: HTTP/JSON on a unix socket, mode 0600,
// so only the speaker's user drives it (no token to manage).
//
//	GET  /services            []ServiceStatus
//	POST /drain?site=SITE     drains SITE in every service hosted there; waits
//	POST /undrain?site=SITE   puts SITE back in every service hosted there

// Control serves the control socket of a set of running services.
type Control struct{ services []*Service }

// NewControl serves these services.
func NewControl(services ...*Service) *Control { return &Control{services: services} }

// Statuses returns every service's status, in the order given.
func (c *Control) Statuses() []ServiceStatus {
	out := make([]ServiceStatus, 0, len(c.services))
	for _, s := range c.services {
		out = append(out, s.Status())
	}
	return out
}

// hosted returns the services that have site.
func (c *Control) hosted(site string) []*Service {
	var out []*Service
	for _, s := range c.services {
		if s.site(site) != nil { // sites never change after NewService
			out = append(out, s)
		}
	}
	return out
}

func (c *Control) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	reply := func(code int, v any) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		json.NewEncoder(w).Encode(v)
	}
	fail := func(code int, err error) { reply(code, map[string]string{"error": err.Error()}) }
	switch {
	case r.URL.Path == "/services" && r.Method == http.MethodGet:
		reply(http.StatusOK, c.Statuses())
		return
	case (r.URL.Path == "/drain" || r.URL.Path == "/undrain") && r.Method == http.MethodPost:
	default:
		fail(http.StatusNotFound, fmt.Errorf("%s %s: not a control request", r.Method, r.URL.Path))
		return
	}
	site := r.URL.Query().Get("site")
	svcs := c.hosted(site)
	if len(svcs) == 0 {
		fail(http.StatusNotFound, fmt.Errorf("site %q: %w of any running service", site, ErrUnknownSite))
		return
	}
	var errs []error
	for _, s := range svcs {
		if r.URL.Path == "/undrain" {
			errs = append(errs, s.Undrain(site))
			continue
		}
		errs = append(errs, s.Drain(r.Context(), site))
	}
	if err := errors.Join(errs...); err != nil {
		fail(http.StatusConflict, err)
		return
	}
	reply(http.StatusOK, c.Statuses())
}

// ServeControl serves h on the unix socket path (mode 0600) until ctx ends,
// then removes the socket.
func ServeControl(ctx context.Context, path string, h http.Handler) error {
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("control socket %s: %w", path, err)
	}
	l, err := net.Listen("unix", path)
	if err != nil {
		return fmt.Errorf("control socket %s: %w", path, err)
	}
	defer os.Remove(path)
	if err := os.Chmod(path, 0o600); err != nil {
		l.Close()
		return fmt.Errorf("control socket %s: %w", path, err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		srv.Shutdown(sctx)
	}()
	if err := srv.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("control socket %s: %w", path, err)
	}
	return nil
}

// ControlClient talks to a ServeControl socket.
type ControlClient struct {
	path string
	hc   *http.Client
}

// DialControl returns a client of the control socket at path (nothing is
// dialled until a call).
func DialControl(path string) *ControlClient {
	return &ControlClient{path: path, hc: &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", path)
		}}}}
}

func (c *ControlClient) do(ctx context.Context, method, path string, site string) ([]ServiceStatus, error) {
	u := "http://control" + path
	if site != "" {
		u += "?site=" + url.QueryEscape(site)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, nil)
	if err != nil {
		return nil, err
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("hosting control %s (is tuyau bgp serve running the failover?): %w", c.path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return nil, fmt.Errorf("hosting control %s: %w", c.path, err)
	}
	if resp.StatusCode != http.StatusOK {
		var e struct{ Error string }
		if json.Unmarshal(body, &e) == nil && e.Error != "" {
			return nil, errors.New(e.Error)
		}
		return nil, fmt.Errorf("hosting control %s: %s: %s", c.path, resp.Status, strings.TrimSpace(string(body)))
	}
	var out []ServiceStatus
	if err := json.Unmarshal(body, &out); err != nil {
		return nil, fmt.Errorf("hosting control %s: %w", c.path, err)
	}
	return out, nil
}

// Services returns the running services' status.
func (c *ControlClient) Services(ctx context.Context) ([]ServiceStatus, error) {
	return c.do(ctx, http.MethodGet, "/services", "")
}

// Drain drains site and waits until every service hosted there has it
// drained, or says why not.
func (c *ControlClient) Drain(ctx context.Context, site string) ([]ServiceStatus, error) {
	return c.do(ctx, http.MethodPost, "/drain", site)
}

// Undrain puts site back in service.
func (c *ControlClient) Undrain(ctx context.Context, site string) ([]ServiceStatus, error) {
	return c.do(ctx, http.MethodPost, "/undrain", site)
}
