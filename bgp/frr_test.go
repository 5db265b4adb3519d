package bgp

import (
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	api "github.com/osrg/gobgp/v3/api"

	"github.com/tuyau-net/tuyau/inventory"
	"github.com/tuyau-net/tuyau/provisioning"
	"github.com/tuyau-net/tuyau/testlab/need"
)

// The speaker of TestFRRSpeaker runs as this test binary in another
// network namespace (a goroutine cannot: GoBGP's sockets would open in
// whatever namespace their thread is in).
const helperEnv = "TUYAU_BGP_TEST_SPEAKER"

func TestMain(m *testing.M) {
	if cfgJSON := os.Getenv(helperEnv); cfgJSON != "" {
		os.Exit(helperSpeaker(cfgJSON))
	}
	os.Exit(m.Run())
}

// helperSpeaker serves the speaker cfgJSON describes until SIGTERM.
func helperSpeaker(cfgJSON string) int {
	var cfg Config
	if err := json.Unmarshal([]byte(cfgJSON), &cfg); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	for i := range cfg.Peers {
		cfg.Peers[i].Password = os.Getenv(helperEnv + "_PASSWORD")
	}
	ctx, stop := signalContext()
	defer stop()
	if err := NewSpeaker(cfg, WithGracefulExit()).Serve(ctx); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// frrCore is one core router of a one-site inventory: its loopback, a
// datacenter LAN the speaker sits on, a hosting service, the speaker with
// MD5, GTSM, short timers and graceful restart.
func frrCore(sock string) *inventory.Snapshot {
	p, a := netip.MustParsePrefix, netip.MustParseAddr
	return &inventory.Snapshot{
		Network:  inventory.Network{Name: "frr", ASN: 65000},
		Sites:    []inventory.Site{{Slug: "dc1", Role: inventory.SiteCore}},
		Services: []inventory.HostingService{{Name: "hosting", Prefixes: []netip.Prefix{p("198.51.100.0/24"), p("2001:db8:100::/48")}, Sites: []string{"dc1"}}},
		Devices: []inventory.Device{{Name: "dc1-r1", Site: "dc1", Role: inventory.RoleCore, Platform: "frr", ASN: 65000,
			Loopback: a("10.255.0.1"), RouteReflector: true, Interfaces: []inventory.Interface{
				{Name: "lo", Addresses: []netip.Prefix{p("10.255.0.1/32")}},
				{Name: "eth1", Description: "datacenter LAN", Addresses: []netip.Prefix{p("10.254.0.254/24")}}}}},
		Speakers: []inventory.Speaker{{Name: "dc1", ASN: 65000, RouterID: a("10.254.0.1"), Site: "dc1", Listen: a("10.254.0.1"),
			HostingNextHop6: a("2001:db8:fe::1"), API: sock, Peers: []inventory.SpeakerPeer{{Device: "dc1-r1", PasswordSecret: "bgp-dc1", TTLSecurity: 1,
				HoldTime: 9, Keepalive: 3, GracefulRestart: 60}}},
			// A second announcer of the hosting prefix (gobgpd in the
			// test), so the speaker must see two paths through add-path.
			{Name: "dc1-b", ASN: 65000, RouterID: a("10.254.0.2"), Site: "dc1", Listen: a("10.254.0.2"),
				HostingNextHop6: a("2001:db8:fe::2"), API: sock + ".b", Peers: []inventory.SpeakerPeer{{Device: "dc1-r1"}}}},
	}
}

func sh(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// TestFRRSpeaker: real FRR in a network namespace runs the config our
// renderer makes for the core router's side (neighbor, RR client,
// addpath-tx-all-paths, MD5, ttl-security, timers, RM-SPEAKER-IN), and the
// speaker from the same inventory, in its own namespace, comes up with no
// hand edit; FRR takes the hosting prefix from it and refuses others, sends
// it its view, asks it for a refresh, and keeps its routes over a restart.
func TestFRRSpeaker(t *testing.T) {
	for _, bin := range []string{"/usr/lib/frr/zebra", "/usr/lib/frr/bgpd", "/usr/lib/frr/staticd", "vtysh", "ip"} {
		need.Tool(t, bin, "apt-get install frr iproute2; .ci/deps does")
	}
	need.Root(t, "network namespaces for FRR and the speaker")
	dir, err := os.MkdirTemp("", "tuyau-bgpfrr-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	sh(t, "chmod", "755", dir)
	nsR, nsS := fmt.Sprintf("tbr%d", os.Getpid()), fmt.Sprintf("tbs%d", os.Getpid())
	for _, ns := range []string{nsR, nsS} {
		sh(t, "ip", "netns", "add", ns)
		t.Cleanup(func() { exec.Command("ip", "netns", "del", ns).Run() })
		sh(t, "ip", "-n", ns, "link", "set", "lo", "up")
	}
	va, vb := fmt.Sprintf("tbva%d", os.Getpid()%100000), fmt.Sprintf("tbvb%d", os.Getpid()%100000)
	sh(t, "ip", "link", "add", va, "type", "veth", "peer", "name", vb)
	sh(t, "ip", "link", "set", va, "netns", nsR, "name", "eth1")
	sh(t, "ip", "link", "set", vb, "netns", nsS, "name", "eth0")
	sh(t, "ip", "-n", nsR, "link", "set", "eth1", "up")
	sh(t, "ip", "-n", nsS, "link", "set", "eth0", "up")
	sh(t, "ip", "-n", nsS, "addr", "add", "10.254.0.1/24", "dev", "eth0")
	sh(t, "ip", "-n", nsS, "addr", "add", "10.254.0.2/24", "dev", "eth0")
	sh(t, "ip", "-n", nsS, "route", "add", "10.255.0.1/32", "via", "10.254.0.254")

	rdir := filepath.Join(dir, "r1")
	os.MkdirAll(rdir, 0o755)
	sh(t, "chown", "frr:frr", rdir)
	for _, d := range []string{"zebra", "staticd", "bgpd"} {
		pid := filepath.Join(rdir, d+".pid")
		sh(t, "ip", "netns", "exec", nsR, "/usr/lib/frr/"+d, "-d", "-u", "frr", "-g", "frr",
			"--vty_socket", rdir, "-i", pid, "-f", "/dev/null", "-z", filepath.Join(rdir, "zserv.api"))
		t.Cleanup(func() {
			if b, err := os.ReadFile(pid); err == nil {
				exec.Command("kill", strings.TrimSpace(string(b))).Run()
			}
		})
	}
	vtysh := func(cmds ...string) string {
		args := []string{"netns", "exec", nsR, "vtysh", "--vty_socket", rdir}
		for _, c := range cmds {
			args = append(args, "-c", c)
		}
		out, _ := exec.Command("ip", args...).CombinedOutput()
		return string(out)
	}
	waitFor(t, 10*time.Second, "FRR up", func() (bool, string) {
		out := vtysh("show version")
		return strings.Contains(out, "FRRouting"), out
	})

	sock := filepath.Join(dir, "bgp.sock")
	snap := frrCore(sock)
	if ps := inventory.Validate(snap); len(ps) > 0 {
		t.Fatalf("test inventory: %v", ps)
	}
	pw := &Passwords{file: "test", m: map[string]string{"bgp-dc1": "secret-frr-md5"}}
	r, err := provisioning.RenderDevice(inventory.NewIndex(snap), provisioning.Builtin(), "dc1-r1", "", provisioning.Options{BGPPassword: pw.Lookup})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"neighbor 10.254.0.1 password secret-frr-md5", "neighbor 10.254.0.1 ttl-security hops 1",
		"neighbor 10.254.0.1 timers 3 9", "neighbor 10.254.0.1 addpath-tx-all-paths", "neighbor 10.254.0.1 route-map RM-SPEAKER-IN in"} {
		if !strings.Contains(string(r.Config), want) {
			t.Errorf("rendered config lacks %q", want)
		}
	}
	// What "config apply" pushes: the rendered config, loaded whole.
	cfgFile := filepath.Join(rdir, "rendered.conf")
	os.WriteFile(cfgFile, r.Config, 0o644)
	if out, err := exec.Command("ip", "netns", "exec", nsR, "vtysh", "--vty_socket", rdir, "-f", cfgFile).CombinedOutput(); err != nil {
		t.Fatalf("vtysh -f rendered config: %v\n%s", err, out)
	}
	// Something of the core's own for the speaker to receive (the full view).
	vtysh("configure terminal", "ip route 10.96.0.0/24 Null0", "router bgp 65000", "address-family ipv4 unicast", "network 10.96.0.0/24")

	cfg, err := ConfigFor(snap, "dc1", pw.Lookup)
	if err != nil {
		t.Fatal(err)
	}
	cfgJSON, _ := json.Marshal(cfg)
	logPath := filepath.Join(dir, "speaker.log")
	startSpeaker := func() *exec.Cmd {
		logf, _ := os.OpenFile(logPath, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
		cmd := exec.Command("ip", "netns", "exec", nsS, os.Args[0], "-test.run", "^$")
		cmd.Env = append(os.Environ(), helperEnv+"="+string(cfgJSON), helperEnv+"_PASSWORD="+cfg.Peers[0].Password)
		cmd.Stdout, cmd.Stderr = logf, logf
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait(); logf.Close() })
		return cmd
	}
	t.Cleanup(func() {
		if t.Failed() {
			b, _ := os.ReadFile(logPath)
			t.Logf("speaker output:\n%s\nFRR:\n%s", b, vtysh("show bgp summary", "show bgp neighbors 10.254.0.1"))
		}
	})
	speaker := startSpeaker()
	var c *Client
	waitFor(t, 15*time.Second, "speaker API", func() (bool, string) {
		var err error
		if c == nil {
			if c, err = Dial(context.Background(), sock); err != nil {
				return false, err.Error()
			}
		}
		_, err = c.Peers(context.Background())
		return err == nil, fmt.Sprint(err)
	})
	defer func() { c.Close() }()
	c.Origins, c.Site = cfg.Origins, cfg.Site
	rtr := netip.MustParseAddr("10.255.0.1")
	waitFor(t, 30*time.Second, "session with FRR established", func() (bool, string) {
		p := peerOf(t, c, rtr)
		return p.State == "established", fmt.Sprintf("%+v", p)
	})
	nb := vtysh("show bgp neighbors 10.254.0.1 json")
	for _, want := range []string{`"bgpState":"Established"`, `"internalBgpNbrMaxHopsAway":1`} {
		if !strings.Contains(strings.ReplaceAll(nb, " ", ""), want) {
			t.Errorf("FRR's neighbor lacks %s:\n%s", want, nb)
		}
	}
	waitFor(t, 10*time.Second, "FRR's route at the speaker", func() (bool, string) {
		r, ok := routeFor(t, c, "10.96.0.0/24")
		return ok && r.Site == "dc1", fmt.Sprintf("%+v", r)
	})

	// The hosting prefix is accepted, anything else refused (RM-SPEAKER-IN).
	ctx := context.Background()
	if err := c.Announce(ctx, netip.MustParsePrefix("198.51.100.0/24"), Attrs{NextHop: netip.MustParseAddr("10.254.0.10"), MED: 10}); err != nil {
		t.Fatal(err)
	}
	if err := c.Announce(ctx, netip.MustParsePrefix("203.0.113.0/24"), Attrs{NextHop: netip.MustParseAddr("10.254.0.10")}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "FRR takes the hosting prefix", func() (bool, string) {
		out := vtysh("show bgp ipv4 unicast 198.51.100.0/24")
		return strings.Contains(out, "10.254.0.10") && strings.Contains(out, "metric 10"), out
	})
	if out := vtysh("show bgp ipv4 unicast 203.0.113.0/24"); !strings.Contains(out, "not in table") {
		t.Errorf("FRR took a prefix that is no service's:\n%s", out)
	}

	// Add-path: a second announcer (Debian's gobgpd as speaker dc1-b, the
	// other site's speaker here) sends the same prefix; FRR reflects both
	// paths to us, and Paths names both originators.
	if gobgpd, gobgp := need.Tool(t, "gobgpd", "apt-get install gobgpd"), need.Tool(t, "gobgp", "apt-get install gobgpd"); gobgpd != "" {
		conf := filepath.Join(dir, "gobgpd.toml")
		os.WriteFile(conf, []byte(`[global.config]
  as = 65000
  router-id = "10.254.0.2"
  port = -1
[[neighbors]]
  [neighbors.config]
    neighbor-address = "10.255.0.1"
    peer-as = 65000
  [neighbors.transport.config]
    local-address = "10.254.0.2"
  [neighbors.timers.config]
    connect-retry = 1
`), 0o600)
		g := exec.Command("ip", "netns", "exec", nsS, gobgpd, "-f", conf, "--api-hosts", "127.0.0.1:50099", "--pprof-disable")
		glog, _ := os.Create(filepath.Join(dir, "gobgpd.log"))
		g.Stdout, g.Stderr = glog, glog
		if err := g.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { g.Process.Kill(); g.Wait(); glog.Close() })
		cli := func(args ...string) (string, error) {
			out, err := exec.Command("ip", append([]string{"netns", "exec", nsS, gobgp, "-p", "50099"}, args...)...).CombinedOutput()
			return string(out), err
		}
		waitFor(t, 10*time.Second, "gobgpd up", func() (bool, string) { out, err := cli("global"); return err == nil, out })
		if out, err := cli("global", "rib", "add", "-a", "ipv4", "198.51.100.0/24", "nexthop", "10.254.0.20", "med", "500"); err != nil {
			t.Fatalf("gobgp rib add: %v %s", err, out)
		}
		c.Origins[netip.MustParseAddr("10.254.0.2")] = "dc2" // as if it ran at the other site
		var paths []Path
		waitFor(t, 20*time.Second, "both paths at the speaker", func() (bool, string) {
			var err error
			paths, err = c.Paths(ctx, netip.MustParsePrefix("198.51.100.0/24"))
			return err == nil && len(paths) == 2, fmt.Sprintf("%+v %v\n%s", paths, err, vtysh("show bgp ipv4 unicast 198.51.100.0/24"))
		})
		if paths[0].Site != "dc1" || !paths[0].Local || paths[1].Site != "dc2" || paths[1].Attrs.MED != 500 ||
			paths[1].OriginatorID != netip.MustParseAddr("10.254.0.2") || paths[1].Attrs.NextHop != netip.MustParseAddr("10.254.0.20") {
			t.Errorf("paths = %+v, want ours at dc1 and gobgpd's (originator 10.254.0.2, MED 500, next hop 10.254.0.20) at dc2", paths)
		}
	}

	// FRR asks for a refresh (no soft-reconfiguration inbound): answered.
	refresh := func() uint64 {
		st, err := c.api.ListPeer(ctx, &api.ListPeerRequest{Address: rtr.String()})
		if err != nil {
			t.Fatal(err)
		}
		p, err := st.Recv()
		if err != nil {
			t.Fatal(err)
		}
		return p.GetPeer().GetState().GetMessages().GetReceived().GetRefresh()
	}
	before := refresh()
	vtysh("clear bgp ipv4 unicast 10.254.0.1 soft in")
	waitFor(t, 10*time.Second, "ROUTE-REFRESH from FRR", func() (bool, string) {
		n := refresh()
		return n > before, fmt.Sprintf("refresh %d", n)
	})

	// A graceful stop (SIGTERM) and restart of the speaker: FRR keeps the
	// hosting prefix meanwhile (graceful restart).
	c.Close()
	speaker.Process.Signal(os.Interrupt)
	speaker.Wait()
	out := vtysh("show bgp ipv4 unicast 198.51.100.0/24")
	if !strings.Contains(out, "10.254.0.10") {
		t.Errorf("FRR dropped the hosting prefix when the speaker stopped gracefully:\n%s", out)
	} else if !strings.Contains(out, "stale") {
		t.Errorf("FRR kept the hosting prefix but not as stale (graceful restart):\n%s", out)
	} else {
		t.Logf("FRR while the speaker restarts:\n%s", out)
	}
	startSpeaker()
	c = nil
	waitFor(t, 15*time.Second, "speaker API again", func() (bool, string) {
		var err error
		if c == nil {
			if c, err = Dial(context.Background(), sock); err != nil {
				return false, err.Error()
			}
		}
		_, err = c.Peers(context.Background())
		return err == nil, fmt.Sprint(err)
	})
	waitFor(t, 30*time.Second, "session back", func() (bool, string) {
		p := peerOf(t, c, rtr)
		return p.State == "established", fmt.Sprintf("%+v", p)
	})
}
