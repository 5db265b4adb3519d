package testlab

import (
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	api "github.com/osrg/gobgp/v3/api"
	"github.com/osrg/gobgp/v3/pkg/apiutil"
	"github.com/osrg/gobgp/v3/pkg/packet/bgp"
)

// The show commands below print what FRR 8.4 prints, so that parsers
// written against real FRR (provisioning, telemetry) read them unchanged.

var familyTitle = map[string]string{"ipv4 unicast": "IPv4 Unicast", "ipv6 unicast": "IPv6 Unicast"}
var familyKey = map[string]string{"ipv4 unicast": "ipv4Unicast", "ipv6 unicast": "ipv6Unicast"}

// summaryFamilies are the families "show bgp summary" goes through, in
// FRR's order.
var summaryFamilies = []string{"ipv4 unicast", "ipv6 unicast"}

// BGPSummary renders "show bgp summary" and its json form: for one family,
// or for family "" every family that has neighbors, as FRR 8.4 does
// without an address family (one table after the other; in JSON one
// object per family).
func (d *Device) BGPSummary(ctx context.Context, family string, asJSON bool) string {
	families := []string{family}
	if family == "" {
		families = summaryFamilies
	}
	now := d.lab.now()
	var texts []string
	objs := map[string]summaryFamily{}
	for _, fam := range families {
		asn, rid, ns := d.Neighbors(ctx, fam)
		if asn == 0 {
			if asJSON {
				return "{}\n"
			}
			return "% No BGP process is configured\n"
		}
		if len(ns) == 0 && family == "" {
			continue // FRR leaves out a family without neighbors
		}
		if asJSON {
			objs[familyKey[fam]] = d.summaryJSON(asn, rid, ns, now)
			continue
		}
		texts = append(texts, familySummary(fam, asn, rid, ns, now))
	}
	if asJSON {
		b, _ := json.MarshalIndent(objs, "", "  ")
		return string(b) + "\n"
	}
	if len(texts) == 0 {
		return "% No BGP neighbors found in VRF default\n"
	}
	return strings.Join(texts, "\n")
}

// familySummary is one family's table of "show bgp summary".
func familySummary(family string, asn uint32, rid string, ns []NeighborState, now time.Time) string {
	if len(ns) == 0 {
		return "% No BGP neighbors found in VRF default\n"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s Summary (VRF default):\n", familyTitle[family])
	fmt.Fprintf(&b, "BGP router identifier %s, local AS number %d vrf-id 0\n", rid, asn)
	fmt.Fprintf(&b, "BGP table version %d\n", tableVersion(ns))
	fmt.Fprintf(&b, "RIB entries %d, using %d bytes of memory\n", ribEntries(ns), ribEntries(ns)*192)
	fmt.Fprintf(&b, "Peers %d, using %d KiB of memory\n\n", len(ns), len(ns)*725)
	b.WriteString("Neighbor        V         AS   MsgRcvd   MsgSent   TblVer  InQ OutQ  Up/Down State/PfxRcd   PfxSnt Desc\n")
	for _, n := range ns {
		state, sent := n.State, fmt.Sprint(n.PfxSnt)
		switch {
		case n.AdminDown:
			state = "Idle (Admin)"
		case n.State == "Established" && n.NoPolicyIn:
			state = "(Policy)"
		case n.State == "Established":
			state = fmt.Sprint(n.PfxRcd)
		}
		if n.NoPolicyOut {
			sent = "(Policy)"
		}
		updown := "never"
		if n.EverUp && !n.Since.IsZero() {
			updown = peerUptime(now.Sub(n.Since))
		}
		desc := n.Description
		if desc == "" {
			desc = "N/A"
		}
		if len(desc) > 20 {
			desc = desc[:20]
		}
		name := n.Address
		if len(name) > 15 {
			name = name + "\n" + strings.Repeat(" ", 16)
		}
		fmt.Fprintf(&b, "%-16s4 %10d %9d %9d %8d %4d %4d %8s %12s %8s %s\n",
			name, n.RemoteAS, n.MsgRcvd, n.MsgSent, 0, 0, 0, updown, state, sent, desc)
	}
	fmt.Fprintf(&b, "\nTotal number of neighbors %d\n", len(ns))
	return b.String()
}

func tableVersion(ns []NeighborState) uint64 {
	var v uint64
	for _, n := range ns {
		v += n.PfxRcd
	}
	return v
}

func ribEntries(ns []NeighborState) uint64 { return tableVersion(ns) }

// peerUptime formats a duration as FRR's peer_uptime does.
func peerUptime(d time.Duration) string {
	s := int(d.Seconds())
	const day, week = 86400, 7 * 86400
	switch {
	case s < day:
		return fmt.Sprintf("%02d:%02d:%02d", s/3600, s%3600/60, s%60)
	case s < week:
		return fmt.Sprintf("%dd%02dh%02dm", s/day, s%day/3600, s%3600/60)
	}
	return fmt.Sprintf("%02dw%dd%02dh", s/week, s%week/day, s%day/3600)
}

// summaryPeer is one entry of FRR's "show bgp summary json".
type summaryPeer struct {
	Hostname                   string `json:"hostname,omitempty"`
	RemoteAs                   uint32 `json:"remoteAs"`
	LocalAs                    uint32 `json:"localAs"`
	Version                    int    `json:"version"`
	MsgRcvd                    uint64 `json:"msgRcvd"`
	MsgSent                    uint64 `json:"msgSent"`
	TableVersion               int    `json:"tableVersion"`
	Outq                       int    `json:"outq"`
	Inq                        int    `json:"inq"`
	PeerUptime                 string `json:"peerUptime"`
	PeerUptimeMsec             int64  `json:"peerUptimeMsec"`
	PeerUptimeEstablishedEpoch int64  `json:"peerUptimeEstablishedEpoch,omitempty"`
	PfxRcd                     uint64 `json:"pfxRcd"`
	PfxSnt                     uint64 `json:"pfxSnt"`
	State                      string `json:"state"`
	PeerState                  string `json:"peerState"`
	ConnectionsEstablished     int    `json:"connectionsEstablished"`
	ConnectionsDropped         uint32 `json:"connectionsDropped"`
	Desc                       string `json:"desc,omitempty"`
	IDType                     string `json:"idType"`
}

type summaryFamily struct {
	RouterID       string                 `json:"routerId"`
	AS             uint32                 `json:"as"`
	VrfID          int                    `json:"vrfId"`
	VrfName        string                 `json:"vrfName"`
	TableVersion   uint64                 `json:"tableVersion"`
	RibCount       uint64                 `json:"ribCount"`
	RibMemory      uint64                 `json:"ribMemory"`
	PeerCount      int                    `json:"peerCount"`
	PeerMemory     int                    `json:"peerMemory"`
	Peers          map[string]summaryPeer `json:"peers"`
	FailedPeers    int                    `json:"failedPeers"`
	DisplayedPeers int                    `json:"displayedPeers"`
	TotalPeers     int                    `json:"totalPeers"`
	DynamicPeers   int                    `json:"dynamicPeers"`
	BestPath       map[string]string      `json:"bestPath"`
}

func (d *Device) summaryJSON(asn uint32, rid string, ns []NeighborState, now time.Time) summaryFamily {
	f := summaryFamily{
		RouterID: rid, AS: asn, VrfName: "default", TableVersion: tableVersion(ns),
		RibCount: ribEntries(ns), RibMemory: ribEntries(ns) * 192, PeerCount: len(ns), PeerMemory: len(ns) * 742400,
		Peers: map[string]summaryPeer{}, DisplayedPeers: len(ns), TotalPeers: len(ns),
		BestPath: map[string]string{"multiPathRelax": "false"},
	}
	for _, n := range ns {
		p := summaryPeer{
			RemoteAs: n.RemoteAS, LocalAs: n.LocalAS, Version: 4, MsgRcvd: n.MsgRcvd, MsgSent: n.MsgSent,
			PeerUptime: "never", PfxRcd: n.PfxRcd, PfxSnt: n.PfxSnt, State: n.State, PeerState: "OK",
			ConnectionsDropped: n.Dropped, Desc: n.Description, IDType: "ipv4",
		}
		if n.AdminDown {
			p.PeerState = "Admin"
		} else if n.NoPolicyIn || n.NoPolicyOut {
			p.PeerState = "Policy"
		}
		if n.State != "Established" {
			f.FailedPeers++
		}
		if n.EverUp {
			p.ConnectionsEstablished = 1
		}
		if n.EverUp && !n.Since.IsZero() {
			p.PeerUptime = peerUptime(now.Sub(n.Since))
			p.PeerUptimeMsec = now.Sub(n.Since).Milliseconds()
			if n.State == "Established" {
				p.PeerUptimeEstablishedEpoch = n.Since.Unix()
				if m, ok := d.lab.plan.Translate(mustAddr(n.Address)); ok {
					p.Hostname = m.Device
				}
			}
		}
		if a := mustAddr(n.Address); a.Is6() {
			p.IDType = "ipv6"
		}
		f.Peers[n.Address] = p
	}
	return f
}

// BGPRoutes renders "show bgp ipv4 unicast": the BGP table with next hops
// translated back to inventory addresses.
func (d *Device) BGPRoutes(ctx context.Context, family string) string {
	d.mu.Lock()
	cfg := d.applied
	d.mu.Unlock()
	if cfg.BGP == nil {
		return "% No BGP process is configured\n"
	}
	rid := routerID(cfg, d.plan.Addr)
	fam := famV4
	if family == "ipv6 unicast" {
		fam = famV6
	}
	type row struct {
		prefix netip.Prefix
		text   string
	}
	var rows []row
	total := 0
	d.bgpMu.Lock()
	if d.spk.srv != nil {
		ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		d.spk.srv.ListPath(ctx, &api.ListPathRequest{TableType: api.TableType_GLOBAL, Family: fam, SortType: api.ListPathRequest_PREFIX},
			func(dst *api.Destination) {
				for i, p := range dst.Paths {
					total++
					pfx, _ := netip.ParsePrefix(dst.Prefix)
					rows = append(rows, row{pfx, d.routeRow(dst.Prefix, i == 0, p, cfg.BGP.ASN)})
				}
			})
		cancel()
	}
	d.bgpMu.Unlock()
	var b strings.Builder
	fmt.Fprintf(&b, "BGP table version is %d, local router ID is %s, vrf id 0\n", total, rid)
	fmt.Fprintf(&b, "Default local pref 100, local AS %d\n", cfg.BGP.ASN)
	b.WriteString("Status codes:  s suppressed, d damped, h history, * valid, > best, = multipath,\n" +
		"               i internal, r RIB-failure, S Stale, R Removed\n" +
		"Nexthop codes: @NNN nexthop's vrf id, < announce-nh-self\n" +
		"Origin codes:  i - IGP, e - EGP, ? - incomplete\n" +
		"RPKI validation codes: V valid, I invalid, N Not found\n\n")
	if total == 0 {
		return "No BGP prefixes displayed, 0 exist\n"
	}
	b.WriteString("   Network          Next Hop            Metric LocPrf Weight Path\n")
	// FRR walks its table in prefix order.
	slices.SortStableFunc(rows, func(a, b row) int {
		if c := a.prefix.Addr().Compare(b.prefix.Addr()); c != 0 {
			return c
		}
		return a.prefix.Bits() - b.prefix.Bits()
	})
	for _, r := range rows {
		b.WriteString(r.text)
	}
	fmt.Fprintf(&b, "\nDisplayed  %d routes and %d total paths\n", len(rows), total)
	return b.String()
}

func (d *Device) routeRow(prefix string, first bool, p *api.Path, localAS uint32) string {
	status := "*"
	if p.Best {
		status += ">"
	} else {
		status += " "
	}
	a := attrsOf(p)
	nh, path, med, lp := a.nextHop, a.asPath, a.med, a.localPref
	origin := map[uint8]string{0: "i", 1: "e", 2: "?"}[a.origin]
	local := a.local
	if !local {
		nh = d.lab.labToInventory(nh)
		if p.SourceAsn == localAS {
			status += "i"
		}
	}
	if nh == "0.0.0.0" || nh == "::" {
		local = true
	}
	weight := "0"
	if local {
		weight, med = "32768", "0"
	}
	if !first {
		prefix = ""
	}
	if path != "" {
		path += " "
	}
	// FRR's route_vty_out: a prefix of 17 characters or more (IPv6) and a
	// next hop of 16 or more end their line, the row going on under its
	// column.
	if len(prefix) >= 17 {
		prefix += "\n" + strings.Repeat(" ", 20)
	} else {
		prefix = fmt.Sprintf("%-17s", prefix)
	}
	if len(nh) >= 16 {
		nh += "\n" + strings.Repeat(" ", 36)
	} else {
		nh = fmt.Sprintf("%-16s", nh)
	}
	return fmt.Sprintf("%-3s%s%s%10s%7s%7s %s%s\n", status, prefix, nh, med, lp, weight, path, origin)
}

// InterfaceBrief renders "show interface brief".
func (d *Device) InterfaceBrief(context.Context) string {
	var b strings.Builder
	b.WriteString("Interface       Status  VRF             Addresses\n")
	b.WriteString("---------       ------  ---             ---------\n")
	for _, f := range d.Interfaces() {
		status := "down"
		if f.OperUp {
			status = "up"
		}
		first := ""
		if len(f.Addresses) > 0 {
			first = f.Addresses[0]
		}
		fmt.Fprintf(&b, "%-16s%-8s%-16s%s\n", f.Name, status, "default", first)
		for _, a := range f.Addresses[min(1, len(f.Addresses)):] {
			fmt.Fprintf(&b, "%40s+ %s\n", "", a)
		}
	}
	return b.String()
}

// InterfaceJSON renders "show interface json" with the fields provisioning
// reads: states and the MTU the host has.
func (d *Device) InterfaceJSON(context.Context) string {
	type ifc struct {
		Admin string `json:"administrativeStatus"`
		Oper  string `json:"operationalStatus"`
		MTU   int    `json:"mtu"`
		Desc  string `json:"description,omitempty"`
	}
	out := map[string]ifc{}
	updown := func(b bool) string {
		if b {
			return "up"
		}
		return "down"
	}
	for _, f := range d.Interfaces() {
		out[f.Name] = ifc{updown(f.AdminUp), updown(f.OperUp), f.MTU, f.Description}
	}
	b, _ := json.MarshalIndent(out, "", "  ")
	return string(b) + "\n"
}

// BGPPrefix renders "show bgp ipv4 unicast PREFIX", FRR's detail of one
// table entry, next hops in inventory addressing.
func (d *Device) BGPPrefix(ctx context.Context, family string, prefix netip.Prefix) string {
	d.mu.Lock()
	cfg := d.applied
	d.mu.Unlock()
	if cfg.BGP == nil {
		return "% No BGP process is configured\n"
	}
	fam := famV4
	if family == "ipv6 unicast" {
		fam = famV6
	}
	paths := d.listPaths(ctx, fam, prefix)
	if len(paths) == 0 {
		return "% Network not in table\n"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "BGP routing table entry for %s, version %d\n", prefix, len(paths))
	fmt.Fprintf(&b, "Paths: (%d available, best #1, table default)\n", len(paths))
	for _, p := range paths {
		a := attrsOf(p)
		nh, path, med := a.nextHop, a.asPath, a.med
		if path == "" {
			path = "Local"
		}
		if med == "" {
			med = "0"
		}
		origin := map[uint8]string{0: "IGP", 1: "EGP", 2: "incomplete"}[a.origin]
		local := a.local
		kind := "sourced, local"
		from := "0.0.0.0 (" + routerID(cfg, d.plan.Addr).String() + ")"
		if !local {
			nh = d.lab.labToInventory(nh)
			peer := d.lab.labToInventory(p.NeighborIp)
			from = peer + " (" + p.SourceId + ")"
			kind = "external"
			if p.SourceAsn == cfg.BGP.ASN {
				kind = "internal"
			}
		}
		best := ""
		if p.Best {
			best = ", best (First path received)"
		}
		fmt.Fprintf(&b, "  %s\n    %s from %s\n      Origin %s, metric %s, valid, %s%s\n",
			path, nh, from, origin, med, kind, best)
		if p.Age != nil {
			fmt.Fprintf(&b, "      Last update: %s\n", p.Age.AsTime().UTC().Format("Mon Jan _2 15:04:05 2006"))
		}
	}
	return b.String()
}

// listPaths are the device's BGP paths for prefix (none when its speaker
// is not running).
func (d *Device) listPaths(ctx context.Context, fam *api.Family, prefix netip.Prefix) []*api.Path {
	var paths []*api.Path
	d.bgpMu.Lock()
	defer d.bgpMu.Unlock()
	if d.spk.srv != nil {
		ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		d.spk.srv.ListPath(ctx, &api.ListPathRequest{TableType: api.TableType_GLOBAL, Family: fam,
			Prefixes: []*api.TableLookupPrefix{{Prefix: prefix.String()}}},
			func(dst *api.Destination) {
				if dst.Prefix == prefix.String() {
					paths = append(paths, dst.Paths...)
				}
			})
		cancel()
	}
	return paths
}

// RoutePath is one BGP path a device holds for a prefix, next hop in
// inventory addressing: what "show bgp ipv4 unicast PREFIX" shows of it.
type RoutePath struct {
	NextHop string `json:"next_hop"`
	Best    bool   `json:"best"`
	// Local is a path the device originates itself.
	Local bool `json:"local"`
}

// Paths are the BGP paths the device holds for prefix, the structured
// form of BGPPrefix: none when it has no route (or runs no BGP).
func (d *Device) Paths(ctx context.Context, prefix netip.Prefix) []RoutePath {
	fam := famV4
	if prefix.Addr().Is6() {
		fam = famV6
	}
	var out []RoutePath
	for _, p := range d.listPaths(ctx, fam, prefix.Masked()) {
		a := attrsOf(p)
		nh := a.nextHop
		if !a.local {
			nh = d.lab.labToInventory(nh)
		}
		out = append(out, RoutePath{NextHop: nh, Best: p.Best, Local: a.local})
	}
	return out
}

// pathAttrs are the attributes of a GoBGP path that the route views show,
// as text; med and localPref are empty when the path has none.
type pathAttrs struct {
	nextHop, asPath, med, localPref string
	origin                          uint8
	// local is a path this device originates (no neighbor).
	local bool
}

func attrsOf(p *api.Path) pathAttrs {
	out := pathAttrs{nextHop: "0.0.0.0", local: p.NeighborIp == "" || p.NeighborIp == "<nil>"}
	attrs, _ := apiutil.GetNativePathAttributes(p)
	for _, a := range attrs {
		switch a := a.(type) {
		case *bgp.PathAttributeNextHop:
			out.nextHop = a.Value.String()
		case *bgp.PathAttributeMpReachNLRI:
			out.nextHop = a.Nexthop.String()
		case *bgp.PathAttributeAsPath:
			out.asPath = bgp.AsPathString(a)
		case *bgp.PathAttributeOrigin:
			out.origin = a.Value
		case *bgp.PathAttributeMultiExitDisc:
			out.med = fmt.Sprint(a.Value)
		case *bgp.PathAttributeLocalPref:
			out.localPref = fmt.Sprint(a.Value)
		}
	}
	return out
}
