package testlab

import (
	"context"
	"strings"
	"testing"
	"time"
)

// TestOSPFCarriesLoopbackSessions checks that the virtual lab runs the
// IGP as FRR would: iBGP between loopbacks is up only while OSPF
// adjacencies join the two routers and both advertise their loopbacks;
// removing OSPF from a router drops its loopback sessions (a change that
// removes the IGP fails its post-checks here as on real FRR), while its
// sessions over a direct link stay up.
func TestOSPFCarriesLoopbackSessions(t *testing.T) {
	snap := smallNet(t, 8)
	l := startTestLab(t, snap, BootstrapFull)
	ctx := context.Background()
	waitFor(t, 30*time.Second, "all sessions established", func() (bool, string) { return l.allEstablished(ctx) })
	loopbacks := map[string]string{}
	for _, d := range snap.Devices {
		loopbacks[d.Loopback.String()] = d.Name
	}
	// A router with both kinds of sessions: to loopbacks and direct.
	var dev *Device
	var viaLo, direct []string
	for _, d := range l.order {
		viaLo, direct = nil, nil
		_, _, ns := d.Neighbors(ctx, "ipv4 unicast")
		for _, n := range ns {
			if n.LabAddress == "" {
				continue
			}
			if _, ok := loopbacks[n.Address]; ok {
				viaLo = append(viaLo, n.Address)
			} else {
				direct = append(direct, n.Address)
			}
		}
		if len(viaLo) > 0 && len(direct) > 0 {
			dev = d
			break
		}
	}
	if dev == nil {
		t.Fatal("no router with sessions both to loopbacks and over a direct link")
	}
	states := func() map[string]NeighborState {
		out := map[string]NeighborState{}
		_, _, ns := dev.Neighbors(ctx, "ipv4 unicast")
		for _, n := range ns {
			out[n.Address] = n
		}
		return out
	}
	waitFor(t, 30*time.Second, "loopback sessions up over OSPF", func() (bool, string) {
		st := states()
		for _, a := range viaLo {
			if st[a].State != "Established" {
				return false, a + " " + st[a].State + " " + st[a].DownReason
			}
		}
		return true, ""
	})
	vtyshPush(t, dev, "no router ospf")
	waitFor(t, 10*time.Second, "loopback sessions down without OSPF, direct ones up", func() (bool, string) {
		st := states()
		for _, a := range viaLo {
			if st[a].State == "Established" || !strings.Contains(st[a].DownReason, "OSPF") {
				return false, a + " " + st[a].State + " " + st[a].DownReason
			}
		}
		for _, a := range direct {
			if st[a].State != "Established" {
				return false, a + " " + st[a].State + " " + st[a].DownReason
			}
		}
		return true, ""
	})
	vtyshPush(t, dev, "router ospf")
	waitFor(t, 30*time.Second, "loopback sessions back with OSPF", func() (bool, string) {
		st := states()
		for _, a := range viaLo {
			if st[a].State != "Established" {
				return false, a + " " + st[a].State + " " + st[a].DownReason
			}
		}
		return true, ""
	})
}
