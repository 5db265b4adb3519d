package redis

import (
	"context"
	"fmt"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/tuyau-net/tuyau/telemetry"
	"github.com/tuyau-net/tuyau/testlab/redislab"
)

// startSink runs a real redis-server and a sink writing to it.
func startSink(t *testing.T, opts Options) (*Sink, *redislab.Server, goredis.UniversalClient) {
	t.Helper()
	srv := redislab.Start(t)
	s, err := Open(srv.URL(), "", opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	c := goredis.NewClient(&goredis.Options{Addr: srv.Addr()})
	t.Cleanup(func() { _ = c.Close() })
	return s, srv, c
}

func flush(t *testing.T, s *Sink) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := s.Flush(ctx); err != nil {
		t.Fatal(err)
	}
}

var t0 = time.Date(2026, 12, 3, 8, 0, 0, 0, time.UTC)

// ifaces is n devices × m interfaces of state at time at.
func ifaces(n, m int, at time.Time) []telemetry.InterfaceState {
	var out []telemetry.InterfaceState
	for d := 0; d < n; d++ {
		for i := 0; i < m; i++ {
			out = append(out, telemetry.InterfaceState{
				Device: fmt.Sprintf("dev%03d", d), Interface: fmt.Sprintf("Ethernet1/%d", i+1),
				Oper: "UP", InOctets: uint64(1000 * (i + 1)), InBps: 1e6 * float64(i+1), OutBps: 2e6,
				HasOptics: true, RxDBm: -7.5, TxDBm: -2, Updated: at,
			})
		}
	}
	return out
}

func alarm(id string, state telemetry.AlarmState, at time.Time) telemetry.Alarm {
	return telemetry.Alarm{ID: id, Rule: "link-down", Source: "telemetry", Severity: telemetry.SevMajor,
		State: state, ObjectKind: "link", Object: id, Message: "link " + id + " down",
		Raised: t0, Updated: at, Cables: []string{"c1"}, Ducts: []string{"d1"}, Sites: []string{"s1"}}
}

func change(obj string, i int, at time.Time) telemetry.StateChange {
	from, to := "up", "down"
	if i%2 == 1 {
		from, to = to, from
	}
	return telemetry.StateChange{Time: at, ObjectKind: "link", Object: obj, From: from, To: to, Cause: fmt.Sprint(i)}
}

func waitUntil(t *testing.T, within time.Duration, what string, ok func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		done, msg := ok()
		if done {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not after %v: %s", what, within, msg)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
