package telemetry

import (
	"errors"
	"sync"
	"time"
)

// recorder is a hand fake of CollectorEngine: it keeps the latest value
// of every leaf and every target health it was given, and returns its
// alarms from Tick.
type recorder struct {
	mu      sync.Mutex
	leaves  map[string]Update // target|class|key|leaf -> latest
	counts  map[PathClass]int
	health  map[string]TargetHealth
	alarms  map[string]Alarm
	ticks   int
	reloads int
}

func newRecorder() *recorder {
	return &recorder{leaves: map[string]Update{}, counts: map[PathClass]int{}, health: map[string]TargetHealth{}, alarms: map[string]Alarm{}}
}

func (r *recorder) Observe(ups []Update) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, u := range ups {
		r.leaves[u.Target+"|"+string(u.Class)+"|"+u.Key+"|"+u.Leaf] = u
		r.counts[u.Class]++
	}
}

func (r *recorder) ObserveTarget(h TargetHealth) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.health[h.Name] = h
}

func (r *recorder) Tick(now time.Time) Batch {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.ticks++
	var b Batch
	for _, a := range r.alarms {
		b.Alarms = append(b.Alarms, a)
	}
	return b
}

func (r *recorder) Ack(id, by string, now time.Time) (Alarm, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	a, ok := r.alarms[id]
	if !ok {
		return Alarm{}, errors.New("alarm " + id + ": not found")
	}
	a.Acked, a.AckedBy, a.AckedAt = true, by, now
	r.alarms[id] = a
	return a, nil
}

func (r *recorder) leaf(target string, c PathClass, key, leaf string) (Update, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	u, ok := r.leaves[target+"|"+string(c)+"|"+key+"|"+leaf]
	return u, ok
}

func (r *recorder) count(c PathClass) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.counts[c]
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t interface {
	Helper()
	Fatalf(string, ...any)
}, within time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(within)
	last := ""
	for time.Now().Before(deadline) {
		ok, s := cond()
		if ok {
			return
		}
		last = s
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s: not after %v: %s", what, within, last)
}
