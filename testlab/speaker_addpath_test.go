package testlab

import (
	"context"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	api "github.com/osrg/gobgp/v3/api"

	"github.com/tuyau-net/tuyau/bgp"
)

// TestRouterKeepsBackupAnnouncement is the demo's core site failure at its
// narrowest: a lab router reflecting for two tuyau speakers, the primary
// (local-pref 200) and the backup (100) of one prefix. The backup speaker
// receives the primary back from the router, so it is not its own best path:
// it reaches the router only over add-path, which the speaker sends only when
// the router says it receives add-path (FRR does, by default). Then the
// router reboots and the backup speaker withdraws and announces again as the
// failover does after its rise (0.4 s after the session is up, 1.6 s later):
// the router must hold both paths every time.
func TestRouterKeepsBackupAnnouncement(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	const asn = 65000
	rAddr, pAddr, bAddr := netip.MustParseAddr("127.0.0.1"), netip.MustParseAddr("127.0.0.2"), netip.MustParseAddr("127.0.0.3")
	port := freePortOn(t, rAddr, pAddr, bAddr)
	prefix := netip.MustParsePrefix("203.0.113.0/25")

	r := newSpeaker(slog.New(slog.DiscardHandler))
	t.Cleanup(func() { r.stop(context.Background()) })
	g := bgpGlobal{asn: asn, routerID: rAddr.String(), port: port, listen: rAddr.String()}
	want := desired{global: &g, peers: map[netip.Addr]peerSpec{}, up: map[netip.Addr]bool{}}
	for _, a := range []netip.Addr{pAddr, bAddr} {
		want.peers[a] = peerSpec{remote: a, port: uint32(port), local: rAddr, peerAS: asn, localAS: asn, v4: true,
			rrClient: true, addPath: true, clusterID: rAddr.String(), keepalive: 3, hold: 9, description: a.String(), passive: true}
		want.up[a] = true
	}
	if err := r.reconcile(ctx, want); err != nil {
		t.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "tuyau-addpath")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	var logs syncBuffer
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelWarn}))
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("speakers' warnings:\n%s", logs.String())
		}
	})
	serve := func(name string, addr netip.Addr) *bgp.Speaker {
		sp := bgp.NewSpeaker(bgp.Config{Name: name, ASN: asn, RouterID: addr, Listen: addr, Port: port,
			API:   filepath.Join(dir, name+".sock"),
			Peers: []bgp.PeerConfig{{Device: "r1", Address: rAddr, ASN: asn, Port: port, ConnectRetry: 1, HoldTime: 9, Keepalive: 3}}}, bgp.WithLogger(log))
		sctx, stop := context.WithCancel(ctx)
		done, served := make(chan struct{}), make(chan error, 1)
		go func() { defer close(done); served <- sp.Serve(sctx) }()
		t.Cleanup(func() { stop(); <-done })
		select {
		case <-sp.Ready():
		case err := <-served: // a CI run saw "not ready" and no reason
			t.Fatalf("speaker %s ended before it was ready: %v", name, err)
		case <-time.After(30 * time.Second):
			t.Fatalf("speaker %s not ready in 30 s", name)
		}
		return sp
	}
	primary, backup := serve("primary", pAddr), serve("backup", bAddr)
	// The router's paths for prefix, by the speaker each came from.
	held := func() map[string]bool {
		out := map[string]bool{}
		r.srv.ListPath(ctx, &api.ListPathRequest{TableType: api.TableType_GLOBAL, Family: famV4,
			Prefixes: []*api.TableLookupPrefix{{Prefix: prefix.String()}}}, func(d *api.Destination) {
			for _, p := range d.Paths {
				out[p.NeighborIp] = true
			}
		})
		return out
	}
	waitBoth := func(what string) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for {
			h := held()
			if h[pAddr.String()] && h[bAddr.String()] {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: the router holds %s from %v, want the primary %s and the backup %s", what, prefix, h, pAddr, bAddr)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	// upAt waits for the router's session with addr to be established.
	upAt := func(addr netip.Addr) {
		t.Helper()
		start := time.Now()
		deadline := start.Add(60 * time.Second)
		defer func() { t.Logf("router: session with %s up after %v", addr, time.Since(start)) }()
		for {
			up := false
			r.srv.ListPeer(ctx, &api.ListPeerRequest{Address: addr.String()}, func(p *api.Peer) {
				up = p.GetState().GetSessionState() == api.PeerState_ESTABLISHED
			})
			if up {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("router: session with %s not up after 15 s", addr)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	upAt(pAddr)
	upAt(bAddr)
	if err := primary.Announce(ctx, prefix, bgp.Attrs{LocalPref: 200}); err != nil {
		t.Fatal(err)
	}
	// The backup announces once the primary is in its RIB, as in the
	// demo's steady state.
	waitPaths(t, ctx, backup, prefix, 1)
	if err := backup.Announce(ctx, prefix, bgp.Attrs{LocalPref: 100, MED: 100}); err != nil {
		t.Fatal(err)
	}
	waitBoth("steady state")
	for i := range 3 {
		r.silence(ctx) // power off: sessions and paths gone
		if err := r.reconcile(ctx, want); err != nil {
			t.Fatal(err)
		}
		upAt(pAddr)
		upAt(bAddr)
		time.Sleep(400 * time.Millisecond)
		if err := backup.Withdraw(ctx, prefix); err != nil {
			t.Fatal(err)
		}
		time.Sleep(1600 * time.Millisecond)
		if err := backup.Announce(ctx, prefix, bgp.Attrs{LocalPref: 100, MED: 100}); err != nil {
			t.Fatal(err)
		}
		waitBoth("after reboot " + string(rune('1'+i)))
	}
	if l := logs.String(); strings.Contains(l, "does not receive add-path") {
		t.Errorf("a speaker warned that the router does not receive add-path:\n%s", l)
	}
}

// waitPaths waits for sp to hold n received paths of prefix.
func waitPaths(t *testing.T, ctx context.Context, sp *bgp.Speaker, prefix netip.Prefix, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		ps, err := sp.Paths(ctx, prefix)
		got := 0
		for _, p := range ps {
			if !p.Local {
				got++
			}
		}
		if err == nil && got >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("speaker: %d received paths of %s after 10 s (%v), want %d", got, prefix, err, n)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// freePortOn returns a TCP port free on every one of addrs: the router and
// both speakers listen on the same port number, each on its own address,
// and a port free on 127.0.0.1 may be taken on 127.0.0.3 by another
// package's test running beside this one.
func freePortOn(t *testing.T, addrs ...netip.Addr) int {
	t.Helper()
	for range 50 {
		l, err := net.Listen("tcp", net.JoinHostPort(addrs[0].String(), "0"))
		if err != nil {
			t.Fatal(err)
		}
		port := l.Addr().(*net.TCPAddr).Port
		held := []net.Listener{l}
		for _, a := range addrs[1:] {
			o, err := net.Listen("tcp", net.JoinHostPort(a.String(), strconv.Itoa(port)))
			if err != nil {
				break
			}
			held = append(held, o)
		}
		for _, h := range held {
			h.Close()
		}
		if len(held) == len(addrs) {
			return port
		}
	}
	t.Fatalf("no TCP port free on all of %v in 50 tries", addrs)
	return 0
}
