package web

import (
	"bytes"
	"compress/gzip"
	"context"
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tuyau-net/tuyau/inventory"
	"github.com/tuyau-net/tuyau/telemetry"
	"github.com/tuyau-net/tuyau/telemetry/noc"
	"github.com/tuyau-net/tuyau/topology"
)

// DefaultListen is where `tuyau web` listens: loopback only, beside the
// collector's 9378.
const DefaultListen = "127.0.0.1:9380"

//go:embed assets
var assets embed.FS

// LinkDetailer serves a link with its recent history: the collector's HTTP
// API and the Redis reader (its history stream) both do.
type LinkDetailer interface {
	Link(ctx context.Context, id string) (telemetry.LinkDetail, error)
}

// Watcher tells that the sink changed (Redis pub/sub), so the page is
// updated at once instead of at the next poll.
type Watcher interface {
	Watch(ctx context.Context) <-chan struct{}
}

// BGPSource is the BGP speakers' view: sessions and each hosting
// service's active site (cmd wires the speakers of the inventory).
type BGPSource interface {
	BGP(ctx context.Context) (noc.BGPState, error)
}

// Options configure the web NOC.
type Options struct {
	// Source is the sink to read; required.
	Source telemetry.Reader
	// Acker takes acknowledgements (the same reader); nil refuses them.
	Acker telemetry.Acker
	// Detailer serves link history; nil uses Source when it is one.
	Detailer LinkDetailer
	// Watcher wakes the reader early; nil uses Source when it is one.
	Watcher Watcher
	// History is the state-change history the member site pages compute
	// availability from; nil uses Source when it is one.
	History telemetry.HistoryReader
	// HistoryName says where the history comes from ("Redis", a
	// collector's URL), for the page's reader.
	HistoryName string
	// BGP is the speakers' state; nil shows the inventory's services
	// without an active site.
	BGP BGPSource
	// Inventory draws the map; required.
	Inventory *inventory.Snapshot
	// Token, when set, is required of every request (a cookie set by
	// /login, or Authorization: Bearer) and so of every acknowledgement.
	// Empty serves everyone who reaches the listener: loopback only
	// (Serve refuses another address without a token).
	Token string
	// TileURL is a base-map tile template (https://tiles.example/{z}/{x}/{y}.png);
	// empty draws the network on a plain background.
	TileURL string
	// User is the default name acknowledgements are made by.
	User string
	// Interval between reads of the sink [500ms].
	Interval time.Duration
	// Timeout bounds each read [5s].
	Timeout time.Duration
	Logger  *slog.Logger
}

// Server is the web NOC's HTTP handler and the loop that reads the sink.
type Server struct {
	o      Options
	mux    *http.ServeMux
	static fs.FS
	topo   *topology.Topology
	an     *topology.Analysis
	mapDoc []byte // GET /api/map, built once
	mapGz  []byte // and gzipped: 3 MB become some 400 kB for 10,000 sites
	hub    *hub
	csp    string
	hostMu sync.Mutex
	host   hostingDoc // the speakers' latest answer (watchHosting)
	// linkGen counts the link state changes Run saw: a cached
	// availability report older than the last is stale.
	linkGen atomic.Uint64
	avail   availCache
}

// New builds the server; Run must run for the live views to move.
func New(o Options) (*Server, error) {
	if o.Source == nil {
		return nil, errors.New("web: no source to read")
	}
	if o.Inventory == nil {
		return nil, errors.New("web: no inventory to draw the map from")
	}
	if o.Interval <= 0 {
		o.Interval = 500 * time.Millisecond
	}
	if o.Timeout <= 0 {
		o.Timeout = 5 * time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if o.Detailer == nil {
		o.Detailer, _ = o.Source.(LinkDetailer)
	}
	if o.Watcher == nil {
		o.Watcher, _ = o.Source.(Watcher)
	}
	if o.History == nil {
		o.History, _ = o.Source.(telemetry.HistoryReader)
	}
	topo, err := topology.Build(o.Inventory, topology.Options{})
	if err != nil {
		return nil, fmt.Errorf("web: inventory %s: %w", o.Inventory.Network.Name, err)
	}
	static, err := fs.Sub(assets, "assets")
	if err != nil {
		return nil, err
	}
	s := &Server{o: o, mux: http.NewServeMux(), static: static, topo: topo, an: topology.Analyze(topo), hub: newHub(),
		host: hostingDoc{Services: []noc.Service{}}}
	if s.mapDoc, err = buildMap(topo, o); err != nil {
		return nil, err
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	_, _ = zw.Write(s.mapDoc)
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("web: compress the map: %w", err)
	}
	s.mapGz = gz.Bytes()
	s.csp, err = contentPolicy(o.TileURL)
	if err != nil {
		return nil, err
	}
	s.routes()
	return s, nil
}

func (s *Server) routes() {
	m := s.mux
	m.HandleFunc("GET /{$}", s.page)
	m.Handle("GET /assets/", http.StripPrefix("/assets/", http.FileServerFS(s.static)))
	m.HandleFunc("GET /login", s.loginPage)
	m.HandleFunc("POST /login", s.login)
	m.HandleFunc("GET /api/map", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Vary", "Accept-Encoding")
		if strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
			w.Header().Set("Content-Encoding", "gzip")
			_, _ = w.Write(s.mapGz)
			return
		}
		_, _ = w.Write(s.mapDoc)
	})
	m.HandleFunc("GET /api/state", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(s.hub.latest())
	})
	m.HandleFunc("GET /api/events", s.events)
	m.HandleFunc("GET /api/links/{id}", s.link)
	m.HandleFunc("GET /api/sites/{slug}", s.site)
	m.HandleFunc("GET /api/sites/{slug}/availability", s.availability)
	m.HandleFunc("POST /api/alarms/{id}/ack", s.ack)
	m.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = io.WriteString(w, "ok\n")
	})
}

// ServeHTTP sets the security headers, then lets through only the
// requests the token allows.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", s.csp)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("Cross-Origin-Resource-Policy", "same-origin")
	h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
	if strings.HasPrefix(r.URL.Path, "/api/") {
		h.Set("Cache-Control", "no-store")
	}
	if !s.allowed(r) {
		if strings.HasPrefix(r.URL.Path, "/api/") || r.Method != http.MethodGet {
			writeJSON(w, http.StatusUnauthorized, apiError{"log in first: this web NOC needs its token"})
			return
		}
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return
	}
	s.mux.ServeHTTP(w, r)
}

// contentPolicy allows scripts, styles and connections to this origin
// only, and images from the tile server when there is one.
func contentPolicy(tileURL string) (string, error) {
	img := "'self' data:"
	if tileURL != "" {
		u, err := url.Parse(strings.NewReplacer("{z}", "0", "{x}", "0", "{y}", "0", "{s}", "a").Replace(tileURL))
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return "", fmt.Errorf("web: tile URL %q: want http(s)://host/{z}/{x}/{y}.png", tileURL)
		}
		img += " " + u.Scheme + "://" + u.Host
	}
	return "default-src 'none'; script-src 'self'; style-src 'self'; img-src " + img +
		"; connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'", nil
}

func (s *Server) page(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	http.ServeFileFS(w, r, s.static, "index.html")
}
