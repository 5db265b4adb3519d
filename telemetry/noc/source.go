package noc

import (
	"context"
	"fmt"
	"time"

	"github.com/tuyau-net/tuyau/inventory"
	"github.com/tuyau-net/tuyau/telemetry"
)

// LinkDetailer serves a link with its recent history: the collector's
// HTTP API (GET /api/v1/links/{id}) and the Redis reader (its history
// stream) both do. A source without it gets the history the dashboard kept
// from its own polling.
type LinkDetailer interface {
	Link(ctx context.Context, id string) (telemetry.LinkDetail, error)
}

// Watcher tells the dashboard that the sink changed (Redis pub/sub), so it
// reads at once instead of at the next poll.
type Watcher interface {
	Watch(ctx context.Context) <-chan struct{}
}

// BGPSource is the BGP speaker's view: its sessions and the hosting
// services' active site. Until a speaker runs the dashboard shows the
// inventory's services with no state.
type BGPSource interface {
	BGP(ctx context.Context) (BGPState, error)
}

// BGPState is what the BGP pane shows.
type BGPState struct {
	// Running says a speaker answered; when false the pane says so and
	// lists the inventory's services without state.
	Running  bool
	Sessions []Session
	Services []Service
	// Note says why no speaker answered ("no speaker in the inventory",
	// the dial error).
	Note string
}

// Session is one BGP session as the speaker sees it.
type Session struct {
	Device  string    `json:"device"`
	Peer    string    `json:"peer"`
	PeerASN uint32    `json:"peer_asn"`
	State   string    `json:"state"` // ESTABLISHED, IDLE, ACTIVE...
	Since   time.Time `json:"since"`
}

// Service is a hosting service and the site that announces it now.
type Service struct {
	Name       string   `json:"name"`
	Sites      []string `json:"sites"`       // in order of preference
	ActiveSite string   `json:"active_site"` // "" when unknown or withdrawn
	// Known says a speaker answered for the service: with no ActiveSite,
	// no site announces it.
	Known bool `json:"known"`
}

// Options configure the dashboard.
type Options struct {
	// Source is the sink to read; required.
	Source telemetry.Reader
	// Acker acknowledges alarms (the same HTTP reader, or Redis); nil
	// makes "a" say acknowledgements are not available.
	Acker telemetry.Acker
	// BGP is the speaker's state; nil shows "speaker not running".
	BGP BGPSource
	// Inventory names cables, ducts and sites in the link view; nil shows
	// what the sink carries (labels only).
	Inventory *inventory.Snapshot
	// User is who acknowledges.
	User string
	// Interval between reads of the sink [500ms]: with the render, a
	// change shows within a second.
	Interval time.Duration
	// Timeout bounds each read [5s].
	Timeout time.Duration
	// Color turns on colors; off for NO_COLOR, dumb terminals and --once.
	Color bool
	// Width and Height are the frame's size before the terminal reports
	// one (and Once's size; Height 0 there means every row).
	Width, Height int
	// Now is the clock [time.Now]; ages and sparklines use it.
	Now func() time.Time
	// HistoryLen is how many polled points a link keeps for its sparkline [120].
	HistoryLen int
}

func (o *Options) defaults() {
	if o.Interval <= 0 {
		o.Interval = 500 * time.Millisecond
	}
	if o.Timeout <= 0 {
		o.Timeout = 5 * time.Second
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.HistoryLen <= 0 {
		o.HistoryLen = 120
	}
	if o.Width <= 0 {
		o.Width = 80
	}
}

// Snapshot is one read of the sink.
type Snapshot struct {
	At      time.Time
	Alarms  []telemetry.Alarm
	Links   []telemetry.LinkState
	Targets []telemetry.TargetHealth
	BGP     BGPState
	// Err is the first read that failed; the rest of the snapshot holds
	// what did answer.
	Err error
}

// Read reads every pane's data once, each read bounded by timeout.
func Read(ctx context.Context, o Options) Snapshot {
	o.defaults()
	s := Snapshot{At: o.Now()}
	keep := func(what string, err error) {
		if err != nil && s.Err == nil {
			s.Err = fmt.Errorf("read %s: %w", what, err)
		}
	}
	rctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	var err error
	s.Alarms, err = o.Source.Alarms(rctx)
	keep("alarms", err)
	s.Links, err = o.Source.Links(rctx)
	keep("links", err)
	s.Targets, err = o.Source.Targets(rctx)
	keep("targets", err)
	s.BGP = inventoryServices(o.Inventory)
	if o.BGP != nil {
		if b, err := o.BGP.BGP(rctx); err == nil {
			s.BGP = b
		} else {
			keep("bgp", err)
		}
	}
	return s
}

// inventoryServices is the BGP pane without a speaker: the services the
// inventory defines, with no active site.
func inventoryServices(snap *inventory.Snapshot) BGPState {
	var b BGPState
	if snap == nil {
		return b
	}
	for _, sv := range snap.Services {
		b.Services = append(b.Services, Service{Name: sv.Name, Sites: sv.Sites})
	}
	return b
}
