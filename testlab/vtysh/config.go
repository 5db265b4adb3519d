package vtysh

import (
	"net/netip"
	"slices"
	"strings"
)

// Config is an FRR configuration as vtysh holds it: typed where the lab acts
// on it (interfaces, BGP, static routes) and kept as text where it only has
// to be shown again (route-maps, prefix-lists, log settings).
type Config struct {
	Hostname string
	// Defaults is "traditional" or "datacenter" (frr defaults ...).
	Defaults   string
	Globals    []string // other global lines, in order: log syslog informational...
	Interfaces []*Interface
	Static     []StaticRoute
	RouteMaps  []*RouteMap
	// PrefixLists are sorted by name and sequence.
	PrefixLists []PrefixListEntry
	BGP         *BGP
	// OSPF is the "router ospf" block, kept as text: the virtual lab
	// stands in for the IGP with reachability over up links, so the
	// lines are accepted and shown but not run.
	OSPF *OSPF
}

// OSPF is a "router ospf" block.
type OSPF struct {
	Lines []string
}

// Interface is an "interface NAME" block.
type Interface struct {
	Name        string
	Description string
	Addresses   []netip.Prefix
	MTU         int
	Shutdown    bool
	// OSPF holds the interface's "ip ospf ..." lines, kept as text.
	OSPF []string
}

// StaticRoute is "ip route PREFIX NEXTHOP".
type StaticRoute struct {
	Prefix  netip.Prefix
	NextHop string
}

// RouteMap is one "route-map NAME permit|deny SEQ" entry with its lines.
type RouteMap struct {
	Name   string
	Action string
	Seq    int
	Lines  []string
}

// BGP is the "router bgp ASN" block.
type BGP struct {
	ASN      uint32
	RouterID netip.Addr
	// NoEBGPRequiresPolicy is "no bgp ebgp-requires-policy".
	NoEBGPRequiresPolicy bool
	// NoDefaultIPv4 is "no bgp default ipv4-unicast".
	NoDefaultIPv4      bool
	LogNeighborChanges bool
	// GracefulRestart is "bgp graceful-restart".
	GracefulRestart bool
	ClusterID       netip.Addr
	// Keepalive and Hold are "timers bgp K H"; zero means the defaults.
	Keepalive, Hold int
	Neighbors       []*Neighbor
	Families        []*AddressFamily
}

// Neighbor is a BGP neighbor and its session options.
type Neighbor struct {
	Addr         string // an address, or an interface name for unnumbered peers
	RemoteAS     string // a number, "internal" or "external"
	Description  string
	UpdateSource string
	Shutdown     bool
	Password     string
	EBGPMultihop int
	// TTLSecurity is "neighbor X ttl-security hops N" (GTSM).
	TTLSecurity int
	// Port is "neighbor X port N": the peer's TCP port, 179 when zero.
	Port int
	// Keepalive and Hold are "neighbor X timers K H"; zero means the instance's.
	Keepalive, Hold int
	// BFD is "neighbor X bfd"; NoGracefulRestart "neighbor X graceful-restart-disable".
	BFD, NoGracefulRestart bool
}

// AddressFamily is an "address-family ipv4|ipv6 unicast" block.
type AddressFamily struct {
	Name         string // "ipv4 unicast" or "ipv6 unicast"
	Networks     []netip.Prefix
	Redistribute []string
	MaxPaths     int
	Neighbors    []*AFNeighbor
}

// AFNeighbor holds a neighbor's settings inside one address family.
type AFNeighbor struct {
	Addr string
	// Activate is set by "neighbor X activate"; Deactivated by
	// "no neighbor X activate" where the family is active by default.
	Activate, Deactivated bool
	RRClient              bool
	NextHopSelf           bool
	SoftReconfig          bool
	// AddPathAll is "neighbor X addpath-tx-all-paths".
	AddPathAll  bool
	RouteMapIn  string
	RouteMapOut string
	// MaxPrefix and MaxPrefixWarn are "neighbor X maximum-prefix N W".
	MaxPrefix, MaxPrefixWarn int
}

// NewConfig returns the configuration of a freshly started FRR: a hostname
// and the lines every FRR shows.
func NewConfig(hostname string) *Config {
	return &Config{
		Hostname: hostname,
		Defaults: "traditional",
		Globals:  []string{"log syslog informational", "service integrated-vtysh-config"},
	}
}

// Clone returns a deep copy, so a saved startup config is not changed by
// later commands.
func (c *Config) Clone() *Config {
	if c == nil {
		return nil
	}
	n := *c
	n.Globals = slices.Clone(c.Globals)
	n.Static = slices.Clone(c.Static)
	n.PrefixLists = slices.Clone(c.PrefixLists)
	n.Interfaces = make([]*Interface, len(c.Interfaces))
	for i, f := range c.Interfaces {
		g := *f
		g.Addresses = slices.Clone(f.Addresses)
		g.OSPF = slices.Clone(f.OSPF)
		n.Interfaces[i] = &g
	}
	n.RouteMaps = make([]*RouteMap, len(c.RouteMaps))
	for i, r := range c.RouteMaps {
		q := *r
		q.Lines = slices.Clone(r.Lines)
		n.RouteMaps[i] = &q
	}
	if c.OSPF != nil {
		n.OSPF = &OSPF{Lines: slices.Clone(c.OSPF.Lines)}
	}
	if c.BGP != nil {
		b := *c.BGP
		b.Neighbors = make([]*Neighbor, len(c.BGP.Neighbors))
		for i, nb := range c.BGP.Neighbors {
			m := *nb
			b.Neighbors[i] = &m
		}
		b.Families = make([]*AddressFamily, len(c.BGP.Families))
		for i, af := range c.BGP.Families {
			a := *af
			a.Networks = slices.Clone(af.Networks)
			a.Redistribute = slices.Clone(af.Redistribute)
			a.Neighbors = make([]*AFNeighbor, len(af.Neighbors))
			for j, an := range af.Neighbors {
				m := *an
				a.Neighbors[j] = &m
			}
			b.Families[i] = &a
		}
		n.BGP = &b
	}
	return &n
}

// Interface returns the named interface block, or nil.
func (c *Config) Interface(name string) *Interface {
	for _, f := range c.Interfaces {
		if f.Name == name {
			return f
		}
	}
	return nil
}

// EnsureInterface returns the named interface block, creating it in FRR's
// order (sorted by name) when missing.
func (c *Config) EnsureInterface(name string) *Interface { return c.ensureInterface(name) }

func (c *Config) ensureInterface(name string) *Interface {
	if f := c.Interface(name); f != nil {
		return f
	}
	f := &Interface{Name: name}
	i, _ := slices.BinarySearchFunc(c.Interfaces, name, func(a *Interface, n string) int {
		return strings.Compare(a.Name, n)
	})
	c.Interfaces = slices.Insert(c.Interfaces, i, f)
	return f
}

// Neighbor returns the neighbor with that address, or nil.
func (b *BGP) Neighbor(addr string) *Neighbor {
	for _, n := range b.Neighbors {
		if n.Addr == addr {
			return n
		}
	}
	return nil
}

// Family returns the address family block, or nil when it is not configured.
func (b *BGP) Family(name string) *AddressFamily {
	for _, af := range b.Families {
		if af.Name == name {
			return af
		}
	}
	return nil
}

func (b *BGP) ensureFamily(name string) *AddressFamily {
	if af := b.Family(name); af != nil {
		return af
	}
	af := &AddressFamily{Name: name}
	// FRR always shows ipv4 unicast before ipv6 unicast.
	if name == "ipv4 unicast" {
		b.Families = slices.Insert(b.Families, 0, af)
	} else {
		b.Families = append(b.Families, af)
	}
	return af
}

// Neighbor returns the neighbor's settings in this family, or nil.
func (af *AddressFamily) Neighbor(addr string) *AFNeighbor {
	for _, n := range af.Neighbors {
		if n.Addr == addr {
			return n
		}
	}
	return nil
}

func (af *AddressFamily) ensureNeighbor(addr string) *AFNeighbor {
	if n := af.Neighbor(addr); n != nil {
		return n
	}
	n := &AFNeighbor{Addr: addr}
	af.Neighbors = append(af.Neighbors, n)
	return n
}

// Active reports whether the neighbor exchanges routes of this family, with
// FRR's default: IPv4 unicast is active unless "no bgp default
// ipv4-unicast" or "no neighbor X activate"; other families need
// "neighbor X activate".
func (b *BGP) Active(addr, family string) bool {
	af := b.Family(family)
	var an *AFNeighbor
	if af != nil {
		an = af.Neighbor(addr)
	}
	if family == "ipv4 unicast" && !b.NoDefaultIPv4 {
		return an == nil || !an.Deactivated
	}
	return an != nil && an.Activate
}

// DeleteNeighbor removes a neighbor and its per-family settings, as "no
// neighbor X" does.
func (b *BGP) DeleteNeighbor(addr string) { b.deleteNeighbor(addr) }

// deleteNeighbor removes a neighbor and its per-family settings.
func (b *BGP) deleteNeighbor(addr string) {
	b.Neighbors = slices.DeleteFunc(b.Neighbors, func(n *Neighbor) bool { return n.Addr == addr })
	for _, af := range b.Families {
		af.Neighbors = slices.DeleteFunc(af.Neighbors, func(n *AFNeighbor) bool { return n.Addr == addr })
	}
}

// empty reports whether the family block has nothing to show.
func (af *AddressFamily) empty(b *BGP) bool {
	if len(af.Networks) > 0 || len(af.Redistribute) > 0 || af.MaxPaths > 0 {
		return false
	}
	for _, n := range af.Neighbors {
		if len(afNeighborLines(b, af, n)) > 0 {
			return false
		}
	}
	return true
}
