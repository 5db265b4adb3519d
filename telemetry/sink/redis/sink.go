package redis

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"sync"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/tuyau-net/tuyau/telemetry"
)

// Options tune the sink; the zero value is usable (defaults in brackets).
type Options struct {
	Network   string // the {net} of every key ["default"]
	Collector string // writer name when a batch names none [hostname-pid]
	// BufferBytes bounds what samples waiting for Redis may hold [64 MiB]:
	// beyond it the oldest samples are dropped and counted. Alarms and
	// state changes are outside this budget and never dropped.
	BufferBytes int64
	// WriteTimeout is the deadline of one flush round trip [2 s].
	WriteTimeout time.Duration
	// MaxPipeline bounds the script calls of one round trip [512].
	MaxPipeline int
	// HistoryLen is the MAXLEN ~ of per-link and per-interface history
	// streams [8640: a day at 10 s]; negative: no history.
	HistoryLen         int64
	NoInterfaceHistory bool
	// TargetEvery is how often a target's health is rewritten when only
	// its counters and rate moved [10 s]; a change of its connection,
	// last error, gaps or holder is written at once. Negative: every
	// batch.
	TargetEvery time.Duration
	// UpdatesLen, when > 0, also writes every raw update to a stream per
	// target capped at this length (off by default: 100,000 leaves/s).
	UpdatesLen int64
	// EventRetention is the age (MINID ~) of the changes, alarm log and
	// ack streams [90 days]; ClearedRetention how long a cleared alarm's
	// record stays [7 days].
	EventRetention   time.Duration
	ClearedRetention time.Duration
	// WaitReplicas, when > 0, confirms each flush with WAIT: alarms and
	// state changes not yet on that many replicas are sent again (applied
	// once), so a primary killed before replicating loses none of them.
	WaitReplicas int
	// OnRefused is told of every write refused for a stale token (or one
	// a fenced batch had no token for); they are also counted and logged.
	OnRefused func(Refusal)
	Logger    *slog.Logger
	Now       func() time.Time
}

func (o *Options) defaults() {
	if o.Collector == "" {
		h, _ := os.Hostname()
		o.Collector = h + "-" + strconv.Itoa(os.Getpid())
	}
	if o.BufferBytes <= 0 {
		o.BufferBytes = 64 << 20
	}
	if o.WriteTimeout <= 0 {
		o.WriteTimeout = 2 * time.Second
	}
	if o.MaxPipeline <= 0 {
		o.MaxPipeline = 512
	}
	if o.HistoryLen == 0 {
		o.HistoryLen = 8640
	}
	if o.TargetEvery == 0 {
		o.TargetEvery = 10 * time.Second
	}
	if o.EventRetention <= 0 {
		o.EventRetention = 90 * 24 * time.Hour
	}
	if o.ClearedRetention == 0 {
		o.ClearedRetention = 7 * 24 * time.Hour
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
}

// Refusal is a write Redis (or the sink) refused because its writer's
// fencing token was stale: another collector acquired the target since.
type Refusal struct {
	Target  string `json:"target"` // the lease (a target, or EngineLease)
	Writer  string `json:"writer"`
	Token   uint64 `json:"token"`
	Current uint64 `json:"current"` // the newest token Redis knows
	Objects int    `json:"objects"` // states or events the write carried
	Event   bool   `json:"event"`   // alarms or state changes
	Reason  string `json:"reason"`
}

func (r Refusal) Error() string {
	return fmt.Sprintf("redis: write of %d objects about %s by %s refused: %s (token %d, newest %d)",
		r.Objects, r.Target, r.Writer, r.Reason, r.Token, r.Current)
}

// Sink writes batches to Redis in the background: Write only queues (a
// few microseconds per object to encode); a flusher sends the queue in
// pipelined script calls, keeps it while Redis is down or slow, and
// replays it in order when Redis answers again.
type Sink struct {
	c       goredis.UniversalClient
	opts    Options
	keys    Keys
	id      string // applied-sequence key owner: unique per sink instance
	applied string // its key

	// encMu guards what encode reuses from one batch to the next.
	encMu       sync.Mutex
	kc          keyCache
	fc          fieldCache
	est         struct{ iface, ifacePack, link, linkPack int } // buf and pack bytes per object, last seen
	utilScratch []string
	entScratch  []*fieldEntry          // a device's interfaces' entries
	linkScratch []*linkEntry           // a link chunk's entries
	targets     map[string]targetWrite // what was last written of each target
	argv        []any                  // the flusher's command arguments, reused
	ops         opPool

	mu        sync.Mutex
	events    []*op // FIFO, never dropped
	samples   []*op // FIFO, oldest dropped beyond the budget
	sBytes    int64
	eBytes    int64
	seq       uint64
	inflight  bool
	inflightE int           // events being sent, still counted as queued
	idle      chan struct{} // closed when the queue empties; replaced on enqueue
	idleOpen  bool
	closed    bool
	stats     telemetry.SinkStats

	kick   chan struct{}
	stop   context.CancelFunc
	done   chan struct{}
	loaded bool
}

// Open parses url (ParseURL) and returns a running sink.
func Open(url, password string, opts Options) (*Sink, error) {
	c, err := ParseURL(url, password)
	if err != nil {
		return nil, err
	}
	return New(c, opts), nil
}

// New returns a running sink writing through c; Close stops it.
func New(c goredis.UniversalClient, opts Options) *Sink {
	opts.defaults()
	ctx, cancel := context.WithCancel(context.Background())
	s := &Sink{c: c, opts: opts, keys: NewKeys(opts.Network), kick: make(chan struct{}, 1),
		stop: cancel, done: make(chan struct{}), idle: make(chan struct{})}
	s.id = fmt.Sprintf("%s-%d", opts.Collector, opts.Now().UnixNano())
	s.applied = s.keys.Applied(s.id)
	s.kc.k = s.keys
	close(s.idle)
	s.stats.Sink = "redis"
	s.stats.BufferBudget = opts.BufferBytes
	go s.run(ctx)
	return s
}

// Client is the sink's go-redis client (the leases share it).
func (s *Sink) Client() goredis.UniversalClient { return s.c }

// Keys is the sink's key layout.
func (s *Sink) Keys() Keys { return s.keys }

// ErrClosed is returned by Write after Close.
var ErrClosed = errors.New("redis sink closed")

// BorrowsBatch says Write keeps nothing of a batch's Links and Interfaces:
// encode writes what it needs into its ops (telemetry.BatchBorrower).
func (s *Sink) BorrowsBatch() {}

// Write queues the batch and returns at once; it never waits for Redis.
// Writes a fenced batch has no token for are refused here and reported.
func (s *Sink) Write(_ context.Context, b telemetry.Batch) error {
	e := s.encode(b)
	for _, r := range e.missing {
		s.refused(r)
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return ErrClosed
	}
	if len(e.ops) > 0 && !s.idleOpen {
		s.idle = make(chan struct{})
		s.idleOpen = true
	}
	for _, o := range e.ops {
		if o.event {
			s.seq++
			o.seq = s.seq
			o.seqStr = utoa(o.seq)
			s.events = append(s.events, o)
			s.eBytes += o.size
			continue
		}
		s.samples = append(s.samples, o)
		s.sBytes += o.size
	}
	s.dropLocked()
	s.mu.Unlock()
	select {
	case s.kick <- struct{}{}:
	default:
	}
	return nil
}

// dropLocked drops the oldest samples until they fit the budget.
func (s *Sink) dropLocked() {
	i := 0
	for s.sBytes > s.opts.BufferBytes && i < len(s.samples) {
		s.sBytes -= s.samples[i].size
		s.stats.DroppedSamples += uint64(s.samples[i].n)
		s.ops.put(s.samples[i])
		s.samples[i] = nil
		i++
	}
	if i > 0 {
		s.samples = s.samples[i:]
	}
}

func (s *Sink) queuedLocked() int { return len(s.events) + len(s.samples) }

// Flush waits until everything queued so far is written (or refused), or
// ctx ends; it returns the last write error when ctx ends first.
func (s *Sink) Flush(ctx context.Context) error {
	for {
		s.mu.Lock()
		idle := s.idle
		empty := s.queuedLocked() == 0 && !s.inflight
		last := s.stats.LastError
		s.mu.Unlock()
		if empty {
			return nil
		}
		select {
		case s.kick <- struct{}{}:
		default:
		}
		select {
		case <-idle:
		case <-ctx.Done():
			if last != "" {
				return fmt.Errorf("redis flush: %w (last error: %s)", ctx.Err(), last)
			}
			return fmt.Errorf("redis flush: %w", ctx.Err())
		}
	}
}

// Close flushes for at most two write timeouts, stops the flusher and
// closes the client. Events still queued then are lost with the process:
// Close says how many.
func (s *Sink) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*s.opts.WriteTimeout)
	ferr := s.Flush(ctx)
	cancel()
	s.mu.Lock()
	s.closed = true
	left := len(s.events)
	s.mu.Unlock()
	s.stop()
	<-s.done
	cerr := s.c.Close()
	if ferr != nil && left > 0 {
		return fmt.Errorf("redis sink: %d alarm/state-change writes not flushed: %w", left, ferr)
	}
	return cerr
}

// Stats is a snapshot of the sink's counters and buffer.
func (s *Sink) Stats() telemetry.SinkStats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.stats
	st.BufferBytes = s.sBytes
	st.EventBytes = s.eBytes
	st.QueuedEvents = int64(len(s.events) + s.inflightE)
	return st
}

func (s *Sink) refused(r Refusal) {
	s.mu.Lock()
	s.stats.FenceRefusals++
	s.mu.Unlock()
	s.opts.Logger.Warn("redis: fenced write refused", "target", r.Target, "writer", r.Writer,
		"token", r.Token, "newest", r.Current, "objects", r.Objects, "reason", r.Reason)
	if s.opts.OnRefused != nil {
		s.opts.OnRefused(r)
	}
}
