package main

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"time"
)

// tracer records every request of a read (start, end, path) so that the
// bench can say how many requests a read sent and how long their chain of
// dependent requests was: with 20 ms a request the wall time is set by the
// requests in flight and the stages between them, not by the CPU.
type tracer struct {
	next  http.RoundTripper
	start time.Time
	mu    sync.Mutex
	reqs  []traced
}

type traced struct {
	path       string
	start, end time.Duration
}

func (t *tracer) RoundTrip(r *http.Request) (*http.Response, error) {
	s := time.Since(t.start)
	resp, err := t.next.RoundTrip(r)
	if err == nil {
		// The request ends when its body has been read (decoded).
		resp.Body = &tracedBody{ReadCloser: resp.Body, done: func() {
			t.mu.Lock()
			t.reqs = append(t.reqs, traced{path: r.URL.Path + "?" + shortQuery(r.URL.Query()), start: s, end: time.Since(t.start)})
			t.mu.Unlock()
		}}
	}
	return resp, err
}

// shortQuery keeps limit and offset and counts the id filters.
func shortQuery(q url.Values) string {
	s := ""
	for _, k := range []string{"limit", "offset"} {
		if v := q.Get(k); v != "" {
			s += k + "=" + v + " "
		}
	}
	for k, v := range q {
		if k != "limit" && k != "offset" {
			s += fmt.Sprintf("%s(%d) ", k, len(v))
		}
	}
	return s
}

type tracedBody struct {
	io.ReadCloser
	once sync.Once
	done func()
}

func (b *tracedBody) Close() error { b.once.Do(b.done); return b.ReadCloser.Close() }

// report writes one line per request in start order, then the count and
// the most requests in flight at once.
func (t *tracer) report(w io.Writer) {
	t.mu.Lock()
	defer t.mu.Unlock()
	slices.SortFunc(t.reqs, func(a, b traced) int { return int(a.start - b.start) })
	type ev struct {
		at time.Duration
		d  int
	}
	var evs []ev
	for _, r := range t.reqs {
		fmt.Fprintf(w, "%8.3f %8.3f %7.1fms %s\n", r.start.Seconds(), r.end.Seconds(), float64(r.end-r.start)/1e6, r.path)
		evs = append(evs, ev{r.start, 1}, ev{r.end, -1})
	}
	slices.SortFunc(evs, func(a, b ev) int { return int(a.at - b.at) })
	n, most := 0, 0
	for _, e := range evs {
		n += e.d
		most = max(most, n)
	}
	fmt.Fprintf(w, "%d requests, at most %d in flight\n", len(t.reqs), most)
}
