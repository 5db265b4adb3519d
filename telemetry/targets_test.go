package telemetry

import (
	"context"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tuyau-net/tuyau/inventory"
	"github.com/tuyau-net/tuyau/inventory/yamlstore"
	"github.com/tuyau-net/tuyau/topology"
)

func loadExample(t testing.TB) (*inventory.Snapshot, *topology.Topology) {
	t.Helper()
	snap, err := yamlstore.Open("../examples/manche").Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	topo, err := topology.Build(snap, topology.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return snap, topo
}

func TestPlanTargetsExample(t *testing.T) {
	snap, topo := loadExample(t)
	ts, err := PlanTargets(snap, topo, PlanOptions{Intervals: map[PathClass]time.Duration{ClassOptics: 30 * time.Second},
		Addresses: map[string]string{"saint-lo-dc-r1": "127.0.0.9:6030"}})
	if err != nil {
		t.Fatal(err)
	}
	gnmiDevices := 0
	for _, d := range snap.Devices {
		if slices.Contains(d.Transports, "gnmi") {
			gnmiDevices++
		}
	}
	if len(ts) == 0 || len(ts) > gnmiDevices {
		t.Fatalf("PlanTargets: %d targets, inventory has %d gnmi devices", len(ts), gnmiDevices)
	}
	var r1 Target
	for _, tg := range ts {
		if tg.Name == "saint-lo-dc-r1" {
			r1 = tg
		}
		if tg.Address == "" && tg.Problem == "" {
			t.Errorf("target %s: no address and no problem", tg.Name)
		}
	}
	if r1.Address != "127.0.0.9:6030" {
		t.Errorf("saint-lo-dc-r1 address = %q, want the override", r1.Address)
	}
	// eth1..eth6 carry links or the transit circuit; lo carries none.
	if want := []string{"eth1", "eth2", "eth3", "eth4", "eth5", "eth6"}; !slices.Equal(r1.Interfaces, want) {
		t.Errorf("saint-lo-dc-r1 interfaces = %v, want %v", r1.Interfaces, want)
	}
	if !slices.Contains(r1.Neighbors, "192.0.2.0") || !slices.Contains(r1.Neighbors, "10.255.0.2") {
		t.Errorf("saint-lo-dc-r1 neighbors = %v, want the transit and iBGP peers", r1.Neighbors)
	}
	want := map[string]Subscription{
		"/interfaces/interface[name=eth1]/state/counters":                                                        {Class: ClassCounters, Mode: ModeSample, Interval: 10 * time.Second},
		"/interfaces/interface[name=eth1]/state/oper-status":                                                     {Class: ClassOper, Mode: ModeOnChange, Heartbeat: DefaultHeartbeat},
		"/interfaces/interface[name=eth1]/state/transceiver":                                                     {Class: ClassOptics, Mode: ModeOnChange, Heartbeat: DefaultHeartbeat},
		"/components/component[name=*]/transceiver/physical-channels/channel[index=*]/state/input-power/instant": {Class: ClassOptics, Mode: ModeSample, Interval: 30 * time.Second},
		"/network-instances/network-instance[name=default]/protocols/protocol[identifier=BGP][name=BGP]/bgp/neighbors/neighbor[neighbor-address=192.0.2.0]/state/session-state": {Class: ClassBGP, Mode: ModeOnChange, Heartbeat: DefaultHeartbeat},
	}
	got := map[string]Subscription{}
	for _, s := range r1.Subscriptions {
		p := s.Path
		s.Path = ""
		got[p] = s
	}
	for p, w := range want {
		if g, ok := got[p]; !ok || g != w {
			t.Errorf("subscription %s = %+v (present %t), want %+v", p, g, ok, w)
		}
	}
	req, err := r1.SubscribeRequest()
	if err != nil {
		t.Fatal(err)
	}
	if n := len(req.GetSubscribe().GetSubscription()); n != len(r1.Subscriptions) {
		t.Errorf("SubscribeRequest: %d subscriptions, plan has %d", n, len(r1.Subscriptions))
	}
	if objs, iv := r1.Samples(ClassCounters); len(objs) != 6 || iv != 10*time.Second {
		t.Errorf("Samples(counters) = %v, %v", objs, iv)
	}
}

func TestPlanTargetsNoAddress(t *testing.T) {
	snap, topo := loadExample(t)
	name := snap.Devices[1].Name
	snap.Devices[1].Mgmt = netip.Addr{}
	ts, err := PlanTargets(snap, topo, PlanOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, tg := range ts {
		if tg.Name == name {
			if tg.Address != "" || !strings.Contains(tg.Problem, "management address") {
				t.Errorf("target %s without mgmt: address %q problem %q", name, tg.Address, tg.Problem)
			}
			return
		}
	}
	t.Errorf("target %s without mgmt address dropped from the plan", name)
}

func TestParseIntervals(t *testing.T) {
	for _, c := range []struct {
		in   string
		want map[PathClass]time.Duration
		err  bool
	}{
		{"", map[PathClass]time.Duration{}, false},
		{"counters=10s,optics=30s", map[PathClass]time.Duration{ClassCounters: 10 * time.Second, ClassOptics: 30 * time.Second}, false},
		{"counters=5", nil, true},
		{"oper=10s", nil, true},
		{"counters=100ms", nil, true},
	} {
		got, err := ParseIntervals(c.in)
		if (err != nil) != c.err {
			t.Errorf("ParseIntervals(%q) error = %v, want error %t", c.in, err, c.err)
			continue
		}
		if err == nil && len(got) != len(c.want) {
			t.Errorf("ParseIntervals(%q) = %v, want %v", c.in, got, c.want)
		}
		for k, v := range c.want {
			if got[k] != v {
				t.Errorf("ParseIntervals(%q)[%s] = %v, want %v", c.in, k, got[k], v)
			}
		}
	}
}

func TestParsePath(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"/interfaces/interface[name=eth1]/state/counters", "/interfaces/interface[name=eth1]/state/counters"},
		{"/interfaces/interface[name=ge-0/0/0]/state", "/interfaces/interface[name=ge-0/0/0]/state"},
		{"/a/b[k=x\\]y][j=2]/c", "/a/b[j=2][k=x\\]y]/c"},
		{"/", "/"},
	} {
		p, err := ParsePath(c.in)
		if err != nil {
			t.Errorf("ParsePath(%q): %v", c.in, err)
			continue
		}
		if got := PathString(p); got != c.want {
			t.Errorf("PathString(ParsePath(%q)) = %q, want %q", c.in, got, c.want)
		}
	}
	for _, bad := range []string{"/a[k=v", "/a/[k=v]", "/a[kv]", "/a[k=v]x"} {
		if _, err := ParsePath(bad); err == nil {
			t.Errorf("ParsePath(%q) accepted", bad)
		}
	}
}
