package testlab

import (
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tuyau-net/tuyau/inventory"
)

// ipv6Net is smallNet with IPv6 sessions added as an operator would write
// them: a member and its POP get a 2001:db8 /64 on their link and an eBGP
// session over it (the IPv4 one stays), and two core routers get an iBGP
// session between their IPv6 loopbacks. It returns the member, the POP,
// their IPv6 addresses and the two core routers.
func ipv6Net(t *testing.T) (snap *inventory.Snapshot, member, pop, member6, pop6, coreA, coreB string) {
	t.Helper()
	snap = smallNet(t, 8)
	x := inventory.NewIndex(snap)
	dev := func(name string) *inventory.Device {
		for i := range snap.Devices {
			if snap.Devices[i].Name == name {
				return &snap.Devices[i]
			}
		}
		return nil
	}
	// The interface of d holding addr, or the one on addr's subnet.
	ifaceOf := func(d *inventory.Device, addr netip.Addr, own bool) *inventory.Interface {
		for i := range d.Interfaces {
			for _, a := range d.Interfaces[i].Addresses {
				if (own && a.Addr() == addr) || (!own && a.Addr() != addr && a.Contains(addr)) {
					return &d.Interfaces[i]
				}
			}
		}
		return nil
	}
	for i := range snap.Devices {
		m := &snap.Devices[i]
		if m.Role != inventory.RoleMember || member != "" {
			continue
		}
		for _, s := range m.BGPSessions {
			p := dev(s.PeerDevice)
			if p == nil || s.PeerAddress.Is6() {
				continue
			}
			mi, pi := ifaceOf(m, s.PeerAddress, false), ifaceOf(p, s.PeerAddress, true)
			if mi == nil || pi == nil || x.Device(p.Name) == nil {
				continue
			}
			back := slices.IndexFunc(p.BGPSessions, func(b inventory.BGPSession) bool { return b.PeerDevice == m.Name })
			if back < 0 {
				continue
			}
			m6, p6 := netip.MustParseAddr("2001:db8:ff6::2"), netip.MustParseAddr("2001:db8:ff6::1")
			mi.Addresses = append(mi.Addresses, netip.PrefixFrom(m6, 64))
			pi.Addresses = append(pi.Addresses, netip.PrefixFrom(p6, 64))
			toP, toM := s, p.BGPSessions[back]
			toP.PeerAddress, toP.Families = p6, []string{"ipv6-unicast"}
			toM.PeerAddress, toM.Families = m6, []string{"ipv6-unicast"}
			m.BGPSessions = append(m.BGPSessions, toP)
			p.BGPSessions = append(p.BGPSessions, toM)
			member, pop, member6, pop6 = m.Name, p.Name, m6.String(), p6.String()
			break
		}
	}
	if member == "" {
		t.Fatal("no member with an eBGP session to an inventory router over a link")
	}
	for i := range snap.Devices {
		a := &snap.Devices[i]
		if coreA != "" || !a.Loopback6.IsValid() {
			continue
		}
		for _, s := range a.BGPSessions {
			b := dev(s.PeerDevice)
			if s.Role != inventory.BGPiBGP || b == nil || !b.Loopback6.IsValid() || s.PeerAddress != b.Loopback {
				continue
			}
			back := slices.IndexFunc(b.BGPSessions, func(x inventory.BGPSession) bool { return x.PeerDevice == a.Name })
			if back < 0 {
				continue
			}
			toB, toA := s, b.BGPSessions[back]
			toB.PeerAddress, toB.Families = b.Loopback6, []string{"ipv6-unicast"}
			toA.PeerAddress, toA.Families = a.Loopback6, []string{"ipv6-unicast"}
			a.BGPSessions = append(a.BGPSessions, toB)
			b.BGPSessions = append(b.BGPSessions, toA)
			coreA, coreB = a.Name, b.Name
			break
		}
	}
	if coreA == "" {
		t.Fatal("no iBGP session between two routers with IPv6 loopbacks")
	}
	if errs := inventory.Validate(snap); len(errs) > 0 {
		t.Fatalf("the IPv6 inventory does not validate: %v", errs)
	}
	return snap, member, pop, member6, pop6, coreA, coreB
}

// TestIPv6Sessions checks that the virtual lab runs sessions to IPv6
// neighbors as FRR does: over a link both ends address in IPv6, the eBGP
// session establishes on both ends and carries IPv6 routes, and shows
// Established in "show bgp ipv6 unicast summary", in "show bgp summary"
// (every family, text and JSON) and in gNMI's neighbor state; iBGP between
// IPv6 loopbacks stays down with the reason FRR would have (no IPv6 IGP:
// tuyau renders OSPFv2 only).
func TestIPv6Sessions(t *testing.T) {
	snap, member, pop, member6, pop6, coreA, coreB := ipv6Net(t)
	l := startTestLab(t, snap, BootstrapFull)
	ctx := context.Background()
	for _, a := range []string{member6, pop6} {
		if m, ok := l.plan.Translate(netip.MustParseAddr(a)); !ok || !m.Lab.Is4() || !l.plan.Block.Contains(m.Lab) {
			t.Fatalf("IPv6 address %s has no lab address in %s: %+v", a, l.plan.Block, m)
		}
	}
	waitFor(t, 30*time.Second, "all sessions established, IPv6 ones included", func() (bool, string) { return l.allEstablished(ctx) })
	dm, _ := l.Device(member)
	dp, _ := l.Device(pop)
	state := func(d *Device, family, addr string) NeighborState {
		_, _, ns := d.Neighbors(ctx, family)
		for _, n := range ns {
			if n.Address == addr {
				return n
			}
		}
		return NeighborState{State: "absent"}
	}
	waitFor(t, 30*time.Second, "IPv6 eBGP session Established on both ends", func() (bool, string) {
		a, b := state(dm, "ipv6 unicast", pop6), state(dp, "ipv6 unicast", member6)
		return a.State == "Established" && b.State == "Established", a.State + " " + a.DownReason + " / " + b.State + " " + b.DownReason
	})
	if n := state(dm, "ipv4 unicast", pop6); n.State != "absent" {
		t.Errorf("the IPv6 neighbor %s is in the IPv4 family: %+v", pop6, n)
	}

	// The vtysh views a provisioning post-check or an operator reads.
	sum := l.sshRun(t, member, "show bgp ipv6 unicast summary")
	if !strings.Contains(sum, "IPv6 Unicast Summary") || !summaryUp(sum, pop6) {
		t.Errorf("show bgp ipv6 unicast summary on %s does not show %s up:\n%s", member, pop6, sum)
	}
	all := l.sshRun(t, member, "show bgp summary")
	if !strings.Contains(all, "IPv4 Unicast Summary") || !strings.Contains(all, "IPv6 Unicast Summary") || !summaryUp(all, pop6) {
		t.Errorf("show bgp summary on %s lacks a family or %s up:\n%s", member, pop6, all)
	}
	var js map[string]struct {
		Peers map[string]struct {
			State  string `json:"state"`
			IDType string `json:"idType"`
		} `json:"peers"`
	}
	out := l.sshRun(t, pop, "show bgp summary json")
	if err := json.Unmarshal([]byte(out), &js); err != nil {
		t.Fatalf("show bgp summary json on %s: %v\n%s", pop, err, out)
	}
	if p := js["ipv6Unicast"].Peers[member6]; p.State != "Established" || p.IDType != "ipv6" {
		t.Errorf("show bgp summary json on %s: ipv6Unicast peer %s = %+v, want Established ipv6\n%s", pop, member6, p, out)
	}
	if len(js["ipv4Unicast"].Peers) == 0 {
		t.Errorf("show bgp summary json on %s has no IPv4 peers:\n%s", pop, out)
	}
	session := fmt.Sprintf("/network-instances/network-instance[name=default]/protocols/protocol[identifier=BGP][name=BGP]/bgp/neighbors/neighbor[neighbor-address=%s]/state/session-state", member6)
	if got := gnmiGet(t, l.gnmic(t, pop), session); got[session] != "ESTABLISHED" {
		t.Errorf("gNMI %s on %s = %v, want ESTABLISHED", session, pop, got)
	}

	// The session carries IPv6 routes, next hop the member's own address.
	asn := dm.Running().Config().BGP.ASN
	vtyshPush(t, dm, fmt.Sprintf("router bgp %d", asn), "address-family ipv6 unicast", "network 2001:db8:ff7::/48")
	waitFor(t, 20*time.Second, "IPv6 route learned over the IPv6 session", func() (bool, string) {
		r := dp.BGPRoutes(ctx, "ipv6 unicast")
		// FRR wraps an IPv6 row: the next hop is on the prefix's next line.
		_, after, found := strings.Cut(r, "2001:db8:ff7::/48\n")
		return found && strings.HasPrefix(strings.TrimSpace(after), member6+" "), r
	})

	// iBGP between IPv6 loopbacks needs an IPv6 IGP, which tuyau does not
	// render: down on both ends, the reason saying so.
	da, _ := l.Device(coreA)
	db, _ := l.Device(coreB)
	x := inventory.NewIndex(snap)
	ia, ib := x.Device(coreA), x.Device(coreB)
	waitFor(t, 10*time.Second, "IPv6 loopback iBGP down for want of OSPFv3", func() (bool, string) {
		a, b := state(da, "ipv6 unicast", ib.Loopback6.String()), state(db, "ipv6 unicast", ia.Loopback6.String())
		ok := a.State != "Established" && b.State != "Established" && strings.Contains(a.DownReason, "OSPFv3") && strings.Contains(b.DownReason, "OSPFv3")
		return ok, a.State + " " + a.DownReason + " / " + b.State + " " + b.DownReason
	})

	// A cut takes the IPv6 session down with the link; a restore brings it back.
	lk, ok := l.plan.LinkAt(pop, mustIfaceOf(t, l, pop6))
	if !ok {
		t.Fatalf("no link under %s", pop6)
	}
	if _, err := l.Cut(ctx, lk.Cables[0]); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "IPv6 session down after the cut", func() (bool, string) {
		a := state(dm, "ipv6 unicast", pop6)
		return a.State != "Established" && strings.Contains(a.DownReason, "down"), a.State + " " + a.DownReason
	})
	if _, err := l.Restore(ctx, Target{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 30*time.Second, "IPv6 session back after the restore", func() (bool, string) {
		a, b := state(dm, "ipv6 unicast", pop6), state(dp, "ipv6 unicast", member6)
		return a.State == "Established" && b.State == "Established", a.State + " " + a.DownReason + " / " + b.State + " " + b.DownReason
	})
}

// summaryUp reports whether a "show bgp summary" table shows addr with a
// prefix count, FRR's way of saying Established (a long address wraps to
// the next line).
func summaryUp(text, addr string) bool {
	lines := strings.Split(text, "\n")
	for i, line := range lines {
		f := strings.Fields(line)
		if len(f) == 0 || f[0] != addr {
			continue
		}
		if len(f) == 1 && i+1 < len(lines) {
			f = append(f, strings.Fields(lines[i+1])...)
		}
		// Neighbor V AS MsgRcvd MsgSent TblVer InQ OutQ Up/Down State/PfxRcd
		if len(f) < 10 {
			return false
		}
		_, err := fmt.Sscan(f[9], new(uint64))
		return err == nil
	}
	return false
}

// mustIfaceOf names the interface holding an inventory address.
func mustIfaceOf(t *testing.T, l *testLab, addr string) string {
	t.Helper()
	m, ok := l.plan.Translate(netip.MustParseAddr(addr))
	if !ok {
		t.Fatalf("no lab mapping for %s", addr)
	}
	return m.Interface
}
