package vtysh

import (
	"context"
	"slices"
	"strings"
)

// defineOSPF accepts the OSPF configuration provisioning renders for FRR,
// so the same config loads on a virtual device and on real FRR in netns
// mode. The lines are kept and shown; the virtual lab's reachability over
// up links plays the IGP's part.
func (g *Grammar) defineOSPF() {
	c, o, i := NodeConfig, NodeOSPF, NodeInterface
	g.def(c, "router ospf", func(_ context.Context, s *Session, _ []string) string {
		s.run.update(func(c *Config) (string, bool) {
			if c.OSPF != nil {
				return "", false
			}
			c.OSPF = &OSPF{}
			return "", true
		})
		s.node = NodeOSPF
		return ""
	})
	g.def(c, "no router ospf", change(func(_ *Session, c *Config, _ []string) string {
		c.OSPF = nil
		return ""
	}))
	for _, cmd := range []string{"exit", "quit"} {
		g.def(o, cmd, func(_ context.Context, s *Session, _ []string) string {
			s.node = NodeConfig
			return ""
		})
	}
	ospfLine := func(_ *Session, c *Config, a []string) string {
		if c.OSPF == nil {
			c.OSPF = &OSPF{}
		}
		line := strings.Join(a, " ")
		// One value per setting: a new router-id replaces the old one.
		key := a[0]
		if key == "ospf" || key == "auto-cost" || key == "log-adjacency-changes" {
			c.OSPF.Lines = slices.DeleteFunc(c.OSPF.Lines, func(l string) bool { return strings.HasPrefix(l, key) })
		}
		if !slices.Contains(c.OSPF.Lines, line) {
			c.OSPF.Lines = append(c.OSPF.Lines, line)
		}
		return ""
	}
	noOSPFLine := func(_ *Session, c *Config, a []string) string {
		if c.OSPF == nil {
			return ""
		}
		line := strings.Join(a[1:], " ")
		c.OSPF.Lines = slices.DeleteFunc(c.OSPF.Lines, func(l string) bool { return strings.HasPrefix(l, line) })
		return ""
	}
	for _, p := range []string{"ospf router-id A.B.C.D", "network A.B.C.D/M area A.B.C.D", "network A.B.C.D/M area (0-4294967295)",
		"passive-interface IFNAME", "passive-interface default", "redistribute connected", "redistribute static",
		"log-adjacency-changes", "log-adjacency-changes detail", "auto-cost reference-bandwidth (1-4294967)",
		"timers throttle spf (0-600000) (0-600000) (0-600000)", "default-information originate"} {
		g.def(o, p, change(ospfLine))
		g.def(o, "no "+p, change(noOSPFLine))
	}
	g.def(o, "no ospf router-id", change(noOSPFLine))

	ifLine := func(s *Session, c *Config, a []string) string {
		f := c.ensureInterface(s.iface)
		line := strings.Join(a, " ")
		// "ip ospf area 1" replaces "ip ospf area 0": same setting, new value.
		key := strings.Join(a[:3], " ")
		f.OSPF = slices.DeleteFunc(f.OSPF, func(l string) bool {
			return strings.HasPrefix(l, key+" ") || l == key
		})
		f.OSPF = append(f.OSPF, line)
		return ""
	}
	noIfLine := func(s *Session, c *Config, a []string) string {
		f := c.ensureInterface(s.iface)
		key := strings.Join(a[1:4], " ")
		f.OSPF = slices.DeleteFunc(f.OSPF, func(l string) bool {
			return strings.HasPrefix(l, key+" ") || l == key
		})
		return ""
	}
	for _, p := range []string{"ip ospf area A.B.C.D", "ip ospf area (0-4294967295)", "ip ospf passive",
		"ip ospf network point-to-point", "ip ospf network broadcast", "ip ospf cost (1-65535)",
		"ip ospf hello-interval (1-65535)", "ip ospf dead-interval (1-65535)", "ip ospf bfd"} {
		g.def(i, p, change(ifLine))
		g.def(i, "no "+p, change(noIfLine))
	}
	for _, p := range []string{"no ip ospf area", "no ip ospf network", "no ip ospf cost",
		"no ip ospf hello-interval", "no ip ospf dead-interval"} {
		g.def(i, p, change(noIfLine))
	}
}
