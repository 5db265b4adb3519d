package vtysh

import (
	"fmt"
	"strconv"
	"strings"
)

// Version is the FRR release the virtual devices claim to run; it matches
// the Debian 12 frr package used in netns mode, so both modes show the same.
const Version = "8.4.4"

// Render writes the configuration as "show running-config" prints it, from
// "Building configuration..." to "end".
func (c *Config) Render() string {
	var b strings.Builder
	b.WriteString("Building configuration...\n\nCurrent configuration:\n")
	b.WriteString(c.Text())
	return b.String()
}

// Text writes the configuration as FRR saves it in frr.conf; Parse reads it
// back to an equal Config.
func (c *Config) Text() string {
	var b strings.Builder
	w := func(format string, a ...any) { fmt.Fprintf(&b, format+"\n", a...) }
	w("!")
	w("frr version %s", Version)
	w("frr defaults %s", c.Defaults)
	if c.Hostname != "" {
		w("hostname %s", c.Hostname)
	}
	for _, g := range c.Globals {
		w("%s", g)
	}
	w("!")
	if len(c.Static) > 0 {
		for _, r := range c.Static {
			if r.Prefix.Addr().Is4() {
				w("ip route %s %s", r.Prefix, r.NextHop)
			} else {
				w("ipv6 route %s %s", r.Prefix, r.NextHop)
			}
		}
		w("!")
	}
	for _, f := range c.Interfaces {
		w("interface %s", f.Name)
		if f.Description != "" {
			w(" description %s", f.Description)
		}
		for _, a := range f.Addresses {
			if a.Addr().Is4() {
				w(" ip address %s", a)
			} else {
				w(" ipv6 address %s", a)
			}
		}
		for _, l := range f.OSPF {
			w(" %s", l)
		}
		if f.MTU != 0 {
			w(" mtu %d", f.MTU)
		}
		if f.Shutdown {
			w(" shutdown")
		}
		w("exit")
		w("!")
	}
	if bgp := c.BGP; bgp != nil {
		renderBGP(&b, bgp)
	}
	if c.OSPF != nil {
		w("router ospf")
		for _, l := range c.OSPF.Lines {
			w(" %s", l)
		}
		w("exit")
		w("!")
	}
	if len(c.PrefixLists) > 0 {
		for _, e := range c.PrefixLists {
			w("%s", e)
		}
		w("!")
	}
	for _, r := range c.RouteMaps {
		w("route-map %s %s %d", r.Name, r.Action, r.Seq)
		for _, l := range r.Lines {
			w(" %s", l)
		}
		w("exit")
		w("!")
	}
	w("end")
	return b.String()
}

func renderBGP(b *strings.Builder, bgp *BGP) {
	w := func(format string, a ...any) { fmt.Fprintf(b, format+"\n", a...) }
	w("router bgp %d", bgp.ASN)
	if bgp.RouterID.IsValid() {
		w(" bgp router-id %s", bgp.RouterID)
	}
	if bgp.LogNeighborChanges {
		w(" bgp log-neighbor-changes")
	}
	if bgp.NoEBGPRequiresPolicy {
		w(" no bgp ebgp-requires-policy")
	}
	if bgp.NoDefaultIPv4 {
		w(" no bgp default ipv4-unicast")
	}
	if bgp.GracefulRestart {
		w(" bgp graceful-restart")
	}
	if bgp.ClusterID.IsValid() {
		w(" bgp cluster-id %s", bgp.ClusterID)
	}
	if bgp.Keepalive != 0 || bgp.Hold != 0 {
		w(" timers bgp %d %d", bgp.Keepalive, bgp.Hold)
	}
	for _, n := range bgp.Neighbors {
		w(" neighbor %s remote-as %s", n.Addr, n.RemoteAS)
	}
	for _, n := range bgp.Neighbors {
		if n.Description != "" {
			w(" neighbor %s description %s", n.Addr, n.Description)
		}
		if n.BFD {
			w(" neighbor %s bfd", n.Addr)
		}
		if n.Password != "" {
			w(" neighbor %s password %s", n.Addr, n.Password)
		}
		if n.Shutdown {
			w(" neighbor %s shutdown", n.Addr)
		}
		if n.EBGPMultihop != 0 {
			w(" neighbor %s ebgp-multihop %d", n.Addr, n.EBGPMultihop)
		}
		if n.TTLSecurity != 0 {
			w(" neighbor %s ttl-security hops %d", n.Addr, n.TTLSecurity)
		}
		if n.Port != 0 {
			w(" neighbor %s port %d", n.Addr, n.Port)
		}
		if n.UpdateSource != "" {
			w(" neighbor %s update-source %s", n.Addr, n.UpdateSource)
		}
		if n.Keepalive != 0 || n.Hold != 0 {
			w(" neighbor %s timers %d %d", n.Addr, n.Keepalive, n.Hold)
		}
		if n.NoGracefulRestart {
			w(" neighbor %s graceful-restart-disable", n.Addr)
		}
	}
	for _, af := range bgp.Families {
		if af.empty(bgp) {
			continue
		}
		w(" !")
		w(" address-family %s", af.Name)
		for _, p := range af.Networks {
			w("  network %s", p)
		}
		for _, r := range af.Redistribute {
			w("  redistribute %s", r)
		}
		for _, n := range af.Neighbors {
			for _, l := range afNeighborLines(bgp, af, n) {
				w("  %s", l)
			}
		}
		if af.MaxPaths != 0 {
			w("  maximum-paths %d", af.MaxPaths)
		}
		w(" exit-address-family")
	}
	w("exit")
	w("!")
}

// afNeighborLines renders a neighbor's settings inside a family, leaving out
// what FRR leaves out: activation that is the default.
func afNeighborLines(bgp *BGP, af *AddressFamily, n *AFNeighbor) []string {
	var l []string
	if af.Name == "ipv4 unicast" && !bgp.NoDefaultIPv4 {
		if n.Deactivated {
			l = append(l, "no neighbor "+n.Addr+" activate")
		}
	} else if n.Activate {
		l = append(l, "neighbor "+n.Addr+" activate")
	}
	if n.NextHopSelf {
		l = append(l, "neighbor "+n.Addr+" next-hop-self")
	}
	if n.RRClient {
		l = append(l, "neighbor "+n.Addr+" route-reflector-client")
	}
	if n.AddPathAll {
		l = append(l, "neighbor "+n.Addr+" addpath-tx-all-paths")
	}
	if n.SoftReconfig {
		l = append(l, "neighbor "+n.Addr+" soft-reconfiguration inbound")
	}
	if n.RouteMapIn != "" {
		l = append(l, "neighbor "+n.Addr+" route-map "+n.RouteMapIn+" in")
	}
	if n.RouteMapOut != "" {
		l = append(l, "neighbor "+n.Addr+" route-map "+n.RouteMapOut+" out")
	}
	if n.MaxPrefix != 0 {
		// FRR leaves out its default threshold, 75%.
		m := "neighbor " + n.Addr + " maximum-prefix " + strconv.Itoa(n.MaxPrefix)
		if n.MaxPrefixWarn != 0 && n.MaxPrefixWarn != 75 {
			m += " " + strconv.Itoa(n.MaxPrefixWarn)
		}
		l = append(l, m)
	}
	return l
}
