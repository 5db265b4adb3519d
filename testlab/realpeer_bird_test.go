package testlab

import (
	"context"
	"fmt"
	"net/netip"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestRealPeerBird peers a virtual device with BIRD 2, a second BGP
// implementation we did not write: routes flow both ways.
func TestRealPeerBird(t *testing.T) {
	bird := needBinary(t, "bird", "bird2")
	birdc := needBinary(t, "birdc", "bird2")
	snap := smallNet(t, 6)
	l := startTestLab(t, snap, BootstrapFull)
	ctx := context.Background()
	// The last inventory router: its management address is the next hop
	// BIRD must see (the transit peers after it have none).
	var d *Device
	for _, x := range l.order {
		if x.inv != nil {
			d = x
		}
	}
	b := l.plan.Block.Addr().As4()
	peerAddr := netip.AddrFrom4([4]byte{b[0], b[1], 250, 2})
	port := freePorts(t, peerAddr.String(), 1)[0]
	dir := t.TempDir()
	conf := fmt.Sprintf(`router id 192.0.2.251;
protocol device { }
protocol static {
  ipv4;
  route 10.96.0.0/24 blackhole;
}
protocol bgp lab {
  local %s port %d as 64513;
  neighbor %s port %d as %d;
  multihop;
  connect retry time 1;
  ipv4 { import all; export all; next hop self; };
}
`, peerAddr, port, d.Addr(), l.plan.Ports.BGP, d.plan.ASN)
	confPath := filepath.Join(dir, "bird.conf")
	sock := filepath.Join(dir, "bird.ctl")
	startPeer(t, dir, conf, confPath, bird, "-f", "-c", confPath, "-s", sock, "-P", filepath.Join(dir, "bird.pid"))
	show := func(args ...string) string {
		out, _ := exec.CommandContext(ctx, birdc, append([]string{"-s", sock}, args...)...).CombinedOutput()
		return string(out)
	}
	vtyshPush(t, d, "router bgp "+asString(d.plan.ASN),
		"neighbor "+peerAddr.String()+" remote-as 64513",
		"neighbor "+peerAddr.String()+" port "+strconv.Itoa(port),
		"neighbor "+peerAddr.String()+" ebgp-multihop 2",
		"address-family ipv4 unicast", "network 10.95.0.0/24")
	waitFor(t, 30*time.Second, "BIRD's route on the virtual device", func() (bool, string) {
		out := d.BGPRoutes(ctx, "ipv4 unicast")
		return strings.Contains(out, "10.96.0.0/24"), d.BGPSummary(ctx, "ipv4 unicast", false) + show("show", "protocols", "all", "lab")
	})
	waitFor(t, 20*time.Second, "the virtual device's route in BIRD", func() (bool, string) {
		out := show("show", "route", "protocol", "lab")
		return strings.Contains(out, "10.95.0.0/24"), out
	})
	// BIRD sees the device's AS and an inventory next hop (it has no route
	// to it, so it marks the route unreachable, as a router without the
	// IGP would).
	detail := show("show", "route", "10.95.0.0/24", "all")
	mgmt, _ := l.plan.Reverse(d.Addr())
	for _, want := range []string{"BGP.as_path: " + asString(d.plan.ASN), "BGP.next_hop: " + mgmt.Inventory.String()} {
		if !strings.Contains(detail, want) {
			t.Errorf("BIRD's entry lacks %q:\n%s", want, detail)
		}
	}
}
