// Package synth generates synthetic département networks of any size with
// the shape of a real one: two core datacenter sites joined over two
// fiber-diverse paths, chains of aggregation POPs closed on both cores, and
// member sites single- or dual-homed to their nearest POPs. The same
// options and seed always give the same network.
//
//	snap, err := synth.Generate(synth.Options{Sites: 10000, Seed: 1})
package synth

import (
	"fmt"
	"math/rand/v2"
	"net/netip"

	"github.com/tuyau-net/tuyau/inventory"
)

// Options shape a generated network.
type Options struct {
	// Sites is the number of sites, cores and POPs included (minimum 4).
	Sites int
	// Seed makes the network reproducible.
	Seed uint64
	// Profile "manche" names sites after the Manche département; "" numbers them.
	Profile string
	// NoPanels cables devices directly, without patch panels: one cable per
	// link instead of three.
	NoPanels bool
	// DualHomed is the share of member sites with two uplinks (default 0.6).
	DualHomed float64
	// POPRatio is the number of sites per aggregation POP (default 5).
	POPRatio int
	// InterfacesPerDevice tops every device up to this many monitored
	// interfaces (routed links and circuits, the loopback aside) with
	// access circuits handed over to operators: the shape of a telemetry
	// load test, 48 ports a router. 0 adds none.
	InterfacesPerDevice int
	// Speakers adds a tuyau BGP speaker at each core site; the core
	// routers then leave the hosting prefixes to them.
	Speakers bool
}

// MaxInterfacesPerDevice bounds InterfacesPerDevice: port names and
// circuit ids stay short, and no router has more ports in one chassis.
const MaxInterfacesPerDevice = 512

// MaxSites bounds the generator: loopback and management addresses come
// from two /16s.
const MaxSites = 60000

// NetworkASN is the generated network's own private AS.
const NetworkASN = 65000

// Generate builds a network. It returns an error only for bad options.
func Generate(o Options) (*inventory.Snapshot, error) {
	if o.Sites < 4 || o.Sites > MaxSites {
		return nil, fmt.Errorf("generate: --sites %d is outside 4..%d", o.Sites, MaxSites)
	}
	if o.DualHomed == 0 {
		o.DualHomed = 0.6
	}
	if o.DualHomed < 0 || o.DualHomed > 1 {
		return nil, fmt.Errorf("generate: dual-homed share %v is outside 0..1", o.DualHomed)
	}
	if o.POPRatio == 0 {
		o.POPRatio = 5
	}
	if o.InterfacesPerDevice < 0 || o.InterfacesPerDevice > MaxInterfacesPerDevice {
		return nil, fmt.Errorf("generate: --interfaces-per-device %d is outside 0..%d", o.InterfacesPerDevice, MaxInterfacesPerDevice)
	}
	if o.POPRatio < 1 {
		return nil, fmt.Errorf("generate: POP ratio %d must be at least 1", o.POPRatio)
	}
	var names namer
	switch o.Profile {
	case "":
		names = numbered{}
	case "manche":
		names = manche{}
	default:
		return nil, fmt.Errorf("generate: unknown profile %q (known: manche)", o.Profile)
	}
	g := &gen{
		o:      o,
		rng:    rand.New(rand.NewPCG(o.Seed, o.Seed^0x7475796175)),
		names:  names,
		s:      &inventory.Snapshot{},
		panels: map[string]int{},
		link4:  netip.MustParseAddr("10.128.0.0"),
	}
	g.build()
	return g.s, nil
}

type gen struct {
	o     Options
	rng   *rand.Rand
	names namer
	s     *inventory.Snapshot

	cores   []int // device indexes
	devSite []int // site index of each device
	pops    []int
	members []int
	// panels maps a site to its patch panel index in s.PatchPanels.
	panels  map[string]int
	link4   netip.Addr
	nCables int
	links   []link
}

type namer interface {
	network() (name, region, regionName string)
	core(i int) (slug, name string, lat, lon float64)
	pop(i, n int, rng *rand.Rand) (slug, name string, lat, lon float64)
	member(i int, rng *rand.Rand, near inventory.Site) (slug, name, facility string, lat, lon float64)
}

func (g *gen) build() {
	name, region, regionName := g.names.network()
	g.s.Network = inventory.Network{Name: name, ASN: NetworkASN,
		Description: "public fiber network and dual-site core (generated)"}
	g.s.Regions = []inventory.Region{{Slug: region, Name: regionName}}
	nPOP := max(2, g.o.Sites/g.o.POPRatio)
	nMember := g.o.Sites - 2 - nPOP
	if nMember < 0 {
		nPOP, nMember = g.o.Sites-2, 0
	}
	for i := range 2 {
		slug, nm, lat, lon := g.names.core(i)
		g.cores = append(g.cores, g.addSite(slug, nm, region, inventory.SiteCore, "datacenter", lat, lon, inventory.RoleCore))
	}
	for i := range nPOP {
		slug, nm, lat, lon := g.names.pop(i, nPOP, g.rng)
		g.pops = append(g.pops, g.addSite(slug, nm, region, inventory.SiteAggregation, "pop", lat, lon, inventory.RoleAggregation))
	}
	for i := range nMember {
		near := g.s.Sites[g.devSite[g.pops[g.rng.IntN(len(g.pops))]]]
		slug, nm, fac, lat, lon := g.names.member(i, g.rng, near)
		g.members = append(g.members, g.addSite(slug, nm, region, inventory.SiteMember, fac, lat, lon, inventory.RoleMember))
	}
	g.coreLinks()
	g.popChains()
	g.memberLinks()
	g.transit()
	g.bgp()
	g.prefixes()
	if g.o.Speakers {
		g.speakers()
	}
	g.accessCircuits()
}
