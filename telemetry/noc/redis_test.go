package noc

import (
	"context"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"github.com/tuyau-net/tuyau/telemetry"
	"github.com/tuyau-net/tuyau/telemetry/sink/redis"
	"github.com/tuyau-net/tuyau/testlab/redislab/sinktest"
)

// TestRedisSource runs the dashboard on a real Redis: the panes from what
// a sink wrote, the link view's history from the Redis stream, an ack
// through the Redis ack path, and a change published by the sink waking
// the dashboard before its next poll.
func TestRedisSource(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	sink := sinktest.Sink(t, redis.Options{Network: "manche", HistoryLen: 100})
	f := fixture()
	for i := range 4 {
		ls := append([]telemetry.LinkState(nil), f.links...)
		for j := range ls {
			ls[j].Updated = t0.Add(time.Duration(i-4) * time.Second)
			ls[j].MeasuredRxDBm -= float64(i)
		}
		if err := sink.Write(ctx, telemetry.Batch{Links: ls, Targets: f.targets}); err != nil {
			t.Fatal(err)
		}
	}
	if err := sink.Write(ctx, telemetry.Batch{Alarms: f.alarms}); err != nil {
		t.Fatal(err)
	}
	if err := sink.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	r := sink.Reader()
	m := New(ctx, Options{Source: r, Acker: r, Inventory: inv(), User: "bob", Now: func() time.Time { return t0 }, Width: 120, Height: 40})
	m.apply(Read(ctx, m.o))
	if v := ansi.Strip(m.View()); !strings.Contains(v, "Alarms 2") || !strings.Contains(v, "Links 4") || !strings.Contains(v, "[+2] duct on duct-stlo-north") {
		t.Fatalf("panes from Redis:\n%s", v)
	}

	m = press(t, m, "a")
	if al, _ := r.Alarms(ctx); !ackedBy(al, "root1", "bob") {
		t.Errorf("the ack did not reach Redis: %+v", al)
	}
	if v := ansi.Strip(m.View()); !strings.Contains(v, "ack  duct") {
		t.Errorf("the acked alarm is not shown acked:\n%s", v)
	}

	m = press(t, m, "tab", "enter")
	if m.detail != linkDown || len(m.served) != 4 {
		t.Fatalf("link view %q with %d points from the stream, want %s with 4", m.detail, len(m.served), linkDown)
	}
	if v := ansi.Strip(m.View()); !strings.Contains(v, "4 points over 3s") {
		t.Errorf("link view history:\n%s", v)
	}

	// Init watches the events channel: a published alarm is a message.
	cmds := m.Init()().(tea.BatchMsg)
	got := make(chan tea.Msg, 1)
	go func() { got <- cmds[1]() }()
	if err := sink.Write(ctx, telemetry.Batch{Alarms: []telemetry.Alarm{f.alarms[0]}}); err != nil {
		t.Fatal(err)
	}
	if err := sink.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	select {
	case msg := <-got:
		if _, ok := msg.(changedWith); !ok {
			t.Errorf("watch gave %T, want a change", msg)
		}
	case <-ctx.Done():
		t.Fatal("no change seen on the events channel")
	}
}

func ackedBy(as []telemetry.Alarm, id, by string) bool {
	for _, a := range as {
		if a.ID == id {
			return a.Acked && a.AckedBy == by
		}
	}
	return false
}
