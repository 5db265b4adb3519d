package memory_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/tuyau-net/tuyau/telemetry"
	"github.com/tuyau-net/tuyau/telemetry/sink/memory"
)

func batch(at time.Time) telemetry.Batch {
	return telemetry.Batch{
		Targets: []telemetry.TargetHealth{{Name: "r2", Connected: true}, {Name: "r1"}},
		Links: []telemetry.LinkState{
			{ID: "r1:eth1 -- r2:eth1", Oper: "up", Utilization: 0.5, HasRx: true, MeasuredRxDBm: -9, Updated: at},
			{ID: "r1:eth6 -- circuit TR-1/A", Oper: "down", Updated: at},
		},
		Interfaces: []telemetry.InterfaceState{{Device: "r2", Interface: "eth1"}, {Device: "r1", Interface: "eth1"}},
		Alarms: []telemetry.Alarm{
			{ID: "a-minor", Severity: telemetry.SevMinor, State: telemetry.AlarmActive, Raised: at},
			{ID: "a-crit", Severity: telemetry.SevCritical, State: telemetry.AlarmActive, Raised: at},
			{ID: "a-old", Severity: telemetry.SevCritical, State: telemetry.AlarmCleared, Raised: at.Add(-2 * time.Hour), Cleared: at.Add(-time.Hour)},
		},
		Changes: []telemetry.StateChange{{Time: at, ObjectKind: "link", Object: "r1:eth6 -- circuit TR-1/A", From: "up", To: "down"}},
	}
}

func TestSinkBounds(t *testing.T) {
	ctx := context.Background()
	s := memory.New(memory.Options{History: 5, Changes: 3, Cleared: 2})
	t0 := time.Unix(1000, 0)
	for i := range 12 {
		b := batch(t0.Add(time.Duration(i) * time.Second))
		b.Alarms = append(b.Alarms, telemetry.Alarm{ID: fmt.Sprintf("c%d", i), State: telemetry.AlarmCleared, Cleared: t0.Add(time.Duration(i) * time.Second)})
		if err := s.Write(ctx, b); err != nil {
			t.Fatal(err)
		}
	}
	d, err := s.Link(ctx, "r1:eth1 -- r2:eth1")
	if err != nil {
		t.Fatal(err)
	}
	if len(d.History) != 5 || !d.History[0].Time.Equal(t0.Add(7*time.Second)) || !d.History[4].Time.Equal(t0.Add(11*time.Second)) {
		t.Errorf("history = %+v, want the last 5 points oldest first", d.History)
	}
	if ch, _ := s.Changes(ctx); len(ch) != 3 {
		t.Errorf("changes kept = %d, want 3", len(ch))
	}
	as, _ := s.Alarms(ctx)
	var ids []string
	for _, a := range as {
		ids = append(ids, a.ID)
	}
	// Active first by severity; then the two newest cleared ones.
	if got := strings.Join(ids, ","); got != "a-crit,a-minor,c11,c10" {
		t.Errorf("alarms = %s, want a-crit,a-minor,c11,c10", got)
	}
	if _, err := s.Link(ctx, "nope"); err == nil {
		t.Error("Link(nope) found something")
	}
}

func TestAPI(t *testing.T) {
	ctx := context.Background()
	s := memory.New(memory.Options{})
	if err := s.Write(ctx, batch(time.Unix(1000, 0))); err != nil {
		t.Fatal(err)
	}
	h := telemetry.NewAPI(s, telemetry.APIOptions{Acker: s, Token: "s3cret",
		Metrics: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "tuyau_target_up 1") })})
	srv := httptest.NewServer(h)
	defer srv.Close()
	r := telemetry.NewHTTPReader(srv.URL)
	ts, err := r.Targets(ctx)
	if err != nil || len(ts) != 2 || ts[0].Name != "r1" {
		t.Fatalf("Targets = %+v, %v", ts, err)
	}
	links, err := r.Links(ctx)
	if err != nil || len(links) != 2 {
		t.Fatalf("Links = %+v, %v", links, err)
	}
	d, err := r.Link(ctx, "r1:eth6 -- circuit TR-1/A") // a slash and spaces in the id
	if err != nil || d.Oper != "down" || len(d.History) != 1 {
		t.Fatalf("Link(circuit) = %+v, %v", d, err)
	}
	if _, err := r.Link(ctx, "nope"); err == nil || !strings.Contains(err.Error(), "not found") {
		t.Errorf("Link(nope) error = %v, want not found", err)
	}
	ifs, err := r.Interfaces(ctx)
	if err != nil || len(ifs) != 2 || ifs[0].Device != "r1" {
		t.Errorf("Interfaces = %+v, %v", ifs, err)
	}
	if err := r.Ack(ctx, "a-crit", "alice"); err != nil {
		t.Fatalf("Ack from loopback: %v", err)
	}
	as, _ := r.Alarms(ctx)
	if as[0].ID != "a-crit" || !as[0].Acked || as[0].AckedBy != "alice" {
		t.Errorf("after ack: %+v", as[0])
	}
	if err := r.Ack(ctx, "nope", "alice"); err == nil {
		t.Error("Ack(nope) succeeded")
	}
	resp, err := http.Get(srv.URL + "/metrics")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("/metrics: %v %v", resp, err)
	}
	resp.Body.Close()
	// Writes from elsewhere than loopback need the token.
	for _, c := range []struct {
		name, auth, ctype string
		want              int
	}{
		{"no token", "", "application/json", http.StatusForbidden},
		{"wrong token", "Bearer nope", "application/json", http.StatusForbidden},
		{"token", "Bearer s3cret", "application/json", http.StatusOK},
		{"token, form body", "Bearer s3cret", "application/x-www-form-urlencoded", http.StatusUnsupportedMediaType},
	} {
		req := httptest.NewRequest(http.MethodPost, "/api/v1/alarms/a-minor/ack", strings.NewReader(`{"by":"bob"}`))
		req.RemoteAddr = "192.0.2.9:4242"
		req.Header.Set("Content-Type", c.ctype)
		if c.auth != "" {
			req.Header.Set("Authorization", c.auth)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != c.want {
			t.Errorf("%s: status %d, want %d (%s)", c.name, w.Code, c.want, w.Body)
		}
	}
	// An empty sink answers lists, not null.
	empty := httptest.NewServer(telemetry.NewAPI(memory.New(memory.Options{}), telemetry.APIOptions{}))
	defer empty.Close()
	for _, p := range []string{"/api/v1/targets", "/api/v1/links", "/api/v1/alarms", "/api/v1/interfaces"} {
		resp, err := http.Get(empty.URL + p)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || strings.TrimSpace(string(body)) != "[]" {
			t.Errorf("%s on an empty sink: %s %q, want 200 []", p, resp.Status, body)
		}
	}
}

// TestHistory: the history is complete since the sink's creation, then
// since the newest change the bound pushed out; heartbeats are not kept.
func TestHistory(t *testing.T) {
	ctx := context.Background()
	start := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	now := start
	s := memory.New(memory.Options{Changes: 2, Now: func() time.Time { return now }})
	chg := func(d time.Duration, kind, to string) telemetry.StateChange {
		return telemetry.StateChange{Time: start.Add(d), ObjectKind: kind, Object: "x", To: to}
	}
	write := func(cs ...telemetry.StateChange) {
		if err := s.Write(ctx, telemetry.Batch{Changes: cs, Links: []telemetry.LinkState{{ID: "l1", Oper: "up"}}}); err != nil {
			t.Fatal(err)
		}
	}
	write(chg(time.Second, telemetry.KindCollector, telemetry.MarkStarted), chg(2*time.Second, telemetry.KindCollector, telemetry.MarkRunning))
	now = start.Add(time.Minute)
	h, _ := s.History(ctx)
	if !h.Live || !h.Since.Equal(start) || !h.Until.Equal(now) || len(h.Changes) != 1 || h.Links["l1"] != "up" {
		t.Fatalf("history %+v: want live since the creation, the started marker only, link l1 up", h)
	}
	write(chg(3*time.Second, "link", "down"), chg(4*time.Second, "link", "up"))
	h, _ = s.History(ctx)
	if !h.Since.Equal(start.Add(time.Second)) || len(h.Changes) != 2 || !h.Changes[0].Time.Equal(start.Add(3*time.Second)) {
		t.Errorf("after the bound: since %v, %d changes %+v; want since the dropped marker (1 s), the two links'", h.Since, len(h.Changes), h.Changes)
	}
}

// TestHistoryPoints: a link's history gives back each point as written
// (time, its location, oper, rates, optics only when measured), across
// the buffer's growth and after the ring wraps.
func TestHistoryPoints(t *testing.T) {
	ctx := context.Background()
	const keep = 40
	s := memory.New(memory.Options{History: keep})
	zones := []*time.Location{time.UTC, time.Local, time.FixedZone("CET", 3600)}
	opers := []string{"up", "down", "", "lower-layer-down"}
	var want []telemetry.LinkPoint
	for i := range 100 {
		at := time.Unix(1_700_000_000+int64(i), int64(i)*1_000_003).In(zones[i%len(zones)])
		l := telemetry.LinkState{ID: "a:eth1 -- b:eth1", Oper: opers[i%len(opers)], Utilization: float64(i) / 100,
			HasRx: i%2 == 0, MeasuredRxDBm: -7 - float64(i)/10, MarginDB: 20 - float64(i)/10, DriftDB: 0.01 * float64(i), Updated: at}
		l.A.InBps, l.A.OutBps = 1e9+float64(i), 2e8+float64(i)
		if err := s.Write(ctx, telemetry.Batch{Links: []telemetry.LinkState{l}}); err != nil {
			t.Fatal(err)
		}
		p := telemetry.LinkPoint{Time: at, Oper: l.Oper, InBps: l.A.InBps, OutBps: l.A.OutBps, Utilization: l.Utilization}
		if l.HasRx {
			p.MeasuredRxDBm, p.MarginDB, p.DriftDB = l.MeasuredRxDBm, l.MarginDB, l.DriftDB
		}
		want = append(want, p)
		if n := i + 1; n == 1 || n == 9 || n == keep || n == 100 {
			d, err := s.Link(ctx, l.ID)
			if err != nil {
				t.Fatal(err)
			}
			exp := want[max(0, n-keep):]
			if len(d.History) != len(exp) {
				t.Fatalf("after %d points: %d in history, want %d", n, len(d.History), len(exp))
			}
			for j := range exp {
				g, w := d.History[j], exp[j]
				if !g.Time.Equal(w.Time) || g.Time.Location().String() != w.Time.Location().String() {
					t.Fatalf("after %d points: point %d time %v, want %v", n, j, g.Time, w.Time)
				}
				g.Time = w.Time
				if g != w {
					t.Fatalf("after %d points: point %d = %+v, want %+v", n, j, g, w)
				}
			}
		}
	}
}
