package vtysh

import (
	"context"
	"net/netip"
	"strconv"
)

// Grammar holds the commands of every node, as FRR 8.4's vtysh knows
// them. It is a value: built by NewGrammar, read-only after, shared by
// every session of a lab (Running carries it).
type Grammar struct {
	nodes map[Node][]command
}

// NewGrammar builds the command set of the virtual vtysh.
func NewGrammar() *Grammar {
	g := &Grammar{nodes: map[Node][]command{}}
	g.defineExec()
	g.defineConfig()
	g.defineBGP()
	g.defineOSPF()
	g.definePrefixLists()
	return g
}

func (g *Grammar) def(n Node, pattern string, run handler) {
	g.nodes[n] = append(g.nodes[n], command{pattern: compile(pattern), run: run})
}

func (g *Grammar) defineExec() {
	e := NodeEnable
	g.def(e, "configure terminal", enterConfig)
	g.def(e, "configure", enterConfig)
	g.def(e, "terminal length (0-512)", func(_ context.Context, s *Session, a []string) string {
		s.termLength, _ = strconv.Atoi(a[2])
		return ""
	})
	g.def(e, "terminal no length", func(_ context.Context, s *Session, _ []string) string {
		s.termLength = 0
		return ""
	})
	g.def(e, "exit", closeSession)
	g.def(e, "quit", closeSession)
	g.def(e, "end", func(context.Context, *Session, []string) string { return "" })
	g.def(e, "show running-config", showRunning)
	g.def(e, "write memory", writeMemory)
	g.def(e, "write file", writeMemory)
	g.def(e, "write", writeMemory)
	g.def(e, "copy running-config startup-config", writeMemory)
	// Every daemon of a virtual device runs with it, as real FRR's vtysh
	// lists the daemons it is connected to.
	g.def(e, "show daemons", func(context.Context, *Session, []string) string { return " zebra staticd ospfd bgpd bfdd\n" })
	g.def(e, "show version", func(context.Context, *Session, []string) string {
		return "FRRouting " + Version + " (tuyau virtual device).\n" +
			"Copyright 1996-2005 Kunihiro Ishiguro, et al.\n"
	})
	g.def(e, "show interface brief", func(ctx context.Context, s *Session, _ []string) string {
		return s.host.InterfaceBrief(ctx)
	})
	g.def(e, "show interface json", func(ctx context.Context, s *Session, _ []string) string {
		return s.host.InterfaceJSON(ctx)
	})
	// "show bgp summary" covers every family (FRR 8.4); "show ip bgp
	// summary" is IPv4's.
	g.def(e, "show bgp summary", bgpSummary("", false))
	g.def(e, "show bgp summary json", bgpSummary("", true))
	for _, pre := range []string{"show ip bgp", "show bgp ipv4 unicast", "show ip bgp ipv4 unicast"} {
		g.def(e, pre+" summary", bgpSummary("ipv4 unicast", false))
		g.def(e, pre+" summary json", bgpSummary("ipv4 unicast", true))
	}
	g.def(e, "show bgp ipv6 unicast summary", bgpSummary("ipv6 unicast", false))
	g.def(e, "show bgp ipv6 unicast summary json", bgpSummary("ipv6 unicast", true))
	for _, pre := range []string{"show bgp", "show ip bgp", "show bgp ipv4 unicast", "show ip bgp ipv4 unicast"} {
		g.def(e, pre, bgpRoutes("ipv4 unicast"))
	}
	g.def(e, "show bgp ipv6 unicast", bgpRoutes("ipv6 unicast"))
	for _, pre := range []string{"show bgp", "show ip bgp", "show bgp ipv4 unicast", "show ip bgp ipv4 unicast"} {
		g.def(e, pre+" A.B.C.D/M", bgpPrefix("ipv4 unicast"))
	}
	g.def(e, "show bgp ipv6 unicast X:X::X:X/M", bgpPrefix("ipv6 unicast"))
}

func enterConfig(_ context.Context, s *Session, _ []string) string {
	s.node = NodeConfig
	return ""
}

func closeSession(_ context.Context, s *Session, _ []string) string {
	s.closed = true
	return ""
}

func showRunning(_ context.Context, s *Session, _ []string) string {
	return s.run.Config().Render()
}

func writeMemory(ctx context.Context, s *Session, _ []string) string {
	cfg := s.run.Config()
	// vtysh prints this for an integrated config, then each daemon's OK.
	out := "Note: this version of vtysh never writes vtysh.conf\n" +
		"Building Configuration...\n"
	if err := s.host.WriteMemory(ctx, cfg); err != nil {
		return out + "% Can't save configuration: " + err.Error() + "\n"
	}
	return out + "Integrated configuration saved to /etc/frr/frr.conf\n[OK]\n"
}

func bgpSummary(family string, json bool) handler {
	return func(ctx context.Context, s *Session, _ []string) string {
		return s.host.BGPSummary(ctx, family, json)
	}
}

func bgpRoutes(family string) handler {
	return func(ctx context.Context, s *Session, _ []string) string {
		return s.host.BGPRoutes(ctx, family)
	}
}

func bgpPrefix(family string) handler {
	return func(ctx context.Context, s *Session, a []string) string {
		p, err := netip.ParsePrefix(a[len(a)-1])
		if err != nil || p != p.Masked() {
			return "% Inconsistent address and mask\n"
		}
		return s.host.BGPPrefix(ctx, family, p)
	}
}
