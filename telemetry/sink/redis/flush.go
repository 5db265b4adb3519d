package redis

import (
	"context"
	"errors"
	"strings"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// run is the flusher: it sends the queue when kicked, and after a failed
// flush retries with a backoff (50 ms doubling to 1 s) so Redis coming
// back is noticed within a second.
func (s *Sink) run(ctx context.Context) {
	defer close(s.done)
	backoff := time.Duration(0)
	var retry <-chan time.Time
	for {
		if backoff == 0 {
			select {
			case <-ctx.Done():
				return
			case <-s.kick:
			}
		} else {
			select {
			case <-ctx.Done():
				return
			case <-retry:
			}
		}
		for {
			more, err := s.flushOnce(ctx)
			if err != nil {
				if backoff == 0 {
					backoff = 50 * time.Millisecond
				} else if backoff = 2 * backoff; backoff > time.Second {
					backoff = time.Second
				}
				retry = time.After(backoff)
				break
			}
			backoff = 0
			if !more {
				break
			}
		}
	}
}

// flushOnce sends up to MaxPipeline ops, events first, in one pipeline.
// Ops that may not have been applied go back to the head of their queue.
func (s *Sink) flushOnce(ctx context.Context) (more bool, err error) {
	s.mu.Lock()
	ne := min(len(s.events), s.opts.MaxPipeline)
	evs := append([]*op(nil), s.events[:ne]...)
	s.events = s.events[ne:]
	ns := min(len(s.samples), s.opts.MaxPipeline-ne)
	sms := append([]*op(nil), s.samples[:ns]...)
	s.samples = s.samples[ns:]
	if ne+ns == 0 {
		s.markIdleLocked()
		s.mu.Unlock()
		return false, nil
	}
	s.inflight = true
	s.inflightE = len(evs)
	s.mu.Unlock()

	keepE, keepS, werr := s.send(ctx, evs, sms)

	s.mu.Lock()
	defer s.mu.Unlock()
	s.inflight = false
	s.inflightE = 0
	s.events = append(keepE, s.events...)
	s.samples = append(keepS, s.samples...)
	for _, o := range evs {
		s.eBytes -= o.size
	}
	for _, o := range keepE {
		s.eBytes += o.size
	}
	for _, o := range sms {
		s.sBytes -= o.size
	}
	for _, o := range keepS {
		s.sBytes += o.size
	}
	s.releaseDone(evs, keepE)
	s.releaseDone(sms, keepS)
	s.dropLocked()
	s.stats.Flushes++
	if werr != nil {
		s.stats.WriteErrors++
		s.stats.LastError = werr.Error()
		s.stats.Connected = false
		return false, werr
	}
	s.stats.Connected = true
	if s.queuedLocked() == 0 {
		s.markIdleLocked()
		return false, nil
	}
	return true, nil
}

// releaseDone gives the ops of sent that are not in keep (written,
// refused, rejected) back to the pool.
func (s *Sink) releaseDone(sent, keep []*op) {
	for _, o := range keep {
		o.kept = true
	}
	for _, o := range sent {
		if o.kept {
			o.kept = false
			continue
		}
		s.ops.put(o)
	}
}

func (s *Sink) markIdleLocked() {
	if s.idleOpen {
		close(s.idle)
		s.idleOpen = false
	}
}

// minKeptArgv is the argument array a sink keeps whatever its use: a
// flush of a few devices' samples.
const minKeptArgv = 1 << 14

// send runs the ops; it returns the ones to keep and the error that made
// it keep them.
func (s *Sink) send(ctx context.Context, evs, sms []*op) (keepE, keepS []*op, err error) {
	ctx, cancel := context.WithTimeout(ctx, s.opts.WriteTimeout)
	defer cancel()
	if !s.loaded {
		if err := fencedWrite.Load(ctx, s.c).Err(); err != nil {
			return evs, sms, err
		}
		s.loaded = true
	}
	floor := "0"
	if len(evs) > 0 {
		floor = utoa(evs[0].seq)
	}
	ttl := itoa(int64(max(s.opts.EventRetention/time.Second, 7*24*3600)))
	pipe := s.c.Pipeline()
	all := append(append([]*op(nil), evs...), sms...)
	cmds := make([]*goredis.Cmd, len(all))
	// The arguments go to go-redis as pointers to the ops' strings: an
	// interface holding a pointer needs no allocation, one holding a
	// string does (one per argument, thousands per device sample).
	sha := fencedWrite.Hash()
	argv := s.argv[:0]
	for i, o := range all {
		n := len(argv)
		argv = append(argv, "evalsha", &sha, 2+len(o.keys), &o.fence, &s.applied)
		for j := range o.keys {
			argv = append(argv, &o.keys[j])
		}
		argv = append(argv, &o.tok, &o.seqStr, &ttl, &floor)
		for j := range o.args {
			argv = append(argv, &o.args[j])
		}
		cmds[i] = pipe.Do(ctx, argv[n:len(argv):len(argv)]...)
	}
	// Nothing sent keeps a reference once the pipeline has run.
	defer func() {
		clear(argv)
		s.argv = argv[:0]
		// The initial sync's flush (every target's state at once) grows
		// argv to hundreds of thousands of pointers, scanned at every
		// collection however empty: keep it only while flushes use it.
		if cap(argv) > minKeptArgv && cap(argv) > 4*len(argv) {
			s.argv = nil
		}
	}()
	var wait *goredis.Cmd
	if s.opts.WaitReplicas > 0 && len(evs) > 0 {
		wait = pipe.Do(ctx, "WAIT", s.opts.WaitReplicas, (s.opts.WriteTimeout / 2).Milliseconds())
	}
	_, _ = pipe.Exec(ctx)

	var firstErr error
	replicated := true
	if wait != nil {
		if n, werr := wait.Int64(); werr != nil || int(n) < s.opts.WaitReplicas {
			replicated = false
			if werr == nil {
				werr = errors.New("WAIT: alarms and changes not on enough replicas yet")
			}
			firstErr = werr
		}
	}
	for i, o := range all {
		res, cerr := cmds[i].Slice()
		switch {
		case cerr != nil && retryable(cerr):
			if isNoScript(cerr) {
				s.loaded = false
			}
			if firstErr == nil {
				firstErr = cerr
			}
			if o.event {
				keepE = append(keepE, o)
			} else {
				keepS = append(keepS, o)
			}
			continue
		case cerr != nil:
			s.permanent(o, cerr)
			continue
		}
		code, val := int64(-1), int64(0)
		if len(res) == 2 {
			code, _ = res[0].(int64)
			val, _ = res[1].(int64)
		}
		switch code {
		case 1, 2: // 2: already applied by an earlier, uncertain flush
			if o.event && !replicated {
				keepE = append(keepE, o)
				continue
			}
			if code == 1 {
				s.mu.Lock()
				s.stats.Written += uint64(o.n)
				s.mu.Unlock()
			}
		case 0:
			s.refused(Refusal{Target: o.target, Writer: s.opts.Collector, Token: o.token,
				Current: uint64(val), Objects: o.n, Event: o.event, Reason: "stale fencing token"})
		case 3:
			keepE = append(keepE, o)
			if firstErr == nil {
				firstErr = errors.New("event sequence gap: an earlier write is still pending")
			}
		default:
			s.permanent(o, errors.New("unexpected script reply"))
		}
	}
	return keepE, keepS, firstErr
}

// permanent drops an op Redis rejected for good (a key of the wrong type:
// something else writes under our prefix) and says so.
func (s *Sink) permanent(o *op, err error) {
	s.mu.Lock()
	s.stats.WriteErrors++
	s.stats.LastError = err.Error()
	if !o.event {
		s.stats.DroppedSamples += uint64(o.n)
	}
	s.mu.Unlock()
	s.opts.Logger.Error("redis: write rejected", "target", o.target, "objects", o.n, "event", o.event, "err", err)
}

// retryable: the write may succeed later (network, timeout, a replica not
// yet promoted, Redis loading or busy).
func retryable(err error) bool {
	var re goredis.Error
	if !errors.As(err, &re) {
		return true
	}
	msg := err.Error()
	for _, p := range []string{"NOSCRIPT", "READONLY", "LOADING", "MASTERDOWN", "BUSY", "TRYAGAIN", "CLUSTERDOWN", "OOM", "NOREPLICAS", "ERR max number of clients"} {
		if strings.HasPrefix(msg, p) {
			return true
		}
	}
	return false
}

func isNoScript(err error) bool { return strings.HasPrefix(err.Error(), "NOSCRIPT") }
