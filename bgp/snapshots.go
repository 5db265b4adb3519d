package bgp

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/tuyau-net/tuyau/bgp/hosting"
)

// Snapshots keeps MRT dumps of the speaker's table around every hosting
// failover, for post-mortems: one when it starts (a site goes down or is
// drained: the table as the other site's announcements leave), one Settle
// after the service's active site moved. Files go under
// Dir/SERVICE/TIME-WHAT.mrt; the Keep newest per service are kept.
type Snapshots struct {
	Dir    string
	Settle time.Duration // 10 s
	Keep   int           // 20
	Log    *slog.Logger
	// dump writes the table to a file (the speaker's client).
	dump func(ctx context.Context, path string) (MRTStats, error)

	wg sync.WaitGroup
	mu sync.Mutex // one dump at a time
}

// NewSnapshots keeps the snapshots of sp's table under dir.
func NewSnapshots(sp *Speaker, dir string, log *slog.Logger) *Snapshots {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Snapshots{Dir: dir, Log: log, dump: func(ctx context.Context, path string) (MRTStats, error) {
		c, err := sp.readyClient()
		if err != nil {
			return MRTStats{}, err
		}
		return c.WriteMRTFile(ctx, path)
	}}
}

// Transition takes a hosting transition (hosting.WithEvents) and writes
// the snapshots it calls for, in the background; ctx bounds them.
func (s *Snapshots) Transition(ctx context.Context, tr hosting.Transition) {
	var what string
	var wait time.Duration
	switch {
	case tr.Site != "" && (tr.To == string(hosting.StateDown) || tr.To == string(hosting.StateDrained)):
		what = "before-" + tr.Site + "-" + tr.To
	case tr.Site == "" && tr.From != "" && tr.From != tr.To:
		what, wait = "after-"+tr.From+"-to-"+tr.To, s.Settle
		if wait <= 0 {
			wait = 10 * time.Second
		}
	default:
		return
	}
	at := tr.Time
	if at.IsZero() {
		at = time.Now()
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		s.write(ctx, tr.Service, at.UTC().Format("20060102T150405.000Z")+"-"+what)
	}()
}

// Wait waits for the snapshots being written.
func (s *Snapshots) Wait() { s.wg.Wait() }

func (s *Snapshots) write(ctx context.Context, service, name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	dir := filepath.Join(s.Dir, safeName(service))
	if err := os.MkdirAll(dir, 0o750); err != nil {
		s.Log.Warn("mrt snapshot", "service", service, "err", err)
		return
	}
	path := filepath.Join(dir, safeName(name)+".mrt")
	dctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	st, err := s.dump(dctx, path)
	if err != nil {
		s.Log.Warn("mrt snapshot", "service", service, "file", path, "err", err)
		return
	}
	s.Log.Info("mrt snapshot written", "service", service, "file", path, "prefixes", st.Prefixes, "paths", st.Paths)
	keep := s.Keep
	if keep <= 0 {
		keep = 20
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	var names []string
	for _, e := range ents {
		if strings.HasSuffix(e.Name(), ".mrt") && !strings.HasPrefix(e.Name(), ".") {
			names = append(names, e.Name())
		}
	}
	slices.Sort(names) // the names start with the time
	for _, n := range names[:max(0, len(names)-keep)] {
		os.Remove(filepath.Join(dir, n))
	}
}

// safeName keeps a service or site name a single path element.
func safeName(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '/' || r == '\\' || r == 0 {
			return '_'
		}
		return r
	}, strings.TrimLeft(s, "."))
}
