package telemetry

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"strings"
)

// DefaultListen is where the collector's HTTP API listens: loopback only
// (9273 is Telegraf's prometheus_client port and 9804 gNMIc's, so
// neither).
const DefaultListen = "127.0.0.1:9378"

// APIStore is what the HTTP API reads: the memory sink, or anything that
// holds the same.
type APIStore interface {
	Reader
	Interfaces(ctx context.Context) ([]InterfaceState, error)
	Link(ctx context.Context, id string) (LinkDetail, error)
}

// APIOptions configure the HTTP API.
type APIOptions struct {
	// Acker takes POST /api/v1/alarms/{id}/ack (the collector); nil
	// refuses acknowledgements.
	Acker Acker
	// Events takes POST /api/v1/events (the collector); nil refuses them.
	Events EventSink
	// Metrics is served at /metrics (the Prometheus sink's handler).
	Metrics http.Handler
	// Token, when set, lets a client that is not on loopback acknowledge
	// alarms (Authorization: Bearer TOKEN). Writes from elsewhere without
	// it are refused; reads are open to whoever can reach the listener,
	// which is loopback by default.
	Token  string
	Logger *slog.Logger
}

// NewAPI returns the collector's HTTP API:
//
//	GET  /api/v1/targets | links | links/{id} | interfaces | alarms
//	GET  /api/v1/changes   the state-change history (when store keeps it)
//	GET  /api/v1/runtime   the collector process's Go runtime (RuntimeStats)
//	POST /api/v1/alarms/{id}/ack   {"by": "name"}
//	POST /api/v1/events            [Event, ...] (from the BGP speaker)
//	GET  /healthz, /metrics
func NewAPI(store APIStore, o APIOptions) http.Handler {
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	a := &api{store: store, o: o}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/targets", func(w http.ResponseWriter, r *http.Request) {
		v, err := store.Targets(r.Context())
		a.reply(w, v, err)
	})
	mux.HandleFunc("GET /api/v1/links", func(w http.ResponseWriter, r *http.Request) {
		v, err := store.Links(r.Context())
		a.reply(w, v, err)
	})
	mux.HandleFunc("GET /api/v1/links/{id}", func(w http.ResponseWriter, r *http.Request) {
		v, err := store.Link(r.Context(), r.PathValue("id"))
		a.reply(w, v, err)
	})
	mux.HandleFunc("GET /api/v1/interfaces", func(w http.ResponseWriter, r *http.Request) {
		v, err := store.Interfaces(r.Context())
		a.reply(w, v, err)
	})
	mux.HandleFunc("GET /api/v1/alarms", func(w http.ResponseWriter, r *http.Request) {
		v, err := store.Alarms(r.Context())
		a.reply(w, v, err)
	})
	if hs, ok := store.(HistoryReader); ok {
		mux.HandleFunc("GET /api/v1/changes", func(w http.ResponseWriter, r *http.Request) {
			v, err := hs.History(r.Context())
			a.reply(w, v, err)
		})
	}
	mux.HandleFunc("GET /api/v1/runtime", func(w http.ResponseWriter, _ *http.Request) {
		a.reply(w, ReadRuntime(), nil)
	})
	mux.HandleFunc("POST /api/v1/alarms/{id}/ack", a.ack)
	mux.HandleFunc("POST /api/v1/events", a.events)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = io.WriteString(w, "ok\n")
	})
	if o.Metrics != nil {
		mux.Handle("GET /metrics", o.Metrics)
	}
	return mux
}

type api struct {
	store APIStore
	o     APIOptions
}

type apiError struct {
	Error string `json:"error"`
}

func (a *api) reply(w http.ResponseWriter, v any, err error) {
	if err != nil {
		code := http.StatusInternalServerError
		if strings.Contains(err.Error(), "not found") {
			code = http.StatusNotFound
		}
		writeJSON(w, code, apiError{err.Error()})
		return
	}
	writeJSON(w, http.StatusOK, v)
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

// ackRequest is the body of POST /api/v1/alarms/{id}/ack.
type ackRequest struct {
	By string `json:"by"`
}

func (a *api) ack(w http.ResponseWriter, r *http.Request) {
	if err := a.mayWrite(r); err != nil {
		writeJSON(w, http.StatusForbidden, apiError{err.Error()})
		return
	}
	// A JSON body only: a browser cannot send one cross-origin without a
	// preflight, so a page visited on the NOC desk cannot ack for it.
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
		writeJSON(w, http.StatusUnsupportedMediaType, apiError{"ack: send application/json {\"by\": NAME}"})
		return
	}
	var req ackRequest
	if err := json.NewDecoder(io.LimitReader(r.Body, 4096)).Decode(&req); err != nil || strings.TrimSpace(req.By) == "" {
		writeJSON(w, http.StatusBadRequest, apiError{"ack: body must be {\"by\": NAME}"})
		return
	}
	if a.o.Acker == nil {
		writeJSON(w, http.StatusNotImplemented, apiError{"ack: this API takes no acknowledgements"})
		return
	}
	id := r.PathValue("id")
	if err := a.o.Acker.Ack(r.Context(), id, req.By); err != nil {
		writeJSON(w, http.StatusNotFound, apiError{err.Error()})
		return
	}
	a.o.Logger.Info("alarm acknowledged", "alarm", id, "by", req.By, "from", r.RemoteAddr)
	writeJSON(w, http.StatusOK, map[string]string{"id": id, "acked_by": req.By})
}

// mayWrite lets writes come from loopback, or from elsewhere with the
// token.
func (a *api) mayWrite(r *http.Request) error {
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
			return nil
		}
	}
	if a.o.Token == "" {
		return errors.New("ack refused: not from loopback, and the collector has no API token")
	}
	got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || subtle.ConstantTimeCompare([]byte(got), []byte(a.o.Token)) != 1 {
		return errors.New("ack refused: not from loopback, and no valid bearer token")
	}
	return nil
}
