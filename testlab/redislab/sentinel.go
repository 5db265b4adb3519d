package redislab

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// Sentinel is a primary, its replicas and the sentinels watching them, all
// on loopback. Master is the name clients ask the sentinels for.
type Sentinel struct {
	Master    string
	Servers   []*Server // Servers[0] is the first primary
	Sentinels []*Server
}

// StartSentinel starts one primary, replicas replicas of it and sentinels
// sentinels (quorum: a majority), with short failure timers (down after
// 1 s) so a failover completes in a few seconds. It waits until every
// sentinel knows the replicas.
func StartSentinel(t testing.TB, replicas, sentinels int) *Sentinel {
	t.Helper()
	return startSentinel(t, replicas, sentinels, "")
}

// StartSentinelPersistent is StartSentinel with an append-only file on
// every server (as StartPersistent): a primary killed and started again
// before the sentinels notice comes back with its data, not empty (which
// its replicas would then copy).
func StartSentinelPersistent(t testing.TB, replicas, sentinels int) *Sentinel {
	t.Helper()
	return startSentinel(t, replicas, sentinels, "appendonly yes\nappendfsync always\n")
}

func startSentinel(t testing.TB, replicas, sentinels int, extra string) *Sentinel {
	t.Helper()
	g := &Sentinel{Master: "tuyau"}
	primary := start(t, "redis-server", extra)
	g.Servers = append(g.Servers, primary)
	for i := 0; i < replicas; i++ {
		r := start(t, "redis-server", extra+fmt.Sprintf("replicaof 127.0.0.1 %d\nreplica-announce-ip 127.0.0.1\n", primary.Port()))
		g.Servers = append(g.Servers, r)
	}
	quorum := sentinels/2 + 1
	for i := 0; i < sentinels; i++ {
		s := start(t, "redis-sentinel", fmt.Sprintf(
			"sentinel monitor %s 127.0.0.1 %d %d\nsentinel down-after-milliseconds %[1]s 1000\nsentinel failover-timeout %[1]s 4000\nsentinel parallel-syncs %[1]s 1\nsentinel announce-ip 127.0.0.1\n",
			g.Master, primary.Port(), quorum))
		g.Sentinels = append(g.Sentinels, s)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		ok := true
		for _, s := range g.Sentinels {
			out, err := s.Do("SENTINEL", "REPLICAS", g.Master)
			if err != nil || strings.Count(out, "flags\nslave") < replicas {
				ok = false
				break
			}
		}
		if ok {
			return g
		}
		if time.Now().After(deadline) {
			t.Fatalf("redislab: sentinels do not see %d replicas after 20s; log:\n%s", replicas, g.Sentinels[0].Log())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Addrs are the sentinels' host:port.
func (g *Sentinel) Addrs() []string {
	out := make([]string, len(g.Sentinels))
	for i, s := range g.Sentinels {
		out[i] = s.Addr()
	}
	return out
}

// URL is the redis-sentinel:// form the Redis sink opens.
func (g *Sentinel) URL() string {
	return "redis-sentinel://" + strings.Join(g.Addrs(), ",") + "/" + g.Master
}

// PrimaryAddr asks a sentinel which server is the primary now.
func (g *Sentinel) PrimaryAddr() (string, error) {
	var last error
	for _, s := range g.Sentinels {
		if !s.Running() {
			continue
		}
		out, err := s.Do("SENTINEL", "GET-MASTER-ADDR-BY-NAME", g.Master)
		if err != nil {
			last = err
			continue
		}
		hp := strings.Split(out, "\n")
		if len(hp) == 2 {
			return hp[0] + ":" + hp[1], nil
		}
	}
	return "", fmt.Errorf("no sentinel answers for %s: %v", g.Master, last)
}

// Primary is the server the sentinels name as primary.
func (g *Sentinel) Primary(t testing.TB) *Server {
	t.Helper()
	addr, err := g.PrimaryAddr()
	if err != nil {
		t.Fatalf("redislab: %v", err)
	}
	for _, s := range g.Servers {
		if s.Addr() == addr {
			return s
		}
	}
	t.Fatalf("redislab: primary %s is none of the started servers", addr)
	return nil
}

// Failover asks a sentinel for a failover (SENTINEL FAILOVER) and waits
// until the sentinels name another primary.
func (g *Sentinel) Failover(t testing.TB) {
	t.Helper()
	before, err := g.PrimaryAddr()
	if err != nil {
		t.Fatalf("redislab: %v", err)
	}
	if _, err := g.Sentinels[0].Do("SENTINEL", "FAILOVER", g.Master); err != nil {
		t.Fatalf("redislab: SENTINEL FAILOVER: %v", err)
	}
	g.WaitNewPrimary(t, before, 20*time.Second)
}

// WaitNewPrimary waits until the sentinels name a primary other than before.
func (g *Sentinel) WaitNewPrimary(t testing.TB, before string, within time.Duration) string {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		if now, err := g.PrimaryAddr(); err == nil && now != before {
			return now
		}
		if time.Now().After(deadline) {
			t.Fatalf("redislab: primary still %s after %v; sentinel log:\n%s", before, within, g.Sentinels[0].Log())
		}
		time.Sleep(100 * time.Millisecond)
	}
}
