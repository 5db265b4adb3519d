package provisioning

import (
	"cmp"
	"fmt"
	"net/netip"
	"slices"

	"github.com/tuyau-net/tuyau/inventory"
)

// Intent is what one device should run, derived from the inventory and
// independent of any platform's syntax: templates only format it, so every
// platform announces the same prefixes to the same peers.
type Intent struct {
	Hostname   string
	Platform   string
	Role       inventory.DeviceRole
	ASN        uint32
	RouterID   netip.Addr
	Interfaces []InterfaceIntent
	// OSPF is nil when the device runs no IGP (member sites).
	OSPF        *OSPFIntent
	BGP         *BGPIntent
	PrefixLists []PrefixList
	RouteMaps   []RouteMap
	// NullRoutes anchor the prefixes the device originates in BGP (hosting
	// services, member LANs) in the RIB: a static to Null0, which any more
	// specific route (the hosting servers, a member's connected LAN) beats.
	NullRoutes []netip.Prefix
	NTP        []netip.Addr
	Syslog     []netip.Addr
}

// InterfaceIntent is one interface: loopback, core/aggregation link or edge port.
type InterfaceIntent struct {
	Name        string
	Description string
	MTU         int
	Addresses   []netip.Prefix
	Shutdown    bool
	Loopback    bool
	// OSPF is set on links whose far end is a core or aggregation router,
	// and on the loopback (passive).
	OSPF bool
}

// IPv4 returns the interface's IPv4 addresses.
func (i InterfaceIntent) IPv4() []netip.Prefix { return filterFamily(i.Addresses, true) }

// IPv6 returns the interface's IPv6 addresses.
func (i InterfaceIntent) IPv6() []netip.Prefix { return filterFamily(i.Addresses, false) }

// OSPFIntent is the IGP: single area 0, point-to-point links, passive loopback.
type OSPFIntent struct {
	RouterID netip.Addr
	Area     string
}

// BGPIntent is the BGP process of a device.
type BGPIntent struct {
	ASN       uint32
	RouterID  netip.Addr
	Neighbors []Neighbor
	// Networks are originated prefixes (hosting services, member LANs).
	Networks []netip.Prefix
	// GracefulRestart keeps forwarding on the routes of a restarting
	// peer (RFC 4724); LogNeighborChanges logs every session state change.
	// Both are on for every device (docs/provisioning.md).
	GracefulRestart    bool
	LogNeighborChanges bool
}

// Networks4 returns the IPv4 networks originated.
func (b BGPIntent) Networks4() []netip.Prefix { return filterFamily(b.Networks, true) }

// Networks6 returns the IPv6 networks originated.
func (b BGPIntent) Networks6() []netip.Prefix { return filterFamily(b.Networks, false) }

// HasFamily reports whether any neighbor carries the family.
func (b BGPIntent) HasFamily(f string) bool {
	for _, n := range b.Neighbors {
		if n.Has(f) {
			return true
		}
	}
	return false
}

// Neighbor is one BGP session with its policy.
type Neighbor struct {
	Address     netip.Addr
	RemoteAS    uint32
	Role        inventory.BGPRole
	Description string
	// UpdateSource is the loopback interface for iBGP over loopbacks.
	UpdateSource string
	RRClient     bool
	NextHopSelf  bool
	Families     []string
	RouteMapIn   string
	RouteMapOut  string
	// Password is the TCP MD5 password (resolved from the secrets file;
	// issue 14 redacts it from plans and records).
	Password string
	// TTLSecurity is GTSM's hop count; 0 is off.
	TTLSecurity int
	// Keepalive and Hold are per-neighbor timers; 0 keeps the defaults.
	Keepalive, Hold int
	// AddPathAll sends every path, not only the best (a tuyau speaker must
	// see each site's announcement of a hosting prefix).
	AddPathAll bool
	// Speaker names the tuyau speaker the session is with.
	Speaker string
	// MaxPrefix4 and MaxPrefix6 cap the prefixes accepted per family (the
	// session goes down beyond, a warning is logged at MaxPrefixWarn
	// percent); 0 is no cap.
	MaxPrefix4, MaxPrefix6 int
	MaxPrefixWarn          int
	// BFD runs a BFD session with the peer that tears BGP down in under a
	// second when the link fails.
	BFD bool
	// NoGracefulRestart turns graceful restart off for this peer.
	NoGracefulRestart bool
}

// MaxPrefix returns the cap of the family, 0 for none.
func (n Neighbor) MaxPrefix(family string) int {
	if family == "ipv6-unicast" {
		return n.MaxPrefix6
	}
	return n.MaxPrefix4
}

// Has reports whether the neighbor carries the address family.
func (n Neighbor) Has(family string) bool { return slices.Contains(n.Families, family) }

// PrefixList is a named list of prefixes, one per address family.
type PrefixList struct {
	Name    string
	IPv6    bool
	Entries []PrefixListEntry
}

// PrefixListEntry is one sequenced entry; Le is 0 for an exact match.
type PrefixListEntry struct {
	Seq    int
	Action string
	Prefix netip.Prefix
	Le     int
}

// RouteMap is one route-map entry; entries of a map share Name and differ in Seq.
type RouteMap struct {
	Name   string
	Seq    int
	Action string
	// MatchPrefixList names a prefix list; MatchIPv6 says which family it is.
	MatchPrefixList string
	MatchIPv6       bool
	// Prepend is how many times the device's ASN is prepended (backup sites).
	Prepend   int
	PrependAS uint32
}

// PrependPath returns the AS path to prepend, "65000 65000" for Prepend=2.
func (r RouteMap) PrependPath() string {
	s := ""
	for i := 0; i < r.Prepend; i++ {
		if i > 0 {
			s += " "
		}
		s += fmt.Sprint(r.PrependAS)
	}
	return s
}

// Options carry what the inventory does not hold: management servers.
type Options struct {
	// NTP servers; when empty, non-core routers use the route reflectors' loopbacks.
	NTP    []netip.Addr
	Syslog []netip.Addr
	// NoIGP leaves OSPF out, for networks whose IGP something else
	// manages.
	NoIGP bool
	// BGPPassword resolves a speaker peer's password_secret (bgp.Passwords'
	// Lookup); nil when no secrets file is given, which fails the render
	// of a router whose speaker session has a password.
	BGPPassword func(key string) (string, error)
}

// Policy names, shared by every platform so a diff reads the same everywhere.
const (
	plHosting4    = "PL-HOSTING-V4"
	plHosting6    = "PL-HOSTING-V6"
	plBackup4     = "PL-HOSTING-BACKUP-V4"
	plBackup6     = "PL-HOSTING-BACKUP-V6"
	plAny4        = "PL-ANY-V4"
	rmTransitIn   = "RM-TRANSIT-IN"
	rmTransitOut  = "RM-TRANSIT-OUT"
	rmMemberOut   = "RM-MEMBER-OUT"
	rmMemberIn    = "RM-MEMBER-IN" // on the aggregation router, suffixed with the member ASN
	rmUpstreamIn  = "RM-UPSTREAM-IN"
	plSpeaker4    = "PL-SPEAKER-IN-V4"
	plSpeaker6    = "PL-SPEAKER-IN-V6"
	rmSpeakerIn   = "RM-SPEAKER-IN"
	plMemberLAN   = "PL-MEMBER-LAN"
	backupPrepend = 2
	// plTransitIn4/6 refuse bogons and our own space from transit, then
	// take anything up to /24 (/48); plAny4/6 (le 32/128) is the list of a
	// transit session that turns the bogon filter off.
	plTransitIn4 = "PL-TRANSIT-IN-V4"
	plTransitIn6 = "PL-TRANSIT-IN-V6"
	plAny6       = "PL-ANY-V6"
	rmTransitAny = "RM-TRANSIT-IN-ANY"
)

// Safe-BGP defaults (docs/provisioning.md, "Safe BGP by default").
const (
	// A member may announce up to memberMargin times the prefixes the
	// inventory gives it, at least memberMaxFloor, so adding a LAN on the
	// router before the inventory does not drop the session.
	memberMargin   = 2
	memberMaxFloor = 10
	// A transit session carries a full table: caps above today's
	// (about 1M IPv4, 230k IPv6 routes) that a leak of a few hundred
	// thousand more trips; max_prefix overrides them.
	transitMax4 = 1500000
	transitMax6 = 400000
	// maxPrefixWarn is the percentage of the cap at which a warning is logged.
	maxPrefixWarn = 90
)

// bogons4 and bogons6 are the special-purpose and unallocated-for-routing
// blocks (RFC 6890 and its IPv6 registry, as Team Cymru's bogon list):
// nothing from them is ever accepted from a transit provider.
var (
	bogons4 = []string{"0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
		"192.0.0.0/24", "192.0.2.0/24", "192.168.0.0/16", "198.18.0.0/15", "198.51.100.0/24", "203.0.113.0/24",
		"224.0.0.0/4", "240.0.0.0/4"}
	bogons6 = []string{"::/8", "100::/64", "2001:2::/48", "2001:10::/28", "2001:db8::/32", "2002::/16", "3ffe::/16",
		"3fff::/20", "5f00::/16", "fc00::/7", "fe80::/10", "fec0::/10", "ff00::/8"}
)

// BuildIntent derives the intent of one device from the inventory.
func BuildIntent(x *inventory.Index, name string, opt Options) (Intent, error) {
	d := x.Device(name)
	if d == nil {
		return Intent{}, fmt.Errorf("device %s: %w", name, ErrUnknownDevice)
	}
	snap := x.Snapshot()
	in := Intent{Hostname: d.Name, Platform: d.Platform, Role: d.Role, ASN: d.ASN, RouterID: d.Loopback}
	if !in.RouterID.IsValid() {
		return Intent{}, fmt.Errorf("device %s: no loopback to use as router id", d.Name)
	}
	igp := (d.Role == inventory.RoleCore || d.Role == inventory.RoleAggregation) && !opt.NoIGP
	for _, i := range d.Interfaces {
		ii := InterfaceIntent{Name: i.Name, Description: i.Description, MTU: i.MTU,
			Addresses: i.Addresses, Shutdown: !i.IsEnabled(), Loopback: isLoopback(i.Name)}
		if igp && (ii.Loopback || farEndRunsIGP(x, d, i)) {
			ii.OSPF = true
		}
		in.Interfaces = append(in.Interfaces, ii)
	}
	if igp {
		in.OSPF = &OSPFIntent{RouterID: d.Loopback, Area: "0.0.0.0"}
	}

	primary, backup := hostingPrefixes(snap, d.Site, d.Role)
	memberLAN := memberPrefixes(snap, d.Site)
	// Where a tuyau speaker runs, it originates the site's hosting
	// prefixes (so the failover can steer them); the routers do not.
	var originated []netip.Prefix
	if !snap.HasSpeakerAt(d.Site) {
		originated = append(append(originated, primary...), backup...)
	}
	originated = append(originated, memberLAN...)
	sortPrefixes(originated)
	in.NullRoutes = originated

	hasTransit := slices.ContainsFunc(d.BGPSessions, func(s inventory.BGPSession) bool { return s.Role == inventory.BGPTransit })
	hasMembers := slices.ContainsFunc(d.BGPSessions, func(s inventory.BGPSession) bool { return s.Role == inventory.BGPMember })
	speakers := snap.SpeakersOf(d.Name)
	if len(d.BGPSessions) > 0 || len(speakers) > 0 {
		b := &BGPIntent{ASN: d.ASN, RouterID: d.Loopback, Networks: originated, GracefulRestart: true, LogNeighborChanges: true}
		for _, s := range d.BGPSessions {
			n := Neighbor{Address: s.PeerAddress, RemoteAS: s.PeerASN, Role: s.Role, Description: s.Description,
				RRClient: s.RRClient, Families: s.Families, NoGracefulRestart: s.Disabled(inventory.SafeGracefulRestart)}
			if len(n.Families) == 0 {
				n.Families = []string{familyOf(s.PeerAddress)}
			}
			if n.Description == "" {
				n.Description = s.PeerDevice
			}
			switch s.Role {
			case inventory.BGPiBGP:
				n.UpdateSource = loopbackName(d)
				n.NextHopSelf = true
				// Between the route reflectors of a network with speakers,
				// every path: a reflector's best path is the other site's
				// reflected primary, so with best-path only it never passes
				// its own site's backup hosting path on, the other site has
				// no backup to fall back on by itself and the speakers never
				// see the backup site (measured on real FRR, docs/bgp.md).
				if p := x.Device(s.PeerDevice); d.RouteReflector && !s.RRClient && len(snap.Speakers) > 0 && p != nil && p.RouteReflector {
					n.AddPathAll = true
				}
			case inventory.BGPTransit:
				n.RouteMapIn, n.RouteMapOut = rmTransitIn, rmTransitOut
				if s.Disabled(inventory.SafeBogons) {
					n.RouteMapIn = rmTransitAny
				}
				n.MaxPrefix4, n.MaxPrefix6 = transitMax4, transitMax6
			case inventory.BGPMember:
				if d.Role == inventory.RoleMember {
					n.RouteMapIn, n.RouteMapOut = rmUpstreamIn, rmMemberOut
					// What the member takes is the hosting services.
					n.MaxPrefix4, n.MaxPrefix6 = memberMax(allHostingPrefixes(snap))
				} else {
					n.RouteMapIn, n.RouteMapOut = fmt.Sprintf("%s-%d", rmMemberIn, s.PeerASN), rmMemberOut
					n.MaxPrefix4, n.MaxPrefix6 = memberMax(memberPrefixes(snap, siteOf(x, s.PeerDevice)))
				}
			}
			if err := safeguard(d, s, &n, opt); err != nil {
				return Intent{}, err
			}
			b.Neighbors = append(b.Neighbors, n)
		}
		for _, ss := range speakers {
			n, err := speakerNeighbor(d, ss, opt)
			if err != nil {
				return Intent{}, err
			}
			b.Neighbors = append(b.Neighbors, n)
		}
		in.BGP = b
	}
	if len(speakers) > 0 {
		// The speakers may announce only the hosting services; they get
		// the full view (no outbound map).
		pls := prefixLists(plSpeaker4, plSpeaker6, allHostingPrefixes(snap))
		in.PrefixLists = append(in.PrefixLists, pls...)
		seq := 10
		for _, pl := range pls {
			in.RouteMaps = append(in.RouteMaps, RouteMap{Name: rmSpeakerIn, Seq: seq, Action: "permit", MatchPrefixList: pl.Name, MatchIPv6: pl.IPv6})
			seq += 10
		}
		if len(pls) == 0 {
			in.RouteMaps = append(in.RouteMaps, RouteMap{Name: rmSpeakerIn, Seq: 10, Action: "deny"})
		}
	}

	// Policies: transit sees only the hosting prefixes, the backup site
	// prepending so the primary site attracts the traffic while it is healthy.
	if hasTransit {
		in.PrefixLists = append(in.PrefixLists, prefixLists(plHosting4, plHosting6, primary)...)
		in.PrefixLists = append(in.PrefixLists, prefixLists(plBackup4, plBackup6, backup)...)
		out := len(in.PrefixLists)
		in.PrefixLists = append(in.PrefixLists, transitInLists(snap)...)
		in.RouteMaps = append(in.RouteMaps,
			RouteMap{Name: rmTransitIn, Seq: 10, Action: "permit", MatchPrefixList: plTransitIn4},
			RouteMap{Name: rmTransitIn, Seq: 20, Action: "permit", MatchPrefixList: plTransitIn6, MatchIPv6: true})
		if slices.ContainsFunc(d.BGPSessions, func(s inventory.BGPSession) bool {
			return s.Role == inventory.BGPTransit && s.Disabled(inventory.SafeBogons)
		}) {
			in.PrefixLists = append(in.PrefixLists,
				PrefixList{Name: plAny4, Entries: []PrefixListEntry{{Seq: 5, Action: "permit", Prefix: netip.MustParsePrefix("0.0.0.0/0"), Le: 32}}},
				PrefixList{Name: plAny6, IPv6: true, Entries: []PrefixListEntry{{Seq: 5, Action: "permit", Prefix: netip.MustParsePrefix("::/0"), Le: 128}}})
			in.RouteMaps = append(in.RouteMaps,
				RouteMap{Name: rmTransitAny, Seq: 10, Action: "permit", MatchPrefixList: plAny4},
				RouteMap{Name: rmTransitAny, Seq: 20, Action: "permit", MatchPrefixList: plAny6, MatchIPv6: true})
		}
		seq := 10
		for _, pl := range in.PrefixLists[:out] {
			rm := RouteMap{Name: rmTransitOut, Seq: seq, Action: "permit", MatchPrefixList: pl.Name, MatchIPv6: pl.IPv6}
			if pl.Name == plBackup4 || pl.Name == plBackup6 {
				rm.Prepend, rm.PrependAS = backupPrepend, d.ASN
			}
			in.RouteMaps = append(in.RouteMaps, rm)
			seq += 10
		}
	}
	if hasMembers && d.Role != inventory.RoleMember {
		// Members receive the hosting services and may announce only their LAN.
		hosting := allHostingPrefixes(snap)
		in.PrefixLists = appendUnique(in.PrefixLists, prefixLists(plHosting4, plHosting6, hosting)...)
		in.RouteMaps = append(in.RouteMaps, RouteMap{Name: rmMemberOut, Seq: 10, Action: "permit", MatchPrefixList: plHosting4})
		for _, s := range d.BGPSessions {
			if s.Role != inventory.BGPMember {
				continue
			}
			name := fmt.Sprintf("%s-AS%d", plMemberLAN, s.PeerASN)
			lans := memberPrefixes(snap, siteOf(x, s.PeerDevice))
			if len(lans) == 0 {
				// A member with no LAN in the inventory may announce nothing.
				in.RouteMaps = append(in.RouteMaps, RouteMap{Name: fmt.Sprintf("%s-%d", rmMemberIn, s.PeerASN), Seq: 10, Action: "deny"})
				continue
			}
			pls := prefixLists(name, name+"-V6", lans)
			in.PrefixLists = append(in.PrefixLists, pls...)
			// Only the member's own prefixes, exactly (no le): a more
			// specific is a hijack of its own space or a leak.
			for i, pl := range pls {
				in.RouteMaps = append(in.RouteMaps, RouteMap{Name: fmt.Sprintf("%s-%d", rmMemberIn, s.PeerASN), Seq: 10 * (i + 1), Action: "permit", MatchPrefixList: pl.Name, MatchIPv6: pl.IPv6})
			}
		}
	}
	if d.Role == inventory.RoleMember && hasMembers {
		in.PrefixLists = append(in.PrefixLists, prefixLists(plMemberLAN, plMemberLAN+"-V6", memberLAN)...)
		in.PrefixLists = append(in.PrefixLists, prefixLists(plHosting4, plHosting6, allHostingPrefixes(snap))...)
		in.RouteMaps = append(in.RouteMaps,
			RouteMap{Name: rmMemberOut, Seq: 10, Action: "permit", MatchPrefixList: plMemberLAN},
			RouteMap{Name: rmUpstreamIn, Seq: 10, Action: "permit", MatchPrefixList: plHosting4})
		// The member announces its LAN; the aggregation router's RM-MEMBER-OUT
		// above matches hosting prefixes, and here RM-MEMBER-OUT matches the LAN.
	}
	in.RouteMaps = dedupeRouteMaps(in.RouteMaps)

	in.NTP, in.Syslog = opt.NTP, opt.Syslog
	if len(in.NTP) == 0 && d.Role != inventory.RoleCore {
		for _, c := range snap.Devices {
			if c.RouteReflector && c.Loopback.IsValid() {
				in.NTP = append(in.NTP, c.Loopback)
			}
		}
	}
	return in, nil
}

// speakerNeighbor is the router's side of a session with a tuyau speaker:
// an iBGP route-reflector client sent every path, with the speaker
// entry's MD5, GTSM and timers.
func speakerNeighbor(d *inventory.Device, ss inventory.SpeakerSession, opt Options) (Neighbor, error) {
	sp, p := ss.Speaker, ss.Peer
	n := Neighbor{Address: sp.Listen, RemoteAS: sp.ASN, Role: inventory.BGPiBGP, Description: "tuyau speaker " + sp.Name,
		RRClient: true, AddPathAll: true, RouteMapIn: rmSpeakerIn, TTLSecurity: p.TTLSecurity,
		Keepalive: p.Keepalive, Hold: p.HoldTime, Speaker: sp.Name, Families: []string{"ipv4-unicast", "ipv6-unicast"}}
	if !p.Address.IsValid() || p.Address == d.Loopback {
		n.UpdateSource = loopbackName(d)
	}
	if n.Hold != 0 && n.Keepalive == 0 {
		n.Keepalive = max(1, n.Hold/3)
	}
	if n.Keepalive != 0 && n.Hold == 0 {
		n.Hold = 3 * n.Keepalive
	}
	if p.PasswordSecret != "" {
		if opt.BGPPassword == nil {
			return Neighbor{}, fmt.Errorf("device %s: speaker %s session (%s): password_secret %q needs the secrets file (--secrets or TUYAU_SECRETS)", d.Name, sp.Name, p.Src, p.PasswordSecret)
		}
		pw, err := opt.BGPPassword(p.PasswordSecret)
		if err == nil {
			err = checkPassword(p.PasswordSecret, pw)
		}
		if err != nil {
			return Neighbor{}, fmt.Errorf("device %s: speaker %s session (%s): %w", d.Name, sp.Name, p.Src, err)
		}
		n.Password = pw
	}
	return n, nil
}

// safeguard applies the per-session defaults that depend on the link and
// the secrets: MD5 from password_secret, GTSM and BFD on directly
// connected eBGP, the max_prefix override, each unless disabled.
func safeguard(d *inventory.Device, s inventory.BGPSession, n *Neighbor, opt Options) error {
	ebgp := s.Role == inventory.BGPTransit || s.Role == inventory.BGPMember
	direct := connected(d, s.PeerAddress)
	if ebgp && direct && !s.Disabled(inventory.SafeGTSM) {
		n.TTLSecurity = 1
	}
	// BFD needs the far end to run it too: sessions to a device of ours,
	// one hop away, on a core or aggregation router's links (or the
	// member router's end of them).
	if ebgp && direct && s.PeerDevice != "" && !s.Disabled(inventory.SafeBFD) {
		n.BFD = true
	}
	if s.Disabled(inventory.SafeMaxPrefix) {
		n.MaxPrefix4, n.MaxPrefix6 = 0, 0
	} else if s.MaxPrefix > 0 && (n.MaxPrefix4 > 0 || n.MaxPrefix6 > 0) {
		n.MaxPrefix4, n.MaxPrefix6 = s.MaxPrefix, s.MaxPrefix
	}
	if n.MaxPrefix4 > 0 || n.MaxPrefix6 > 0 {
		n.MaxPrefixWarn = maxPrefixWarn
	}
	if s.PasswordSecret != "" {
		if opt.BGPPassword == nil {
			return fmt.Errorf("device %s: bgp %s (%s): password_secret %q needs the secrets file (--secrets or TUYAU_SECRETS)", d.Name, s.PeerAddress, s.Src, s.PasswordSecret)
		}
		pw, err := opt.BGPPassword(s.PasswordSecret)
		if err == nil {
			err = checkPassword(s.PasswordSecret, pw)
		}
		if err != nil {
			return fmt.Errorf("device %s: bgp %s (%s): %w", d.Name, s.PeerAddress, s.Src, err)
		}
		n.Password = pw
	}
	return nil
}

// checkPassword refuses a password no router CLI takes as one word
// (FRR's "password WORD"; quotes and spaces break the others' lines too),
// naming the key, never the password. TCP MD5 keys are at most 80 bytes
// (RFC 2385 implementations, Linux TCP_MD5SIG_MAXKEYLEN).
func checkPassword(key, pw string) error {
	if len(pw) > 80 {
		return fmt.Errorf("password_secret %q: the password is longer than 80 bytes", key)
	}
	for _, r := range pw {
		if r <= ' ' || r == '"' || r == '\\' || r > '~' {
			return fmt.Errorf("password_secret %q: the password has a space, quote, backslash or non-ASCII character, which router CLIs do not take", key)
		}
	}
	return nil
}

// connected reports whether a is on one of the device's interface
// subnets (one hop away).
func connected(d *inventory.Device, a netip.Addr) bool {
	for _, i := range d.Interfaces {
		for _, p := range i.Addresses {
			if p.Bits() < p.Addr().BitLen() && p.Masked().Contains(a) {
				return true
			}
		}
	}
	return false
}

// memberMax is the cap per family for a member announcing (or receiving) ps.
func memberMax(ps []netip.Prefix) (v4, v6 int) {
	return max(memberMargin*len(filterFamily(ps, true)), memberMaxFloor),
		max(memberMargin*len(filterFamily(ps, false)), memberMaxFloor)
}

// transitInLists are what a transit session may send: no bogon, nothing
// of our own space (inventory prefixes, hosting services), no IPv4 more
// specific than /24 nor IPv6 than /48.
func transitInLists(snap *inventory.Snapshot) []PrefixList {
	own := allHostingPrefixes(snap)
	for _, p := range snap.Prefixes {
		own = append(own, p.Prefix.Masked())
	}
	sortPrefixes(own)
	own = slices.Compact(own)
	var out []PrefixList
	for _, v6 := range []bool{false, true} {
		pl := PrefixList{Name: plTransitIn4, IPv6: v6}
		bogons, all, longest := bogons4, "0.0.0.0/0", 24
		if v6 {
			pl.Name, bogons, all, longest = plTransitIn6, bogons6, "::/0", 48
		}
		add := func(action string, p netip.Prefix, le int) {
			if le == p.Bits() {
				le = 0
			}
			pl.Entries = append(pl.Entries, PrefixListEntry{Seq: 5 * (len(pl.Entries) + 1), Action: action, Prefix: p, Le: le})
		}
		for _, b := range bogons {
			p := netip.MustParsePrefix(b)
			add("deny", p, p.Addr().BitLen())
		}
		for _, p := range own {
			if p.Addr().Is6() == v6 && !slices.ContainsFunc(bogons, func(b string) bool {
				return netip.MustParsePrefix(b).Overlaps(p) && netip.MustParsePrefix(b).Bits() <= p.Bits()
			}) {
				add("deny", p, p.Addr().BitLen())
			}
		}
		add("permit", netip.MustParsePrefix(all), longest)
		out = append(out, pl)
	}
	return out
}

// farEndRunsIGP follows the cable (through patch panels) to the far device;
// without a cable it falls back to the device holding the other address of
// the /31, so a partly documented plant still gets its IGP.
func farEndRunsIGP(x *inventory.Index, d *inventory.Device, i inventory.Interface) bool {
	if p, err := x.Trace(d.Name, i.Name); err == nil && p.Complete && p.To.Device != "" {
		return runsIGP(x.Device(p.To.Device))
	}
	for _, a := range i.Addresses {
		if !a.Addr().Is4() || a.Bits() < 30 {
			continue
		}
		for _, o := range x.Snapshot().Devices {
			if o.Name == d.Name {
				continue
			}
			for _, oi := range o.Interfaces {
				for _, oa := range oi.Addresses {
					if oa.Masked() == a.Masked() && oa.Addr() != a.Addr() {
						return runsIGP(&o)
					}
				}
			}
		}
	}
	return false
}

func runsIGP(d *inventory.Device) bool {
	return d != nil && (d.Role == inventory.RoleCore || d.Role == inventory.RoleAggregation)
}

// hostingPrefixes splits the hosting prefixes a core site announces into the
// services it is primary for and those it backs up.
func hostingPrefixes(s *inventory.Snapshot, site string, role inventory.DeviceRole) (primary, backup []netip.Prefix) {
	if role != inventory.RoleCore {
		return nil, nil
	}
	for _, svc := range s.Services {
		i := slices.Index(svc.Sites, site)
		switch {
		case i == 0:
			primary = append(primary, svc.Prefixes...)
		case i > 0:
			backup = append(backup, svc.Prefixes...)
		}
	}
	sortPrefixes(primary)
	sortPrefixes(backup)
	return primary, backup
}

func allHostingPrefixes(s *inventory.Snapshot) []netip.Prefix {
	var out []netip.Prefix
	for _, svc := range s.Services {
		out = append(out, svc.Prefixes...)
	}
	sortPrefixes(out)
	return slices.Compact(out)
}

func memberPrefixes(s *inventory.Snapshot, site string) []netip.Prefix {
	if site == "" {
		return nil
	}
	var out []netip.Prefix
	for _, p := range s.Prefixes {
		if p.Role == "member-lan" && p.Site == site {
			out = append(out, p.Prefix)
		}
	}
	sortPrefixes(out)
	return out
}

func siteOf(x *inventory.Index, device string) string {
	if d := x.Device(device); d != nil {
		return d.Site
	}
	return ""
}

func prefixLists(name4, name6 string, ps []netip.Prefix) []PrefixList {
	var out []PrefixList
	for _, v6 := range []bool{false, true} {
		pl := PrefixList{Name: name4, IPv6: v6}
		if v6 {
			pl.Name = name6
		}
		for _, p := range ps {
			if p.Addr().Is6() == v6 {
				pl.Entries = append(pl.Entries, PrefixListEntry{Seq: 5 * (len(pl.Entries) + 1), Action: "permit", Prefix: p})
			}
		}
		if len(pl.Entries) > 0 {
			out = append(out, pl)
		}
	}
	return out
}

func appendUnique(pls []PrefixList, more ...PrefixList) []PrefixList {
	for _, m := range more {
		if !slices.ContainsFunc(pls, func(p PrefixList) bool { return p.Name == m.Name }) {
			pls = append(pls, m)
		}
	}
	return pls
}

func dedupeRouteMaps(rms []RouteMap) []RouteMap {
	var out []RouteMap
	for _, r := range rms {
		if !slices.ContainsFunc(out, func(o RouteMap) bool { return o.Name == r.Name && o.Seq == r.Seq }) {
			out = append(out, r)
		}
	}
	return out
}

func sortPrefixes(ps []netip.Prefix) {
	slices.SortFunc(ps, func(a, b netip.Prefix) int {
		if c := a.Addr().Compare(b.Addr()); c != 0 {
			return c
		}
		return cmp.Compare(a.Bits(), b.Bits())
	})
}

func filterFamily(ps []netip.Prefix, v4 bool) []netip.Prefix {
	var out []netip.Prefix
	for _, p := range ps {
		if p.Addr().Is4() == v4 {
			out = append(out, p)
		}
	}
	return out
}

func familyOf(a netip.Addr) string {
	if a.Is4() {
		return "ipv4-unicast"
	}
	return "ipv6-unicast"
}

func isLoopback(name string) bool {
	return name == "lo" || name == "lo0" || name == "Loopback0" || name == "loopback0" || name == "system0"
}

func loopbackName(d *inventory.Device) string {
	for _, i := range d.Interfaces {
		if isLoopback(i.Name) {
			return i.Name
		}
	}
	return "lo"
}

// NullRoutes4 returns the IPv4 null routes.
func (in Intent) NullRoutes4() []netip.Prefix { return filterFamily(in.NullRoutes, true) }

// NullRoutes6 returns the IPv6 null routes.
func (in Intent) NullRoutes6() []netip.Prefix { return filterFamily(in.NullRoutes, false) }

// FilterTerm is a run of entries of one action in a prefix list that has
// deny entries, for the platforms whose prefix lists carry no action
// (Junos prefix-list, SR Linux prefix-set): each run becomes a policy term
// (route-filters) or a prefix-set of its own, in the list's order.
type FilterTerm struct {
	// Name is the route-map seq and the run's first entry seq ("10-5");
	// Set names the run's prefix-set (list name and first seq).
	Name, Set string
	Action    string
	Entries   []PrefixListEntry
}

// FilterTerms returns the runs of the prefix list rm matches when that list
// denies some prefixes; nil when it only permits (an ordinary match).
func (in Intent) FilterTerms(rm RouteMap) []FilterTerm {
	i := slices.IndexFunc(in.PrefixLists, func(p PrefixList) bool { return p.Name == rm.MatchPrefixList })
	if i < 0 || !slices.ContainsFunc(in.PrefixLists[i].Entries, func(e PrefixListEntry) bool { return e.Action == "deny" }) {
		return nil
	}
	pl := in.PrefixLists[i]
	var out []FilterTerm
	for _, e := range pl.Entries {
		if n := len(out); n > 0 && out[n-1].Action == e.Action {
			out[n-1].Entries = append(out[n-1].Entries, e)
			continue
		}
		out = append(out, FilterTerm{Name: fmt.Sprintf("%d-%d", rm.Seq, e.Seq), Set: fmt.Sprintf("%s-%d", pl.Name, e.Seq), Action: e.Action, Entries: []PrefixListEntry{e}})
	}
	return out
}

// JunosRouteFilter is the entry as a Junos route-filter: exact, orlonger
// or upto /N.
func (e PrefixListEntry) JunosRouteFilter() string {
	switch {
	case e.Le == 0:
		return e.Prefix.String() + " exact"
	case e.Le == e.Prefix.Addr().BitLen():
		return e.Prefix.String() + " orlonger"
	default:
		return fmt.Sprintf("%s upto /%d", e.Prefix, e.Le)
	}
}
