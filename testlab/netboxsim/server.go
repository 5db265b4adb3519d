package netboxsim

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Version is the NetBox release whose API the simulator answers like by
// default; Options.Version picks another.
const Version = "4.0.3"

// object is one stored row: writable fields as written (foreign keys as
// ints, numbers as float64), plus "id", "created" and "last_updated".
type object map[string]any

type table struct {
	k     *kind
	objs  map[int]object
	uniq  []map[string]int // per kind.unique tuple: key -> id
	order []int            // ids, ascending: NetBox's list order here is by primary key
	next  int
}

// Options tunes a simulator. The zero value serves with no latency, no
// failures, NetBox's default page sizes and accepts any token given in Tokens.
type Options struct {
	// Tokens are the API tokens accepted; a request with another gets 403 like NetBox.
	Tokens []string
	// Latency is added to every request before it is answered.
	Latency time.Duration
	// FailureRate is the fraction of API requests answered 500, drawn with Seed.
	FailureRate float64
	Seed        uint64
	// DefaultPageSize and MaxPageSize are NetBox's PAGINATE_COUNT (50) and MAX_PAGE_SIZE (1000).
	DefaultPageSize, MaxPageSize int
	// Brownfield, for StartLab, fills the lab with the hand-filled
	// network of Server.Brownfield instead of bootstrapping and pushing.
	Brownfield *BrownfieldOptions
	// Version is the NetBox release to answer like ("4.0.3" when empty).
	Version string
	// Logger receives the progress of StartLab's push; nil discards it.
	Logger *slog.Logger
}

// Server is an in-memory NetBox 4.0 REST API. It is an http.Handler; tests
// wrap it in httptest.NewServer, the CLI serves it with Serve.
type Server struct {
	opts   Options
	rel    release
	kinds  []*kind
	byPath map[string]*kind
	defs   map[string]map[string]any

	mu      sync.RWMutex
	tables  map[string]*table
	version uint64 // bumped on every write; derived data is cached per version
	// cableIdx is which cable end sits on each port, kept with every write.
	cableIdx map[termRef]cableEnd
	clock    func() time.Time

	dmu     sync.Mutex
	derived *derived

	fmu         sync.Mutex
	rnd         *rand.Rand
	failRate    float64
	latency     time.Duration
	writesLeft  int // -1: unlimited
	throttle    int
	retryAfter  int
	malformed   bool
	requests    atomic.Int64
	writeCalls  atomic.Int64
	failedCalls atomic.Int64
}

// New returns an empty simulator.
func New(opts Options) *Server {
	if opts.DefaultPageSize <= 0 {
		opts.DefaultPageSize = 50
	}
	if opts.MaxPageSize <= 0 {
		opts.MaxPageSize = 1000
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	rel, err := parseRelease(opts.Version)
	if opts.Version == "" || err != nil {
		// An unparsable version is the caller's bug; serve the default.
		rel = release{minor: 0}
	}
	defs, limits := schemaDefaults(), schemaLimits()
	if rel.scoped() {
		defs, limits = schemaDefaults42(), schemaLimits42()
	}
	all := kinds()
	rel.adapt(all)
	applyLimits(all, limits)
	s := &Server{opts: opts, rel: rel, kinds: all, byPath: map[string]*kind{}, defs: defs,
		tables: map[string]*table{}, clock: time.Now, cableIdx: map[termRef]cableEnd{},
		rnd:      rand.New(rand.NewPCG(opts.Seed, opts.Seed^0x9e3779b97f4a7c15)),
		failRate: opts.FailureRate, latency: opts.Latency, writesLeft: -1}
	for _, k := range s.kinds {
		s.byPath[k.path] = k
		t := &table{k: k, objs: map[int]object{}, next: 1}
		for range k.unique {
			t.uniq = append(t.uniq, map[string]int{})
		}
		s.tables[k.path] = t
	}
	return s
}

// SetLatency changes the latency added to every request.
func (s *Server) SetLatency(d time.Duration) { s.fmu.Lock(); s.latency = d; s.fmu.Unlock() }

// SetFailureRate changes the fraction of requests answered 500.
func (s *Server) SetFailureRate(r float64) { s.fmu.Lock(); s.failRate = r; s.fmu.Unlock() }

// FailWritesAfter lets n more writes through, then answers every write 500
// until called again with a negative n: a NetBox that dies in the middle of a push.
func (s *Server) FailWritesAfter(n int) { s.fmu.Lock(); s.writesLeft = n; s.fmu.Unlock() }

// Throttle answers the next n requests 429 with a Retry-After of the given seconds.
func (s *Server) Throttle(n, retryAfterSeconds int) {
	s.fmu.Lock()
	s.throttle, s.retryAfter = n, retryAfterSeconds
	s.fmu.Unlock()
}

// SetMalformed makes list responses truncated JSON, as a broken proxy would send.
func (s *Server) SetMalformed(on bool) { s.fmu.Lock(); s.malformed = on; s.fmu.Unlock() }

// Stats counts requests served, writes among them, and requests failed on purpose.
type Stats struct{ Requests, Writes, Injected int64 }

// Stats returns the request counters.
func (s *Server) Stats() Stats {
	return Stats{s.requests.Load(), s.writeCalls.Load(), s.failedCalls.Load()}
}

// Count returns how many objects an endpoint ("dcim/devices") holds.
func (s *Server) Count(path string) int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if t := s.tables[path]; t != nil {
		return len(t.order)
	}
	return 0
}

// Serve answers on ln until ctx is done.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	hs := &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	done := make(chan struct{})
	go func() {
		defer close(done)
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = hs.Shutdown(sctx)
	}()
	err := hs.Serve(ln)
	if errors.Is(err, http.ErrServerClosed) {
		<-done
		return nil
	}
	return err
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.requests.Add(1)
	write := r.Method != http.MethodGet && r.Method != http.MethodHead && r.Method != http.MethodOptions
	if write {
		s.writeCalls.Add(1)
	}
	s.fmu.Lock()
	lat, fail, throttle, ra := s.latency, false, false, s.retryAfter
	if s.throttle > 0 {
		s.throttle--
		throttle = true
	}
	if s.failRate > 0 && s.rnd.Float64() < s.failRate {
		fail = true
	}
	if write && s.writesLeft >= 0 {
		if s.writesLeft == 0 {
			fail = true
		} else {
			s.writesLeft--
		}
	}
	malformed := s.malformed
	s.fmu.Unlock()
	if lat > 0 {
		t := time.NewTimer(lat)
		select {
		case <-r.Context().Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
	path := strings.TrimPrefix(r.URL.Path, "/api/")
	if path == r.URL.Path {
		http.NotFound(w, r)
		return
	}
	status := path == "status/" || path == "status"
	// /api/status/ answers without a token (LOGIN_REQUIRED is off by default).
	if !status && !s.authorized(w, r) {
		return
	}
	if throttle {
		s.failedCalls.Add(1)
		w.Header().Set("Retry-After", strconv.Itoa(ra))
		writeJSON(w, http.StatusTooManyRequests, map[string]any{"detail": "Request was throttled. Expected available in " + strconv.Itoa(ra) + " seconds."})
		return
	}
	if fail {
		s.failedCalls.Add(1)
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = w.Write([]byte("\n<!doctype html>\n<html lang=\"en\">\n<head>\n  <title>Server Error (500)</title>\n</head>\n<body>\n  <h1>Server Error (500)</h1><p></p>\n</body>\n</html>\n"))
		return
	}
	if status {
		writeJSON(w, http.StatusOK, map[string]any{"netbox-version": s.netboxVersion(), "python-version": "3.11.2",
			"django-version": "5.0.6", "installed-apps": map[string]any{}, "plugins": map[string]any{}, "rq-workers-running": 1})
		return
	}
	path = strings.TrimSuffix(path, "/")
	parts := strings.Split(path, "/")
	if len(parts) < 2 || len(parts) > 3 {
		writeJSON(w, http.StatusNotFound, map[string]any{"detail": "Not found."})
		return
	}
	k := s.byPath[parts[0]+"/"+parts[1]]
	if k == nil {
		writeJSON(w, http.StatusNotFound, map[string]any{"detail": "Not found."})
		return
	}
	base := "http://" + r.Host
	if r.TLS != nil {
		base = "https://" + r.Host
	}
	if len(parts) == 2 {
		switch r.Method {
		case http.MethodGet:
			s.list(w, r, k, base, malformed)
		case http.MethodPost:
			s.createHTTP(w, r, k, base)
		case http.MethodPatch, http.MethodPut:
			s.bulkUpdateHTTP(w, r, k, base, r.Method == http.MethodPatch)
		case http.MethodDelete:
			s.bulkDeleteHTTP(w, r, k)
		default:
			methodNotAllowed(w, r)
		}
		return
	}
	id, err := strconv.Atoi(parts[2])
	if err != nil {
		writeJSON(w, http.StatusNotFound, map[string]any{"detail": "Not found."})
		return
	}
	switch r.Method {
	case http.MethodGet:
		s.getHTTP(w, k, id, base)
	case http.MethodPatch, http.MethodPut:
		s.updateHTTP(w, r, k, id, base, r.Method == http.MethodPatch)
	case http.MethodDelete:
		s.deleteHTTP(w, k, id)
	default:
		methodNotAllowed(w, r)
	}
}

func methodNotAllowed(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusMethodNotAllowed, map[string]any{"detail": "Method \"" + r.Method + "\" not allowed."})
}

// authorized checks the token the way NetBox's TokenAuthentication does.
func (s *Server) authorized(w http.ResponseWriter, r *http.Request) bool {
	h := r.Header.Get("Authorization")
	if h == "" {
		writeJSON(w, http.StatusForbidden, map[string]any{"detail": "Authentication credentials were not provided."})
		return false
	}
	kw, tok, ok := strings.Cut(h, " ")
	// From 4.5, v2 tokens come as "Bearer nbt_KEY.TOKEN", and only so;
	// legacy tokens as "Token TOKEN".
	v2 := strings.HasPrefix(strings.TrimSpace(tok), "nbt_")
	bearer := s.rel.minor >= 5 && strings.EqualFold(kw, "Bearer") && v2
	if !ok || !(strings.EqualFold(kw, "Token") && !v2) && !bearer {
		writeJSON(w, http.StatusForbidden, map[string]any{"detail": "Invalid token header. No credentials provided."})
		return false
	}
	for _, t := range s.opts.Tokens {
		if t == strings.TrimSpace(tok) {
			return true
		}
	}
	writeJSON(w, http.StatusForbidden, map[string]any{"detail": "Invalid token"})
	return false
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		code, b = http.StatusInternalServerError, []byte(`{"detail":"encode response"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("API-Version", "4.0")
	w.WriteHeader(code)
	_, _ = w.Write(b)
}

func (s *Server) netboxVersion() string {
	if s.opts.Version != "" {
		return s.opts.Version
	}
	return Version
}

// CheckVersion says whether the simulator can answer like NetBox v.
func CheckVersion(v string) error {
	_, err := parseRelease(v)
	return err
}
