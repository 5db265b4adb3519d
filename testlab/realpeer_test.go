package testlab

import (
	"context"
	"fmt"
	"github.com/tuyau-net/tuyau/testlab/need"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tuyau-net/tuyau/inventory"
	"github.com/tuyau-net/tuyau/testlab/vtysh"
)

// needBinary finds a Debian tool the test drives; missing in CI is a
// failure (.ci/deps installs it), elsewhere a skip with the reason.
func needBinary(t *testing.T, name, pkg string) string {
	t.Helper()
	return need.Tool(t, name, "apt-get install "+pkg+"; .ci/deps does")
}

// vtyshPush runs config lines in a fresh CLI session of a device, failing
// on any FRR error.
func vtyshPush(t *testing.T, d *Device, lines ...string) {
	t.Helper()
	s := vtysh.NewSession(d.Running(), d)
	for _, l := range append([]string{"configure terminal"}, lines...) {
		if out := s.Exec(context.Background(), l); strings.HasPrefix(out, "%") {
			t.Fatalf("%s: %q: %s", d.Name(), l, out)
		}
	}
}

// TestRealPeerGoBGPd peers a virtual device with Debian's gobgpd on the
// loopback: routes flow both ways, and the route learned from the real
// peer propagates through the lab to the device's upstream POP.
func TestRealPeerGoBGPd(t *testing.T) {
	gobgpd := needBinary(t, "gobgpd", "gobgpd")
	gobgp := needBinary(t, "gobgp", "gobgpd")
	snap := smallNet(t, 8)
	l := startTestLab(t, snap, BootstrapFull)
	ctx := context.Background()
	waitFor(t, 30*time.Second, "lab converged", func() (bool, string) { return l.allEstablished(ctx) })

	var member *Device
	var pop string
	for _, dv := range snap.Devices {
		if dv.Role != inventory.RoleMember {
			continue
		}
		d, _ := l.Device(dv.Name)
		_, _, ns := d.Neighbors(ctx, "ipv4 unicast")
		for _, n := range ns {
			if n.State == "Established" {
				member, pop = d, n.Description
			}
		}
		if member != nil {
			break
		}
	}
	if member == nil {
		t.Fatal("no member with an established uplink")
	}

	// The real peer lives in the lab's /16 beyond the planned addresses.
	b := l.plan.Block.Addr().As4()
	peerAddr := netip.AddrFrom4([4]byte{b[0], b[1], 250, 1})
	ports := freePorts(t, peerAddr.String(), 2)
	bgpPort, apiPort := ports[0], ports[1]
	dir := t.TempDir()
	conf := fmt.Sprintf(`[global.config]
  as = 64512
  router-id = "192.0.2.250"
  port = %d
  local-address-list = ["%s"]

[[neighbors]]
  [neighbors.config]
    neighbor-address = "%s"
    peer-as = %d
  [neighbors.transport.config]
    local-address = "%s"
    remote-port = %d
  [neighbors.timers.config]
    connect-retry = 1
`, bgpPort, peerAddr, member.Addr(), member.plan.ASN, peerAddr, l.plan.Ports.BGP)
	confPath := filepath.Join(dir, "gobgpd.toml")
	startPeer(t, dir, conf, confPath, gobgpd, "-f", confPath, "--api-hosts", "127.0.0.1:"+strconv.Itoa(apiPort),
		"--pprof-disable", "-p", "-l", "info")
	cli := func(args ...string) (string, error) {
		c := exec.CommandContext(ctx, gobgp, append([]string{"-u", "127.0.0.1", "-p", strconv.Itoa(apiPort)}, args...)...)
		out, err := c.CombinedOutput()
		return string(out), err
	}
	waitFor(t, 10*time.Second, "gobgpd API up", func() (bool, string) {
		out, err := cli("global")
		return err == nil, out
	})
	if out, err := cli("global", "rib", "add", "-a", "ipv4", "10.97.0.0/24"); err != nil {
		t.Fatalf("gobgp global rib add: %v: %s", err, out)
	}

	// Configure the peer on the virtual device, the way an engineer would.
	vtyshPush(t, member, "router bgp "+asString(member.plan.ASN),
		"neighbor "+peerAddr.String()+" remote-as 64512",
		"neighbor "+peerAddr.String()+" port "+strconv.Itoa(bgpPort),
		"neighbor "+peerAddr.String()+" description real-gobgpd",
		"address-family ipv4 unicast", "network 10.98.0.0/24")

	waitFor(t, 20*time.Second, "real peer established with the route", func() (bool, string) {
		out := member.BGPRoutes(ctx, "ipv4 unicast")
		return strings.Contains(out, "10.97.0.0/24"), member.BGPSummary(ctx, "ipv4 unicast", false)
	})
	waitFor(t, 20*time.Second, "gobgpd learned the lab's route", func() (bool, string) {
		out, _ := cli("global", "rib", "-a", "ipv4")
		return strings.Contains(out, "10.98.0.0/24"), out
	})
	up, _ := l.Device(pop)
	waitFor(t, 20*time.Second, "route from the real peer reaches the POP", func() (bool, string) {
		out := up.BGPRoutes(ctx, "ipv4 unicast")
		return strings.Contains(out, "10.97.0.0/24"), out
	})

	// Cutting the member's uplink withdraws the real peer's route upstream.
	link := ""
	for _, lk := range l.plan.Links {
		if (lk.A.Device == member.Name() && lk.B.Device == pop) || (lk.B.Device == member.Name() && lk.A.Device == pop) {
			link = lk.Cables[len(lk.Cables)/2]
		}
	}
	if _, err := l.Cut(ctx, link); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 20*time.Second, "route withdrawn at the POP after the cut", func() (bool, string) {
		out := up.BGPRoutes(ctx, "ipv4 unicast")
		if strings.Contains(out, "10.97.0.0/24") {
			for _, d := range l.order {
				for _, line := range strings.Split(d.BGPRoutes(ctx, "ipv4 unicast"), "\n") {
					if strings.Contains(line, "10.97.0.0") {
						out += "\n" + d.Name() + ": " + line
					}
				}
			}
		}
		return !strings.Contains(out, "10.97.0.0/24"), out
	})
}

// startPeer writes a real peer's config to confPath and runs bin with args
// until the test ends, its output in dir/BIN.log, shown if the test fails.
func startPeer(t *testing.T, dir, conf, confPath, bin string, args ...string) {
	t.Helper()
	if err := os.WriteFile(confPath, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	logPath := filepath.Join(dir, filepath.Base(bin)+".log")
	logf, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		cmd.Wait()
		logf.Close()
		if t.Failed() {
			b, _ := os.ReadFile(logPath)
			t.Logf("%s log:\n%s", filepath.Base(bin), b)
		}
	})
}
