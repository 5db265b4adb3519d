package redis

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// LeaseOptions tune the leases; the zero value is usable.
type LeaseOptions struct {
	// TTL is the lease period [10 s]: a dead collector's targets are
	// taken over within TTL plus one renewal interval.
	TTL time.Duration
	// Renew is how often leases and the heartbeat are renewed [TTL/3].
	Renew time.Duration
	// NoEngine keeps this collector out of the engine lease.
	NoEngine bool
	Logger   *slog.Logger
}

// Leases spread the targets among the live collectors of one network:
// each target is held by one collector at a time, under a lease with a
// fencing token; targets are spread evenly (counts differ by at most one)
// and rebalanced as collectors join and leave. One collector also holds
// EngineLease and runs the alarm engine for the whole network.
type Leases struct {
	c    goredis.UniversalClient
	keys Keys
	id   string
	opts LeaseOptions

	mu      sync.Mutex
	targets []string
	owned   map[string]uint64    // target -> token (EngineLease included)
	renewed map[string]time.Time // last acquisition or renewal (monotonic)
	live    []string
	changes chan struct{}
	// instance names this process among the holders of id: a restarted
	// collector with the same id is another instance, given new tokens.
	instance string
	// unreachable: the last round failed (Redis down or cut off). The
	// leases are then kept past their local TTL, see Owned.
	unreachable bool
	// gen counts the changes to owned, renewed and unreachable: Owned's
	// view is rebuilt when it moved or an entry of it expired, not at
	// every call (once per flush, 50 a second under load, for hundreds
	// of targets).
	gen       uint64
	view      map[string]uint64
	viewGen   uint64
	viewUntil time.Time
}

// NewLeases is the lease keeper of collector id (unique among the
// network's collectors: a hostname and a port, or a pod name).
func NewLeases(c goredis.UniversalClient, net, id string, targets []string, opts LeaseOptions) *Leases {
	if opts.TTL <= 0 {
		opts.TTL = 10 * time.Second
	}
	if opts.Renew <= 0 || opts.Renew >= opts.TTL {
		opts.Renew = opts.TTL / 3
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	l := &Leases{c: c, keys: NewKeys(net), id: id, opts: opts, owned: map[string]uint64{}, renewed: map[string]time.Time{}, changes: make(chan struct{}, 1),
		instance: id + "@" + strconv.FormatInt(time.Now().UnixNano(), 36)}
	l.SetTargets(targets)
	return l
}

// SetTargets replaces the targets to share (an inventory reload). Leases
// of targets no longer listed are released at the next round.
func (l *Leases) SetTargets(targets []string) {
	t := slices.Clone(targets)
	sort.Strings(t)
	l.mu.Lock()
	l.targets = slices.Compact(t)
	l.mu.Unlock()
}

// Owned is the leases held now, target -> fencing token (EngineLease
// among them when held): what a batch's Tokens should be. A lease not
// renewed for a whole TTL by this process's monotonic clock is left out
// even before a round notices it is lost (a process that was paused);
// the fencing tokens cover what slips through between Owned and a write.
//
// While Redis cannot be reached (the last round failed) the leases are
// kept instead: the collector goes on collecting and its sink buffers,
// and what it wrote is checked against the fencing tokens when Redis
// answers again: accepted if nobody took the targets meanwhile (the
// same process gets its tokens back, acquireScript), refused if someone
// did.
//
// The map is shared by the calls until the leases change: read it, never
// modify it.
func (l *Leases) Owned() map[string]uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := time.Now()
	if l.view != nil && l.viewGen == l.gen && now.Before(l.viewUntil) {
		return l.view
	}
	m := make(map[string]uint64, len(l.owned))
	until := now.Add(l.opts.TTL)
	for k, v := range l.owned {
		exp := l.renewed[k].Add(l.opts.TTL)
		if l.unreachable || now.Before(exp) {
			m[k] = v
			if !l.unreachable && exp.Before(until) {
				until = exp
			}
		}
	}
	l.view, l.viewGen, l.viewUntil = m, l.gen, until
	return m
}

// Engine says whether this collector holds the engine lease, and its token.
func (l *Leases) Engine() (uint64, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	t, ok := l.owned[EngineLease]
	if ok && time.Since(l.renewed[EngineLease]) >= l.opts.TTL {
		return 0, false
	}
	return t, ok
}

// Live is the collectors seen alive at the last round.
func (l *Leases) Live() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.live)
}

// Changes is signalled (without blocking, coalesced) when the set of
// owned leases changes: the collector then reads Owned and subscribes to
// what it gained, unsubscribes from what it lost.
func (l *Leases) Changes() <-chan struct{} { return l.changes }

// Lost drops a lease the sink found stale (a fencing refusal): the
// collector stops collecting the target until it wins it again.
func (l *Leases) Lost(target string) {
	l.mu.Lock()
	_, ok := l.owned[target]
	delete(l.owned, target)
	l.gen++
	l.mu.Unlock()
	if ok {
		l.signal()
	}
}

// Run keeps the leases until ctx ends. It does not release them then: a
// collector that dies holds its targets until the leases expire. Call
// Release on a graceful shutdown.
func (l *Leases) Run(ctx context.Context) error {
	t := time.NewTicker(l.opts.Renew)
	defer t.Stop()
	for {
		err := l.Round(ctx)
		if err != nil && ctx.Err() == nil {
			l.opts.Logger.Warn("leases: round failed", "collector", l.id, "err", err)
		}
		l.mu.Lock()
		if u := err != nil && ctx.Err() == nil; u != l.unreachable {
			l.unreachable = u
			l.gen++
		}
		l.mu.Unlock()
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}

// Release gives back every lease and leaves the collector set, so the
// others take the targets over at their next round.
func (l *Leases) Release(ctx context.Context) error {
	l.mu.Lock()
	owned := l.owned
	l.owned, l.renewed = map[string]uint64{}, map[string]time.Time{}
	l.gen++
	l.mu.Unlock()
	pipe := l.c.Pipeline()
	for t, tok := range owned {
		releaseScript.Eval(ctx, pipe, []string{l.keys.Lease(t)}, l.value(tok))
	}
	heartbeatScript.Eval(ctx, pipe, []string{l.keys.Collectors()}, l.id, l.opts.TTL.Milliseconds(), "leave")
	_, err := pipe.Exec(ctx)
	if len(owned) > 0 {
		l.signal()
	}
	if err != nil {
		return fmt.Errorf("leases %s: release: %w", l.id, err)
	}
	return nil
}

func (l *Leases) value(tok uint64) string { return l.id + " " + utoa(tok) }

func (l *Leases) signal() {
	select {
	case l.changes <- struct{}{}:
	default:
	}
}

// Round is one renewal: heartbeat, renew what is held, then give back
// the excess or take free targets up to this collector's quota.
func (l *Leases) Round(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, l.opts.Renew)
	defer cancel()
	ttl := l.opts.TTL.Milliseconds()
	l.mu.Lock()
	owned := make(map[string]uint64, len(l.owned))
	for k, v := range l.owned {
		owned[k] = v
	}
	targets := l.targets
	l.mu.Unlock()

	// Heartbeat and renewals in one round trip. A renewal counts from
	// before it was sent: the lease may run from then.
	sent := time.Now()
	pipe := l.c.Pipeline()
	hb := heartbeatScript.Eval(ctx, pipe, []string{l.keys.Collectors()}, l.id, ttl, "")
	renew := map[string]*goredis.Cmd{}
	for t, tok := range owned {
		renew[t] = renewScript.Eval(ctx, pipe, []string{l.keys.Lease(t)}, l.value(tok), ttl)
	}
	if _, err := pipe.Exec(ctx); err != nil && !isNil(err) {
		return fmt.Errorf("leases %s: renew: %w", l.id, err)
	}
	live, err := hb.StringSlice()
	if err != nil {
		return fmt.Errorf("leases %s: heartbeat: %w", l.id, err)
	}
	sort.Strings(live) // by score from Redis; quotas need one order for all
	changed := false
	var lost []string
	l.mu.Lock()
	for t, c := range renew {
		if n, err := c.Int(); err != nil || n != 1 {
			delete(owned, t)
			lost = append(lost, t)
			changed = true
		} else if _, still := l.owned[t]; still {
			l.renewed[t] = sent
		}
	}
	l.gen++
	l.mu.Unlock()
	// The lost leases stay listed until the acquisitions below: one taken
	// back at once (after an outage that let it expire) never disappears
	// from Owned, and the collector does not stop and restart its session.
	defer func() {
		var gone []string
		l.mu.Lock()
		for _, t := range lost {
			if _, ok := l.owned[t]; ok && !l.renewed[t].After(sent) {
				gone = append(gone, t)
			}
		}
		l.mu.Unlock()
		if len(gone) > 0 {
			l.drop(gone)
			l.opts.Logger.Warn("leases: lost", "collector", l.id, "targets", gone)
			l.signal()
		}
	}()

	// Release leases of targets no longer in the inventory, then the
	// excess over the quota, least preferred first.
	quota := quotaOf(l.id, live, len(targets))
	var release []string
	mine := 0
	for t := range owned {
		if t == EngineLease {
			continue
		}
		if _, ok := slices.BinarySearch(targets, t); !ok {
			release = append(release, t)
			continue
		}
		mine++
	}
	if mine > quota {
		held := make([]string, 0, mine)
		for t := range owned {
			if _, ok := slices.BinarySearch(targets, t); ok && t != EngineLease {
				held = append(held, t)
			}
		}
		sortByPreference(held, l.id, live)
		release = append(release, held[quota:]...)
		mine = quota
	}
	if len(release) > 0 {
		l.drop(release)
		pipe := l.c.Pipeline()
		for _, t := range release {
			releaseScript.Eval(ctx, pipe, []string{l.keys.Lease(t)}, l.value(owned[t]))
			delete(owned, t)
		}
		if _, err := pipe.Exec(ctx); err != nil && !isNil(err) {
			return fmt.Errorf("leases %s: release: %w", l.id, err)
		}
		changed = true
	}

	// Take free targets up to the quota (and the engine lease if free).
	var want []string
	if !l.opts.NoEngine {
		if _, ok := owned[EngineLease]; !ok {
			want = append(want, EngineLease)
		}
	}
	if need := quota - mine; need > 0 {
		free, err := l.free(ctx, targets, owned)
		if err != nil {
			return err
		}
		sortByPreference(free, l.id, live)
		want = append(want, free[:min(need, len(free))]...)
	}
	if len(want) > 0 {
		sent := time.Now()
		pipe := l.c.Pipeline()
		cmds := make([]*goredis.Cmd, len(want))
		for i, t := range want {
			cmds[i] = acquireScript.Eval(ctx, pipe, []string{l.keys.Lease(t), l.keys.Fence(t), l.keys.FenceBy(t)}, l.id, ttl, l.instance)
		}
		if _, err := pipe.Exec(ctx); err != nil && !isNil(err) {
			return fmt.Errorf("leases %s: acquire: %w", l.id, err)
		}
		l.mu.Lock()
		for i, t := range want {
			if tok, err := cmds[i].Uint64(); err == nil && tok > 0 {
				l.owned[t] = tok
				l.renewed[t] = sent
				changed = true
			}
		}
		l.gen++
		l.mu.Unlock()
	}
	l.mu.Lock()
	l.live = live
	l.mu.Unlock()
	if changed {
		l.signal()
	}
	return nil
}

func (l *Leases) drop(targets []string) {
	l.mu.Lock()
	for _, t := range targets {
		delete(l.owned, t)
		delete(l.renewed, t)
	}
	l.gen++
	l.mu.Unlock()
}

// free lists the targets whose lease key is absent (one MGET).
func (l *Leases) free(ctx context.Context, targets []string, owned map[string]uint64) ([]string, error) {
	if len(targets) == 0 {
		return nil, nil
	}
	keys := make([]string, len(targets))
	for i, t := range targets {
		keys[i] = l.keys.Lease(t)
	}
	vals, err := l.c.MGet(ctx, keys...).Result()
	if err != nil {
		return nil, fmt.Errorf("leases %s: read leases: %w", l.id, err)
	}
	var free []string
	for i, v := range vals {
		if _, mine := owned[targets[i]]; v == nil && !mine {
			free = append(free, targets[i])
		}
	}
	return free, nil
}

// Holders reads who holds each target's lease now (target -> "collector
// token"), for `tuyau telemetry targets` and the tests.
func (l *Leases) Holders(ctx context.Context) (map[string]string, error) {
	l.mu.Lock()
	targets := append(slices.Clone(l.targets), EngineLease)
	l.mu.Unlock()
	keys := make([]string, len(targets))
	for i, t := range targets {
		keys[i] = l.keys.Lease(t)
	}
	vals, err := l.c.MGet(ctx, keys...).Result()
	if err != nil {
		return nil, fmt.Errorf("leases: read: %w", err)
	}
	out := map[string]string{}
	for i, v := range vals {
		if s, ok := v.(string); ok {
			out[targets[i]] = s
		}
	}
	return out, nil
}

// quotaOf is how many targets collector id should hold: n/live, the
// first n%live collectors (by id) one more, so the counts sum to n.
func quotaOf(id string, live []string, n int) int {
	if len(live) == 0 {
		return n
	}
	i := slices.Index(live, id)
	if i < 0 { // not registered yet: behave as one more collector
		live = append(slices.Clone(live), id)
		sort.Strings(live)
		i = slices.Index(live, id)
	}
	q := n / len(live)
	if i < n%len(live) {
		q++
	}
	return q
}

// sortByPreference orders targets by rendezvous hashing: first those for
// which id ranks highest among the live collectors, so that collectors
// mostly agree on who takes what and a rebalance moves few targets.
func sortByPreference(targets []string, id string, live []string) {
	score := func(t, c string) uint64 {
		h := fnv.New64a()
		h.Write([]byte(t))
		h.Write([]byte{0})
		h.Write([]byte(c))
		return h.Sum64()
	}
	type ranked struct {
		t     string
		top   bool
		score uint64
	}
	rs := make([]ranked, len(targets))
	for i, t := range targets {
		s := score(t, id)
		top := true
		for _, c := range live {
			if c != id && score(t, c) > s {
				top = false
				break
			}
		}
		rs[i] = ranked{t, top, s}
	}
	sort.Slice(rs, func(i, j int) bool {
		if rs[i].top != rs[j].top {
			return rs[i].top
		}
		if rs[i].score != rs[j].score {
			return rs[i].score > rs[j].score
		}
		return strings.Compare(rs[i].t, rs[j].t) < 0
	})
	for i, r := range rs {
		targets[i] = r.t
	}
}

func isNil(err error) bool { return errors.Is(err, goredis.Nil) }
