package bgp

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	api "github.com/osrg/gobgp/v3/api"
)

// birdPeer is BIRD 2 playing a core router on the loopback.
type birdPeer struct {
	t          *testing.T
	dir, birdc string
	sock, conf string
}

const birdConf = `log stderr all;
router id 10.255.0.2;
protocol device { }
protocol static {
  ipv4;
  route 10.96.0.0/24 blackhole;
}
protocol bgp speaker {
  local %s port %d as %d;
  neighbor %s port %d as 65000;
  password "%s";
  rr client;
  rr cluster id 10.255.0.2;
  connect retry time 1;
  hold time 9;
  keepalive time 3;
  graceful restart on;
  ipv4 {
    import all;
    export filter { bgp_med = 40; bgp_local_pref = 250; bgp_community.add((65000,200)); accept; };
    next hop self;
    add paths tx;
  };
}
`

func (b *birdPeer) write(localASN uint32, local netip.Addr, port int, speaker netip.Addr, speakerPort int, password string) {
	conf := fmt.Sprintf(birdConf, local, port, localASN, speaker, speakerPort, password)
	if localASN != 65000 {
		// eBGP now: BIRD refuses the route-reflector lines there.
		for _, l := range []string{"  rr client;\n", "  rr cluster id 10.255.0.2;\n"} {
			conf = strings.Replace(conf, l, "", 1)
		}
		conf = strings.Replace(conf, "  connect retry time 1;\n", "  connect retry time 1;\n  multihop;\n", 1)
	}
	if err := os.WriteFile(b.conf, []byte(conf), 0o600); err != nil {
		b.t.Fatal(err)
	}
}

func (b *birdPeer) show(args ...string) string {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, _ := exec.CommandContext(ctx, b.birdc, append([]string{"-s", b.sock}, args...)...).CombinedOutput()
	return string(out)
}

// TestBirdInterop: BIRD 2 as a route reflector with MD5 and add-path:
// session up, routes both ways with their attributes, a ROUTE-REFRESH from
// BIRD answered, and BIRD turned into the wrong AS refused with the reason.
func TestBirdInterop(t *testing.T) {
	bird := needTool(t, "bird", "bird2")
	b := &birdPeer{t: t, dir: t.TempDir(), birdc: needTool(t, "birdc", "bird2")}
	b.sock, b.conf = filepath.Join(b.dir, "bird.ctl"), filepath.Join(b.dir, "bird.conf")
	addr := netip.MustParseAddr("127.0.0.3")
	port := freePort(t, addr.String())
	cfg := speakerConfig(t, addr, port, PeerConfig{Device: "dc2-r1", Password: "secret-bird", HoldTime: 9, Keepalive: 3, GracefulRestart: 30})
	b.write(65000, addr, port, cfg.Listen, cfg.Port, "secret-bird")
	startProc(t, b.dir, bird, "-f", "-c", b.conf, "-s", b.sock, "-P", filepath.Join(b.dir, "bird.pid"))
	sp := serveSpeaker(t, cfg)
	c := sp.Client()
	ctx := context.Background()
	waitFor(t, 20*time.Second, "session with BIRD established", func() (bool, string) {
		p := peerOf(t, c, addr)
		return p.State == "established", fmt.Sprintf("%+v\n%s", p, b.show("show", "protocols", "all", "speaker"))
	})

	// BIRD -> speaker, with attributes; the site comes from BIRD's router id.
	waitFor(t, 10*time.Second, "BIRD's route at the speaker", func() (bool, string) {
		_, ok := routeFor(t, c, "10.96.0.0/24")
		return ok, "missing"
	})
	r, _ := routeFor(t, c, "10.96.0.0/24")
	if r.MED != 40 || r.LocalPref != 250 || !slicesEqual(r.Communities, []string{"65000:200"}) || r.Site != "dc2" {
		t.Errorf("route from BIRD = %+v, want MED 40, local-pref 250, community 65000:200, site dc2", r)
	}

	// speaker -> BIRD.
	hosting := netip.MustParsePrefix("198.51.100.0/24")
	if err := sp.Announce(ctx, hosting, Attrs{NextHop: netip.MustParseAddr("192.0.2.10"), MED: 10, LocalPref: 150, Communities: []string{"65000:300"}}); err != nil {
		t.Fatal(err)
	}
	var detail string
	waitFor(t, 10*time.Second, "the speaker's route in BIRD", func() (bool, string) {
		detail = b.show("show", "route", "198.51.100.0/24", "all")
		return strings.Contains(detail, "198.51.100.0/24"), detail
	})
	for _, want := range []string{"BGP.med: 10", "BGP.local_pref: 150", "BGP.community: (65000,300)", "BGP.next_hop: 192.0.2.10"} {
		if !strings.Contains(detail, want) {
			t.Errorf("BIRD's entry lacks %q:\n%s", want, detail)
		}
	}
	paths, err := sp.Paths(ctx, hosting)
	if err != nil || len(paths) != 1 || !paths[0].Local || paths[0].Site != "dc1" {
		t.Errorf("Paths(%s) = %+v, %v; want our own announcement at dc1", hosting, paths, err)
	}

	// Route refresh: BIRD asks for our routes again.
	refresh := func() uint64 {
		var n uint64
		sp.srvPeer(t, addr, func(p *api.Peer) { n = p.GetState().GetMessages().GetReceived().GetRefresh() })
		return n
	}
	before := refresh()
	if out := b.show("reload", "in", "speaker"); !strings.Contains(out, "reload") && !strings.Contains(out, "Reload") {
		t.Logf("birdc reload in: %s", out)
	}
	waitFor(t, 10*time.Second, "ROUTE-REFRESH from BIRD received", func() (bool, string) {
		n := refresh()
		return n > before, fmt.Sprintf("refresh received %d", n)
	})
	if _, ok := routeFor(t, c, "10.96.0.0/24"); !ok {
		t.Error("BIRD's route lost across the refresh")
	}

	// BIRD now claims another AS: the speaker refuses its OPEN (bad peer
	// AS) and says so; it keeps serving.
	b.write(65001, addr, port, cfg.Listen, cfg.Port, "secret-bird")
	if out := b.show("configure"); !strings.Contains(out, "onfigur") {
		t.Fatalf("birdc configure: %s", out)
	} else {
		t.Logf("birdc configure: %s", out)
	}
	waitFor(t, 20*time.Second, "wrong-AS session refused", func() (bool, string) {
		p := peerOf(t, c, addr)
		r := sp.Reason(addr)
		return p.State != "established" && strings.Contains(r, "as number mismatch expected 65000, received 65001"), fmt.Sprintf("%+v reason %q", p, r)
	})
	t.Logf("reason: %s", sp.Reason(addr))
	if _, err := c.Peers(ctx); err != nil {
		t.Fatalf("speaker after the wrong AS: %v", err)
	}
}
