package redis

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/tuyau-net/tuyau/telemetry"
)

// TestSinkLayout writes one batch of each kind and reads it back both
// through the Reader and as another tool would, by the documented keys.
func TestSinkLayout(t *testing.T) {
	s, _, c := startSink(t, Options{Network: "manche", HistoryLen: 5})
	ctx := context.Background()
	keys := NewKeys("manche")

	sub := c.Subscribe(ctx, keys.Events())
	defer sub.Close()
	if _, err := sub.Receive(ctx); err != nil { // the subscription confirmation
		t.Fatal(err)
	}

	link := telemetry.LinkState{ID: "l1", Oper: "up", SpeedMbps: 10000, Utilization: 0.25, HasRx: true,
		MeasuredRxDBm: -8, MarginDB: 10, Cables: []string{"c1"}, Ducts: []string{"d1"}, Updated: t0,
		A: telemetry.LinkEnd{Device: "dev000", Interface: "Ethernet1/1", Site: "s1", BaselineDBm: -7.5, HasBaseline: true}}
	for i := 0; i < 20; i++ {
		at := t0.Add(time.Duration(i) * 10 * time.Second)
		link.Updated = at
		ifs := ifaces(2, 3, at)
		link.A.InterfaceState = ifs[0] // dev000 Ethernet1/1, its A end
		b := telemetry.Batch{Interfaces: ifs, Links: []telemetry.LinkState{link},
			Targets: []telemetry.TargetHealth{{Name: "dev000", Connected: true, LastUpdate: at}}}
		if i == 3 {
			b.Changes = []telemetry.StateChange{change("l1", 0, at)}
			b.Alarms = []telemetry.Alarm{alarm("a1", telemetry.AlarmActive, at)}
		}
		if err := s.Write(ctx, b); err != nil {
			t.Fatal(err)
		}
	}
	flush(t, s)

	r := s.Reader()
	links, err := r.Links(ctx)
	if err != nil || len(links) != 1 || !links[0].Updated.Equal(t0.Add(190*time.Second)) {
		t.Fatalf("Links = %+v, %v; want l1 at its last update", links, err)
	}
	ifs, err := r.Interfaces(ctx)
	if err != nil || len(ifs) != 6 || ifs[0].Device != "dev000" || ifs[0].Interface != "Ethernet1/1" {
		t.Fatalf("Interfaces = %d states, %v; want 6 sorted", len(ifs), err)
	}
	// The link's document names its ends; their states are the
	// interfaces' own, joined back by the Reader.
	if links[0].A.InterfaceState != ifs[0] || links[0].A.Site != "s1" || links[0].B != (telemetry.LinkEnd{}) {
		t.Errorf("Links[0] ends = %+v / %+v, want A with dev000 Ethernet1/1's state %+v and an empty B", links[0].A, links[0].B, ifs[0])
	}
	if js := c.HGet(ctx, keys.Link("l1"), "json").Val(); strings.Contains(js, "in_octets") || !strings.Contains(js, `"a":{"device":"dev000","interface":"Ethernet1/1","site":"s1","baseline_dbm":-7.5,"has_baseline":true}`) {
		t.Errorf("HGET %s json = %s, want the ends by name only", keys.Link("l1"), js)
	}
	// A restore reads the documents alone: names and baselines, no join.
	docs, err := r.LinkDocs(ctx)
	if want := (telemetry.LinkEnd{Device: "dev000", Interface: "Ethernet1/1", Site: "s1", BaselineDBm: -7.5, HasBaseline: true}); err != nil || len(docs) != 1 || docs[0].A != want || docs[0].MarginDB != 10 {
		t.Errorf("LinkDocs = %+v, %v; want l1 with its A end %+v and no interface state", docs, err, want)
	}
	if d, err := r.Link(ctx, "l1"); err != nil || d.A.InterfaceState != ifs[0] {
		t.Errorf("Link(l1).A = %+v, %v; want dev000 Ethernet1/1's state", d.A, err)
	}
	tg, err := r.Targets(ctx)
	if err != nil || len(tg) != 1 || !tg[0].Connected {
		t.Fatalf("Targets = %+v, %v", tg, err)
	}
	// The engine lease holder reads only the devices it does not stream.
	others := func(name string) bool { return name != "dev000" }
	if ifs, err := r.InterfacesOf(ctx, others); err != nil || len(ifs) != 3 || ifs[0].Device != "dev001" {
		t.Fatalf("InterfacesOf(not dev000) = %d states, %v; want dev001's 3", len(ifs), err)
	}
	if tg, err := r.TargetsOf(ctx, others); err != nil || len(tg) != 0 {
		t.Fatalf("TargetsOf(not dev000) = %+v, %v; want none", tg, err)
	}
	al, err := r.Alarms(ctx)
	if err != nil || len(al) != 1 || al[0].ID != "a1" || al[0].State != telemetry.AlarmActive || al[0].Ducts[0] != "d1" {
		t.Fatalf("Alarms = %+v, %v", al, err)
	}

	// Flat fields and capped history, as redis-cli sees them.
	if oper := c.HGet(ctx, keys.Link("l1"), "oper").Val(); oper != "up" {
		t.Errorf("HGET %s oper = %q, want up", keys.Link("l1"), oper)
	}
	// MAXLEN ~ trims whole stream nodes (100 entries): write enough.
	for i := 0; i < 300; i++ {
		_ = s.Write(ctx, telemetry.Batch{Links: []telemetry.LinkState{link}})
	}
	flush(t, s)
	if n := c.XLen(ctx, keys.LinkHistory("l1")).Val(); n < 5 || n >= 300 {
		t.Errorf("XLEN %s = %d after 320 writes, want trimmed towards 5 (MAXLEN ~)", keys.LinkHistory("l1"), n)
	}
	last, err := c.XRevRangeN(ctx, keys.IfaceHistory("dev001", "Ethernet1/2"), "+", "-", 1).Result()
	if err != nil || len(last) != 1 || last[0].Values["in_bps"] != "2e+06" {
		t.Errorf("last history of dev001 Ethernet1/2 = %v, %v; want in_bps 2e+06", last, err)
	}
	if n := c.XLen(ctx, keys.Changes()).Val(); n != 1 {
		t.Errorf("XLEN changes = %d, want 1", n)
	}
	if !c.SIsMember(ctx, keys.ActiveAlarms(), "a1").Val() {
		t.Error("a1 not in the active alarm set")
	}
	for _, want := range []string{"change", "alarm"} {
		m, err := sub.ReceiveMessage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var ev struct{ Type string }
		if json.Unmarshal([]byte(m.Payload), &ev); ev.Type != want {
			t.Errorf("published %s, want %s first", m.Payload, want)
		}
	}

	// Clearing keeps the record (readable as cleared) and leaves the set.
	if err := s.Write(ctx, telemetry.Batch{Alarms: []telemetry.Alarm{alarm("a1", telemetry.AlarmCleared, t0.Add(time.Hour))}}); err != nil {
		t.Fatal(err)
	}
	flush(t, s)
	al, _ = r.Alarms(ctx)
	if len(al) != 1 || al[0].State != telemetry.AlarmCleared || c.SIsMember(ctx, keys.ActiveAlarms(), "a1").Val() {
		t.Fatalf("after clear: %+v", al)
	}
	if ttl := c.TTL(ctx, keys.Alarm("a1")).Val(); ttl <= 0 {
		t.Errorf("cleared alarm TTL = %v, want the cleared retention", ttl)
	}
	if st := s.Stats(); st.Written == 0 || st.DroppedSamples != 0 || st.WriteErrors != 0 || !st.Connected {
		t.Errorf("Stats = %+v", st)
	}
}

// TestAckThroughRedis acks an alarm the way the CLI does and checks the
// collector's subscription hears it, and that a new raise needs a new ack.
func TestAckThroughRedis(t *testing.T) {
	s, _, _ := startSink(t, Options{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := s.Write(ctx, telemetry.Batch{Alarms: []telemetry.Alarm{alarm("a1", telemetry.AlarmActive, t0)}}); err != nil {
		t.Fatal(err)
	}
	flush(t, s)
	r := s.Reader()
	acks := r.Subscribe(ctx, "")
	time.Sleep(50 * time.Millisecond) // let the subscription pin its start
	if err := r.Ack(ctx, "nope", "alice"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Ack(nope) = %v, want ErrNotFound", err)
	}
	if err := r.Ack(ctx, "a1", "alice"); err != nil {
		t.Fatal(err)
	}
	select {
	case a := <-acks:
		if a.ID != "a1" || a.By != "alice" || !a.Raised.Equal(t0) {
			t.Errorf("subscribed ack = %+v", a)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no ack delivered by Subscribe")
	}
	al, _ := r.Alarms(ctx)
	if len(al) != 1 || !al[0].Acked || al[0].AckedBy != "alice" {
		t.Fatalf("alarm after ack = %+v", al)
	}
	// The engine rewrites the alarm (same occurrence): the ack holds.
	a := alarm("a1", telemetry.AlarmActive, t0.Add(time.Minute))
	_ = s.Write(ctx, telemetry.Batch{Alarms: []telemetry.Alarm{a}})
	flush(t, s)
	if al, _ = r.Alarms(ctx); !al[0].Acked {
		t.Error("ack lost on an update of the same occurrence")
	}
	// Cleared then raised again: a new occurrence, not acked.
	a.Raised, a.Updated = t0.Add(time.Hour), t0.Add(time.Hour)
	_ = s.Write(ctx, telemetry.Batch{Alarms: []telemetry.Alarm{a}})
	flush(t, s)
	if al, _ = r.Alarms(ctx); al[0].Acked {
		t.Error("a new occurrence inherited the old ack")
	}
}

// TestEventsInOrder: a long run of changes lands in the stream in the
// order written, once each.
func TestEventsInOrder(t *testing.T) {
	s, _, c := startSink(t, Options{MaxPipeline: 7})
	ctx := context.Background()
	for i := 0; i < 200; i++ {
		_ = s.Write(ctx, telemetry.Batch{Changes: []telemetry.StateChange{change("l1", i, t0)}})
	}
	flush(t, s)
	checkChanges(t, c, s.Keys(), 200)
}

// checkChanges says the changes stream holds causes 0..n-1, in order,
// once each.
func checkChanges(t *testing.T, c goredis.UniversalClient, keys Keys, n int) {
	t.Helper()
	xs, err := c.XRange(context.Background(), keys.Changes(), "-", "+").Result()
	if err != nil {
		t.Fatal(err)
	}
	if len(xs) != n {
		var causes []string
		for _, x := range xs {
			var ch telemetry.StateChange
			_ = json.Unmarshal([]byte(x.Values["json"].(string)), &ch)
			causes = append(causes, ch.Cause)
		}
		t.Fatalf("changes stream holds %d entries, want %d: causes %v", len(xs), n, causes)
	}
	for i, x := range xs {
		var ch telemetry.StateChange
		if err := json.Unmarshal([]byte(x.Values["json"].(string)), &ch); err != nil {
			t.Fatal(err)
		}
		if ch.Cause != strconv.Itoa(i) {
			t.Fatalf("changes[%d] has cause %s: out of order or duplicated", i, ch.Cause)
		}
	}
}
