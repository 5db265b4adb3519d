package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tuyau-net/tuyau/bgp/hosting"
	"github.com/tuyau-net/tuyau/testlab/need"
)

// The hosting failover's network in TestNetnsFailover:
//
//	         dc1                                   dc2
//	s1 (speaker dc1, runs the failover)    s2 (speaker dc2)
//	10.1.0.2, 198.51.100.10 echo+health    10.2.0.2, 198.51.100.10 echo+health
//	  | iBGP RR client, add-path             | iBGP RR client, add-path
//	c1 (FRR, RR, AS65000) ---- iBGP ----- c2 (FRR, RR, AS65000)
//	  | eBGP (bridged: silent cut)     /     | eBGP
//	m1 (FRR, AS65101) ----- eBGP -----/     m2 (FRR, AS65102)
//	10.101.0.1 probes                        10.102.0.1 probes
//
// m1 prefers c1 (local-pref 200 on that session), its backup uplink is c2.
const (
	foHostingPrefix = "198.51.100.0/24"
	foHostingAddr   = "198.51.100.10"
	foNH1, foNH2    = "10.1.0.2", "10.2.0.2" // the speakers' listen addresses: the hosting next hops
)

// foCoreConf is a core router's FRR config: route reflector for its
// site's speaker (add-path to it, as provisioning renders), iBGP with the
// other site's reflector (next-hop-self, as rendered; rrAddPath adds
// add-path on that session too), eBGP to its members. Timers are FRR's
// defaults (traditional profile) but connect retry, which only speeds the
// test's start.
func foCoreConf(name, loop, other, speaker string, members map[string]int, rrAddPath bool) string {
	var b strings.Builder
	if os.Getenv("TUYAU_NSFO_IGP") != "static" {
		// OSPF as provisioning renders it (point-to-point core link, hello
		// 1 s, dead 4 s, everything else passive): the IGP metric to a
		// hosting next hop prefers the router's own site.
		fmt.Fprintf(&b, "interface eth-c%c\n ip ospf network point-to-point\n ip ospf hello-interval 1\n ip ospf dead-interval 4\nexit\n", other[len(other)-1])
		fmt.Fprintf(&b, "router ospf\n ospf router-id %s\n passive-interface default\n no passive-interface eth-c%c\n network 0.0.0.0/0 area 0\nexit\n", loop, other[len(other)-1])
	}
	fmt.Fprintf(&b, "hostname %s\nrouter bgp 65000\n bgp router-id %s\n no bgp ebgp-requires-policy\n no bgp default ipv4-unicast\n bgp log-neighbor-changes\n", name, loop)
	nb := func(addr string, as int, extra ...string) {
		fmt.Fprintf(&b, " neighbor %s remote-as %d\n neighbor %s timers connect 1\n", addr, as, addr)
		for _, e := range extra {
			fmt.Fprintf(&b, " neighbor %s %s\n", addr, e)
		}
	}
	nb(other, 65000, "update-source lo", "description RR of the other core site")
	nb(speaker, 65000, "update-source lo", "description tuyau speaker")
	for addr, as := range members {
		nb(addr, as, "description member")
	}
	fmt.Fprintf(&b, " address-family ipv4 unicast\n  neighbor %s activate\n  neighbor %s next-hop-self\n", other, other)
	if rrAddPath {
		fmt.Fprintf(&b, "  neighbor %s addpath-tx-all-paths\n", other)
	}
	fmt.Fprintf(&b, "  neighbor %s activate\n  neighbor %s route-reflector-client\n  neighbor %s addpath-tx-all-paths\n", speaker, speaker, speaker)
	for addr := range members {
		fmt.Fprintf(&b, "  neighbor %s activate\n", addr)
	}
	b.WriteString(" exit-address-family\n")
	return b.String()
}

// foMemberConf is a member router: eBGP to its core routers, the first
// preferred, announcing its LAN address.
func foMemberConf(name string, as int, lan string, uplinks ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "hostname %s\nroute-map PRIMARY permit 10\n set local-preference 200\nexit\n", name)
	fmt.Fprintf(&b, "router bgp %d\n bgp router-id %s\n no bgp ebgp-requires-policy\n no bgp default ipv4-unicast\n bgp log-neighbor-changes\n", as, lan)
	for _, u := range uplinks {
		fmt.Fprintf(&b, " neighbor %s remote-as 65000\n neighbor %s timers connect 1\n", u, u)
	}
	fmt.Fprintf(&b, " address-family ipv4 unicast\n  network %s/32\n", lan)
	for i, u := range uplinks {
		fmt.Fprintf(&b, "  neighbor %s activate\n", u)
		if i == 0 {
			fmt.Fprintf(&b, "  neighbor %s route-map PRIMARY in\n", u)
		}
	}
	b.WriteString(" exit-address-family\n")
	return b.String()
}

// foNet is the running network of TestNetnsFailover.
type foNet struct {
	*nsTopo
	env       map[string]string
	ep        [2]*siteEndpoint
	m1, m2    *prober
	cutPort   string // m1–c1's bridge port at m1's end
	interval  time.Duration
	rrAddPath bool
}

func startFONet(t *testing.T, rrAddPath bool) *foNet {
	for _, bin := range []string{"/usr/lib/frr/zebra", "/usr/lib/frr/bgpd", "/usr/lib/frr/staticd", "/usr/lib/frr/bfdd", "vtysh", "ip"} {
		need.Tool(t, bin, "apt-get install frr iproute2; .ci/deps does")
	}
	need.Root(t, "network namespaces for FRR, the speakers and the probes")
	n := &foNet{nsTopo: newNSTopo(t), interval: 10 * time.Millisecond, rrAddPath: rrAddPath}
	for _, nd := range []struct{ name, lo string }{{"c1", "10.255.0.1/32"}, {"c2", "10.255.0.2/32"},
		{"s1", foHostingAddr + "/32"}, {"s2", foHostingAddr + "/32"}, {"m1", "10.101.0.1/32"}, {"m2", "10.102.0.1/32"}, {"w", ""}} {
		if nd.lo == "" {
			n.node(nd.name)
		} else {
			n.node(nd.name, nd.lo)
		}
	}
	n.link("c1", "eth-s", "10.1.0.1/24", "s1", "eth0", foNH1+"/24")
	n.link("c2", "eth-s", "10.2.0.1/24", "s2", "eth0", foNH2+"/24")
	n.link("c1", "eth-c2", "10.0.12.1/30", "c2", "eth-c1", "10.0.12.2/30")
	n.cutPort = n.bridged("w", "m1", "eth0", "10.0.101.2/30", "c1", "eth-m1", "10.0.101.1/30")
	n.link("m1", "eth1", "10.0.201.2/30", "c2", "eth-m1", "10.0.201.1/30")
	n.link("m2", "eth0", "10.0.102.2/30", "c2", "eth-m2", "10.0.102.1/30")
	n.route("s1", "default", "via", "10.1.0.1")
	n.route("s2", "default", "via", "10.2.0.1")
	if os.Getenv("TUYAU_NSFO_IGP") == "static" {
		// All metrics 0: the routers' tie between two primary paths
		// falls to the router id, the same site everywhere, and a move
		// back loops between them for a few tens of milliseconds.
		for _, r := range []string{"10.255.0.2/32", "10.2.0.0/24", "10.0.102.0/30", "10.0.201.0/30"} {
			n.route("c1", r, "via", "10.0.12.2")
		}
		for _, r := range []string{"10.255.0.1/32", "10.1.0.0/24", "10.0.101.0/30"} {
			n.route("c2", r, "via", "10.0.12.1")
		}
	}
	n.frr("c1", foCoreConf("c1", "10.255.0.1", "10.255.0.2", foNH1, map[string]int{"10.0.101.2": 65101}, rrAddPath))
	n.frr("c2", foCoreConf("c2", "10.255.0.2", "10.255.0.1", foNH2, map[string]int{"10.0.201.2": 65101, "10.0.102.2": 65102}, rrAddPath))
	n.frr("m1", foMemberConf("m1", 65101, "10.101.0.1", "10.0.101.1", "10.0.201.1"))
	n.frr("m2", foMemberConf("m2", 65102, "10.102.0.1", "10.0.102.1"))

	// The service at each site: the echo on the hosting address, the
	// health check on the speaker's address.
	for i, site := range []string{"s1", "s2"} {
		nh := []string{foNH1, foNH2}[i]
		n.ep[i] = &siteEndpoint{ns: n.ns(site), echoAddr: foHostingAddr + ":7", healthAddr: nh + ":8080", tag: byte('1' + i)}
		if err := n.ep[i].start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(n.ep[i].stop)
	}

	// The inventory and tuyau.yaml for the two speakers, default timers.
	inv := filepath.Join(n.dir, "inventory.yaml")
	os.WriteFile(inv, []byte(fmt.Sprintf(`network: {name: nsfo, asn: 65000}
sites:
  - {slug: dc1, role: core, latitude: 49.1, longitude: -1.1}
  - {slug: dc2, role: core, latitude: 49.6, longitude: -1.6}
devices:
  - {name: c1, site: dc1, role: core, platform: frr, asn: 65000, loopback: 10.255.0.1}
  - {name: c2, site: dc2, role: core, platform: frr, asn: 65000, loopback: 10.255.0.2}
services:
  - {name: hosting, prefixes: [%s], sites: [dc1, dc2]}
speakers:
  - {name: dc1, asn: 65000, router_id: %s, site: dc1, listen: %s, api: %s, peers: [{device: c1}]}
  - {name: dc2, asn: 65000, router_id: %s, site: dc2, listen: %s, api: %s, peers: [{device: c2}]}
`, foHostingPrefix, foNH1, foNH1, filepath.Join(n.dir, "bgp-dc1.sock"), foNH2, foNH2, filepath.Join(n.dir, "bgp-dc2.sock"))), 0o644)
	conf := filepath.Join(n.dir, "tuyau.yaml")
	os.WriteFile(conf, []byte(fmt.Sprintf(`hosting:
  hosting:
    check: {kind: http, path: /, body: ok}
    endpoints: {dc1: "%s:8080", dc2: "%s:8080"}
`, foNH1, foNH2)), 0o644)
	n.env = map[string]string{"TUYAU_INVENTORY": inv, "TUYAU_CONFIG": conf}

	start := time.Now()
	waitUntil(t, "router sessions established", 60*time.Second, func() (bool, string) {
		var down []string
		for node, peers := range map[string][]string{"c1": {"10.255.0.2", "10.0.101.2"}, "c2": {"10.255.0.1", "10.0.201.2", "10.0.102.2"}} {
			out := n.vtysh(node, "show bgp summary json")
			for _, p := range peers {
				i := strings.Index(out, `"`+p+`"`)
				if i < 0 || !strings.Contains(out[i:min(len(out), i+400)], `"Established"`) {
					down = append(down, node+"→"+p)
				}
			}
		}
		return len(down) == 0, fmt.Sprint(down)
	})
	t.Logf("FRR sessions up in %s", time.Since(start).Round(time.Millisecond))
	n.tuyau("s2", n.env, "bgp", "serve", "--speaker", "dc2", "--hosting=false")
	// The failover dials dc2's API at its start.
	waitUntil(t, "speaker dc2's API", 30*time.Second, func() (bool, string) {
		_, err := os.Stat(filepath.Join(n.dir, "bgp-dc2.sock"))
		return err == nil, fmt.Sprint(err)
	})
	n.tuyau("s1", n.env, "bgp", "serve", "--speaker", "dc1", "--state-dir", filepath.Join(n.dir, "state"))
	n.m1 = startProber(t, n.ns("m1"), "m1", "10.101.0.1:0", foHostingAddr+":7", n.interval)
	n.m2 = startProber(t, n.ns("m2"), "m2", "10.102.0.1:0", foHostingAddr+":7", n.interval)
	n.waitOn(t, "start", foNH1, '1', 60*time.Second)
	t.Logf("hosting at dc1 on both core routers and both members served by dc1 %s after the speakers started", time.Since(start).Round(time.Millisecond))
	// Is dc2's backup path in the core, as the failover's view sees it?
	// With add-path only towards the speakers it is not (docs/bgp.md).
	var backupSeen bool
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) && !backupSeen {
		r := runCLI(t, n.env, "bgp", "services", "--speaker", "dc1", "-o", "json")
		var st []hosting.ServiceStatus
		json.Unmarshal([]byte(r.stdout), &st)
		for _, sv := range st {
			for _, x := range sv.Sites {
				backupSeen = backupSeen || (x.Site == "dc2" && x.Role == hosting.RoleBackup && x.Seen)
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Logf("BACKUP dc2's backup path seen by the failover's view: %v (add-path between the reflectors: %v)", backupSeen, rrAddPath)
	if rrAddPath && !backupSeen {
		r := runCLI(t, n.env, "bgp", "services", "--speaker", "dc1")
		rt := runCLI(t, n.env, "bgp", "routes", foHostingPrefix, "--speaker", "dc1")
		rt2 := runCLI(t, n.env, "bgp", "routes", foHostingPrefix, "--speaker", "dc2")
		t.Errorf("dc2's backup path not seen with add-path between the reflectors:\n%s\ndc1 routes:\n%s%s\ndc2 routes:\n%s%s\nc1:\n%s", r.stdout, rt.stdout, rt.stderr, rt2.stdout, rt2.stderr,
			n.vtysh("c1", "show bgp ipv4 unicast "+foHostingPrefix))
	}
	for _, c := range []string{"c1", "c2"} {
		t.Logf("%s: show bgp ipv4 unicast %s\n%s", c, foHostingPrefix, n.vtysh(c, "show bgp ipv4 unicast "+foHostingPrefix))
	}
	return n
}

// waitOn waits until both core routers' best path for the hosting prefix
// is at nh and both members' probes are answered by site; it returns when
// the routers got there.
func (n *foNet) waitOn(t *testing.T, what, nh string, site byte, limit time.Duration) time.Time {
	t.Helper()
	var at time.Time
	waitUntil(t, what, limit, func() (bool, string) {
		b1, b2 := n.bestNextHop("c1", foHostingPrefix), n.bestNextHop("c2", foHostingPrefix)
		if b1 == nh && b2 == nh && at.IsZero() {
			at = time.Now()
		}
		return b1 == nh && b2 == nh && n.m1.servedBy(site, 20) && n.m2.servedBy(site, 20),
			fmt.Sprintf("best next hops c1 %q c2 %q (want %s); m1 served by %c: %v, m2: %v\nc1:\n%s\nc2:\n%s", b1, b2, nh, site,
				n.m1.servedBy(site, 20), n.m2.servedBy(site, 20),
				n.vtysh("c1", "show bgp ipv4 unicast "+foHostingPrefix), n.vtysh("c2", "show bgp ipv4 unicast "+foHostingPrefix))
	})
	return at
}

// loss reports both members' losses between from and now (waiting out
// the answers in flight).
func (n *foNet) loss(from time.Time, site byte) (m1, m2 lossStats) {
	time.Sleep(300 * time.Millisecond)
	to := time.Now().Add(-200 * time.Millisecond)
	return n.m1.window(from, to, site), n.m2.window(from, to, site)
}

// drops reads the core routers' counters of packets they dropped: TTL
// expired (a forwarding loop between them while their FIBs disagree) and
// no route.
func (n *foNet) drops() string {
	var out []string
	for _, c := range []string{"c1", "c2"} {
		b, _ := exec.Command("ip", "netns", "exec", n.ns(c), "cat", "/proc/net/snmp").Output()
		v := snmpCounters(string(b))
		out = append(out, fmt.Sprintf("%s ttl-expired %d no-route %d", c, v["Icmp.OutTimeExcds"], v["Ip.OutNoRoutes"]+v["Ip.InNoRoutes"]))
	}
	return strings.Join(out, ", ")
}

// snmpCounters parses /proc/net/snmp: "Proto.Name" -> value.
func snmpCounters(s string) map[string]int64 {
	m := map[string]int64{}
	lines := strings.Split(s, "\n")
	for i := 0; i+1 < len(lines); i += 2 {
		h, v := strings.Fields(lines[i]), strings.Fields(lines[i+1])
		if len(h) != len(v) || len(h) == 0 {
			continue
		}
		proto := strings.TrimSuffix(h[0], ":")
		for j := 1; j < len(h); j++ {
			var x int64
			fmt.Sscan(v[j], &x)
			m[proto+"."+h[j]] = x
		}
	}
	return m
}

func (n *foNet) cli(t *testing.T, args ...string) {
	t.Helper()
	if r := runCLI(t, n.env, args...); r.code != 0 {
		t.Fatalf("tuyau %v: exit %d\n%s%s", args, r.code, r.stdout, r.stderr)
	}
}

// TestNetnsFailover is outcome 4's data plane: real FRR 8.4 routers in
// network namespaces (two core sites, route reflectors with add-path to
// their site's speaker as provisioning renders it, two members on eBGP),
// the two speakers run as "tuyau bgp serve" in their sites' namespaces
// with the default timers, the dc1 one running the failover with HTTP
// health checks of each site's service. Each member sends a numbered UDP
// packet every 10 ms to an address of the hosting prefix; the service at
// each site answers with its site's tag. Asserted: a drain loses no
// packet (make-before-break through real best-path selection and FIB
// updates), an undrain and a fail-back under 500 ms (0 measured: the
// routers' tie between two primary paths breaks toward their own site on
// the IGP metric, so no two routers point at each other); a failed service at dc1 moves the traffic to dc2 with a
// bounded loss (logged: the seconds the members were without service); a
// silent cut of m1's primary uplink with BFD on that session moves m1 to
// its backup uplink within seconds. bench/bgp/failover-netns prints the
// numbers (and the same cut without BFD: the hold timer).
func TestNetnsFailover(t *testing.T) {
	if testing.Short() {
		t.Skip("real FRR in namespaces and a failover with the default timers: about 40 s")
	}
	n := startFONet(t, os.Getenv("TUYAU_NSFO_RR_ADDPATH") != "0")

	// A drain: make-before-break, not one packet lost.
	t0 := time.Now()
	n.cli(t, "bgp", "drain", "dc1", "--speaker", "dc1")
	cmdDone := time.Now()
	moved := n.waitOn(t, "dc1 drained", foNH2, '2', 60*time.Second)
	l1, l2 := n.loss(t0, '2')
	t.Logf("DRAIN: routers on dc2 %s after bgp drain (the command returned after %s); m1 %s; m2 %s",
		moved.Sub(t0).Round(time.Millisecond), cmdDone.Sub(t0).Round(time.Millisecond), l1, l2)
	t.Logf("counters: %s", n.drops())
	if l1.lost+l2.lost > 0 {
		t.Errorf("drain lost %d+%d packets, want 0 (make-before-break)", l1.lost, l2.lost)
	}
	t0 = time.Now()
	n.cli(t, "bgp", "undrain", "dc1", "--speaker", "dc1")
	moved = n.waitOn(t, "dc1 undrained", foNH1, '1', 60*time.Second)
	l1, l2 = n.loss(t0, '1')
	t.Logf("UNDRAIN: routers on dc1 %s after bgp undrain; m1 %s; m2 %s", moved.Sub(t0).Round(time.Millisecond), l1, l2)
	t.Logf("counters: %s", n.drops())
	// A move back to the preferred site loses nothing here (measured: 0
	// in every run); the bound is looser than the drain's because it is
	// a race between c1's FIB and the demotion of dc2 (docs/bgp.md).
	if l1.lostFor+l2.lostFor > 500*time.Millisecond {
		t.Errorf("undrain lost %s+%s, want 0 (make-before-break)", l1.lostFor, l2.lostFor)
	}

	// The service fails at dc1: its echo stops and its health check is refused.
	t0 = time.Now()
	n.ep[0].stop()
	moved = n.waitOn(t, "dc1's service failed", foNH2, '2', 60*time.Second)
	l1, l2 = n.loss(t0, '2')
	t.Logf("FAILOVER service-failed: routers on dc2 %s after the failure; m1 served by dc2 from +%s, m2 from +%s; m1 %s; m2 %s",
		moved.Sub(t0).Round(time.Millisecond), l1.firstBy.Sub(t0).Round(time.Millisecond), l2.firstBy.Sub(t0).Round(time.Millisecond), l1, l2)
	t.Logf("counters: %s", n.drops())
	if l1.lostFor > 30*time.Second || l2.lostFor > 30*time.Second {
		t.Errorf("service failure: lost %s and %s, want under 30 s", l1.lostFor, l2.lostFor)
	}
	t0 = time.Now()
	if err := n.ep[0].start(); err != nil {
		t.Fatal(err)
	}
	moved = n.waitOn(t, "dc1's service restored", foNH1, '1', 60*time.Second)
	l1, l2 = n.loss(t0, '1')
	t.Logf("FAILBACK service-restored: routers on dc1 %s after the restore; m1 %s; m2 %s", moved.Sub(t0).Round(time.Millisecond), l1, l2)
	t.Logf("counters: %s", n.drops())
	if l1.lostFor+l2.lostFor > 500*time.Millisecond {
		t.Errorf("fail-back lost %s+%s, want 0 (make-before-break)", l1.lostFor, l2.lostFor)
	}

	// m1's primary uplink (to c1) cut silently: both ends keep their
	// carrier, so nothing but a timer notices. With BFD on that session
	// (the routers' bfdd, 300 ms x 3) m1 moves to its backup uplink in
	// about a second; without it (TUYAU_NSFO_BFD=0, the bench), the BGP
	// hold timer: FRR's default 180 s.
	bfd := os.Getenv("TUYAU_NSFO_BFD") != "0"
	limit := 30 * time.Second
	if bfd {
		n.vtysh("m1", "configure terminal", "router bgp 65101", "neighbor 10.0.101.1 bfd")
		n.vtysh("c1", "configure terminal", "router bgp 65000", "neighbor 10.0.101.2 bfd")
		waitUntil(t, "BFD up between m1 and c1", 30*time.Second, func() (bool, string) {
			out := n.vtysh("m1", "show bfd peers json")
			return strings.Contains(strings.ReplaceAll(out, " ", ""), `"status":"up"`), out
		})
	} else {
		limit = 240 * time.Second
	}
	t0 = time.Now()
	n.sh("ip", "-n", n.ns("w"), "link", "set", n.cutPort, "nomaster")
	waitUntil(t, "m1 on its backup uplink", limit, func() (bool, string) {
		nh := n.bestNextHop("m1", foHostingPrefix)
		return nh == "10.0.201.1" && n.m1.servedBy('1', 20), "m1's best next hop " + nh
	})
	l1, l2 = n.loss(t0, '1')
	t.Logf("SILENT-CUT m1-c1 (bfd %v): m1 %s; m2 %s", bfd, l1, l2)
	if bfd && l1.lostFor > 5*time.Second {
		t.Errorf("silent cut with BFD: m1 without service for %s, want under 5 s", l1.lostFor)
	}
	if l2.lost > 0 {
		t.Errorf("silent cut of m1's uplink: m2 lost %d packets, want 0", l2.lost)
	}

	// dc1's hosting LAN goes down (its link to c1 loses carrier): the
	// routers drop the path whose next hop they no longer reach (OSPF
	// withdraws the subnet, next-hop tracking invalidates the path) and
	// fall back to dc2's, in every RIB already; no BGP timer, and the
	// failover (cut off with dc1) plays no part.
	t0 = time.Now()
	n.sh("ip", "-n", n.ns("s1"), "link", "set", "eth0", "down")
	moved = n.waitOn(t, "dc1's LAN down", foNH2, '2', 60*time.Second)
	l1, l2 = n.loss(t0, '2')
	t.Logf("LINK-CUT dc1's hosting LAN: routers on dc2 %s after the cut; m1 %s; m2 %s", moved.Sub(t0).Round(time.Millisecond), l1, l2)
	if l1.lostFor > 5*time.Second || l2.lostFor > 5*time.Second {
		t.Errorf("dc1's LAN down: lost %s and %s, want under 5 s", l1.lostFor, l2.lostFor)
	}
}
