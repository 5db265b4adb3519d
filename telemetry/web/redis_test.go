package web

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/tuyau-net/tuyau/inventory"
	"github.com/tuyau-net/tuyau/telemetry"
	"github.com/tuyau-net/tuyau/telemetry/sink/redis"
	"github.com/tuyau-net/tuyau/testlab/redislab/sinktest"
)

// TestRedisSource serves the web NOC from a real Redis: the link page's
// history from the Redis stream, an ack through the Redis ack path, and a
// change the sink publishes reaching the event stream long before the
// next poll (an hour away).
func TestRedisSource(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	snap, topo := network(t, 30)
	sink := sinktest.Sink(t, redis.Options{Network: snap.Network.Name, HistoryLen: 100})
	l := topo.Links[0]
	start := time.Now().Add(-10 * time.Second)
	for i := range 4 {
		st := telemetry.LinkState{ID: l.ID, Oper: "up", Utilization: 0.1 * float64(i), Cables: l.Cables, Ducts: l.SRLGs,
			HasRx: true, MeasuredRxDBm: -10 - float64(i), Updated: start.Add(time.Duration(i) * time.Second)}
		if err := sink.Write(ctx, telemetry.Batch{Links: []telemetry.LinkState{st}}); err != nil {
			t.Fatal(err)
		}
	}
	alarm := telemetry.Alarm{ID: "r1", Rule: "duct", Source: "telemetry", Severity: telemetry.SevCritical, State: telemetry.AlarmActive,
		ObjectKind: "duct", Object: "duct-x", Message: "first", Raised: start, Updated: start}
	if err := sink.Write(ctx, telemetry.Batch{Alarms: []telemetry.Alarm{alarm}}); err != nil {
		t.Fatal(err)
	}
	if err := sink.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	r := sink.Reader()
	web := serve(t, Options{Source: r, Acker: r, Inventory: snap, Interval: time.Hour})

	_, body := get(t, noRedirect, web.URL+"/api/links/"+url.PathEscape(l.ID))
	var lp linkPage
	if err := json.Unmarshal([]byte(body), &lp); err != nil {
		t.Fatal(err)
	}
	if lp.State == nil || len(lp.State.History) != 4 || lp.State.History[3].MeasuredRxDBm != -13 {
		t.Fatalf("link page from Redis: want 4 points of history ending at -13 dBm: %s", body)
	}

	if r, b := post(t, noRedirect, web.URL+"/api/alarms/r1/ack", "application/json", `{"by":"carol"}`); r.StatusCode != http.StatusOK {
		t.Fatalf("ack = %s %s", r.Status, b)
	}
	if as, _ := r.Alarms(ctx); len(as) != 1 || as[0].AckedBy != "carol" {
		t.Errorf("Redis after the ack: %+v", as)
	}

	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, web.URL+"/api/events", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	msgs := make(chan string, 16)
	go func() {
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(nil, 16<<20)
		for sc.Scan() {
			if d, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
				msgs <- d
			}
		}
	}()
	<-msgs // the state now
	alarm.Message, alarm.Updated = "second", time.Now()
	wrote := time.Now()
	if err := sink.Write(ctx, telemetry.Batch{Alarms: []telemetry.Alarm{alarm}}); err != nil {
		t.Fatal(err)
	}
	if err := sink.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	for {
		select {
		case d := <-msgs:
			if strings.Contains(d, `"message":"second"`) {
				t.Logf("the change reached the event stream %s after the write", time.Since(wrote).Round(time.Millisecond))
				return
			}
		case <-ctx.Done():
			t.Fatal("the change published by Redis never reached the event stream")
		}
	}
}

// TestRedisAvailability computes a member site's availability from the
// Redis changes stream: an outage under a duct alarm that has cleared
// since is still named by its duct (the alarm resolved by id from Redis).
func TestRedisAvailability(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	snap, topo := network(t, 30)
	sink := sinktest.Sink(t, redis.Options{Network: snap.Network.Name})
	member := ""
	for _, s := range topo.Sites {
		if s.Role == inventory.SiteMember {
			member = s.Slug
			break
		}
	}
	start := time.Now().Add(-20 * time.Second).UTC()
	b := telemetry.Batch{Collector: "col-r", Changes: []telemetry.StateChange{{Time: start, ObjectKind: telemetry.KindCollector, Object: "col-r", To: telemetry.MarkStarted}}}
	for _, l := range topo.Links {
		if l.ASite == member || l.BSite == member {
			b.Links = append(b.Links, telemetry.LinkState{ID: l.ID, Oper: "up", Updated: start.Add(8 * time.Second)})
			b.Changes = append(b.Changes,
				telemetry.StateChange{Time: start.Add(2 * time.Second), ObjectKind: "link", Object: l.ID, From: "up", To: "down", Cause: "r2"},
				telemetry.StateChange{Time: start.Add(8 * time.Second), ObjectKind: "link", Object: l.ID, From: "down", To: "up"})
		}
	}
	for s := 5 * time.Second; s < 20*time.Second; s += 5 * time.Second {
		b.Changes = append(b.Changes, telemetry.StateChange{Time: start.Add(s), ObjectKind: telemetry.KindCollector, Object: "col-r", To: telemetry.MarkRunning})
	}
	b.Alarms = []telemetry.Alarm{{ID: "r2", Rule: "duct", Source: "telemetry", Severity: telemetry.SevCritical, State: telemetry.AlarmCleared,
		ObjectKind: "duct", Object: "duct-y", Message: "duct-y suspected", Raised: start.Add(2 * time.Second), Updated: start.Add(8 * time.Second),
		Cleared: start.Add(8 * time.Second)}}
	if err := sink.Write(ctx, b); err != nil {
		t.Fatal(err)
	}
	if err := sink.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	r := sink.Reader()
	web := serve(t, Options{Source: r, Inventory: snap, HistoryName: "Redis", Interval: time.Hour})
	_, body := get(t, noRedirect, web.URL+"/api/sites/"+member+"/availability?window=24h")
	var d availDoc
	if err := json.Unmarshal([]byte(body), &d); err != nil {
		t.Fatal(err)
	}
	if d.Err != "" || len(d.Outages) != 1 {
		t.Fatalf("availability of %s from Redis: %s, want one outage", member, body)
	}
	o := d.Outages[0]
	if o.Ongoing || o.Duration.D() != 6*time.Second || len(o.Causes) != 1 || o.Causes[0].Kind != "duct" || o.Causes[0].Name != "duct-y" {
		t.Errorf("outage %+v, want 6 s, over, caused by duct duct-y", o)
	}
}
