package redis

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/tuyau-net/tuyau/telemetry"
)

// Reader reads what sinks wrote: the CLI (`tuyau telemetry alarms --redis
// URL`), the NOC views, and the engine holder reading every collector's
// interface states. It implements telemetry.Reader and telemetry.Acker.
type Reader struct {
	c    goredis.UniversalClient
	keys Keys
	now  func() time.Time
	// EventRetention bounds the ack stream like the sink's [90 days].
	EventRetention time.Duration
}

// NewReader reads network net through c.
func NewReader(c goredis.UniversalClient, net string) *Reader {
	return &Reader{c: c, keys: NewKeys(net), now: time.Now, EventRetention: 90 * 24 * time.Hour}
}

// Reader reads what this sink writes, through its client.
func (s *Sink) Reader() *Reader {
	r := NewReader(s.c, s.opts.Network)
	r.now = s.opts.Now
	r.EventRetention = s.opts.EventRetention
	return r
}

// Targets are the latest health of every target, by name.
func (r *Reader) Targets(ctx context.Context) ([]telemetry.TargetHealth, error) {
	return r.TargetsOf(ctx, nil)
}

// TargetsOf is Targets of the targets keep accepts (nil: all); the others
// are neither read nor decoded.
func (r *Reader) TargetsOf(ctx context.Context, keep func(target string) bool) ([]telemetry.TargetHealth, error) {
	var out []telemetry.TargetHealth
	err := r.jsonFields(ctx, r.keys.TargetIndex(), r.keys.Target, keep, func(name string, js []byte) error {
		var t telemetry.TargetHealth
		if err := json.Unmarshal(js, &t); err != nil {
			return fmt.Errorf("redis %s: %w", r.keys.Target(name), err)
		}
		out = append(out, t)
		return nil
	})
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, err
}

// Links are the latest state of every link, by id.
func (r *Reader) Links(ctx context.Context) ([]telemetry.LinkState, error) {
	out, err := r.LinkDocs(ctx)
	if err == nil {
		err = r.joinEnds(ctx, out)
	}
	return out, err
}

// LinkDocs are the links as their documents hold them, by id: the ends
// name their interfaces and carry their Rx baselines, but their interface
// states are left empty (Links joins them). A collector restoring its
// baselines needs no more, and a large network's join is one HGET per end.
func (r *Reader) LinkDocs(ctx context.Context) ([]telemetry.LinkState, error) {
	var out []telemetry.LinkState
	err := r.jsonFields(ctx, r.keys.LinkIndex(), r.keys.Link, nil, func(id string, js []byte) error {
		var d linkDoc
		if err := json.Unmarshal(js, &d); err != nil {
			return fmt.Errorf("redis %s: %w", r.keys.Link(id), err)
		}
		out = append(out, d.state())
		return nil
	})
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, err
}

// joinEnds gives the links' ends their interfaces' latest states, from
// their devices' ifaces hashes (linkDoc), in one pipeline. An end whose
// interface has no state (a circuit's far end, a device not streaming)
// keeps an empty one.
func (r *Reader) joinEnds(ctx context.Context, links []telemetry.LinkState) error {
	type ref struct {
		end *telemetry.LinkEnd
		cmd *goredis.StringCmd
	}
	var refs []ref
	pipe := r.c.Pipeline()
	for i := range links {
		for _, e := range [2]*telemetry.LinkEnd{&links[i].A, &links[i].B} {
			if e.Device != "" && e.Interface != "" {
				refs = append(refs, ref{e, pipe.HGet(ctx, r.keys.Interfaces(e.Device), e.Interface)})
			}
		}
	}
	if len(refs) == 0 {
		return nil
	}
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, goredis.Nil) {
		return fmt.Errorf("redis link ends: %w", err)
	}
	for _, x := range refs {
		b, err := x.cmd.Bytes()
		if errors.Is(err, goredis.Nil) {
			continue
		}
		if err != nil {
			return fmt.Errorf("redis %s field %s: %w", r.keys.Interfaces(x.end.Device), x.end.Interface, err)
		}
		if err := json.Unmarshal(b, &x.end.InterfaceState); err != nil {
			return fmt.Errorf("redis %s field %s: %w", r.keys.Interfaces(x.end.Device), x.end.Interface, err)
		}
	}
	return nil
}

// jsonFields reads the "json" field of every hash an index set names, in
// one pipeline; index members whose hash is gone, or that keep (when
// not nil) refuses, are skipped.
func (r *Reader) jsonFields(ctx context.Context, index string, key func(string) string, keep func(string) bool, each func(string, []byte) error) error {
	names, err := r.c.SMembers(ctx, index).Result()
	if err != nil {
		return fmt.Errorf("redis %s: %w", index, err)
	}
	names = kept(names, keep)
	pipe := r.c.Pipeline()
	cmds := make([]*goredis.StringCmd, len(names))
	for i, n := range names {
		cmds[i] = pipe.HGet(ctx, key(n), "json")
	}
	if len(names) > 0 {
		if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, goredis.Nil) {
			return fmt.Errorf("redis %s: %w", index, err)
		}
	}
	for i, n := range names {
		b, err := cmds[i].Bytes()
		if errors.Is(err, goredis.Nil) {
			continue
		}
		if err != nil {
			return fmt.Errorf("redis %s: %w", key(n), err)
		}
		if err := each(n, b); err != nil {
			return err
		}
	}
	return nil
}

// Interfaces are the latest state of every device's interfaces: what the
// engine lease holder feeds its engine with when several collectors share
// the targets.
func (r *Reader) Interfaces(ctx context.Context) ([]telemetry.InterfaceState, error) {
	return r.InterfacesOf(ctx, nil)
}

// InterfacesOf is Interfaces of the devices keep accepts (nil: all): the
// engine lease holder reads only the devices other collectors stream,
// not its own writes back (decoding those every flush was nearly half of
// a lone collector's CPU in bench/telemetry).
func (r *Reader) InterfacesOf(ctx context.Context, keep func(device string) bool) ([]telemetry.InterfaceState, error) {
	devs, err := r.c.SMembers(ctx, r.keys.DeviceIndex()).Result()
	if err != nil {
		return nil, fmt.Errorf("redis %s: %w", r.keys.DeviceIndex(), err)
	}
	devs = kept(devs, keep)
	sort.Strings(devs)
	pipe := r.c.Pipeline()
	cmds := make([]*goredis.MapStringStringCmd, len(devs))
	for i, d := range devs {
		cmds[i] = pipe.HGetAll(ctx, r.keys.Interfaces(d))
	}
	if len(devs) > 0 {
		if _, err := pipe.Exec(ctx); err != nil {
			return nil, fmt.Errorf("redis interfaces: %w", err)
		}
	}
	var out []telemetry.InterfaceState
	for i, d := range devs {
		m := cmds[i].Val()
		names := make([]string, 0, len(m))
		for n := range m {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			var s telemetry.InterfaceState
			if err := json.Unmarshal([]byte(m[n]), &s); err != nil {
				return nil, fmt.Errorf("redis %s field %s: %w", r.keys.Interfaces(d), n, err)
			}
			out = append(out, s)
		}
	}
	return out, nil
}

// Alarms are every alarm record kept (active, and cleared ones within the
// retention), most severe and newest first, with acknowledgements merged.
func (r *Reader) Alarms(ctx context.Context) ([]telemetry.Alarm, error) {
	ids, err := r.c.ZRange(ctx, r.keys.AlarmIndex(), 0, -1).Result()
	if err != nil {
		return nil, fmt.Errorf("redis %s: %w", r.keys.AlarmIndex(), err)
	}
	pipe := r.c.Pipeline()
	cmds := make([]*goredis.SliceCmd, len(ids))
	for i, id := range ids {
		cmds[i] = pipe.HMGet(ctx, r.keys.Alarm(id), "json", "acked_by", "acked_at", "acked_raised")
	}
	if len(ids) > 0 {
		if _, err := pipe.Exec(ctx); err != nil {
			return nil, fmt.Errorf("redis alarms: %w", err)
		}
	}
	out := []telemetry.Alarm{}
	var gone []any
	for i, id := range ids {
		v := cmds[i].Val()
		js, _ := v[0].(string)
		if js == "" { // expired cleared record: drop it from the index
			gone = append(gone, id)
			continue
		}
		var a telemetry.Alarm
		if err := json.Unmarshal([]byte(js), &a); err != nil {
			return nil, fmt.Errorf("redis %s: %w", r.keys.Alarm(id), err)
		}
		by, _ := v[1].(string)
		at, _ := v[2].(string)
		raised, _ := v[3].(string)
		// An ack holds for the occurrence it was given on: a new raise of
		// the same condition after a clear needs a new ack.
		if by != "" && raised == a.Raised.UTC().Format(time.RFC3339Nano) {
			a.Acked, a.AckedBy = true, by
			a.AckedAt, _ = time.Parse(time.RFC3339Nano, at)
		}
		out = append(out, a)
	}
	if len(gone) > 0 {
		r.c.ZRem(ctx, r.keys.AlarmIndex(), gone...)
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if (a.State == telemetry.AlarmActive) != (b.State == telemetry.AlarmActive) {
			return a.State == telemetry.AlarmActive
		}
		if a.Severity.Rank() != b.Severity.Rank() {
			return a.Severity.Rank() < b.Severity.Rank()
		}
		return a.Updated.After(b.Updated)
	})
	return out, nil
}

// ErrNotFound is returned by Ack for an alarm id Redis does not hold.
var ErrNotFound = errors.New("not found")

// Ack is an acknowledgement given through Redis.
type Ack struct {
	ID     string    `json:"id"`
	By     string    `json:"by"`
	At     time.Time `json:"at"`
	Raised time.Time `json:"raised"` // the occurrence acknowledged
	// StreamID is the entry in the ack stream (resume point).
	StreamID string `json:"-"`
}

// Ack acknowledges an alarm: recorded on its hash, appended to the ack
// stream and published, so the collector running the engine learns it
// (Subscribe) and keeps it on its next writes.
func (r *Reader) Ack(ctx context.Context, id, by string) error {
	js, err := r.c.HGet(ctx, r.keys.Alarm(id), "json").Result()
	if errors.Is(err, goredis.Nil) {
		return fmt.Errorf("alarm %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("alarm %s: %w", id, err)
	}
	var a telemetry.Alarm
	if err := json.Unmarshal([]byte(js), &a); err != nil {
		return fmt.Errorf("alarm %s: %w", id, err)
	}
	now := r.now().UTC()
	ack := Ack{ID: id, By: by, At: now, Raised: a.Raised}
	body, _ := json.Marshal(ack)
	minID := itoa(now.Add(-r.EventRetention).UnixMilli())
	n, err := ackScript.Run(ctx, r.c, []string{r.keys.Alarm(id), r.keys.AckLog(), r.keys.AckChannel()},
		by, now.Format(time.RFC3339Nano), a.Raised.UTC().Format(time.RFC3339Nano), string(body), minID).Int()
	if err != nil {
		return fmt.Errorf("alarm %s: ack: %w", id, err)
	}
	if n == 0 {
		return fmt.Errorf("alarm %s: %w", id, ErrNotFound)
	}
	return nil
}

// Subscribe delivers acknowledgements made through Redis from now on (or
// after the ack stream entry from, when not ""), until ctx ends. It reads
// the ack stream rather than the pub/sub channel, so an ack given while
// the collector was cut from Redis is delivered when it reconnects.
func (r *Reader) Subscribe(ctx context.Context, from string) <-chan Ack {
	ch := make(chan Ack, 64)
	go func() {
		defer close(ch)
		last := from
		if last == "" {
			last = "$"
		}
		backoff := 50 * time.Millisecond
		for ctx.Err() == nil {
			if last == "$" {
				// Pin "now" to a concrete id so acks between two reads
				// are not skipped.
				if xs, err := r.c.XRevRangeN(ctx, r.keys.AckLog(), "+", "-", 1).Result(); err == nil {
					last = "0-0"
					if len(xs) > 0 {
						last = xs[0].ID
					}
				} else {
					sleep(ctx, backoff)
					backoff = min(2*backoff, time.Second)
					continue
				}
			}
			res, err := r.c.XRead(ctx, &goredis.XReadArgs{Streams: []string{r.keys.AckLog(), last}, Block: time.Second, Count: 100}).Result()
			if errors.Is(err, goredis.Nil) {
				continue
			}
			if err != nil {
				sleep(ctx, backoff)
				backoff = min(2*backoff, time.Second)
				continue
			}
			backoff = 50 * time.Millisecond
			for _, st := range res {
				for _, m := range st.Messages {
					last = m.ID
					var a Ack
					s, _ := m.Values["ack"].(string)
					if json.Unmarshal([]byte(s), &a) != nil {
						continue
					}
					a.StreamID = m.ID
					select {
					case ch <- a:
					case <-ctx.Done():
						return
					}
				}
			}
		}
	}()
	return ch
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

func kept(names []string, keep func(string) bool) []string {
	if keep == nil {
		return names
	}
	out := names[:0]
	for _, n := range names {
		if keep(n) {
			out = append(out, n)
		}
	}
	return out
}
