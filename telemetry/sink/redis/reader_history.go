package redis

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/tuyau-net/tuyau/telemetry"
)

// historyPage is how many stream entries one XRANGE reads.
const historyPage = 5000

// History reads the whole state-change stream (its retention bounds it:
// 90 days by default), in the order it was written, with the links'
// latest states. The stream is read whole rather than from a start time:
// an entry is appended when it is written, which may be long after its
// change happened (a sink replaying after a Redis outage), and the state
// at a report's start is the last change before it, however old. Not
// live: a reader checks the collectors' heartbeat markers for gaps.
func (r *Reader) History(ctx context.Context) (telemetry.ChangeHistory, error) {
	h := telemetry.ChangeHistory{Changes: []telemetry.StateChange{}, Until: r.now().UTC()}
	key := r.keys.Changes()
	start := "-"
	for {
		xs, err := r.c.XRangeN(ctx, key, start, "+", historyPage).Result()
		if err != nil {
			return h, fmt.Errorf("redis %s: %w", key, err)
		}
		for _, x := range xs {
			js, _ := x.Values["json"].(string)
			var c telemetry.StateChange
			if err := json.Unmarshal([]byte(js), &c); err != nil {
				return h, fmt.Errorf("redis %s entry %s: %w", key, x.ID, err)
			}
			h.Changes = append(h.Changes, c)
		}
		if len(xs) < historyPage {
			break
		}
		start = "(" + xs[len(xs)-1].ID
	}
	links, err := r.Links(ctx)
	if err != nil {
		return h, err
	}
	h.Links = make(map[string]string, len(links))
	for _, l := range links {
		h.Links[l.ID] = l.Oper
	}
	return h, nil
}

var _ telemetry.HistoryReader = (*Reader)(nil)

// AlarmsByID returns the alarms with these ids as Redis last recorded
// them: from their hashes, and for those whose hash has expired (a
// cleared alarm is kept 7 days) the newest entry of the alarm log (90
// days). Ids found nowhere are left out.
func (r *Reader) AlarmsByID(ctx context.Context, ids []string) ([]telemetry.Alarm, error) {
	want := map[string]bool{}
	for _, id := range ids {
		want[id] = true
	}
	all, err := r.Alarms(ctx)
	if err != nil {
		return nil, err
	}
	var out []telemetry.Alarm
	for _, a := range all {
		if want[a.ID] {
			out = append(out, a)
			delete(want, a.ID)
		}
	}
	if len(want) == 0 {
		return out, nil
	}
	key := r.keys.AlarmLog()
	newest := map[string]telemetry.Alarm{}
	start := "-"
	for {
		xs, err := r.c.XRangeN(ctx, key, start, "+", historyPage).Result()
		if err != nil {
			return out, fmt.Errorf("redis %s: %w", key, err)
		}
		for _, x := range xs {
			id, _ := x.Values["id"].(string)
			if !want[id] {
				continue
			}
			js, _ := x.Values["json"].(string)
			var a telemetry.Alarm
			if json.Unmarshal([]byte(js), &a) == nil {
				newest[id] = a
			}
		}
		if len(xs) < historyPage {
			break
		}
		start = "(" + xs[len(xs)-1].ID
	}
	for _, a := range newest {
		out = append(out, a)
	}
	return out, nil
}
