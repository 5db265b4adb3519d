package vtysh

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"testing"
)

// fakeHost is a Host whose zero value works; it records saves.
type fakeHost struct{ saved *Config }

func (h *fakeHost) BGPSummary(_ context.Context, family string, json bool) string {
	if json {
		return "{}\n"
	}
	if family == "" {
		family = "all"
	}
	return "summary " + family + "\n"
}
func (h *fakeHost) BGPRoutes(_ context.Context, family string) string {
	return "routes " + family + "\n"
}
func (h *fakeHost) InterfaceBrief(context.Context) string { return "brief\n" }
func (h *fakeHost) InterfaceJSON(context.Context) string  { return "{}\n" }
func (h *fakeHost) WriteMemory(_ context.Context, c *Config) error {
	h.saved = c
	return nil
}

// TestSessionDialect walks the modes the way an engineer and scrapligo do,
// checking each prompt and each answer.
func TestSessionDialect(t *testing.T) {
	host := &fakeHost{}
	run := NewRunning(NewGrammar(), NewConfig("r1"), nil)
	s := NewSession(run, host)
	steps := []struct {
		in, want, prompt string
	}{
		{"", "", "r1# "},
		{"terminal length 0", "", "r1# "},
		{"conf t", "", "r1(config)# "},
		{"interface eth1", "", "r1(config-if)# "},
		{"description to r2", "", "r1(config-if)# "},
		{"ip address 10.0.0.0/31", "", "r1(config-if)# "},
		{"ip address 10.0.0.0/33", "% Unknown command: ip address 10.0.0.0/33", "r1(config-if)# "},
		// A command of the parent node works from a child node and moves there.
		{"router bgp 65001", "", "r1(config-router)# "},
		{"neighbor 10.0.0.1 remote-as 65002", "", "r1(config-router)# "},
		{"neighbor 10.0.0.9 description ghost", "% Specify remote-as or peer-group commands first", "r1(config-router)# "},
		{"address-family ipv4 unicast", "", "r1(config-router-af)# "},
		{"network 10.1.0.0/24", "", "r1(config-router-af)# "},
		{"neighbor 10.0.0.1 route-reflector-client", "", "r1(config-router-af)# "},
		{"do show bgp summary", "summary all", "r1(config-router-af)# "},
		{"do show ip bgp summary", "summary ipv4 unicast", "r1(config-router-af)# "},
		{"do show bgp ipv6 unicast summary", "summary ipv6 unicast", "r1(config-router-af)# "},
		{"exit-address-family", "", "r1(config-router)# "},
		// IPv6 neighbors are kept in canonical form, as FRR prints them.
		{"neighbor 2001:DB8:0::1 remote-as 65003", "", "r1(config-router)# "},
		{"router bgp 65009", "BGP is already running; AS is 65001", "r1(config-router)# "},
		{"neighbour 10.0.0.1 remote-as 1", "% Unknown command: neighbour 10.0.0.1 remote-as 1", "r1(config-router)# "},
		{"neighbor", "% Command incomplete: neighbor", "r1(config-router)# "},
		{"exit", "", "r1(config)# "},
		{"hostname edge1", "", "edge1(config)# "},
		{"end", "", "edge1# "},
		{"sh run", "neighbor 10.0.0.1 remote-as 65002", "edge1# "},
		{"sh run", "neighbor 2001:db8::1 remote-as 65003", "edge1# "},
		{"show interface brief", "brief", "edge1# "},
		{"show ip bgp 10.1.0.0/24", "entry 10.1.0.0/24", "edge1# "},
		{"show bgp summary json", "{}", "edge1# "},
		{"s", "% Command incomplete: s", "edge1# "},
		{"write memory", "[OK]", "edge1# "},
		{"configure terminal", "", "edge1(config)# "},
		{"no router bgp 65001", "", "edge1(config)# "},
		{"end", "", "edge1# "},
	}
	ctx := context.Background()
	for i, st := range steps {
		out := s.Exec(ctx, st.in)
		if (st.want == "") != (out == "") || !strings.Contains(out, st.want) {
			t.Errorf("step %d: Exec(%q) = %q, want %q", i, st.in, out, st.want)
		}
		if p := s.Prompt(); p != st.prompt {
			t.Errorf("step %d: after %q prompt = %q, want %q", i, st.in, p, st.prompt)
		}
	}
	if host.saved == nil || host.saved.BGP == nil || host.saved.BGP.ASN != 65001 {
		t.Errorf("write memory saved %+v, want the config with router bgp 65001", host.saved)
	}
	if run.Config().BGP != nil {
		t.Error("no router bgp 65001 left BGP in the running config")
	}
	s.Exec(ctx, "configure terminal")
	for _, l := range []string{"route-map RM permit 10", "match ip address prefix-list PL", "exit", "route-map RM deny 20", "exit",
		"route-map KEEP permit 10", "exit", "no route-map RM permit 10", "no route-map RM deny 30"} {
		if out := s.Exec(ctx, l); out != "" {
			t.Errorf("Exec(%q) = %q, want no output", l, out)
		}
	}
	s.Exec(ctx, "end")
	var maps []string
	for _, r := range run.Config().RouteMaps {
		maps = append(maps, fmt.Sprintf("%s %s %d", r.Name, r.Action, r.Seq))
	}
	if got := strings.Join(maps, ","); got != "RM deny 20,KEEP permit 10" {
		t.Errorf("after no route-map RM permit 10: route-maps %q, want only that entry removed", got)
	}
	s.Exec(ctx, "configure terminal")
	s.Exec(ctx, "no route-map KEEP")
	s.Exec(ctx, "end")
	if rm := run.Config().RouteMaps; len(rm) != 1 || rm[0].Name != "RM" {
		t.Errorf("after no route-map KEEP: %d entries, want RM deny 20 alone", len(rm))
	}
	s.Exec(ctx, "exit")
	if !s.Closed() {
		t.Error("exit from enable mode did not close the session")
	}
}

// TestRunningShared checks that two sessions edit one running config, as
// two vtysh sessions on one router do.
func TestRunningShared(t *testing.T) {
	changes := 0
	run := NewRunning(NewGrammar(), NewConfig("r1"), func(*Config) { changes++ })
	a, b := NewSession(run, &fakeHost{}), NewSession(run, &fakeHost{})
	ctx := context.Background()
	a.Exec(ctx, "configure terminal")
	a.Exec(ctx, "interface lo")
	a.Exec(ctx, "ip address 10.255.0.1/32")
	if out := b.Exec(ctx, "show running-config"); !strings.Contains(out, "ip address 10.255.0.1/32") {
		t.Errorf("session b does not see session a's change:\n%s", out)
	}
	if changes == 0 {
		t.Error("no change notification")
	}
	err := run.Edit(func(c *Config) error {
		c.Hostname = "r2"
		return errTest
	})
	if err == nil || run.Config().Hostname != "r1" {
		t.Errorf("a failed Edit changed the config: %v, hostname %s", err, run.Config().Hostname)
	}
}

var errTest = errorString("refused")

type errorString string

func (e errorString) Error() string { return string(e) }

func (h *fakeHost) BGPPrefix(_ context.Context, _ string, p netip.Prefix) string {
	return "entry " + p.String() + "\n"
}

// TestOSPFInterfaceLinesUndo checks every interface OSPF line is taken and
// that its "no" form, full or as FRR's short form, removes it: a rollback
// sends exactly these, and an ambiguous "no" would leave the line behind.
func TestOSPFInterfaceLinesUndo(t *testing.T) {
	tests := []struct{ line, undo string }{
		{"ip ospf area 0.0.0.0", "no ip ospf area 0.0.0.0"},
		{"ip ospf area 0", "no ip ospf area"},
		{"ip ospf passive", "no ip ospf passive"},
		{"ip ospf network point-to-point", "no ip ospf network point-to-point"},
		{"ip ospf network broadcast", "no ip ospf network"},
		{"ip ospf cost 10", "no ip ospf cost 10"},
		{"ip ospf cost 10", "no ip ospf cost"},
		{"ip ospf hello-interval 5", "no ip ospf hello-interval"},
		{"ip ospf dead-interval 20", "no ip ospf dead-interval 20"},
		{"ip ospf bfd", "no ip ospf bfd"},
	}
	ctx := context.Background()
	for _, tt := range tests {
		t.Run(tt.undo, func(t *testing.T) {
			run := NewRunning(NewGrammar(), NewConfig("r1"), nil)
			s := NewSession(run, &fakeHost{})
			for _, l := range []string{"configure terminal", "interface eth1", tt.line} {
				if out := s.Exec(ctx, l); out != "" {
					t.Fatalf("Exec(%q) = %q", l, out)
				}
			}
			if f := run.Config().Interface("eth1"); f == nil || !slices.Contains(f.OSPF, tt.line) {
				t.Fatalf("%q not in the running config", tt.line)
			}
			if out := s.Exec(ctx, tt.undo); out != "" {
				t.Fatalf("Exec(%q) = %q", tt.undo, out)
			}
			if f := run.Config().Interface("eth1"); f != nil && len(f.OSPF) > 0 {
				t.Errorf("after %q the interface still has %q", tt.undo, f.OSPF)
			}
		})
	}
}
