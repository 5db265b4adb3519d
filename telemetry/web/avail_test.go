package web

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tuyau-net/tuyau/inventory"
	"github.com/tuyau-net/tuyau/telemetry"
)

// countedHistory reads the real history and counts the reads: the cost
// the cache must spare.
type countedHistory struct {
	telemetry.HistoryReader
	reads atomic.Int32
}

func (c *countedHistory) History(ctx context.Context) (telemetry.ChangeHistory, error) {
	c.reads.Add(1)
	return c.HistoryReader.History(ctx)
}

// TestSiteAvailability serves a member site's availability from the
// collector API's state-change history: all up, then its links cut under
// a duct alarm, the outage shown with the duct as cause; the report is
// computed again only once a link changed state, never per request.
func TestSiteAvailability(t *testing.T) {
	snap, topo := network(t, 60)
	mem, src := sinkWith(t, topo)
	ctx := context.Background()
	start := time.Now().UTC()
	if err := mem.Write(ctx, telemetry.Batch{Changes: []telemetry.StateChange{{Time: start, ObjectKind: telemetry.KindCollector,
		Object: "col-test", To: telemetry.MarkStarted}}}); err != nil {
		t.Fatal(err)
	}
	hist := &countedHistory{HistoryReader: src}
	srv := serve(t, Options{Source: src, History: hist, HistoryName: "test collector", Inventory: snap, Interval: 50 * time.Millisecond})
	member, core := "", topo.CoreA
	for _, s := range topo.Sites {
		if s.Role == inventory.SiteMember {
			member = s.Slug
			break
		}
	}
	var own []telemetry.LinkState
	for _, l := range topo.Links {
		if l.ASite == member || l.BSite == member {
			own = append(own, telemetry.LinkState{ID: l.ID, Oper: "down", SpeedMbps: int64(l.Speed), Cables: l.Cables, Ducts: l.SRLGs})
		}
	}
	if member == "" || len(own) == 0 {
		t.Fatalf("generated network: member %q with %d links", member, len(own))
	}
	avail := func(slug, window string) (int, availDoc) {
		t.Helper()
		r, body := get(t, noRedirect, srv.URL+"/api/sites/"+slug+"/availability?window="+window)
		var d availDoc
		if r.StatusCode == http.StatusOK {
			if err := json.Unmarshal([]byte(body), &d); err != nil {
				t.Fatalf("availability of %s: %v\n%s", slug, err, body)
			}
		}
		return r.StatusCode, d
	}

	// Once the page's state is out (the loop's first read counts as a
	// link change), and with some watched time to report on.
	for deadline := time.Now().Add(10 * time.Second); ; {
		if _, body := get(t, noRedirect, srv.URL+"/api/state"); strings.Contains(body, own[0].ID) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the web NOC never published the links")
		}
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(20 * time.Millisecond)
	_, d := avail(member, "24h")
	if d.Err != "" || d.Hosting.Percent == nil || *d.Hosting.Percent != 100 || len(d.Outages) != 0 || d.Source != "test collector" {
		t.Fatalf("all up: %+v, want hosting 100 %% and no outage", d)
	}
	if d.Hosting.Unknown.D() < 23*time.Hour {
		t.Errorf("all up: unknown %s of the last 24 h, want the time before the collector started", d.Hosting.Unknown.D())
	}
	for range 5 {
		avail(member, "24h")
	}
	if n := hist.reads.Load(); n != 1 {
		t.Errorf("6 pages with no link change read the history %d times, want once", n)
	}

	// The member's links go down under the duct alarm a1.
	now := time.Now().UTC()
	var cut []telemetry.StateChange
	for i := range own {
		own[i].Updated = now
		cut = append(cut, telemetry.StateChange{Time: now, ObjectKind: "link", Object: own[i].ID, From: "up", To: "down", Cause: "a1"})
	}
	if err := mem.Write(ctx, telemetry.Batch{Links: own, Changes: cut}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, d = avail(member, "24h")
		if len(d.Outages) == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after the cut: %+v, want one outage", d)
		}
		time.Sleep(100 * time.Millisecond)
	}
	o := d.Outages[0]
	if !o.Ongoing || o.EndText != "ongoing" || len(o.Causes) != 1 || o.Causes[0].Kind != "duct" || o.Causes[0].Name != "duct-x" ||
		!strings.Contains(o.Cause, "duct duct-x") || o.LostText != "hosting" {
		t.Errorf("outage %+v, want ongoing, hosting lost, caused by duct duct-x", o)
	}
	if d.Hosting.Percent == nil || *d.Hosting.Percent >= 100 {
		t.Errorf("hosting %v %% while cut, want below 100", d.Hosting.Percent)
	}
	reads := hist.reads.Load()
	for range 5 {
		avail(member, "24h")
	}
	if n := hist.reads.Load(); n != reads {
		t.Errorf("5 more pages, no link change: %d history reads, want none", n-reads)
	}
	// The other window has its own report.
	if _, d := avail(member, "30d"); len(d.Outages) != 1 || d.Window != "30d" || d.To.Sub(d.From) != 30*24*time.Hour {
		t.Errorf("30 d: %+v", d)
	}

	if c, _ := avail(member, "7y"); c != http.StatusBadRequest {
		t.Errorf("window 7y: %d, want 400", c)
	}
	if c, _ := avail("nowhere", "24h"); c != http.StatusNotFound {
		t.Errorf("unknown site: %d, want 404", c)
	}
	if _, d := avail(core, "24h"); !strings.Contains(d.Err, "not a member site") {
		t.Errorf("core site %s: %+v, want not a member site", core, d)
	}
}
