package report

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tuyau-net/tuyau/inventory"
	"github.com/tuyau-net/tuyau/telemetry"
	"github.com/tuyau-net/tuyau/topology"
)

// What a member site reaches at one moment.
const (
	StateBoth    = "both"    // both core sites reachable
	StateOne     = "one"     // one core site: the hosting still answers, without its backup
	StateNone    = "none"    // neither: the hosting is lost
	StateUnknown = "unknown" // no collector watched, or a link on the way was not known
	// StateHostingOnly: a core site is reachable whatever the links not
	// known are, but whether both are is not known.
	StateHostingOnly = "hosting"
)

// Options choose the report's window and how its history is read.
type Options struct {
	// From and To bound the report; To after From.
	From, To time.Time
	// MaxGap is the longest silence between two collector markers that
	// still counts as watched, for a source that is not live (Redis):
	// 3 × telemetry.DefaultMarkEvery by default.
	MaxGap time.Duration
	// Alarms name the causes: the root alarms the state changes point
	// to (active and cleared ones the source still holds).
	Alarms []telemetry.Alarm
	// Sites limits the report to these member sites (slugs); empty: all.
	Sites []string
	// Source says where the history came from, for the report's reader.
	Source string
	// Now stamps the report (time.Now).
	Now func() time.Time
}

// Report is the availability of every member site over a window.
type Report struct {
	Network   string    `json:"network"`
	From      time.Time `json:"from"`
	To        time.Time `json:"to"`
	Generated time.Time `json:"generated"`
	Source    string    `json:"source,omitempty"`
	CoreA     string    `json:"core_a"`
	CoreB     string    `json:"core_b"`
	// NoData are the spans of the window no collector watched: every
	// member's unknown time includes them.
	NoData  []Interval `json:"no_data"`
	Members []Member   `json:"members"`
}

// Member is one member site's availability.
type Member struct {
	Site string `json:"site"`
	Name string `json:"name,omitempty"`
	// Hosting is the access to the hosting: at least one core site
	// reachable. BothCores: both reachable (the hosting and its backup).
	Hosting   Share `json:"hosting"`
	BothCores Share `json:"both_cores"`
	// Outages are the periods the site lacked a core site, those that
	// overlap the window, oldest first.
	Outages []Outage `json:"outages"`
	// Timeline is the site's state over the window, consecutive equal
	// states merged.
	Timeline []Segment `json:"timeline"`
	// Note says when even with every link up the site does not reach
	// both core sites (the inventory's design, not an outage).
	Note string `json:"note,omitempty"`
}

// Share splits the window's time into up, down and unknown.
type Share struct {
	Up      Secs `json:"up_s"`
	Down    Secs `json:"down_s"`
	Unknown Secs `json:"unknown_s"`
	// Percent is Up over the known time (Up + Down), in percent; nil when
	// nothing of the window is known.
	Percent *float64 `json:"percent"`
}

// Segment is a span of one state.
type Segment struct {
	Interval
	State string `json:"state"`
	// Lost names the core sites not reachable (one or both).
	Lost []string `json:"lost,omitempty"`
}

// Outage is a period a member site lacked at least one core site.
type Outage struct {
	Start    time.Time `json:"start"`
	End      time.Time `json:"end"`
	Duration Secs      `json:"duration_s"`
	// InWindow is the part within the report's window.
	InWindow Secs `json:"in_window_s"`
	// HostingLost is the time within it with neither core site.
	HostingLost Secs `json:"hosting_lost_s"`
	// Lost names every core site lost at some moment of it.
	Lost   []string `json:"lost"`
	Causes []Cause  `json:"causes"`
	// AfterNoData / BeforeNoData: it begins right after, or ends right at,
	// a period without data, so it may have been longer. Ongoing: it
	// lasts to the end of the history.
	AfterNoData  bool `json:"after_no_data,omitempty"`
	BeforeNoData bool `json:"before_no_data,omitempty"`
	Ongoing      bool `json:"ongoing,omitempty"`
}

// Cause is what took the links down: a root alarm (a duct, a cable, a
// site) when the alarm engine named one, else the links themselves.
type Cause struct {
	// Alarm is the root alarm's id ("" for a link with no root).
	Alarm string `json:"alarm,omitempty"`
	// Kind is duct, cable, site, link, or alarm (an id the source no
	// longer holds).
	Kind  string   `json:"kind"`
	Name  string   `json:"name"`
	Links []string `json:"links"`
	// Message is the alarm's own text when known.
	Message string `json:"message,omitempty"`
}

// Secs is a duration that reads as seconds in JSON.
type Secs time.Duration

// MarshalJSON writes seconds, to the millisecond.
func (s Secs) MarshalJSON() ([]byte, error) {
	return strconv.AppendFloat(nil, time.Duration(s).Round(time.Millisecond).Seconds(), 'f', -1, 64), nil
}

// UnmarshalJSON reads seconds.
func (s *Secs) UnmarshalJSON(b []byte) error {
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		return fmt.Errorf("seconds %s: %w", b, err)
	}
	*s = Secs(time.Duration(f * float64(time.Second)))
	return nil
}

// D is the duration.
func (s Secs) D() time.Duration { return time.Duration(s) }

// Availability computes the report of every member site of topo over
// [o.From, o.To) from the state-change history h: link changes replayed
// through topology's cut analysis (which core sites each member reaches
// with the links down at each moment), the collectors' markers telling
// watched time from unknown time.
func Availability(topo *topology.Topology, h telemetry.ChangeHistory, o Options) (Report, error) {
	if topo == nil {
		return Report{}, errors.New("availability: no topology")
	}
	if !o.To.After(o.From) {
		return Report{}, fmt.Errorf("availability: window %s to %s: the end must come after the start",
			o.From.Format(time.RFC3339), o.To.Format(time.RFC3339))
	}
	if o.MaxGap <= 0 {
		o.MaxGap = 3 * telemetry.DefaultMarkEvery
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	w := Interval{o.From.UTC(), o.To.UTC()}
	r := Report{Network: topo.Network, From: w.Start, To: w.End, Generated: o.Now().UTC(), Source: o.Source,
		CoreA: topo.CoreA, CoreB: topo.CoreB, NoData: []Interval{}, Members: []Member{}}
	for _, slug := range o.Sites {
		if s, ok := topo.Site(slug); !ok || s.Role != inventory.SiteMember {
			return Report{}, fmt.Errorf("availability: site %q: not a member site of network %s", slug, topo.Network)
		}
	}
	covered := watched(h, o.MaxGap)
	r.NoData = append(r.NoData, gaps(covered, w)...)
	rp := newReplay(topo, h, covered, w)
	rp.run()
	alarms := make(map[string]telemetry.Alarm, len(o.Alarms))
	for _, a := range o.Alarms {
		alarms[a.ID] = a
	}
	for _, m := range rp.members {
		if len(o.Sites) == 0 || slices.Contains(o.Sites, m.Slug) {
			r.Members = append(r.Members, rp.member(m, w, alarms))
		}
	}
	return r, nil
}

// memberSites are the topology's member sites, by slug.
func memberSites(t *topology.Topology) []topology.Site {
	var out []topology.Site
	for _, s := range t.Sites {
		if s.Role == inventory.SiteMember {
			out = append(out, s)
		}
	}
	return out
}

func percent(up, down time.Duration) *float64 {
	if up+down <= 0 {
		return nil
	}
	p := 100 * float64(up) / float64(up+down)
	return &p
}

// rank orders states from worst to best, for "did restoring this help".
func reachOf(state string, lost []string, coreA, coreB string) (a, b bool) {
	switch state {
	case StateBoth:
		return true, true
	case StateOne:
		return !slices.Contains(lost, coreA), !slices.Contains(lost, coreB)
	}
	return false, false
}

func joinComma(s []string) string { return strings.Join(s, ", ") }

// CauseIDs are the root alarm ids the history's link changes name: what
// a caller resolves into alarms (Options.Alarms) to name the causes.
func CauseIDs(h telemetry.ChangeHistory) []string {
	seen := map[string]bool{}
	var out []string
	for _, c := range h.Changes {
		if c.Cause != "" && !seen[c.Cause] {
			seen[c.Cause] = true
			out = append(out, c.Cause)
		}
	}
	slices.Sort(out)
	return out
}
