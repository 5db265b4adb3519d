package testlab

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"
)

// Modes of a failed hosting endpoint.
const (
	// ServiceStopped closes the listener: connections are refused, as
	// when the service's process is down.
	ServiceStopped = "stopped"
	// Service503 keeps accepting and answers 503, as an application whose
	// backend (a database) is gone: a TCP check still passes, an HTTP
	// check does not.
	Service503 = "http-503"
)

// EndpointStatus is one hosting service endpoint of the lab: where a health
// check reaches the service at a core site, and whether it is failed.
type EndpointStatus struct {
	Service string `json:"service"`
	Site    string `json:"site"`
	Addr    string `json:"addr"`
	Healthy bool   `json:"healthy"`
	// Fault is the failure in force (ServiceStopped, Service503).
	Fault string `json:"fault,omitempty"`
}

// endpoint stands for a hosting service at one core site: an HTTP server on
// the address of the site's first router, answering 200 on every path
// until it is failed.
type endpoint struct {
	service, site string
	host          string

	mu    sync.Mutex
	addr  string // host:port, fixed by the first listen so that restores keep it
	srv   *http.Server
	fault string
}

func (e *endpoint) status() EndpointStatus {
	e.mu.Lock()
	defer e.mu.Unlock()
	return EndpointStatus{Service: e.service, Site: e.site, Addr: e.addr, Healthy: e.fault == "", Fault: e.fault}
}

func (e *endpoint) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	e.mu.Lock()
	fault := e.fault
	e.mu.Unlock()
	if fault != "" {
		http.Error(w, fmt.Sprintf("%s at %s: failed by the lab (%s)", e.service, e.site, fault), http.StatusServiceUnavailable)
		return
	}
	fmt.Fprintf(w, "ok %s at %s\n", e.service, e.site)
}

// listen starts serving; e.mu held.
func (e *endpoint) listen(ctx context.Context) error {
	addr := e.addr
	if addr == "" {
		addr = net.JoinHostPort(e.host, "0")
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("service %s at %s: listen %s: %w", e.service, e.site, addr, err)
	}
	e.addr = ln.Addr().String()
	e.srv = &http.Server{Handler: e, ReadHeaderTimeout: 5 * time.Second}
	go e.srv.Serve(ln)
	return nil
}

// stop closes the listener and every connection; e.mu held.
func (e *endpoint) stop() {
	if e.srv != nil {
		e.srv.Close()
		e.srv = nil
	}
}

// startEndpoints gives every hosting service an endpoint at each of its
// sites that has a lab device.
func (l *Lab) startEndpoints(ctx context.Context) error {
	for _, svc := range l.snap.Services {
		for _, site := range svc.Sites {
			host := ""
			for _, dp := range l.plan.Devices {
				if dp.Site == site {
					host = dp.Addr.String()
					break
				}
			}
			if host == "" {
				continue
			}
			e := &endpoint{service: svc.Name, site: site, host: host}
			e.mu.Lock()
			err := e.listen(ctx)
			e.mu.Unlock()
			if err != nil {
				return err
			}
			l.endpoints = append(l.endpoints, e)
		}
	}
	return nil
}

func (l *Lab) closeEndpoints() {
	for _, e := range l.endpoints {
		e.mu.Lock()
		e.stop()
		e.mu.Unlock()
	}
}

// Endpoints reports every hosting service endpoint.
func (l *Lab) Endpoints() []EndpointStatus {
	out := []EndpointStatus{}
	for _, e := range l.endpoints {
		out = append(out, e.status())
	}
	return out
}

// match returns the endpoints of site (every service when service is "").
func (l *Lab) match(what, site, service string) ([]*endpoint, error) {
	var out []*endpoint
	for _, e := range l.endpoints {
		if e.site == site && (service == "" || e.service == service) {
			out = append(out, e)
		}
	}
	if len(out) == 0 {
		name := "any hosting service"
		if service != "" {
			name = "service " + service
		}
		return nil, fmt.Errorf("%s: site %s has no endpoint of %s: %w", what, site, name, ErrUnknown)
	}
	return out, nil
}

// FailService fails the hosting endpoints of a site (of one service, or all
// of them): mode ServiceStopped (the default) refuses connections,
// Service503 answers 503.
func (l *Lab) FailService(ctx context.Context, site, service, mode string) (FaultResult, error) {
	what := "fail-service " + site
	if service != "" {
		what += " " + service
	}
	if mode == "" {
		mode = ServiceStopped
	}
	if mode != ServiceStopped && mode != Service503 {
		return FaultResult{}, fmt.Errorf("%s: mode %q: want %s or %s", what, mode, ServiceStopped, Service503)
	}
	eps, err := l.match(what, site, service)
	if err != nil {
		return FaultResult{}, err
	}
	for _, e := range eps {
		e.mu.Lock()
		if e.fault != mode {
			if mode == ServiceStopped {
				e.stop()
			} else if e.srv == nil {
				err = errors.Join(err, e.listen(ctx))
			}
			e.fault = mode
		}
		e.mu.Unlock()
	}
	return l.serviceResult(what+" ("+mode+")", eps), err
}

// RestoreService brings failed endpoints of a site back, on the same
// address.
func (l *Lab) RestoreService(ctx context.Context, site, service string) (FaultResult, error) {
	what := "restore-service " + site
	if service != "" {
		what += " " + service
	}
	eps, err := l.match(what, site, service)
	if err != nil {
		return FaultResult{}, err
	}
	err = l.restoreEndpoints(ctx, eps)
	return l.serviceResult(what, eps), err
}

func (l *Lab) restoreEndpoints(ctx context.Context, eps []*endpoint) error {
	var errs []error
	for _, e := range eps {
		e.mu.Lock()
		if e.srv == nil {
			if err := e.listen(ctx); err != nil {
				errs = append(errs, err)
				e.mu.Unlock()
				continue
			}
		}
		e.fault = ""
		e.mu.Unlock()
	}
	return errors.Join(errs...)
}

func (l *Lab) serviceResult(what string, eps []*endpoint) FaultResult {
	r := FaultResult{Fault: what, Links: []string{}, Down: []string{}}
	for _, e := range eps {
		r.Endpoints = append(r.Endpoints, e.status())
	}
	l.log.Info("fault", "what", what, "endpoints", len(eps))
	return r
}
