package bgp

import (
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// gobgpdPeer is Debian's gobgpd playing a core router: route reflector,
// our speaker its client with add-path send, graceful restart.
type gobgpdPeer struct {
	t        *testing.T
	dir      string
	bin, cli string
	conf     string
	apiPort  int
	proc     *proc
	addr     netip.Addr
	port     int
}

type gobgpdOpts struct {
	password     string
	speakerAddr  netip.Addr
	speakerPort  int
	sendMaxPaths int
}

func startGoBGPd(t *testing.T, o gobgpdOpts) *gobgpdPeer {
	t.Helper()
	g := &gobgpdPeer{t: t, dir: t.TempDir(), bin: needTool(t, "gobgpd", "gobgpd"), cli: needTool(t, "gobgp", "gobgpd"),
		addr: netip.MustParseAddr("127.0.0.2")}
	g.port, g.apiPort = freePort(t, g.addr.String()), freePort(t, "127.0.0.1")
	pw := ""
	if o.password != "" {
		pw = fmt.Sprintf("    auth-password = %q\n", o.password)
	}
	g.conf = filepath.Join(g.dir, "gobgpd.toml")
	conf := fmt.Sprintf(`[global.config]
  as = 65000
  router-id = "10.255.0.1"
  port = %d
  local-address-list = ["%s"]

[[neighbors]]
  [neighbors.config]
    neighbor-address = "%s"
    peer-as = 65000
%s  [neighbors.transport.config]
    local-address = "%s"
    remote-port = %d
  [neighbors.timers.config]
    connect-retry = 1
    hold-time = 9
    keepalive-interval = 3
  [neighbors.route-reflector.config]
    route-reflector-client = true
    route-reflector-cluster-id = "10.255.0.1"
  [neighbors.graceful-restart.config]
    enabled = true
    restart-time = 30
    notification-enabled = true
  [[neighbors.afi-safis]]
    [neighbors.afi-safis.config]
      afi-safi-name = "ipv4-unicast"
    [neighbors.afi-safis.mp-graceful-restart.config]
      enabled = true
    [neighbors.afi-safis.add-paths.config]
      send-max = %d
`, g.port, g.addr, o.speakerAddr, pw, g.addr, o.speakerPort, max(o.sendMaxPaths, 1))
	if err := os.WriteFile(g.conf, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	g.start(false)
	return g
}

// start runs gobgpd; restarting sets its graceful-restart flag (-r), as a
// router coming back up does.
func (g *gobgpdPeer) start(restarting bool) {
	args := []string{"-f", g.conf, "--api-hosts", "127.0.0.1:" + strconv.Itoa(g.apiPort), "--pprof-disable", "-l", "debug"}
	if restarting {
		args = append(args, "-r")
	}
	g.proc = startProc(g.t, g.dir, g.bin, args...)
	waitFor(g.t, 10*time.Second, "gobgpd API up", func() (bool, string) {
		out, err := g.run("global")
		return err == nil, out
	})
}

func (g *gobgpdPeer) run(args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c := exec.CommandContext(ctx, g.cli, append([]string{"-u", "127.0.0.1", "-p", strconv.Itoa(g.apiPort)}, args...)...)
	out, err := c.CombinedOutput()
	return string(out), err
}

func (g *gobgpdPeer) must(args ...string) string {
	g.t.Helper()
	out, err := g.run(args...)
	if err != nil {
		g.t.Fatalf("gobgp %v: %v: %s", args, err, out)
	}
	return out
}

// speakerConfig is a speaker on 127.0.0.1 peering with the peer at addr:port.
func speakerConfig(t *testing.T, peer netip.Addr, peerPort int, p PeerConfig) Config {
	p.Address, p.Port, p.ASN = peer, peerPort, 65000
	if p.Device == "" {
		p.Device = "dc1-r1"
	}
	p.ConnectRetry = 1
	return Config{Name: "dc1", ASN: 65000, RouterID: netip.MustParseAddr("10.254.0.1"), Site: "dc1",
		Listen: netip.MustParseAddr("127.0.0.1"), Port: freePort(t, "127.0.0.1"),
		API: filepath.Join(t.TempDir(), "bgp.sock"), Peers: []PeerConfig{p},
		Origins: map[netip.Addr]string{netip.MustParseAddr("10.255.0.1"): "dc1", netip.MustParseAddr("10.255.0.2"): "dc2"}}
}

// TestGoBGPdInterop: Debian's gobgpd as the core's route reflector with
// MD5, graceful restart and add-path: session up, routes both ways with
// the attributes, route refresh both ways, the session events, and the
// peer's crash and restart keeping its routes at the speaker.
func TestGoBGPdInterop(t *testing.T) {
	speakerPort := freePort(t, "127.0.0.1")
	g := startGoBGPd(t, gobgpdOpts{password: "secret-md5-ok", speakerAddr: netip.MustParseAddr("127.0.0.1"), speakerPort: speakerPort})
	cfg := speakerConfig(t, g.addr, g.port, PeerConfig{Password: "secret-md5-ok", HoldTime: 9, Keepalive: 3, GracefulRestart: 30})
	cfg.Port = speakerPort
	events := make(chan Event, 16)
	sp := serveSpeaker(t, cfg, WithEvents(func(e Event) { events <- e }))
	c := sp.Client()
	ctx := context.Background()

	if fi, err := os.Stat(cfg.API); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("api socket %s: %v, mode %v, want 0600", cfg.API, err, fi.Mode().Perm())
	}
	waitFor(t, 20*time.Second, "session with gobgpd established", established(t, c, g.addr))
	select {
	case e := <-events:
		if e.Kind != SessionUp || e.Peer != g.addr || e.Device != "dc1-r1" {
			t.Errorf("first event = %+v, want session-up from %s (dc1-r1)", e, g.addr)
		}
	case <-time.After(5 * time.Second):
		t.Error("no session-up event")
	}
	if p := peerOf(t, c, g.addr); !p.MD5 {
		t.Errorf("peer %+v: MD5 not shown", p)
	}

	// gobgpd -> speaker, with attributes.
	g.must("global", "rib", "add", "-a", "ipv4", "10.97.0.0/24", "med", "50", "local-pref", "200", "community", "65000:100")
	waitFor(t, 10*time.Second, "gobgpd's route at the speaker", func() (bool, string) {
		_, ok := routeFor(t, c, "10.97.0.0/24")
		return ok, "missing"
	})
	r, _ := routeFor(t, c, "10.97.0.0/24")
	if r.MED != 50 || r.LocalPref != 200 || !slicesEqual(r.Communities, []string{"65000:100"}) || r.Site != "dc1" || r.Peer != g.addr {
		t.Errorf("route from gobgpd = %+v, want MED 50, local-pref 200, community 65000:100, site dc1, peer %s", r, g.addr)
	}

	// speaker -> gobgpd, with the attributes the hosting failover sets.
	hosting := netip.MustParsePrefix("198.51.100.0/24")
	err := sp.Announce(ctx, hosting, Attrs{NextHop: netip.MustParseAddr("192.0.2.10"), MED: 10, LocalPref: 150,
		Communities: []string{"65000:300", "65000:1:2"}})
	if err != nil {
		t.Fatal(err)
	}
	var seen string
	waitFor(t, 10*time.Second, "the speaker's route at gobgpd", func() (bool, string) {
		seen = g.must("global", "rib", "-a", "ipv4", "198.51.100.0/24", "-j")
		return strings.Contains(seen, "198.51.100.0/24"), seen
	})
	for _, want := range []string{`"metric":10`, `{"type":5,"value":150}`, `"communities":[4259840300]`, `"nexthop":"192.0.2.10"`} {
		if !strings.Contains(seen, want) {
			t.Errorf("gobgpd's entry lacks %s: %s", want, seen)
		}
	}
	if !strings.Contains(seen, `{"ASN":65000,"LocalData1":1,"LocalData2":2}`) {
		t.Errorf("gobgpd's entry lacks the large community 65000:1:2: %s", seen)
	}
	// Announcing again replaces the attributes.
	if err := sp.Announce(ctx, hosting, Attrs{NextHop: netip.MustParseAddr("192.0.2.10"), MED: 1000}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "gobgpd sees the new MED", func() (bool, string) {
		seen = g.must("global", "rib", "-a", "ipv4", "198.51.100.0/24", "-j")
		return strings.Contains(seen, `"metric":1000`), seen
	})

	// A soft reset out sends our routes again (GoBGP keeps every peer's
	// routes, so it never sends ROUTE-REFRESH itself: the BIRD and FRR
	// tests check the refresh the routers send us).
	updates := func() uint64 {
		out := g.must("neighbor", "127.0.0.1", "-j")
		var n struct {
			State struct {
				Messages struct {
					Received struct {
						Update uint64 `json:"update"`
					} `json:"received"`
				} `json:"messages"`
			} `json:"state"`
		}
		json.Unmarshal([]byte(out), &n)
		return n.State.Messages.Received.Update
	}
	before := updates()
	if err := c.SoftReset(ctx, g.addr, false); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "gobgpd received our routes again", func() (bool, string) {
		n := updates()
		return n > before, fmt.Sprintf("updates %d, before %d", n, before)
	})

	// Withdraw reaches gobgpd.
	if err := sp.Withdraw(ctx, hosting); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "withdrawn at gobgpd", func() (bool, string) {
		out := g.must("global", "rib", "-a", "ipv4")
		return !strings.Contains(out, "198.51.100.0/24"), out
	})

	// Graceful restart: gobgpd crashes; its routes stay (stale) at the
	// speaker through the restart, and come back fresh.
	g.proc.stop()
	waitFor(t, 15*time.Second, "session down after the crash", func() (bool, string) {
		p := peerOf(t, c, g.addr)
		return p.State != "established", fmt.Sprintf("%+v", p)
	})
	r, ok := routeFor(t, c, "10.97.0.0/24")
	if !ok || !r.Stale {
		t.Fatalf("after the peer's crash the route = %+v (present %v), want kept as stale (graceful restart)", r, ok)
	}
	g.start(true)
	g.must("global", "rib", "add", "-a", "ipv4", "10.97.0.0/24", "med", "50")
	waitFor(t, 30*time.Second, "session back, route fresh", func() (bool, string) {
		r, ok := routeFor(t, c, "10.97.0.0/24")
		return ok && !r.Stale && peerOf(t, c, g.addr).State == "established", fmt.Sprintf("%+v", r)
	})
	if p := peerOf(t, c, g.addr); p.Flaps < 1 {
		t.Errorf("flaps = %d after a peer crash, want >= 1", p.Flaps)
	}
	got := map[EventKind]int{}
	for len(events) > 0 {
		got[(<-events).Kind]++
	}
	if got[SessionDown] < 1 || got[SessionUp] < 1 {
		t.Errorf("events after the restart: %v, want a session-down and a session-up", got)
	}
}

// TestGoBGPdMD5Mismatch: a wrong password keeps the session down, and
// `bgp peers` says why.
func TestGoBGPdMD5Mismatch(t *testing.T) {
	speakerPort := freePort(t, "127.0.0.1")
	g := startGoBGPd(t, gobgpdOpts{password: "secret-theirs", speakerAddr: netip.MustParseAddr("127.0.0.1"), speakerPort: speakerPort})
	cfg := speakerConfig(t, g.addr, g.port, PeerConfig{Password: "secret-ours"})
	cfg.Port = speakerPort
	sp := serveSpeaker(t, cfg)
	// A few connect retries of both sides (1 s each): none may succeed.
	time.Sleep(4 * time.Second)
	p := peerOf(t, sp.Client(), g.addr)
	if p.State == "established" {
		t.Fatalf("session established with mismatched MD5 passwords: %+v", p)
	}
	if !strings.Contains(p.Reason, "MD5") {
		t.Errorf("reason = %q, want it to name the MD5 password", p.Reason)
	}
	if r := sp.Reason(g.addr); r == "" {
		t.Errorf("speaker noted no reason for the down session")
	}
}

// TestGoBGPdMaxPrefix: a peer flooding beyond max_prefixes gets a Cease
// (RFC 4486 subcode 1), the session stays down and says why, the speaker
// keeps serving, and a reset brings it back.
func TestGoBGPdMaxPrefix(t *testing.T) {
	speakerPort := freePort(t, "127.0.0.1")
	g := startGoBGPd(t, gobgpdOpts{speakerAddr: netip.MustParseAddr("127.0.0.1"), speakerPort: speakerPort})
	cfg := speakerConfig(t, g.addr, g.port, PeerConfig{MaxPrefixes: 5})
	cfg.Port = speakerPort
	sp := serveSpeaker(t, cfg)
	c := sp.Client()
	waitFor(t, 20*time.Second, "session established", established(t, c, g.addr))
	for i := range 8 {
		g.must("global", "rib", "add", "-a", "ipv4", fmt.Sprintf("10.90.%d.0/24", i))
	}
	waitFor(t, 15*time.Second, "session closed at the prefix limit", func() (bool, string) {
		p := peerOf(t, c, g.addr)
		return p.Admin == "prefix-limit" && p.State != "established", fmt.Sprintf("%+v", p)
	})
	p := peerOf(t, c, g.addr)
	if !strings.Contains(p.Reason, "RFC 4486") {
		t.Errorf("reason = %q, want the prefix limit named", p.Reason)
	}
	out := g.must("neighbor", "127.0.0.1")
	if !strings.Contains(out, "Notification") && !strings.Contains(strings.ToLower(out), "cease") {
		t.Logf("gobgpd's view of the session:\n%s", out)
	}
	// The speaker still serves.
	if err := sp.Announce(context.Background(), netip.MustParsePrefix("198.51.100.0/24"), Attrs{}); err != nil {
		t.Fatalf("speaker after the flood: %v", err)
	}
	g.must("global", "rib", "del", "-a", "ipv4", "10.90.7.0/24")
	g.must("global", "rib", "del", "-a", "ipv4", "10.90.6.0/24")
	g.must("global", "rib", "del", "-a", "ipv4", "10.90.5.0/24")
	g.must("global", "rib", "del", "-a", "ipv4", "10.90.4.0/24")
	if err := c.Reset(context.Background(), g.addr); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 20*time.Second, "session back after reset", established(t, c, g.addr))
}

func slicesEqual(a, b []string) bool {
	return strings.Join(a, ",") == strings.Join(b, ",")
}
