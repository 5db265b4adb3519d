package web

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tuyau-net/tuyau/inventory"
	"github.com/tuyau-net/tuyau/inventory/synth"
	"github.com/tuyau-net/tuyau/telemetry"
	"github.com/tuyau-net/tuyau/telemetry/noc"
	"github.com/tuyau-net/tuyau/telemetry/sink/memory"
	"github.com/tuyau-net/tuyau/topology"
)

// network is a generated inventory with its topology.
func network(t testing.TB, sites int) (*inventory.Snapshot, *topology.Topology) {
	t.Helper()
	snap, err := synth.Generate(synth.Options{Sites: sites, Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	topo, err := topology.Build(snap, topology.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return snap, topo
}

// sinkWith is a memory sink served by the collector's real HTTP API,
// holding every link up (utilization from busy) and a duct alarm.
func sinkWith(t testing.TB, topo *topology.Topology) (*memory.Sink, *telemetry.HTTPReader) {
	t.Helper()
	mem := memory.New(memory.Options{})
	now := time.Now()
	var b telemetry.Batch
	for i, l := range topo.Links {
		b.Links = append(b.Links, telemetry.LinkState{ID: l.ID, Oper: "up", SpeedMbps: int64(l.Speed), Utilization: busy(i),
			Cables: l.Cables, Ducts: l.SRLGs, Updated: now})
	}
	b.Alarms = []telemetry.Alarm{{ID: "a1", Rule: "duct", Source: "telemetry", Severity: telemetry.SevCritical, State: telemetry.AlarmActive,
		ObjectKind: "duct", Object: "duct-x", Message: "duct-x suspected", Raised: now, Updated: now}}
	if err := mem.Write(context.Background(), b); err != nil {
		t.Fatal(err)
	}
	api := httptest.NewServer(telemetry.NewAPI(mem, telemetry.APIOptions{Acker: mem}))
	t.Cleanup(api.Close)
	return mem, telemetry.NewHTTPReader(api.URL)
}

// serve runs the web NOC over the sink until the test ends.
func serve(t testing.TB, o Options) *httptest.Server {
	t.Helper()
	s, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	srv := httptest.NewUnstartedServer(s)
	srv.Config.BaseContext = func(net.Listener) context.Context { return ctx }
	srv.Start()
	t.Cleanup(func() {
		cancel()
		srv.Close()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	return srv
}

func get(t *testing.T, c *http.Client, u string, hdr ...string) (*http.Response, string) {
	t.Helper()
	return do(t, c, http.MethodGet, u, "", nil, hdr)
}

func post(t *testing.T, c *http.Client, u, ctype, body string, hdr ...string) (*http.Response, string) {
	t.Helper()
	return do(t, c, http.MethodPost, u, ctype, strings.NewReader(body), hdr)
}

// do sends one request with hdr as name, value pairs and returns the
// response with its whole body.
func do(t *testing.T, c *http.Client, method, u, ctype string, body io.Reader, hdr []string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, u, body)
	if err != nil {
		t.Fatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

var noRedirect = &http.Client{Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

func TestCheckListen(t *testing.T) {
	for _, tc := range []struct {
		addr, token string
		ok          bool
	}{
		{"127.0.0.1:9380", "", true},
		{"[::1]:9380", "", true},
		{"localhost:9380", "", true},
		{"0.0.0.0:9380", "", false},
		{":9380", "", false},
		{"10.1.2.3:9380", "", false},
		{"0.0.0.0:9380", "s3cret", true},
		{"no-port", "", false},
	} {
		err := CheckListen(tc.addr, tc.token)
		if (err == nil) != tc.ok {
			t.Errorf("CheckListen(%q, token %v) = %v, want ok %v", tc.addr, tc.token != "", err, tc.ok)
		}
	}
}

// TestPageHeaders checks the security headers and that the page needs no
// inline script or style, which the policy would refuse.
func TestPageHeaders(t *testing.T) {
	snap, topo := network(t, 30)
	_, src := sinkWith(t, topo)
	srv := serve(t, Options{Source: src, Acker: src, Inventory: snap})
	resp, body := get(t, noRedirect, srv.URL+"/")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET / = %s", resp.Status)
	}
	for h, want := range map[string]string{
		"Content-Security-Policy": "script-src 'self'",
		"X-Content-Type-Options":  "nosniff",
		"X-Frame-Options":         "DENY",
		"Referrer-Policy":         "no-referrer",
	} {
		if got := resp.Header.Get(h); !strings.Contains(got, want) {
			t.Errorf("GET / %s = %q, want %q in it", h, got, want)
		}
	}
	if csp := resp.Header.Get("Content-Security-Policy"); strings.Contains(csp, "unsafe") || !strings.Contains(csp, "frame-ancestors 'none'") {
		t.Errorf("Content-Security-Policy %q", csp)
	}
	for _, bad := range []string{"<script>", " style=", " onclick=", " onload=", "javascript:"} {
		if strings.Contains(body, bad) {
			t.Errorf("index.html holds %q: the policy refuses inline code", bad)
		}
	}
	for path, ctype := range map[string]string{"/assets/app.js": "javascript", "/assets/map.js": "javascript", "/assets/app.css": "text/css"} {
		r, _ := get(t, noRedirect, srv.URL+path)
		if r.StatusCode != http.StatusOK || !strings.Contains(r.Header.Get("Content-Type"), ctype) {
			t.Errorf("GET %s = %s %q, want 200 %s", path, r.Status, r.Header.Get("Content-Type"), ctype)
		}
	}
}

func TestTileURLPolicy(t *testing.T) {
	for _, tc := range []struct {
		url, want string
		ok        bool
	}{
		{"", "img-src 'self' data:;", true},
		{"https://tiles.example.net/{z}/{x}/{y}.png", "img-src 'self' data: https://tiles.example.net;", true},
		{"http://10.0.0.5:8080/osm/{z}/{x}/{y}.png", "img-src 'self' data: http://10.0.0.5:8080;", true},
		{"javascript:alert(1)", "", false},
		{"/{z}/{x}/{y}.png", "", false},
	} {
		got, err := contentPolicy(tc.url)
		if (err == nil) != tc.ok || !strings.Contains(got, tc.want) {
			t.Errorf("contentPolicy(%q) = %q, %v; want %q in it, ok %v", tc.url, got, err, tc.want, tc.ok)
		}
	}
}

// TestToken: with a token nothing but the login page and the assets is
// served without it; the login form sets a cookie that works, a bearer
// token works, and an ack needs the token too.
func TestToken(t *testing.T) {
	snap, topo := network(t, 30)
	mem, src := sinkWith(t, topo)
	srv := serve(t, Options{Source: src, Acker: src, Inventory: snap, Token: "s3cret-token"})
	for _, tc := range []struct {
		path string
		hdr  []string
		want int
	}{
		{"/api/map", nil, http.StatusUnauthorized},
		{"/api/events", nil, http.StatusUnauthorized},
		{"/", nil, http.StatusSeeOther},
		{"/login", nil, http.StatusOK},
		{"/assets/app.js", nil, http.StatusOK},
		{"/api/map", []string{"Authorization", "Bearer wrong"}, http.StatusUnauthorized},
		{"/api/map", []string{"Authorization", "Bearer s3cret-token"}, http.StatusOK},
		{"/api/map", []string{"Cookie", cookieName + "=forged"}, http.StatusUnauthorized},
	} {
		if r, _ := get(t, noRedirect, srv.URL+tc.path, tc.hdr...); r.StatusCode != tc.want {
			t.Errorf("GET %s %v = %s, want %d", tc.path, tc.hdr, r.Status, tc.want)
		}
	}
	if r, _ := post(t, noRedirect, srv.URL+"/api/alarms/a1/ack", "application/json", `{"by":"eve"}`); r.StatusCode != http.StatusUnauthorized {
		t.Errorf("ack without the token = %s, want 401", r.Status)
	}
	r, _ := post(t, noRedirect, srv.URL+"/login", "application/x-www-form-urlencoded", url.Values{"token": {"guess"}}.Encode())
	if loc := r.Header.Get("Location"); len(r.Cookies()) != 0 || !strings.Contains(loc, "failed") {
		t.Errorf("login with a wrong token: cookies %v, to %q", r.Cookies(), loc)
	}
	r, _ = post(t, noRedirect, srv.URL+"/login", "application/x-www-form-urlencoded", url.Values{"token": {"s3cret-token"}}.Encode())
	var session *http.Cookie
	for _, c := range r.Cookies() {
		if c.Name == cookieName {
			session = c
		}
	}
	if session == nil || !session.HttpOnly || session.SameSite != http.SameSiteStrictMode || session.Secure || strings.Contains(session.Value, "s3cret") {
		t.Fatalf("login cookie %+v: want an HttpOnly SameSite=Strict session that is not the token (not Secure over plain HTTP)", session)
	}
	r, _ = post(t, noRedirect, srv.URL+"/login", "application/x-www-form-urlencoded", url.Values{"token": {"s3cret-token"}}.Encode(), "X-Forwarded-Proto", "https")
	if cs := r.Cookies(); len(cs) != 1 || !cs[0].Secure {
		t.Errorf("login behind a TLS proxy: cookies %+v, want one Secure", cs)
	}
	cookie := []string{"Cookie", cookieName + "=" + session.Value}
	if r, _ := get(t, noRedirect, srv.URL+"/api/map", cookie...); r.StatusCode != http.StatusOK {
		t.Errorf("GET /api/map with the session = %s", r.Status)
	}
	if r, _ := post(t, noRedirect, srv.URL+"/api/alarms/a1/ack", "application/json", `{"by":"ann"}`, append(cookie, "Origin", "http://evil.example")...); r.StatusCode != http.StatusForbidden {
		t.Errorf("cross-origin ack = %s, want 403", r.Status)
	}
	if r, b := post(t, noRedirect, srv.URL+"/api/alarms/a1/ack", "application/json", `{"by":"ann"}`, append(cookie, "Origin", srv.URL)...); r.StatusCode != http.StatusOK {
		t.Errorf("ack with the session = %s %s", r.Status, b)
	}
	as, _ := mem.Alarms(context.Background())
	if len(as) != 1 || !as[0].Acked || as[0].AckedBy != "ann" {
		t.Errorf("the sink's alarm after the ack: %+v", as)
	}
}

func TestAck(t *testing.T) {
	snap, topo := network(t, 30)
	_, src := sinkWith(t, topo)
	srv := serve(t, Options{Source: src, Acker: src, Inventory: snap, User: "desk"})
	for _, tc := range []struct {
		name, id, ctype, body string
		want                  int
	}{
		{"form post", "a1", "application/x-www-form-urlencoded", "by=x", http.StatusUnsupportedMediaType},
		{"bad json", "a1", "application/json", "{", http.StatusBadRequest},
		{"too long a name", "a1", "application/json", `{"by":"` + strings.Repeat("x", 65) + `"}`, http.StatusBadRequest},
		{"unknown alarm", "nope", "application/json", `{"by":"ann"}`, http.StatusBadGateway},
		{"default user", "a1", "application/json", `{"by":""}`, http.StatusOK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if r, b := post(t, noRedirect, srv.URL+"/api/alarms/"+tc.id+"/ack", tc.ctype, tc.body); r.StatusCode != tc.want {
				t.Errorf("ack = %s %s, want %d", r.Status, b, tc.want)
			}
		})
	}
	as, _ := src.Alarms(context.Background())
	if len(as) != 1 || as[0].AckedBy != "desk" {
		t.Errorf("acked by %q, want the default user desk", as[0].AckedBy)
	}
}

// TestEvents reads the event stream: the whole state first, then a link
// going down in the sink arrives within a few reads.
func TestEvents(t *testing.T) {
	snap, topo := network(t, 30)
	mem, src := sinkWith(t, topo)
	srv := serve(t, Options{Source: src, Inventory: snap, Interval: 50 * time.Millisecond})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/api/events", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("Content-Type %q", ct)
	}
	events := make(chan deltaDoc)
	go func() {
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(nil, 16<<20)
		for sc.Scan() {
			if d, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
				var s deltaDoc
				if json.Unmarshal([]byte(d), &s) == nil {
					select {
					case events <- s:
					case <-ctx.Done():
						return
					}
				}
			}
		}
	}()
	victim := topo.Links[0]
	wrote := false
	for {
		select {
		case s := <-events:
			l, ok := s.Links[victim.ID]
			if ok && l[0] == "down" {
				if len(s.Alarms) != 1 || s.Alarms[0].ID != "a1" {
					t.Errorf("alarms in the event: %+v", s.Alarms)
				}
				// Only what changed: the one link.
				if !s.Delta || len(s.Links) != 1 {
					t.Errorf("the change came as delta %v with %d links, want a delta of 1", s.Delta, len(s.Links))
				}
				return
			}
			if !wrote && s.Delta {
				t.Errorf("the first event is a delta: a new stream needs the whole state")
			}
			if ok && !wrote {
				wrote = true
				st := telemetry.LinkState{ID: victim.ID, Oper: "down", Updated: time.Now()}
				if err := mem.Write(ctx, telemetry.Batch{Links: []telemetry.LinkState{st}}); err != nil {
					t.Fatal(err)
				}
			}
		case <-ctx.Done():
			t.Fatalf("no event with link %s down (wrote it: %v)", victim.ID, wrote)
		}
	}
}

// TestMapAndPages: the map carries every placed site and every link, the
// cables point at sites that exist, and a member site's page has routes
// to both core sites.
func TestMapAndPages(t *testing.T) {
	snap, topo := network(t, 60)
	_, src := sinkWith(t, topo)
	srv := serve(t, Options{Source: src, Inventory: snap})
	_, body := get(t, noRedirect, srv.URL+"/api/map")
	var m struct {
		Sites  [][5]any          `json:"sites"`
		Cables [][5]any          `json:"cables"`
		Links  map[string][4]any `json:"links"`
		CoreA  string            `json:"core_a"`
	}
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		t.Fatal(err)
	}
	placed := 0
	for _, s := range topo.Sites {
		if s.HasCoordinates() {
			placed++
		}
	}
	if len(m.Sites) != placed || len(m.Links) != len(topo.Links) || len(m.Cables) == 0 {
		t.Fatalf("map: %d sites (want %d), %d links (want %d), %d cables", len(m.Sites), placed, len(m.Links), len(topo.Links), len(m.Cables))
	}
	for _, c := range m.Cables {
		a, b := int(c[1].(float64)), int(c[2].(float64))
		if a < 0 || b < 0 || a >= len(m.Sites) || b >= len(m.Sites) || a == b {
			t.Errorf("cable %v: ends %d, %d", c[0], a, b)
		}
	}
	member := ""
	for _, s := range topo.Sites {
		if s.Role == inventory.SiteMember {
			member = s.Slug
			break
		}
	}
	_, body = get(t, noRedirect, srv.URL+"/api/sites/"+member)
	var sp sitePage
	if err := json.Unmarshal([]byte(body), &sp); err != nil {
		t.Fatal(err)
	}
	if len(sp.Cores) != 2 || len(sp.Links) == 0 {
		t.Fatalf("site %s: %d cores, %d links: %s", member, len(sp.Cores), len(sp.Links), body)
	}
	for _, c := range sp.Cores {
		if !c.Reachable || len(c.Routes) == 0 || c.Routes[0].Hops[0].Oper != "up" {
			t.Errorf("site %s to %s: %+v, want reachable over up links", member, c.Core, c)
		}
	}
	l := topo.Links[0]
	_, body = get(t, noRedirect, srv.URL+"/api/links/"+url.PathEscape(l.ID))
	var lp linkPage
	if err := json.Unmarshal([]byte(body), &lp); err != nil {
		t.Fatal(err)
	}
	if lp.Plan == nil || lp.State == nil || len(lp.Cables) != len(l.Cables) || lp.History != "sink" {
		t.Errorf("link %s page: %s", l.ID, body)
	}
	if r, _ := get(t, noRedirect, srv.URL+"/api/sites/nowhere"); r.StatusCode != http.StatusNotFound {
		t.Errorf("unknown site = %s", r.Status)
	}
}

// busy is a utilization like a real network's: most links under half,
// one in 13 above 80 %.
func busy(i int) float64 {
	if i%13 == 0 {
		return 0.85
	}
	return float64(i%10) / 20
}

// speakers is a hand-made BGPSource: the speaker's answer as it changes.
type speakers struct {
	mu    sync.Mutex
	state noc.BGPState
}

func (f *speakers) BGP(context.Context) (noc.BGPState, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.state, nil
}

func (f *speakers) set(active string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.state = noc.BGPState{Running: true, Services: []noc.Service{{Name: "hosting", Sites: []string{"a", "b"}, ActiveSite: active, Known: true}},
		Sessions: []noc.Session{{Device: "spk-a", State: "ESTABLISHED"}, {Device: "spk-b", State: "ACTIVE"}}}
}

// TestHosting: a failover the speakers report reaches the state within
// the second, with the session count.
func TestHosting(t *testing.T) {
	snap, topo := network(t, 30)
	_, src := sinkWith(t, topo)
	sp := &speakers{}
	sp.set("a")
	srv := serve(t, Options{Source: src, Inventory: snap, BGP: sp, Interval: 50 * time.Millisecond})
	wait := func(active string) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for {
			_, body := get(t, noRedirect, srv.URL+"/api/state")
			var s stateDoc
			if json.Unmarshal([]byte(body), &s) == nil && s.Hosting.Running && len(s.Hosting.Services) == 1 &&
				s.Hosting.Services[0].ActiveSite == active && s.Hosting.Sessions == [2]int{1, 2} {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("hosting active at %s not in the state: %s", active, body)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	wait("a")
	sp.set("b")
	wait("b")
}
