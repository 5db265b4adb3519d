package redis

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/tuyau-net/tuyau/telemetry"
)

// LinkHistoryRead bounds how many points Link reads from a history stream.
const LinkHistoryRead = 500

// Link is one link's latest state with its recent history from its history
// stream (oldest first): what GET /api/v1/links/{id} serves from the
// memory sink, for the NOC views reading Redis.
func (r *Reader) Link(ctx context.Context, id string) (telemetry.LinkDetail, error) {
	var d telemetry.LinkDetail
	js, err := r.c.HGet(ctx, r.keys.Link(id), "json").Bytes()
	if errors.Is(err, goredis.Nil) {
		return d, fmt.Errorf("link %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return d, fmt.Errorf("redis %s: %w", r.keys.Link(id), err)
	}
	var doc linkDoc
	if err := json.Unmarshal(js, &doc); err != nil {
		return d, fmt.Errorf("redis %s: %w", r.keys.Link(id), err)
	}
	one := []telemetry.LinkState{doc.state()}
	if err := r.joinEnds(ctx, one); err != nil {
		return d, err
	}
	d.LinkState = one[0]
	xs, err := r.c.XRevRangeN(ctx, r.keys.LinkHistory(id), "+", "-", LinkHistoryRead).Result()
	if err != nil {
		return d, fmt.Errorf("redis %s: %w", r.keys.LinkHistory(id), err)
	}
	d.History = make([]telemetry.LinkPoint, 0, len(xs))
	for i := len(xs) - 1; i >= 0; i-- {
		d.History = append(d.History, linkPoint(xs[i].Values))
	}
	return d, nil
}

// linkPoint decodes one history stream entry (encodeLink's fields).
func linkPoint(v map[string]any) telemetry.LinkPoint {
	f := func(k string) float64 {
		s, _ := v[k].(string)
		x, _ := strconv.ParseFloat(s, 64)
		return x
	}
	p := telemetry.LinkPoint{InBps: f("a_in_bps"), OutBps: f("a_out_bps"), Utilization: f("utilization"),
		MeasuredRxDBm: f("rx_dbm"), MarginDB: f("margin_db"), DriftDB: f("drift_db")}
	p.Oper, _ = v["oper"].(string)
	if ms, err := strconv.ParseInt(fmt.Sprint(v["ts"]), 10, 64); err == nil {
		p.Time = time.UnixMilli(ms).UTC()
	}
	return p
}

// Watch signals every change the sinks publish (state changes and alarm
// writes on the events channel) and every acknowledgement, coalesced: a
// reader that is busy gets one signal for many messages. It returns once
// Redis confirmed the subscription (or after 2 s without; go-redis keeps
// trying). The channel closes when ctx ends.
func (r *Reader) Watch(ctx context.Context) <-chan struct{} {
	ch := make(chan struct{}, 1)
	sub := r.c.Subscribe(ctx, r.keys.Events(), r.keys.AckChannel())
	cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	_, _ = sub.Receive(cctx) // the confirmation: messages after it are seen
	cancel()
	go func() {
		defer close(ch)
		defer sub.Close()
		msgs := sub.Channel()
		for {
			select {
			case <-ctx.Done():
				return
			case _, ok := <-msgs:
				if !ok {
					return
				}
				select {
				case ch <- struct{}{}:
				default:
				}
			}
		}
	}()
	return ch
}
