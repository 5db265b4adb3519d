package hosting

import (
	"context"
	"encoding/pem"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tuyau-net/tuyau/inventory"
)

// closedAddr returns a loopback address nothing listens on.
func closedAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func TestProbes(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	block := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/health":
			w.Write([]byte("status: ok\n"))
		case "/broken":
			http.Error(w, "database unreachable", http.StatusServiceUnavailable)
		case "/vhost":
			if r.Host != "hosting.example.org" {
				http.NotFound(w, r)
				return
			}
			w.Write([]byte("ok"))
		case "/slow":
			<-block
		case "/moved":
			http.Redirect(w, r, "/health", http.StatusFound)
		}
	}))
	// Unblock the slow handler before Close, which waits for it.
	defer srv.Close()
	defer close(block)
	web := strings.TrimPrefix(srv.URL, "http://")
	dead := closedAddr(t)
	for _, tc := range []struct {
		name     string
		check    CheckConfig
		endpoint string
		err      string // "" healthy
	}{
		{"tcp connects", CheckConfig{Kind: "tcp"}, ln.Addr().String(), ""},
		{"tcp refused", CheckConfig{Kind: "tcp"}, dead, "connection refused"},
		{"http 200", CheckConfig{Path: "/health"}, web, ""},
		{"http body matches", CheckConfig{Path: "/health", Body: "status: ok"}, web, ""},
		{"http body differs", CheckConfig{Path: "/health", Body: "status: degraded"}, web, `does not contain "status: degraded"`},
		{"http 503", CheckConfig{Path: "/broken"}, web, "status 503, want [200]"},
		{"http 503 accepted", CheckConfig{Path: "/broken", Status: []int{200, 503}}, web, ""},
		{"http host header", CheckConfig{Path: "/vhost", Host: "hosting.example.org"}, web, ""},
		{"http wrong host", CheckConfig{Path: "/vhost"}, web, "status 404"},
		{"http redirect is not followed", CheckConfig{Path: "/moved"}, web, "status 302"},
		{"http times out", CheckConfig{Path: "/slow"}, web, "deadline exceeded"},
		{"http refused", CheckConfig{Path: "/health"}, dead, "connection refused"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := NewProbe(tc.check, tc.endpoint)
			if err != nil {
				t.Fatalf("NewProbe: %v", err)
			}
			m := Monitor{Checks: []Check{c}, Timeout: 300 * time.Millisecond}
			r := m.Round(context.Background())
			if tc.err == "" && !r.OK {
				t.Fatalf("%s: %s, want healthy", c, r.Reason)
			}
			if tc.err != "" && (r.OK || !strings.Contains(r.Reason, tc.err)) {
				t.Fatalf("%s: ok=%v reason %q, want a failure holding %q", c, r.OK, r.Reason, tc.err)
			}
		})
	}
	if _, err := NewProbe(CheckConfig{}, "no-port"); err == nil {
		t.Errorf("NewProbe(no-port) accepted an endpoint without a port")
	}
}

type links map[string][2]int

func (l links) SiteLinks(_ context.Context, site string) (int, int, error) {
	v, ok := l[site]
	if !ok {
		return 0, 0, errors.New("no such site")
	}
	return v[0], v[1], nil
}

func TestLinkCheck(t *testing.T) {
	src := links{"a": {0, 4}, "b": {1, 4}, "c": {0, 0}}
	for _, tc := range []struct {
		site  string
		minUp int
		ok    bool
	}{
		{"a", 0, false},      // every link down
		{"b", 0, true},       // one up is enough by default
		{"b", 2, false},      // but not when two are wanted
		{"c", 0, true},       // no telemetry about the site: fail open
		{"missing", 0, true}, // telemetry error: fail open
	} {
		err := (&LinkCheck{Source: src, Site: tc.site, MinUp: tc.minUp}).Check(context.Background())
		if (err == nil) != tc.ok {
			t.Errorf("LinkCheck(%s, min %d) = %v, want ok=%v", tc.site, tc.minUp, err, tc.ok)
		}
	}
}

// TestRunFailover runs the whole service (monitors, steps) against real
// HTTP endpoints on loopback: failing A's endpoint moves the hosting to B,
// restoring it moves it back. It waits for outcomes, never for a time.
func TestRunFailover(t *testing.T) {
	var healthyA atomic.Bool
	healthyA.Store(true)
	handler := func(ok func() bool) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if !ok() {
				http.Error(w, "maintenance", http.StatusServiceUnavailable)
				return
			}
			w.Write([]byte("ok"))
		})
	}
	a := httptest.NewServer(handler(healthyA.Load))
	defer a.Close()
	b := httptest.NewServer(handler(func() bool { return true }))
	defer b.Close()
	w := newWorld()
	w.auto = true
	inv := inventory.HostingService{Name: "web", Prefixes: []netip.Prefix{pfx1}, Sites: []string{siteA, siteB}}
	cfg := Config{
		Check:     CheckConfig{Path: "/"},
		Endpoints: map[string]string{siteA: strings.TrimPrefix(a.URL, "http://"), siteB: strings.TrimPrefix(b.URL, "http://")},
		Interval:  50 * time.Millisecond, FastInterval: 10 * time.Millisecond, Timeout: 50 * time.Millisecond,
		Step: 10 * time.Millisecond, Rise: 2, Fall: 2,
	}
	transitions := make(chan Transition, 100)
	svc, err := NewService(inv, cfg, map[string]Announcer{siteA: fakeAnnouncer{w, siteA}, siteB: fakeAnnouncer{w, siteB}}, w,
		WithEvents(func(tr Transition) { transitions <- tr }))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { svc.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	waitActive := func(want string) {
		t.Helper()
		deadline := time.After(10 * time.Second)
		for {
			select {
			case tr := <-transitions:
				if tr.Site == "" && tr.To == want {
					return
				}
			case <-deadline:
				t.Fatalf("active site never became %s: %s", want, svc.Status())
			}
		}
	}
	waitActive(siteA)
	healthyA.Store(false)
	waitActive(siteB)
	st := svc.Status()
	if st.Sites[0].Health != "down" || !strings.Contains(st.Sites[0].HealthReason, "status 503") {
		t.Errorf("site A after its failure: %+v", st.Sites[0])
	}
	healthyA.Store(true)
	waitActive(siteA)
	if err := svc.Drain(ctx, siteA); err != nil {
		t.Fatalf("Drain: %v", err)
	}
	if st := svc.Status(); st.ActiveSite != siteB || st.Sites[0].State != StateDrained {
		t.Errorf("after Drain(A): %s", st)
	}
}

func TestHTTPSProbe(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) }))
	defer srv.Close()
	ca := t.TempDir() + "/ca.pem"
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	addr := strings.TrimPrefix(srv.URL, "https://")
	for _, tc := range []struct {
		name  string
		check CheckConfig
		err   string
	}{
		{"unknown CA refused", CheckConfig{Kind: "http", Scheme: "https"}, "certificate"},
		{"insecure skips verification", CheckConfig{Kind: "http", Scheme: "https", Insecure: true}, ""},
		{"CA file, address name", CheckConfig{Kind: "http", Scheme: "https", CAFile: ca}, ""},
		{"CA file, host name", CheckConfig{Kind: "http", Scheme: "https", CAFile: ca, Host: "example.com"}, ""},
		{"CA file, wrong name", CheckConfig{Kind: "http", Scheme: "https", CAFile: ca, Host: "hosting.example.org"}, "certificate"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := NewProbe(tc.check, addr)
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			err = c.Check(ctx)
			if (tc.err == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.err)) {
				t.Errorf("%s: %v, want %q", c, err, tc.err)
			}
		})
	}
	if _, err := NewProbe(CheckConfig{Kind: "http", Scheme: "https", CAFile: t.TempDir() + "/none.pem"}, addr); err == nil {
		t.Error("a missing CA file was accepted")
	}
}
