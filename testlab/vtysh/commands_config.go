package vtysh

import (
	"context"
	"net/netip"
	"slices"
	"strconv"
	"strings"
)

// change wraps a configuration edit as a handler that reports it changed
// the configuration when it returns no message.
func change(fn func(s *Session, c *Config, a []string) string) handler {
	return func(_ context.Context, s *Session, a []string) string {
		return s.run.update(func(c *Config) (string, bool) {
			out := fn(s, c, a)
			return out, out == ""
		})
	}
}

func (g *Grammar) defineConfig() {
	c := NodeConfig
	for _, n := range []Node{NodeConfig, NodeInterface, NodeBGP, NodeBGPAF, NodeRouteMap, NodeOSPF} {
		g.def(n, "end", func(_ context.Context, s *Session, _ []string) string {
			s.node = NodeEnable
			return ""
		})
	}
	g.def(c, "exit", func(_ context.Context, s *Session, _ []string) string {
		s.node = NodeEnable
		return ""
	})
	g.def(c, "quit", func(_ context.Context, s *Session, _ []string) string {
		s.node = NodeEnable
		return ""
	})
	g.def(c, "hostname WORD", change(func(_ *Session, c *Config, a []string) string {
		c.Hostname = a[1]
		return ""
	}))
	g.def(c, "no hostname", change(func(_ *Session, c *Config, _ []string) string {
		c.Hostname = ""
		return ""
	}))
	g.def(c, "no hostname WORD", change(func(_ *Session, c *Config, _ []string) string {
		c.Hostname = ""
		return ""
	}))
	// Lines FRR writes at the top of every frr.conf.
	g.def(c, "frr version LINE", func(context.Context, *Session, []string) string { return "" })
	g.def(c, "frr defaults traditional", change(func(_ *Session, c *Config, _ []string) string {
		c.Defaults = "traditional"
		return ""
	}))
	g.def(c, "frr defaults datacenter", change(func(_ *Session, c *Config, _ []string) string {
		c.Defaults = "datacenter"
		return ""
	}))
	for _, line := range []string{"log syslog", "log syslog LINE", "log stdout", "log stdout LINE",
		"log file WORD", "log file WORD LINE", "service integrated-vtysh-config",
		"ip forwarding", "ipv6 forwarding", "no ip forwarding", "no ipv6 forwarding",
		"bgp community-list LINE",
		"ip router-id A.B.C.D", "line vty"} {
		g.def(c, line, setGlobal)
	}
	for _, line := range []string{"no log syslog", "no log stdout", "no log file",
		"no service integrated-vtysh-config"} {
		g.def(c, line, unsetGlobal)
	}
	g.def(c, "ip route A.B.C.D/M A.B.C.D", addStatic)
	g.def(c, "ip route A.B.C.D/M WORD", addStatic)
	g.def(c, "ipv6 route X:X::X:X/M X:X::X:X", addStatic)
	g.def(c, "ipv6 route X:X::X:X/M WORD", addStatic)
	g.def(c, "no ip route A.B.C.D/M A.B.C.D", delStatic)
	g.def(c, "no ip route A.B.C.D/M WORD", delStatic)
	g.def(c, "no ipv6 route X:X::X:X/M X:X::X:X", delStatic)
	g.def(c, "no ipv6 route X:X::X:X/M WORD", delStatic)

	g.def(c, "interface IFNAME", func(_ context.Context, s *Session, a []string) string {
		s.run.update(func(c *Config) (string, bool) {
			existed := c.Interface(a[1]) != nil
			c.ensureInterface(a[1])
			return "", !existed
		})
		s.node, s.iface = NodeInterface, a[1]
		return ""
	})
	g.def(c, "no interface IFNAME", change(func(_ *Session, c *Config, a []string) string {
		if c.Interface(a[2]) == nil {
			return "% Interface " + a[2] + " does not exist\n"
		}
		c.Interfaces = slices.DeleteFunc(c.Interfaces, func(f *Interface) bool { return f.Name == a[2] })
		return ""
	}))
	g.defineInterface()

	for _, act := range []string{"permit", "deny"} {
		g.def(c, "route-map WORD "+act+" (1-65535)", func(_ context.Context, s *Session, a []string) string {
			seq, _ := strconv.Atoi(a[3])
			s.run.update(func(c *Config) (string, bool) {
				for _, r := range c.RouteMaps {
					if r.Name == a[1] && r.Seq == seq {
						r.Action = a[2]
						s.routeMap = r
						return "", true
					}
				}
				s.routeMap = &RouteMap{Name: a[1], Action: a[2], Seq: seq}
				c.RouteMaps = append(c.RouteMaps, s.routeMap)
				return "", true
			})
			s.node = NodeRouteMap
			return ""
		})
	}
	g.def(c, "no route-map WORD", change(func(_ *Session, c *Config, a []string) string {
		c.RouteMaps = slices.DeleteFunc(c.RouteMaps, func(r *RouteMap) bool { return r.Name == a[2] })
		return ""
	}))
	// One entry, as a rollback removes an entry it added. FRR deletes by
	// sequence whatever the action given, and says nothing when absent.
	for _, act := range []string{"permit", "deny"} {
		g.def(c, "no route-map WORD "+act+" (1-65535)", change(func(_ *Session, c *Config, a []string) string {
			seq, _ := strconv.Atoi(a[4])
			c.RouteMaps = slices.DeleteFunc(c.RouteMaps, func(r *RouteMap) bool { return r.Name == a[2] && r.Seq == seq })
			return ""
		}))
	}
	rm := NodeRouteMap
	for _, l := range []string{"match LINE", "set LINE", "call WORD", "on-match next", "description LINE"} {
		g.def(rm, l, func(_ context.Context, s *Session, a []string) string {
			return s.run.update(func(*Config) (string, bool) {
				s.routeMap.Lines = append(s.routeMap.Lines, strings.Join(a, " "))
				return "", true
			})
		})
	}
	g.def(rm, "exit", func(_ context.Context, s *Session, _ []string) string {
		s.node = NodeConfig
		return ""
	})
}

func setGlobal(_ context.Context, s *Session, a []string) string {
	line := strings.Join(a, " ")
	return s.run.update(func(c *Config) (string, bool) {
		if slices.Contains(c.Globals, line) {
			return "", false
		}
		c.Globals = append(c.Globals, line)
		return "", true
	})
}

func unsetGlobal(_ context.Context, s *Session, a []string) string {
	line := strings.Join(a[1:], " ")
	return s.run.update(func(c *Config) (string, bool) {
		n := len(c.Globals)
		c.Globals = slices.DeleteFunc(c.Globals, func(g string) bool { return strings.HasPrefix(g, line) })
		return "", len(c.Globals) != n
	})
}

var addStatic = change(func(_ *Session, c *Config, a []string) string {
	r := StaticRoute{Prefix: netip.MustParsePrefix(a[2]).Masked(), NextHop: a[3]}
	if !slices.Contains(c.Static, r) {
		c.Static = append(c.Static, r)
	}
	return ""
})

var delStatic = change(func(_ *Session, c *Config, a []string) string {
	r := StaticRoute{Prefix: netip.MustParsePrefix(a[3]).Masked(), NextHop: a[4]}
	c.Static = slices.DeleteFunc(c.Static, func(x StaticRoute) bool { return x == r })
	return ""
})

// ifaceEdit edits the interface the session is in; another session may have
// deleted it meanwhile, and FRR then recreates it too.
func ifaceEdit(fn func(f *Interface, a []string) string) handler {
	return change(func(s *Session, c *Config, a []string) string {
		return fn(c.ensureInterface(s.iface), a)
	})
}

func (g *Grammar) defineInterface() {
	i := NodeInterface
	g.def(i, "exit", func(_ context.Context, s *Session, _ []string) string {
		s.node = NodeConfig
		return ""
	})
	g.def(i, "quit", func(_ context.Context, s *Session, _ []string) string {
		s.node = NodeConfig
		return ""
	})
	g.def(i, "description LINE", ifaceEdit(func(f *Interface, a []string) string {
		f.Description = a[1]
		return ""
	}))
	g.def(i, "no description", ifaceEdit(func(f *Interface, _ []string) string {
		f.Description = ""
		return ""
	}))
	g.def(i, "no description LINE", ifaceEdit(func(f *Interface, _ []string) string {
		f.Description = ""
		return ""
	}))
	addAddr := ifaceEdit(func(f *Interface, a []string) string {
		p := netip.MustParsePrefix(a[len(a)-1])
		if !slices.Contains(f.Addresses, p) {
			f.Addresses = append(f.Addresses, p)
		}
		return ""
	})
	delAddr := ifaceEdit(func(f *Interface, a []string) string {
		p := netip.MustParsePrefix(a[len(a)-1])
		if !slices.Contains(f.Addresses, p) {
			return "% Can't find address\n"
		}
		f.Addresses = slices.DeleteFunc(f.Addresses, func(x netip.Prefix) bool { return x == p })
		return ""
	})
	g.def(i, "ip address A.B.C.D/M", addAddr)
	g.def(i, "ipv6 address X:X::X:X/M", addAddr)
	g.def(i, "no ip address A.B.C.D/M", delAddr)
	g.def(i, "no ipv6 address X:X::X:X/M", delAddr)
	g.def(i, "mtu (68-65535)", ifaceEdit(func(f *Interface, a []string) string {
		f.MTU, _ = strconv.Atoi(a[1])
		return ""
	}))
	g.def(i, "no mtu", ifaceEdit(func(f *Interface, _ []string) string {
		f.MTU = 0
		return ""
	}))
	g.def(i, "no mtu (68-65535)", ifaceEdit(func(f *Interface, _ []string) string {
		f.MTU = 0
		return ""
	}))
	g.def(i, "shutdown", ifaceEdit(func(f *Interface, _ []string) string {
		f.Shutdown = true
		return ""
	}))
	g.def(i, "no shutdown", ifaceEdit(func(f *Interface, _ []string) string {
		f.Shutdown = false
		return ""
	}))
}
