package topology

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/tuyau-net/tuyau/inventory"
	"github.com/tuyau-net/tuyau/inventory/synth"
	"github.com/tuyau-net/tuyau/inventory/yamlstore"
)

// tsite and tcable describe a hand-drawn test network: one router per
// site, one cable per routed link.
type tsite struct {
	slug string
	role inventory.SiteRole
}

type tcable struct {
	label string
	a, b  string // site slugs
	km    float64
	srlgs []string
	optic string
}

func handNet(t testing.TB, sites []tsite, cables []tcable) *inventory.Snapshot {
	t.Helper()
	s := &inventory.Snapshot{Network: inventory.Network{Name: "hand"}}
	dev := map[string]int{}
	for i, st := range sites {
		s.Sites = append(s.Sites, inventory.Site{Slug: st.slug, Role: st.role, Latitude: 49 + float64(i)/10, Longitude: -1 - float64(i)/10})
		role := inventory.RoleAggregation
		switch st.role {
		case inventory.SiteCore:
			role = inventory.RoleCore
		case inventory.SiteMember:
			role = inventory.RoleMember
		}
		s.Devices = append(s.Devices, inventory.Device{Name: st.slug + "-r1", Site: st.slug, Role: role, Platform: "frr"})
		dev[st.slug] = i
	}
	port := func(site, optic string) inventory.Termination {
		d := &s.Devices[dev[site]]
		name := fmt.Sprintf("eth%d", len(d.Interfaces)+1)
		d.Interfaces = append(d.Interfaces, inventory.Interface{Name: name, Speed: 10000, Transceiver: optic})
		return inventory.Termination{Device: d.Name, Interface: name}
	}
	for _, c := range cables {
		if _, ok := dev[c.a]; !ok {
			t.Fatalf("cable %s: no site %s", c.label, c.a)
		}
		if _, ok := dev[c.b]; !ok {
			t.Fatalf("cable %s: no site %s", c.label, c.b)
		}
		optic := c.optic
		if optic == "" {
			optic = "10GBASE-LR"
		}
		l, err := inventory.NewLength(c.km, "km")
		if err != nil {
			t.Fatal(err)
		}
		s.Cables = append(s.Cables, inventory.Cable{Label: c.label, A: port(c.a, optic), B: port(c.b, optic), Type: inventory.FiberSMF,
			Length: l, SRLGs: c.srlgs, Status: inventory.CableConnected, ConnectorPairs: 1})
	}
	return s
}

func mustBuild(t testing.TB, s *inventory.Snapshot) *Topology {
	t.Helper()
	top, err := Build(s, Options{})
	if err != nil {
		t.Fatal(err)
	}
	return top
}

func loadManche(t testing.TB) *inventory.Snapshot {
	t.Helper()
	s, err := yamlstore.Open("../examples/manche").Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func synthNet(t testing.TB, o synth.Options) *inventory.Snapshot {
	t.Helper()
	s, err := synth.Generate(o)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// shuffled returns a copy of s with every list in a random order, device
// interfaces included: the topology must not depend on it.
func shuffled(s *inventory.Snapshot, seed uint64) *inventory.Snapshot {
	r := rand.New(rand.NewPCG(seed, seed))
	c := *s
	c.Sites = slices.Clone(s.Sites)
	c.Cables = slices.Clone(s.Cables)
	c.PatchPanels = slices.Clone(s.PatchPanels)
	c.Devices = slices.Clone(s.Devices)
	for i := range c.Devices {
		c.Devices[i].Interfaces = slices.Clone(c.Devices[i].Interfaces)
		r.Shuffle(len(c.Devices[i].Interfaces), func(a, b int) {
			c.Devices[i].Interfaces[a], c.Devices[i].Interfaces[b] = c.Devices[i].Interfaces[b], c.Devices[i].Interfaces[a]
		})
	}
	r.Shuffle(len(c.Sites), func(a, b int) { c.Sites[a], c.Sites[b] = c.Sites[b], c.Sites[a] })
	r.Shuffle(len(c.Cables), func(a, b int) { c.Cables[a], c.Cables[b] = c.Cables[b], c.Cables[a] })
	r.Shuffle(len(c.PatchPanels), func(a, b int) { c.PatchPanels[a], c.PatchPanels[b] = c.PatchPanels[b], c.PatchPanels[a] })
	r.Shuffle(len(c.Devices), func(a, b int) { c.Devices[a], c.Devices[b] = c.Devices[b], c.Devices[a] })
	return &c
}

// ringNet is drawn by hand: cores a and b, POPs p1 p2 on a ring with them,
// POP p3 on a spur off p2, and four members: m1 single-homed on p1, m2 on p1
// and p2 through one duct, m3 on p2 and b through two ducts, m4 on the spur.
//
//	a ---C1--- p1 ---C2--- p2 ---C5--- p3
//	|                      |           |
//	+---------C4----- b --C3           m4
var ringSites = []tsite{
	{"a", inventory.SiteCore}, {"b", inventory.SiteCore},
	{"p1", inventory.SiteAggregation}, {"p2", inventory.SiteAggregation}, {"p3", inventory.SiteAggregation},
	{"m1", inventory.SiteMember}, {"m2", inventory.SiteMember}, {"m3", inventory.SiteMember}, {"m4", inventory.SiteMember},
}

var ringCables = []tcable{
	{"C1", "a", "p1", 12, []string{"duct-a-out"}, ""},
	{"C2", "p1", "p2", 8, []string{"duct-p1-e", "trench-d7"}, ""},
	{"C3", "p2", "b", 9, []string{"duct-b-s", "trench-d7"}, ""},
	{"C4", "a", "b", 30, []string{"duct-a-out"}, "10GBASE-ER"},
	{"C5", "p2", "p3", 4, []string{"duct-p2-e"}, ""},
	{"C6", "m1", "p1", 2, []string{"duct-m1"}, ""},
	{"C7", "m2", "p1", 3, []string{"duct-m2"}, ""},
	{"C8", "m2", "p2", 3, []string{"duct-m2"}, ""},
	{"C9", "m3", "p2", 2, []string{"duct-m3-w"}, ""},
	{"C10", "m3", "b", 5, []string{"duct-m3-e"}, ""},
	{"C11", "m4", "p3", 1, []string{"duct-m4"}, ""},
}
