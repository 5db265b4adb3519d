package gnmitarget

import (
	"strings"
	"sync"
)

// Leaves renders the view as the leaves a Backend's State returns, config
// and state, in the order of the view (the server needs no order).
func (v DeviceView) Leaves() []Leaf { return v.AppendLeaves(nil, nil) }

// AppendLeaves appends the view's leaves to dst, taking their paths from
// c: a device that keeps one ViewCache and passes it on every State call
// builds each path string once, not on every sample. A nil c builds them.
func (v DeviceView) AppendLeaves(dst []Leaf, c *ViewCache) []Leaf {
	if c == nil {
		c = &ViewCache{}
	} else {
		c.mu.Lock()
		defer c.mu.Unlock()
	}
	c.begin()
	out := dst
	add := func(path string, value any) { out = append(out, Leaf{Path: path, Value: value}) }
	for _, f := range v.Interfaces {
		p := c.scope(scopeInterface, f.Name, "", func() string { return InterfacePath(f.Name, "") })
		add(p.path("config/name"), f.Name)
		add(p.path("config/enabled"), f.Enabled)
		if f.Description != "" {
			add(p.path("config/description"), f.Description)
		}
		if f.MTU != 0 {
			add(p.path("config/mtu"), f.MTU)
		}
		add(p.path("state/name"), f.Name)
		add(p.path("state/enabled"), f.Enabled)
		if f.Description != "" {
			add(p.path("state/description"), f.Description)
		}
		if f.MTU != 0 {
			add(p.path("state/mtu"), f.MTU)
		}
		typ := "iana-if-type:ethernetCsmacd"
		if f.Loopback {
			typ = "iana-if-type:softwareLoopback"
		}
		add(p.path("config/type"), typ)
		add(p.path("state/type"), typ)
		add(p.path("state/admin-status"), upDown(f.Enabled))
		add(p.path("state/oper-status"), upDown(f.OperUp))
		if !f.LastChange.IsZero() {
			add(p.path("state/last-change"), uint64(f.LastChange.UnixNano()))
		}
		k := f.Counters
		add(p.path("state/counters/in-octets"), k.InOctets)
		add(p.path("state/counters/out-octets"), k.OutOctets)
		add(p.path("state/counters/in-pkts"), k.InPkts)
		add(p.path("state/counters/out-pkts"), k.OutPkts)
		add(p.path("state/counters/in-unicast-pkts"), k.InPkts)
		add(p.path("state/counters/out-unicast-pkts"), k.OutPkts)
		add(p.path("state/counters/in-errors"), k.InErrors)
		add(p.path("state/counters/out-errors"), k.OutErrors)
		add(p.path("state/counters/in-discards"), k.InDiscards)
		add(p.path("state/counters/out-discards"), k.OutDiscards)
		if len(f.Addresses) > 0 {
			add(p.path("subinterfaces/subinterface[index=0]/config/index"), uint32(0))
			add(p.path("subinterfaces/subinterface[index=0]/state/index"), uint32(0))
		}
		for _, a := range f.Addresses {
			ip := a.Addr().String()
			ap := c.scope(scopeAddress, f.Name, ip, func() string { return AddressPath(f.Name, 0, ip, "") })
			add(ap.path("config/ip"), ip)
			add(ap.path("config/prefix-length"), uint8(a.Bits()))
			add(ap.path("state/ip"), ip)
			add(ap.path("state/prefix-length"), uint8(a.Bits()))
		}
		if t := f.Transceiver; t != nil {
			comp := t.Component
			if comp == "" {
				comp = f.Name
			}
			add(p.path("state/transceiver"), comp)
			cp := c.scope(scopeComponent, comp, "", func() string { return "/components/component[name=" + comp + "]/" })
			add(cp.path("state/name"), comp)
			add(cp.path("state/type"), "openconfig-platform-types:TRANSCEIVER")
			add(cp.path("transceiver/state/present"), "PRESENT")
			if t.FormFactor != "" {
				add(cp.path("transceiver/state/form-factor"), "openconfig-transport-types:"+t.FormFactor)
			}
			add(cp.path("transceiver/state/input-power/instant"), t.InputDBm)
			add(cp.path("transceiver/state/output-power/instant"), t.OutputDBm)
			add(cp.path("transceiver/physical-channels/channel[index=0]/state/index"), uint16(0))
			add(cp.path("transceiver/physical-channels/channel[index=0]/state/input-power/instant"), t.InputDBm)
			add(cp.path("transceiver/physical-channels/channel[index=0]/state/output-power/instant"), t.OutputDBm)
		}
	}
	if b := v.BGP; b != nil {
		g := c.scope(scopeBGP, "", "", func() string { return bgpPrefix + "/" })
		add(g.path("global/config/as"), b.AS)
		if b.RouterID != "" {
			add(g.path("global/config/router-id"), b.RouterID)
		}
		add(g.path("global/state/as"), b.AS)
		if b.RouterID != "" {
			add(g.path("global/state/router-id"), b.RouterID)
		}
		for _, n := range b.Neighbors {
			np := c.scope(scopeNeighbor, n.Address, "", func() string { return NeighborPath(n.Address, "") })
			add(np.path("config/neighbor-address"), n.Address)
			add(np.path("config/peer-as"), n.PeerAS)
			add(np.path("config/enabled"), n.Enabled)
			if n.Description != "" {
				add(np.path("config/description"), n.Description)
			}
			add(np.path("state/neighbor-address"), n.Address)
			add(np.path("state/peer-as"), n.PeerAS)
			add(np.path("state/enabled"), n.Enabled)
			if n.Description != "" {
				add(np.path("state/description"), n.Description)
			}
			st := n.SessionState
			if st == "" {
				st = "IDLE"
			}
			add(np.path("state/session-state"), strings.ToUpper(st))
			add(np.path("state/established-transitions"), n.EstablishedTransitions)
			if !n.LastEstablished.IsZero() {
				add(np.path("state/last-established"), uint64(n.LastEstablished.UnixNano()))
			}
			add(np.path("afi-safis/afi-safi[afi-safi-name=IPV4_UNICAST]/state/prefixes/received"), n.PrefixesReceived)
			add(np.path("afi-safis/afi-safi[afi-safi-name=IPV4_UNICAST]/state/prefixes/sent"), n.PrefixesSent)
		}
	}
	c.end()
	return out
}

// ViewCache keeps the path strings of a device's leaves between calls of
// AppendLeaves: per interface, address, component and neighbor, the paths
// in the order they were last emitted. The zero value is ready; it is
// safe for concurrent use (calls serialize on it).
type ViewCache struct {
	mu     sync.Mutex
	scopes map[scopeKey]*pathScope
	used   int
}

type scopeKind uint8

const (
	scopeInterface scopeKind = iota + 1
	scopeAddress
	scopeComponent
	scopeBGP
	scopeNeighbor
)

type scopeKey struct {
	kind scopeKind
	a, b string
}

// pathScope is the paths under one base, in emission order.
type pathScope struct {
	base     string
	suffixes []string
	paths    []string
	i        int
}

func (c *ViewCache) begin() {
	if c.scopes == nil || len(c.scopes) > 2*c.used+64 {
		c.scopes = map[scopeKey]*pathScope{} // many entries gone since: start over
	}
	c.used = 0
}

func (c *ViewCache) end() {}

func (c *ViewCache) scope(kind scopeKind, a, b string, base func() string) *pathScope {
	c.used++
	k := scopeKey{kind, a, b}
	s := c.scopes[k]
	if s == nil {
		s = &pathScope{base: base()}
		c.scopes[k] = s
	}
	s.i = 0
	return s
}

// path returns base+suffix, from the cache when this suffix comes at the
// same place as last time (suffixes are constants: the comparison is
// usually a pointer check).
func (s *pathScope) path(suffix string) string {
	if s.i < len(s.suffixes) && s.suffixes[s.i] == suffix {
		s.i++
		return s.paths[s.i-1]
	}
	s.suffixes = append(s.suffixes[:s.i], suffix)
	s.paths = append(s.paths[:s.i], s.base+suffix)
	s.i++
	return s.paths[s.i-1]
}
