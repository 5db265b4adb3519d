package telemetry

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestHysteresis(t *testing.T) {
	t0 := time.Date(2026, 12, 3, 8, 0, 0, 0, time.UTC)
	const B, G, N = 'b', 'g', 'n' // bad, good, neither (dead band), '.' no sample
	tests := []struct {
		name string
		rule Rule
		// one char per second; want the state after each: '+' active, '-' not
		samples, want string
	}{
		{"raise after 3 bad, clear after 2 good", Rule{RaiseSamples: 3, ClearSamples: 2}, "bbbbggbgg", "--+++----"},
		{"a good sample restarts the raise count", Rule{RaiseSamples: 3, ClearSamples: 1}, "bbgbbb", "-----+"},
		{"dead band holds an active alarm", Rule{RaiseSamples: 1, ClearSamples: 2}, "bnnngng", "+++++++"},
		{"dead band restarts the raise count", Rule{RaiseSamples: 2, ClearSamples: 1}, "bnbnbb", "-----+"},
		{"raise after 3 s bad with no new samples", Rule{RaiseAfter: Duration(3 * time.Second), ClearSamples: 1}, "b.....g", "---+++-"},
		{"samples or time, whichever first", Rule{RaiseSamples: 5, RaiseAfter: Duration(2 * time.Second), ClearSamples: 1}, "bbb", "--+"},
		{"clear after 3 s good", Rule{RaiseSamples: 1, ClearAfter: Duration(3 * time.Second)}, "bg...", "++++-"},
		{"zero hysteresis: first sample decides", Rule{}, "bgbg", "+-+-"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var c alarmCond
			var got []byte
			for i, s := range tt.samples {
				now := t0.Add(time.Duration(i) * time.Second)
				switch s {
				case B:
					c.observe(true, false, now)
				case G:
					c.observe(false, true, now)
				case N:
					c.observe(false, false, now)
				}
				raise, clr := c.due(tt.rule, now)
				if raise {
					c.active = true
				}
				if clr {
					c.active = false
				}
				if c.active {
					got = append(got, '+')
				} else {
					got = append(got, '-')
				}
			}
			if string(got) != tt.want {
				t.Errorf("samples %s: states %s, want %s", tt.samples, got, tt.want)
			}
		})
	}
}

func TestAlarmIDStable(t *testing.T) {
	a := AlarmID("telemetry", "link-down", "link", "r1:eth1 -- r2:eth1")
	if a != AlarmID("telemetry", "link-down", "link", "r1:eth1 -- r2:eth1") || len(a) != 16 {
		t.Fatalf("AlarmID not stable or not 16 hex digits: %q", a)
	}
	// Field boundaries are part of the id.
	if AlarmID("telemetry", "link-down", "link", "x") == AlarmID("telemetry", "link-dow", "nlink", "x") {
		t.Error("AlarmID ignores field boundaries")
	}
}

// One alarm per condition per object, acknowledged, and the id, the raise
// time and the acknowledgement kept across a restart through Restore.
func TestDedupAckRestore(t *testing.T) {
	n := manche(t)
	p := newPlant(n)
	e := newMancheEngine(t, testRules(), p)
	p.run(e, 3)
	const id = "avranches-pop-r1:eth1 -- coutances-pop-r1:eth2"
	l, _ := n.topo.Link(id)
	p.cut[l.Cables[1]] = true
	changes := p.run(e, 5)
	var raised []Alarm
	for _, a := range changes {
		if a.Rule == "link-down" && a.Object == id {
			raised = append(raised, a)
		}
	}
	if len(raised) != 1 || raised[0].State != AlarmActive {
		t.Fatalf("link-down on %s: %d changes %+v, want one raise", id, len(raised), raised)
	}
	al := raised[0]
	if al.ID != AlarmID("telemetry", "link-down", "link", id) || !slices.Equal(al.Cables, l.Cables) || len(al.Sites) != 2 {
		t.Errorf("alarm %+v: want the stable id, the link's cables and both sites", al)
	}
	if _, err := e.Ack("nope", "noc", p.now); !errors.Is(err, ErrUnknownAlarm) || !strings.Contains(err.Error(), "nope") {
		t.Errorf("Ack(unknown) = %v, want ErrUnknownAlarm naming it", err)
	}
	acked, err := e.Ack(al.ID, "alice", p.now)
	if err != nil || !acked.Acked || acked.AckedBy != "alice" {
		t.Fatalf("Ack = %+v, %v", acked, err)
	}
	b := p.step(e)
	if len(b.Alarms) != 1 || !b.Alarms[0].Acked {
		t.Errorf("batch after ack: %+v, want the acknowledged alarm", b.Alarms)
	}
	// A restart: a new engine restored from what a sink holds.
	saved := e.Alarms()
	e2 := newMancheEngine(t, testRules(), p)
	e2.Restore(saved)
	p.run(e2, 3)
	got := activeAlarms(e2, "link-down")[id]
	if got.ID != al.ID || !got.Acked || got.AckedBy != "alice" || !got.Raised.Equal(al.Raised) {
		t.Errorf("after restart: %+v, want id %s raised %v acked by alice", got, al.ID, al.Raised)
	}
	// Repair: cleared once, and a new occurrence needs a new acknowledgement.
	delete(p.cut, l.Cables[1])
	p.run(e2, 2)
	if a, ok := activeAlarms(e2, "link-down")[id]; ok {
		t.Fatalf("still active after repair: %+v", a)
	}
	p.cut[l.Cables[1]] = true
	p.run(e2, 2)
	if a := activeAlarms(e2, "link-down")[id]; a.ID != al.ID || a.Acked || !a.Raised.After(al.Raised) {
		t.Errorf("second occurrence: %+v, want the same id, not acknowledged, raised later", a)
	}
}

func TestEventsIngest(t *testing.T) {
	n := manche(t)
	p := newPlant(n)
	r := testRules()
	r.Events = map[string]Rule{"hosting-failover": {Severity: SevCritical, RaiseSamples: 2, ClearSamples: 1}}
	e := newMancheEngine(t, r, p)
	down := Event{Source: "bgp", Rule: "bgp-session-down", Severity: SevMajor, ObjectKind: "peer", Object: "transit-1 192.0.2.1",
		Active: true, Message: "session to transit-1 down", Sites: []string{"saint-lo-dc"}, Attrs: map[string]string{"peer": "192.0.2.1"}}
	e.Ingest(down)
	e.Ingest(down) // repeated: still one alarm
	b := e.Tick(p.now)
	if len(b.Alarms) != 1 || b.Alarms[0].Source != "bgp" || b.Alarms[0].Severity != SevMajor || b.Alarms[0].Attrs["peer"] != "192.0.2.1" {
		t.Fatalf("alarms %+v, want one bgp alarm", b.Alarms)
	}
	id := b.Alarms[0].ID
	if _, err := e.Ack(id, "bob", p.now); err != nil {
		t.Fatal(err)
	}
	fo := Event{Source: "bgp", Rule: "hosting-failover", ObjectKind: "service", Object: "hosting", Active: true, Message: "failover to core B"}
	e.Ingest(fo)
	if b := e.Tick(p.now); len(b.Alarms) != 1 || !b.Alarms[0].Acked {
		t.Fatalf("after one failover event: %+v, want only the ack (the rule raises after 2)", b.Alarms)
	}
	e.Ingest(fo)
	if b := e.Tick(p.now); len(b.Alarms) != 1 || b.Alarms[0].Rule != "hosting-failover" || b.Alarms[0].Severity != SevCritical {
		t.Fatalf("after two: %+v, want the failover alarm, critical by its rule", b.Alarms)
	}
	down.Active = false
	e.Ingest(down)
	b = e.Tick(p.now)
	if len(b.Alarms) != 1 || b.Alarms[0].ID != id || b.Alarms[0].State != AlarmCleared {
		t.Fatalf("after clear: %+v, want %s cleared", b.Alarms, id)
	}
}

func TestTargetRules(t *testing.T) {
	n := manche(t)
	p := newPlant(n)
	e := newMancheEngine(t, testRules(), p)
	h := TargetHealth{Name: "saint-lo-dc-r1", Address: "10.0.0.1:57400", Connected: true}
	tick := func() []Alarm { return e.Tick(p.now).Alarms }
	// One health report per second, as at each flush; 100 samples promised
	// per second, and gaps as the ledger counts them.
	var exp, gaps uint64
	report := func(secs int, missedPerSec uint64) {
		for range secs {
			p.now = p.now.Add(time.Second)
			exp += 100
			gaps += missedPerSec
			h.Expected, h.Received, h.Gaps = exp, exp-gaps, gaps
			e.ObserveTarget(h)
		}
	}
	report(1, 0)
	report(20, 1) // 1% missed: under the 5% threshold
	if as := tick(); len(as) != 0 {
		t.Fatalf("alarms %+v with 1%% missing", as)
	}
	report(10, 20) // a window of 20% missed
	as := tick()
	if len(as) != 1 || as[0].Rule != "telemetry-gap" || as[0].Attrs["missing"] != "200" || as[0].Sites[0] != "saint-lo-dc" {
		t.Fatalf("alarms %+v, want one telemetry-gap with 200 missing at saint-lo-dc", as)
	}
	report(10, 0)
	if as := tick(); len(as) != 0 {
		t.Fatalf("alarms %+v after one complete window (clears after 2)", as)
	}
	report(10, 0)
	if as := tick(); len(as) != 1 || as[0].State != AlarmCleared {
		t.Fatalf("alarms %+v, want the gap cleared after 2 complete windows", as)
	}
	h.Connected, h.LastError = false, "connection refused"
	report(1, 100)
	if as := tick(); len(as) != 0 {
		t.Fatalf("alarms %+v right after the disconnect (raise after 5 s)", as)
	}
	p.now = p.now.Add(5 * time.Second)
	as = tick()
	if len(as) != 1 || as[0].Rule != "target-unreachable" || !strings.Contains(as[0].Message, "connection refused") {
		t.Fatalf("alarms %+v, want target-unreachable with the error", as)
	}
	h.Connected, h.Reconnects = true, 1
	report(1, 0)
	if as := tick(); len(as) != 1 || as[0].State != AlarmCleared {
		t.Fatalf("alarms %+v, want unreachable cleared on reconnect", as)
	}
}
