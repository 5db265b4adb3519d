package telemetry

import (
	"cmp"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/openconfig/gnmi/proto/gnmi"

	"github.com/tuyau-net/tuyau/inventory"
	"github.com/tuyau-net/tuyau/topology"
)

// DefaultGNMIPort is where a device's gNMI server listens when the plan is
// given no other address (the port most vendors document).
const DefaultGNMIPort = 57400

// Defaults of a plan: 10 s samples as the issue asks (Juniper's own default
// is 30 s, OcNOS refuses less than 10 s), a heartbeat every minute on the
// ON_CHANGE paths so a quiet target is told apart from a dead one.
const (
	DefaultSampleInterval = 10 * time.Second
	DefaultHeartbeat      = 60 * time.Second
)

// Mode is how a target streams a path.
type Mode string

const (
	ModeSample   Mode = "sample"
	ModeOnChange Mode = "on_change"
)

// Subscription is one subscribed path of a target.
type Subscription struct {
	Class PathClass `json:"class"`
	Path  string    `json:"path"`
	Mode  Mode      `json:"mode"`
	// Interval is the SAMPLE interval; Heartbeat the ON_CHANGE heartbeat.
	Interval  time.Duration `json:"interval,omitempty"`
	Heartbeat time.Duration `json:"heartbeat,omitempty"`
}

// Target is one gNMI target and what to ask it, all derived from the
// inventory: the interfaces that carry routed links or circuits, their
// transceivers, the device's BGP neighbors.
type Target struct {
	Name    string `json:"name"`
	Site    string `json:"site,omitempty"`
	Address string `json:"address"` // host:port; "" when the device has no management address
	// Interfaces are the monitored interfaces, Optics those of them with a
	// transceiver, Neighbors the BGP neighbor addresses.
	Interfaces    []string       `json:"interfaces"`
	Optics        []string       `json:"optics"`
	Neighbors     []string       `json:"neighbors"`
	Subscriptions []Subscription `json:"subscriptions"`
	// Problem says why the target cannot be reached (no address); the
	// collector shows it as the target's last error rather than dropping it.
	Problem string `json:"problem,omitempty"`
}

// Samples returns the objects a SAMPLE class promises a sample of at each
// interval, and that interval: the gap ledger counts against them.
func (t Target) Samples(c PathClass) ([]string, time.Duration) {
	for _, s := range t.Subscriptions {
		if s.Class == c && s.Mode == ModeSample {
			switch c {
			case ClassCounters:
				return t.Interfaces, s.Interval
			case ClassOptics:
				return t.Optics, s.Interval
			}
		}
	}
	return nil, 0
}

// PlanOptions shape the plan.
type PlanOptions struct {
	// Port is the gNMI port on the management address (DefaultGNMIPort).
	Port int
	// Addresses override a device's address (host:port): a lab's devices
	// listen on loopback addresses of their own.
	Addresses map[string]string
	// Intervals are the SAMPLE intervals of the counters and optics
	// classes (DefaultSampleInterval each).
	Intervals map[PathClass]time.Duration
	// Heartbeat is the ON_CHANGE heartbeat (DefaultHeartbeat); negative
	// asks for none.
	Heartbeat time.Duration
}

func (o PlanOptions) interval(c PathClass) time.Duration {
	if iv := o.Intervals[c]; iv > 0 {
		return iv
	}
	return DefaultSampleInterval
}

// ParseIntervals reads "counters=10s,optics=30s" (the --interval flag).
func ParseIntervals(s string) (map[PathClass]time.Duration, error) {
	out := map[PathClass]time.Duration{}
	if strings.TrimSpace(s) == "" {
		return out, nil
	}
	for _, kv := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(kv), "=")
		if !ok {
			return nil, fmt.Errorf("interval %q: want class=duration (counters=10s)", kv)
		}
		c := PathClass(k)
		if c != ClassCounters && c != ClassOptics {
			return nil, fmt.Errorf("interval %q: class %s is not sampled (counters, optics are)", kv, k)
		}
		d, err := time.ParseDuration(v)
		if err != nil || d < time.Second {
			return nil, fmt.Errorf("interval %q: want a duration of at least 1s", kv)
		}
		out[c] = d
	}
	return out, nil
}

// Path templates of what is subscribed (OpenConfig; docs/telemetry.md
// says why each).
const (
	bgpNeighbors = "/network-instances/network-instance[name=default]/protocols/protocol[identifier=BGP][name=BGP]/bgp/neighbors"
	allOptics    = "/components/component[name=*]/transceiver/physical-channels/channel[index=*]/state"
)

func ifacePath(name, leaf string) string {
	return "/interfaces/interface[name=" + escapeKey(name) + "]/state/" + leaf
}

// escapeKey escapes what gNMI path strings reserve inside a key value.
func escapeKey(v string) string {
	if !strings.ContainsAny(v, `]\`) {
		return v
	}
	return strings.NewReplacer(`\`, `\\`, `]`, `\]`).Replace(v)
}

// PlanTargets returns one target per device with the gnmi transport, in
// inventory order. topo gives the routed links (both ends); circuits the
// inventory lands on an interface are monitored too.
func PlanTargets(snap *inventory.Snapshot, topo *topology.Topology, o PlanOptions) ([]Target, error) {
	if snap == nil || topo == nil {
		return nil, fmt.Errorf("plan targets: no inventory or topology")
	}
	if o.Port == 0 {
		o.Port = DefaultGNMIPort
	}
	if o.Port < 0 || o.Port > 65535 {
		return nil, fmt.Errorf("plan targets: gNMI port %d out of range", o.Port)
	}
	hb := o.Heartbeat
	if hb == 0 {
		hb = DefaultHeartbeat
	}
	hb = max(hb, 0)
	used := map[string]map[string]bool{} // device -> monitored interfaces
	mark := func(end string) {
		dev, ifc, ok := strings.Cut(end, ":")
		if !ok || strings.HasPrefix(end, "circuit ") {
			return
		}
		if used[dev] == nil {
			used[dev] = map[string]bool{}
		}
		used[dev][ifc] = true
	}
	for _, l := range topo.Links {
		mark(l.A)
		mark(l.B)
	}
	for _, c := range snap.Circuits {
		for _, e := range []inventory.CircuitEnd{c.A, c.Z} {
			if e.Device != "" && e.Interface != "" {
				mark(e.Device + ":" + e.Interface)
			}
		}
	}
	var out []Target
	for i := range snap.Devices {
		d := &snap.Devices[i]
		if !slices.Contains(d.Transports, "gnmi") {
			continue
		}
		t := Target{Name: d.Name, Site: d.Site, Interfaces: []string{}, Optics: []string{}, Neighbors: []string{}}
		switch {
		case o.Addresses[d.Name] != "":
			t.Address = o.Addresses[d.Name]
		case d.Mgmt.IsValid():
			t.Address = net.JoinHostPort(d.Mgmt.String(), strconv.Itoa(o.Port))
		default:
			t.Problem = "no management address in the inventory"
		}
		for _, ifc := range d.Interfaces {
			if !used[d.Name][ifc.Name] {
				continue
			}
			t.Interfaces = append(t.Interfaces, ifc.Name)
			if ifc.Transceiver != "" {
				t.Optics = append(t.Optics, ifc.Name)
			}
		}
		for _, n := range d.BGPSessions {
			if n.PeerAddress.IsValid() {
				t.Neighbors = append(t.Neighbors, n.PeerAddress.String())
			}
		}
		slices.Sort(t.Neighbors)
		t.Neighbors = slices.Compact(t.Neighbors)
		t.Subscriptions = subscriptions(t, o, hb)
		if len(t.Subscriptions) == 0 {
			continue // nothing on it is monitored: no link, no circuit, no BGP
		}
		out = append(out, t)
	}
	return out, nil
}

// subscriptions lists a target's paths. Per-object paths rather than
// wildcards: the device streams only what the inventory cares about
// (SR OS caps a device at 14,400 subscribed paths). Optics are the
// exception: the component serving an interface is learnt from the
// device (interface state/transceiver), so the channels are subscribed
// with a wildcard and filtered on decode.
func subscriptions(t Target, o PlanOptions, hb time.Duration) []Subscription {
	var subs []Subscription
	onChange := func(c PathClass, p string) {
		subs = append(subs, Subscription{Class: c, Path: p, Mode: ModeOnChange, Heartbeat: hb})
	}
	// The component mappings first: the initial snapshot then names each
	// transceiver before its first power sample arrives.
	for _, ifc := range t.Optics {
		onChange(ClassOptics, ifacePath(ifc, "transceiver"))
	}
	for _, ifc := range t.Interfaces {
		onChange(ClassOper, ifacePath(ifc, "oper-status"))
	}
	for _, n := range t.Neighbors {
		onChange(ClassBGP, bgpNeighbors+"/neighbor[neighbor-address="+n+"]/state/session-state")
	}
	for _, ifc := range t.Interfaces {
		subs = append(subs, Subscription{Class: ClassCounters, Path: ifacePath(ifc, "counters"), Mode: ModeSample, Interval: o.interval(ClassCounters)})
	}
	if len(t.Optics) > 0 {
		iv := o.interval(ClassOptics)
		subs = append(subs,
			Subscription{Class: ClassOptics, Path: allOptics + "/input-power/instant", Mode: ModeSample, Interval: iv},
			Subscription{Class: ClassOptics, Path: allOptics + "/output-power/instant", Mode: ModeSample, Interval: iv})
	}
	return subs
}

// SubscribeRequest is the target's subscription as one STREAM request,
// JSON_IETF encoded (what every OpenConfig target speaks).
func (t Target) SubscribeRequest() (*gnmi.SubscribeRequest, error) {
	list := &gnmi.SubscriptionList{Mode: gnmi.SubscriptionList_STREAM, Encoding: gnmi.Encoding_JSON_IETF}
	for _, s := range t.Subscriptions {
		p, err := ParsePath(s.Path)
		if err != nil {
			return nil, fmt.Errorf("target %s: %w", t.Name, err)
		}
		gs := &gnmi.Subscription{Path: p}
		switch s.Mode {
		case ModeSample:
			gs.Mode = gnmi.SubscriptionMode_SAMPLE
			gs.SampleInterval = uint64(s.Interval)
		case ModeOnChange:
			gs.Mode = gnmi.SubscriptionMode_ON_CHANGE
			gs.HeartbeatInterval = uint64(s.Heartbeat)
		default:
			return nil, fmt.Errorf("target %s: path %s: unknown mode %q", t.Name, s.Path, s.Mode)
		}
		list.Subscription = append(list.Subscription, gs)
	}
	return &gnmi.SubscribeRequest{Request: &gnmi.SubscribeRequest_Subscribe{Subscribe: list}}, nil
}

// sameTarget reports whether two plans of a target subscribe alike, so
// a reload leaves an unchanged target's stream alone.
func sameTarget(a, b Target) bool {
	return a.Address == b.Address && a.Problem == b.Problem &&
		slices.EqualFunc(a.Subscriptions, b.Subscriptions, func(x, y Subscription) bool { return x == y })
}

func sortTargets(ts []Target) {
	slices.SortFunc(ts, func(a, b Target) int { return cmp.Compare(a.Name, b.Name) })
}
