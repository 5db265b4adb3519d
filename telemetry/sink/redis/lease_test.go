package redis

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/tuyau-net/tuyau/telemetry"
	"github.com/tuyau-net/tuyau/testlab/redislab"
)

// keeper is one collector's lease keeper, run until stopped (killed: no
// release).
type keeper struct {
	id     string
	l      *Leases
	cancel context.CancelFunc
	done   chan struct{}
}

func runKeeper(c goredis.UniversalClient, id string, targets []string, ttl time.Duration) *keeper {
	k := &keeper{id: id, l: NewLeases(c, "lab", id, targets, LeaseOptions{TTL: ttl})}
	k.start()
	return k
}

func (k *keeper) start() {
	ctx, cancel := context.WithCancel(context.Background())
	k.cancel, k.done = cancel, make(chan struct{})
	go func() { defer close(k.done); _ = k.l.Run(ctx) }()
}

func (k *keeper) kill() { k.cancel(); <-k.done }

// spread checks the invariants over the live keepers against Redis: no
// target claimed by two, every claim matching the lease in Redis; and
// returns the targets each holds. Claims are read before Redis (a keeper
// takes a lease in Redis before it claims it) and again after, and only
// those held with the same token across the read are checked: a keeper
// giving a target up to a joining one drops its claim, then deletes the
// key, and that may fall between the two reads.
func spread(t *testing.T, live []*keeper) (map[string][]string, string) {
	t.Helper()
	claims := map[string]string{}
	counts := map[string][]string{}
	before := make([]map[string]uint64, len(live))
	for i, k := range live {
		before[i] = k.l.Owned()
	}
	holders, err := live[0].l.Holders(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	owned := make([]map[string]uint64, len(live))
	for i, k := range live {
		after := k.l.Owned()
		owned[i] = map[string]uint64{}
		for tg, tok := range before[i] {
			if tok2, ok := after[tg]; ok && tok2 == tok {
				owned[i][tg] = tok
			}
		}
	}
	for i, k := range live {
		for tg, tok := range owned[i] {
			if other, dup := claims[tg]; dup {
				t.Fatalf("target %s held by %s and %s at once", tg, other, k.id)
			}
			claims[tg] = k.id
			if want := fmt.Sprintf("%s %d", k.id, tok); holders[tg] != want {
				t.Fatalf("%s claims %s with token %d but Redis says %q", k.id, tg, tok, holders[tg])
			}
			if tg != EngineLease {
				counts[k.id] = append(counts[k.id], tg)
			}
		}
	}
	engine := claims[EngineLease]
	return counts, engine
}

// waitSpread waits until the live keepers hold all n targets with counts
// differing by at most one, checking the invariants at every poll.
func waitSpread(t *testing.T, live []*keeper, n int, within time.Duration) (map[string][]string, string, time.Duration) {
	t.Helper()
	start := time.Now()
	var counts map[string][]string
	var engine string
	waitUntil(t, within, "targets spread", func() (bool, string) {
		counts, engine = spread(t, live)
		total, lo, hi := 0, n, 0
		for _, k := range live {
			c := len(counts[k.id])
			total += c
			lo, hi = min(lo, c), max(hi, c)
		}
		h, _ := live[0].l.Holders(context.Background())
		return total == n && hi-lo <= 1 && engine != "", fmt.Sprintf("counts %v engine %q; redis %v; live %v", countsOf(counts), engine, h, live[0].l.Live())
	})
	return counts, engine, time.Since(start)
}

func countsOf(m map[string][]string) map[string]int {
	out := map[string]int{}
	for k, v := range m {
		out[k] = len(v)
	}
	return out
}

// TestLeasesScaleOut runs three collectors' lease keepers over 30
// targets: an even spread; the engine holder killed (no release) and its
// targets and the engine taken over within 2 lease periods, exactly one
// holder per target at every check; its late writes with stale tokens
// refused and reported while fresher data stays; then it wakes up and
// rejoins, and a fourth collector joins: both rebalanced evenly.
func TestLeasesScaleOut(t *testing.T) {
	srv := redislab.Start(t)
	c := goredis.NewClient(&goredis.Options{Addr: srv.Addr()})
	defer c.Close()
	const ttl = 2 * time.Second
	var targets []string
	for i := 0; i < 30; i++ {
		targets = append(targets, fmt.Sprintf("dev%03d", i))
	}
	keepers := map[string]*keeper{}
	for _, id := range []string{"col-a", "col-b", "col-c"} {
		k := runKeeper(c, id, targets, ttl)
		keepers[id] = k
		defer k.kill()
	}
	all := []*keeper{keepers["col-a"], keepers["col-b"], keepers["col-c"]}
	counts, engine, took := waitSpread(t, all, 30, 10*time.Second)
	t.Logf("spread in %v: %v, engine on %s", took, countsOf(counts), engine)
	if got := countsOf(counts); got["col-a"] != 10 || got["col-b"] != 10 || got["col-c"] != 10 {
		t.Fatalf("spread %v, want 10 each", got)
	}

	var mu sync.Mutex
	var refusals []Refusal
	s, err := Open(srv.URL(), "", Options{Network: "lab", OnRefused: func(r Refusal) {
		mu.Lock()
		refusals = append(refusals, r)
		mu.Unlock()
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()

	// Kill the engine holder: it keeps its view (a paused process).
	dead := keepers[engine]
	stale := dead.l.Owned()
	dead.kill()
	var live []*keeper
	for _, k := range all {
		if k != dead {
			live = append(live, k)
		}
	}
	counts, engine2, took := waitSpread(t, live, 30, 10*time.Second)
	t.Logf("takeover in %v (lease %v): %v, engine on %s", took, ttl, countsOf(counts), engine2)
	if took > 2*ttl {
		t.Errorf("takeover took %v, more than 2 lease periods (%v)", took, 2*ttl)
	}
	if engine2 == dead.id {
		t.Fatalf("engine still on the dead %s", dead.id)
	}

	// The new holder of one of the dead one's targets writes, then the
	// dead one wakes up and writes late with its old tokens.
	var victim string
	for tg := range stale {
		if tg != EngineLease {
			victim = tg
			break
		}
	}
	holder := keeperOf(live, victim)
	fresh := telemetry.InterfaceState{Device: victim, Interface: "Ethernet1/1", Oper: "UP", Updated: t0.Add(time.Minute)}
	ctx := context.Background()
	_ = s.Write(ctx, telemetry.Batch{Interfaces: []telemetry.InterfaceState{fresh}, Collector: holder.id, Tokens: holder.l.Owned()})
	flush(t, s)
	late := fresh
	late.Oper, late.Updated = "DOWN", t0
	_ = s.Write(ctx, telemetry.Batch{Collector: dead.id, Tokens: stale,
		Interfaces: []telemetry.InterfaceState{late},
		Alarms:     []telemetry.Alarm{alarm("stale-alarm", telemetry.AlarmActive, t0)}})
	flush(t, s)
	ifs, _ := s.Reader().Interfaces(ctx)
	for _, i := range ifs {
		if i.Device == victim && i.Oper != "UP" {
			t.Errorf("the stale write overwrote %s: %+v", victim, i)
		}
	}
	if al, _ := s.Reader().Alarms(ctx); len(al) != 0 {
		t.Errorf("the dead engine's alarm was accepted: %+v", al)
	}
	mu.Lock()
	got := slices.Clone(refusals)
	mu.Unlock()
	if len(got) != 2 || s.Stats().FenceRefusals != 2 {
		t.Fatalf("refusals %+v (stats %d), want the interface write and the alarm write", got, s.Stats().FenceRefusals)
	}
	for _, r := range got {
		if r.Reason != "stale fencing token" || r.Current <= r.Token {
			t.Errorf("refusal %+v: want a stale token below the newest", r)
		}
		if !strings.Contains(r.Error(), "refused") {
			t.Errorf("refusal message %q", r.Error())
		}
	}

	// The dead one wakes up: it learns its leases are gone, rejoins, and
	// the targets are rebalanced; then a fourth collector joins.
	if err := dead.l.Round(ctx); err != nil {
		t.Fatal(err)
	}
	if own := dead.l.Owned(); len(own) != 0 {
		t.Errorf("after waking up %s still claims %v", dead.id, own)
	}
	dead.start()
	counts, _, took = waitSpread(t, all, 30, 10*time.Second)
	t.Logf("rejoin rebalanced in %v: %v", took, countsOf(counts))
	if got := countsOf(counts); got[dead.id] != 10 {
		t.Errorf("after rejoin %v, want 10 each", got)
	}
	d := runKeeper(c, "col-d", targets, ttl)
	defer d.kill()
	counts, _, took = waitSpread(t, append(all, d), 30, 10*time.Second)
	t.Logf("join rebalanced in %v: %v", took, countsOf(counts))
}

func keeperOf(ks []*keeper, target string) *keeper {
	for _, k := range ks {
		if _, ok := k.l.Owned()[target]; ok {
			return k
		}
	}
	return nil
}

// TestQuota: counts sum to the targets and differ by at most one.
func TestQuota(t *testing.T) {
	for _, tc := range []struct {
		live []string
		n    int
		want []int
	}{
		{[]string{"a"}, 5, []int{5}},
		{[]string{"a", "b", "c"}, 30, []int{10, 10, 10}},
		{[]string{"a", "b", "c", "d"}, 30, []int{8, 8, 7, 7}},
		{[]string{"a", "b"}, 1, []int{1, 0}},
	} {
		for i, id := range tc.live {
			if got := quotaOf(id, tc.live, tc.n); got != tc.want[i] {
				t.Errorf("quotaOf(%s, %v, %d) = %d, want %d", id, tc.live, tc.n, got, tc.want[i])
			}
		}
	}
}

// TestLeasesThroughOutage: while Redis is down the keeper keeps its
// leases (the collector goes on, its sink buffers); when Redis is back
// the same process takes its expired lease back with the same token, so
// what it buffered is not refused as stale; another instance of the
// same collector id gets a new token.
func TestLeasesThroughOutage(t *testing.T) {
	srv := redislab.StartPersistent(t)
	c := goredis.NewClient(&goredis.Options{Addr: srv.Addr(), MaxRetries: -1, DialTimeout: 200 * time.Millisecond})
	defer c.Close()
	const ttl = time.Second
	k := runKeeper(c, "col-a", []string{"d1"}, ttl)
	defer k.kill()
	var tok uint64
	waitFor(t, 5*time.Second, "d1 held", func() bool { tok = k.l.Owned()["d1"]; return tok > 0 })
	srv.Stop(t)
	time.Sleep(3 * ttl)
	if got := k.l.Owned()["d1"]; got != tok {
		t.Fatalf("Redis down for 3 lease periods: d1 token %d, want %d kept", got, tok)
	}
	srv.Start(t)
	waitFor(t, 10*time.Second, "d1 renewed or taken back", func() bool {
		v, err := c.Get(context.Background(), k.l.keys.Lease("d1")).Result()
		return err == nil && v == fmt.Sprintf("col-a %d", tok)
	})
	if got := k.l.Owned()["d1"]; got != tok {
		t.Errorf("after the outage d1 token %d, want %d", got, tok)
	}
	k.kill()
	if err := k.l.Release(context.Background()); err != nil {
		t.Fatal(err)
	}
	k2 := runKeeper(c, "col-a", []string{"d1"}, ttl)
	defer k2.kill()
	waitFor(t, 5*time.Second, "d1 held by the new instance", func() bool { return k2.l.Owned()["d1"] > 0 })
	if got := k2.l.Owned()["d1"]; got <= tok {
		t.Errorf("a new instance of col-a got token %d, want more than %d", got, tok)
	}
}

func waitFor(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, within)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestOwnedView: Owned's shared view follows every change of the leases
// and drops a lease the moment its TTL runs out, without a round.
func TestOwnedView(t *testing.T) {
	l := NewLeases(nil, "t", "c1", []string{"a", "b"}, LeaseOptions{TTL: time.Second})
	now := time.Now()
	l.mu.Lock()
	l.owned["a"], l.renewed["a"] = 1, now
	l.owned["b"], l.renewed["b"] = 2, now.Add(-time.Second+100*time.Millisecond) // expires in 100 ms
	l.gen++
	l.mu.Unlock()
	if got := l.Owned(); len(got) != 2 || got["a"] != 1 || got["b"] != 2 {
		t.Fatalf("Owned = %v, want a:1 b:2", got)
	}
	time.Sleep(150 * time.Millisecond)
	if got := l.Owned(); len(got) != 1 || got["a"] != 1 {
		t.Fatalf("Owned after b's TTL = %v, want a:1", got)
	}
	l.Lost("a")
	if got := l.Owned(); len(got) != 0 {
		t.Fatalf("Owned after Lost(a) = %v, want none", got)
	}
	l.mu.Lock()
	l.owned["b"], l.renewed["b"], l.unreachable = 3, now.Add(-time.Hour), true // kept while Redis is unreachable
	l.gen++
	l.mu.Unlock()
	if got := l.Owned(); len(got) != 1 || got["b"] != 3 {
		t.Fatalf("Owned while unreachable = %v, want b:3", got)
	}
}
