package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/tuyau-net/tuyau/inventory/synth"
	"github.com/tuyau-net/tuyau/inventory/yamlstore"
	"github.com/tuyau-net/tuyau/telemetry"
	"github.com/tuyau-net/tuyau/telemetry/report"
	"github.com/tuyau-net/tuyau/telemetry/sink/memory"
	"github.com/tuyau-net/tuyau/telemetry/sink/redis"
	"github.com/tuyau-net/tuyau/testlab/redislab"
	"github.com/tuyau-net/tuyau/topology"
)

// TestReportAvailabilityRedis runs a collector against a virtual lab with
// a persistent Redis, cuts a duct that takes a member site off the
// hosting and repairs it, restarts the collector, crashes and restarts
// Redis, and reads the report back through the CLI: one outage of the
// member, caused by the duct, lasting as long as the cut (within the
// detection delay), the collector's downtime as the only unknown time
// after its first start, and the Redis crash costing no data.
func TestReportAvailabilityRedis(t *testing.T) {
	rs := redislab.StartPersistent(t)
	ctx, cancel := context.WithCancel(context.Background())
	snap, err := synth.Generate(synth.Options{Sites: 5, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	topo, err := topology.Build(snap, topology.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var duct topology.Failure
	for _, f := range topology.Analyze(topo).Cuts(topology.CutOptions{Kinds: []topology.FailureKind{topology.FailSRLG}}) {
		if len(f.LinksDown) >= 2 && len(f.LoseHosting) > 0 {
			duct = f
			break
		}
	}
	if duct.Name == "" {
		t.Fatal("the generated network has no duct of two links cutting a member off")
	}
	member := duct.LoseHosting[0]
	lab := startCollectorLab(t, ctx, cancel, "", snap, "report", 30*time.Second)
	inv, root := lab.inv, lab.root
	url := rs.URL()
	args := lab.collectArgs(url, 2*time.Second, "--listen", "", "--mark-every", "1s")
	from := time.Now()
	col := startCollect(t, "col-r", args...)
	rc := goredis.NewClient(&goredis.Options{Addr: rs.Addr()})
	defer rc.Close()
	keys := redis.NewKeys(snap.Network.Name)
	// changes reads the stream; written is when each entry was written
	// (its id): a target's first notification after a connect may carry
	// the time its state was set, older than the connection.
	type entry struct {
		telemetry.StateChange
		written time.Time
	}
	changes := func() ([]entry, error) {
		xs, err := rc.XRange(ctx, keys.Changes(), "-", "+").Result()
		var out []entry
		for _, x := range xs {
			var c telemetry.StateChange
			ms, _ := strconv.ParseInt(strings.Split(x.ID, "-")[0], 10, 64)
			if json.Unmarshal([]byte(fmt.Sprint(x.Values["json"])), &c) == nil {
				out = append(out, entry{c, time.UnixMilli(ms)})
			}
		}
		return out, err
	}
	linksUp := func(after time.Time) func() (bool, string) {
		return func() (bool, string) {
			cs, err := changes()
			if err != nil {
				return false, err.Error()
			}
			up := map[string]bool{}
			for _, c := range cs {
				if c.ObjectKind == "link" && !c.written.Before(after) {
					up[c.Object] = c.To == "up"
				}
			}
			for _, l := range duct.LinksDown {
				if !up[l] {
					var seen []string
					for _, c := range cs {
						if c.ObjectKind == "link" || c.ObjectKind == telemetry.KindCollector {
							seen = append(seen, fmt.Sprintf("%s %s %s->%s (written %s)", c.Time.Format(time.RFC3339Nano), c.Object, c.From, c.To, c.written.Format(time.RFC3339Nano)))
						}
					}
					return false, fmt.Sprintf("link %s not seen up since %s; %d changes:\n%s\n%s", l, after.Format(time.RFC3339Nano), len(cs),
						strings.Join(seen, "\n"), col.stderr.String())
				}
			}
			return true, ""
		}
	}
	eventually(t, 40*time.Second, "the duct's links up in Redis", linksUp(from))

	cutAt := time.Now()
	if r := runCLI(t, nil, "lab", "cut", "--srlg", duct.Name, "--lab-dir", root, "--name", "report"); r.code != exitOK {
		t.Fatalf("lab cut --srlg %s: exit %d %s", duct.Name, r.code, r.stderr)
	}
	cutDone := time.Now()
	rootID := telemetry.AlarmID("telemetry", "duct", "duct", duct.Name)
	eventually(t, 30*time.Second, "the duct alarm in Redis", func() (bool, string) {
		r := runCLI(t, nil, "telemetry", "alarms", "-o", "json", "--redis", url, "-i", inv)
		var as []telemetry.Alarm
		if r.code != exitOK || json.Unmarshal([]byte(r.stdout), &as) != nil {
			return false, fmt.Sprintf("telemetry alarms: exit %d %s", r.code, r.stderr)
		}
		for _, a := range as {
			if a.ID == rootID && a.State == telemetry.AlarmActive {
				return true, ""
			}
		}
		return false, fmt.Sprintf("%d alarms, no active %s", len(as), rootID)
	})
	time.Sleep(time.Until(cutAt.Add(6 * time.Second))) // the outage lasts about 6 s
	restoreAt := time.Now()
	if r := runCLI(t, nil, "lab", "restore", "--srlg", duct.Name, "--lab-dir", root, "--name", "report"); r.code != exitOK {
		t.Fatalf("lab restore --srlg %s: exit %d %s", duct.Name, r.code, r.stderr)
	}
	restoreDone := time.Now()
	eventually(t, 30*time.Second, "the duct's links up again", linksUp(restoreAt))

	// The collector stops cleanly and comes back 3 s later.
	haltAt := time.Now()
	col.halt(t, nil)
	stoppedAt := time.Now()
	time.Sleep(3 * time.Second)
	startedAt := time.Now()
	col = startCollect(t, "col-r", args...)
	eventually(t, 40*time.Second, "the restarted collector's links in Redis", linksUp(startedAt))

	// Redis crashes (its AOF is fsynced at every write) and restarts: the
	// sink keeps the changes and markers meanwhile and replays them.
	rs.Kill(t)
	killedAt := time.Now()
	time.Sleep(2 * time.Second)
	rs.Start(t)
	eventually(t, 30*time.Second, "heartbeats written during the Redis outage", func() (bool, string) {
		cs, err := changes()
		if err != nil {
			return false, err.Error()
		}
		var during, after int
		for _, c := range cs {
			if c.ObjectKind == telemetry.KindCollector && c.To == telemetry.MarkRunning {
				switch {
				case c.Time.After(killedAt) && c.Time.Before(killedAt.Add(2*time.Second)):
					during++
				case c.Time.After(killedAt.Add(3 * time.Second)):
					after++
				}
			}
		}
		return during > 0 && after > 0, fmt.Sprintf("%d heartbeats during, %d after\n%s", during, after, col.stderr.String())
	})
	to := time.Now()

	rep := runCLI(t, nil, "report", "availability", "--redis", url, "-i", inv, "-o", "json",
		"--from", from.Format(time.RFC3339Nano), "--to", to.Format(time.RFC3339Nano))
	if rep.code != exitOK {
		t.Fatalf("report availability: exit %d %s", rep.code, rep.stderr)
	}
	var r report.Report
	if err := json.Unmarshal([]byte(rep.stdout), &r); err != nil {
		t.Fatalf("report JSON: %v\n%s", err, rep.stdout)
	}
	// Each event happened between two clock readings around what caused
	// it; the report may be off by the detection and flush delays.
	const tolerance = 2 * time.Second
	within := func(got, lo, hi time.Time) bool {
		return !got.Before(lo.Add(-tolerance)) && !got.After(hi.Add(tolerance))
	}
	// Unknown: before the first start, and the collector's restart; not
	// the Redis crash.
	var restartGap *report.Interval
	for i, g := range r.NoData {
		switch {
		case g.Start.Equal(r.From) && g.End.Before(cutAt):
		case within(g.Start, haltAt, stoppedAt) && within(g.End, startedAt, startedAt.Add(8*time.Second)):
			restartGap = &r.NoData[i]
		default:
			t.Errorf("no data %s to %s: neither before the first start nor the restart (stopped %s, started %s, Redis killed %s)",
				g.Start.Format(time.RFC3339Nano), g.End.Format(time.RFC3339Nano), stoppedAt.Format(time.RFC3339Nano),
				startedAt.Format(time.RFC3339Nano), killedAt.Format(time.RFC3339Nano))
		}
	}
	if restartGap == nil {
		t.Errorf("the collector's restart (%s to %s) is not reported as no data: %+v", stoppedAt.Format(time.RFC3339Nano), startedAt.Format(time.RFC3339Nano), r.NoData)
	}
	var m *report.Member
	for i := range r.Members {
		if r.Members[i].Site == member {
			m = &r.Members[i]
		}
	}
	if m == nil {
		t.Fatalf("member %s not in the report: %s", member, rep.stdout)
	}
	if len(m.Outages) != 1 {
		t.Fatalf("%s: %d outages, want the cut's one: %+v", member, len(m.Outages), m.Outages)
	}
	o := m.Outages[0]
	if !within(o.Start, cutAt, cutDone) || !within(o.End, restoreAt, restoreDone) ||
		o.Duration.D() < restoreAt.Sub(cutDone)-tolerance || o.Duration.D() > restoreDone.Sub(cutAt)+tolerance {
		t.Errorf("%s outage %s to %s (%v), want about %s to %s (%v)", member, o.Start.Format(time.RFC3339Nano), o.End.Format(time.RFC3339Nano),
			o.Duration.D(), cutAt.Format(time.RFC3339Nano), restoreAt.Format(time.RFC3339Nano), restoreAt.Sub(cutAt))
	}
	if len(o.Causes) != 1 || o.Causes[0].Kind != "duct" || o.Causes[0].Name != duct.Name || o.Causes[0].Alarm != rootID {
		t.Errorf("%s outage causes %+v, want duct %s (alarm %s)", member, o.Causes, duct.Name, rootID)
	}
	if o.HostingLost != o.Duration || m.Hosting.Down != o.Duration {
		t.Errorf("%s: hosting lost %v in the outage, %v in the window; want the outage's %v", member, o.HostingLost.D(), m.Hosting.Down.D(), o.Duration.D())
	}
	known := m.Hosting.Up.D() + m.Hosting.Down.D()
	if m.Hosting.Percent == nil || math.Abs(*m.Hosting.Percent-100*float64(m.Hosting.Up.D())/float64(known)) > 0.01 || *m.Hosting.Percent >= 100 {
		t.Errorf("%s: hosting %v %%, up %v down %v", member, m.Hosting.Percent, m.Hosting.Up.D(), m.Hosting.Down.D())
	}
	if restartGap != nil && m.Hosting.Unknown.D() < restartGap.Duration() {
		t.Errorf("%s: unknown %v, less than the collector's restart %v", member, m.Hosting.Unknown.D(), restartGap.Duration())
	}
	t.Logf("%s: outage %v (cut held %v), hosting %s, unknown %v, no data %+v", member, o.Duration.D(), restoreAt.Sub(cutAt),
		report.Pct(m.Hosting.Percent), m.Hosting.Unknown.D(), r.NoData)

	// The other formats say the same.
	win := []string{"--from", from.Format(time.RFC3339Nano), "--to", to.Format(time.RFC3339Nano)}
	html := runCLI(t, nil, append([]string{"report", "availability", "--redis", url, "-i", inv, "-o", "html"}, win...)...)
	if html.code != exitOK || !strings.Contains(html.stdout, report.Pct(m.Hosting.Percent)+" access to hosting") || !strings.Contains(html.stdout, duct.Name) {
		t.Errorf("report -o html: exit %d, headline or duct missing: %s", html.code, html.stderr)
	}
	cs := runCLI(t, nil, append([]string{"report", "availability", "--redis", url, "-i", inv, "-o", "csv"}, win...)...)
	rows, err := csv.NewReader(strings.NewReader(cs.stdout)).ReadAll()
	if cs.code != exitOK || err != nil {
		t.Fatalf("report -o csv: exit %d %v %s", cs.code, err, cs.stderr)
	}
	var outageRows int
	for _, row := range rows {
		if row[0] == "outage" && row[1] == member && strings.Contains(row[13], duct.Name) {
			outageRows++
		}
	}
	if outageRows != 1 {
		t.Errorf("report -o csv: %d outage rows of %s naming %s, want 1:\n%s", outageRows, member, duct.Name, cs.stdout)
	}
}

// TestReportAvailabilityCollector reads a collector's HTTP API (its
// memory sink) through the CLI: a duct cut of 20 min in the last hour,
// the member's site alone with --site, and the errors a user can make.
func TestReportAvailabilityCollector(t *testing.T) {
	snap, err := synth.Generate(synth.Options{Sites: 12, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	inv := filepath.Join(t.TempDir(), "inventory.yaml")
	if err := yamlstore.WriteFile(inv, snap); err != nil {
		t.Fatal(err)
	}
	topo, err := topology.Build(snap, topology.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var duct topology.Failure
	for _, f := range topology.Analyze(topo).Cuts(topology.CutOptions{Kinds: []topology.FailureKind{topology.FailSRLG}}) {
		if len(f.LoseHosting) > 0 {
			duct = f
			break
		}
	}
	now := time.Now().UTC()
	start := now.Add(-2 * time.Hour)
	mem := memory.New(memory.Options{}) // created now: complete from now only
	b := telemetry.Batch{Changes: []telemetry.StateChange{{Time: start, ObjectKind: telemetry.KindCollector, Object: "c", To: telemetry.MarkStarted}}}
	for _, l := range topo.Links {
		b.Changes = append(b.Changes, telemetry.StateChange{Time: start, ObjectKind: "link", Object: l.ID, From: "unknown", To: "up"})
	}
	rootID := telemetry.AlarmID("telemetry", "duct", "duct", duct.Name)
	cut, repaired := now.Add(-50*time.Minute), now.Add(-30*time.Minute)
	for _, l := range duct.LinksDown {
		b.Changes = append(b.Changes, telemetry.StateChange{Time: cut, ObjectKind: "link", Object: l, From: "up", To: "down", Cause: rootID},
			telemetry.StateChange{Time: repaired, ObjectKind: "link", Object: l, From: "down", To: "up"})
	}
	b.Alarms = []telemetry.Alarm{{ID: rootID, Rule: "duct", ObjectKind: "duct", Object: duct.Name, State: telemetry.AlarmCleared}}
	if err := mem.Write(context.Background(), b); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(telemetry.NewAPI(mem, telemetry.APIOptions{}))
	defer srv.Close()
	member := duct.LoseHosting[0]
	// The sink was created just now: the history before it is not
	// complete, so the report over the last hour says no data...
	r := runCLI(t, nil, "report", "availability", "--collector", srv.URL, "-i", inv, "--from", "-1h", "-o", "json", "--site", member)
	var rep report.Report
	if r.code != exitOK || json.Unmarshal([]byte(r.stdout), &rep) != nil {
		t.Fatalf("report --collector: exit %d %s %s", r.code, r.stderr, r.stdout)
	}
	if len(rep.Members) != 1 || rep.Members[0].Site != member || rep.Members[0].Hosting.Unknown.D() < 59*time.Minute || len(rep.Members[0].Outages) != 0 {
		t.Fatalf("report of a sink created now: %+v, want %s alone, the hour unknown", rep.Members, member)
	}
	// ...and, the sink made with the collector two hours ago, the outage.
	mem2 := memory.New(memory.Options{Now: func() time.Time { return start }})
	if err := mem2.Write(context.Background(), b); err != nil {
		t.Fatal(err)
	}
	srv2 := httptest.NewServer(telemetry.NewAPI(liveNow{mem2}, telemetry.APIOptions{}))
	defer srv2.Close()
	r = runCLI(t, nil, "report", "availability", "--collector", srv2.URL, "-i", inv, "--from", "-1h", "--site", member)
	if r.code != exitOK || !strings.Contains(r.stdout, "20 min") || !strings.Contains(r.stdout, "duct "+duct.Name) || !strings.Contains(r.stdout, "66.67 %") {
		t.Errorf("report --collector table: exit %d, want the 20 min outage of the duct (66.67 %%):\n%s%s", r.code, r.stdout, r.stderr)
	}
	for _, bad := range [][]string{
		{"--from", "yesterday"},
		{"--from", "-1h", "--to", "-2h"},
		{"--site", "no-such-site"},
		{"-o", "pdf"},
	} {
		r := runCLI(t, nil, append([]string{"report", "availability", "--collector", srv2.URL, "-i", inv}, bad...)...)
		if r.code == exitOK || r.stderr == "" || strings.Contains(r.stderr, "panic") {
			t.Errorf("report availability %v: exit %d, stderr %q: want an error naming the problem", bad, r.code, r.stderr)
		}
	}
}

// liveNow is a memory sink whose history ends at the real now (its
// clock is set to its creation, two hours ago, for Since).
type liveNow struct{ *memory.Sink }

func (l liveNow) History(ctx context.Context) (telemetry.ChangeHistory, error) {
	h, err := l.Sink.History(ctx)
	h.Until = time.Now().UTC()
	return h, err
}
