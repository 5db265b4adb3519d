package main

import (
	"context"
	"net/netip"
	"path/filepath"
	"testing"
	"time"

	"github.com/tuyau-net/tuyau/bgp"
	"github.com/tuyau-net/tuyau/inventory"
)

// TestSpeakerView reads a real speaker (GoBGP in-process, its API on a
// unix socket): its session to a peer that is not there, and the hosting
// service it announces shown as active at its site; then the same view
// with the speaker stopped says it does not answer.
func TestSpeakerView(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "bgp.sock")
	cfg := bgp.Config{Name: "sp1", ASN: 65000, RouterID: netip.MustParseAddr("10.254.0.1"), Site: "dc-a",
		Listen: netip.MustParseAddr("127.0.0.1"), Port: -1, API: sock,
		Peers:   []bgp.PeerConfig{{Device: "dc-a-r1", Address: netip.MustParseAddr("127.0.0.1"), ASN: 65000, Port: 1}},
		Origins: map[netip.Addr]string{}}
	sp := bgp.NewSpeaker(cfg)
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- sp.Serve(ctx) }()
	select {
	case <-sp.Ready():
	case err := <-errc:
		t.Fatalf("Serve: %v", err)
	case <-time.After(15 * time.Second):
		t.Fatal("speaker not ready")
	}
	prefix := netip.MustParsePrefix("192.0.2.0/24")
	if err := sp.Announce(ctx, prefix, bgp.Attrs{LocalPref: 200}); err != nil {
		t.Fatal(err)
	}
	c, err := bgp.Dial(ctx, sock)
	if err != nil {
		t.Fatal(err)
	}
	c.Site = cfg.Site
	v := &speakerView{speakers: []*bgp.Client{c}, names: []string{"sp1"},
		services: []inventory.HostingService{{Name: "hosting", Prefixes: []netip.Prefix{prefix}, Sites: []string{"dc-a", "dc-b"}},
			{Name: "other", Prefixes: []netip.Prefix{netip.MustParsePrefix("198.51.100.0/24")}, Sites: []string{"dc-b", "dc-a"}}}}
	defer v.Close()
	st, err := v.BGP(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !st.Running || len(st.Sessions) != 1 || st.Sessions[0].State == "ESTABLISHED" || st.Sessions[0].Device != "sp1" {
		t.Errorf("BGP = %+v, want running with one session not established", st)
	}
	if s := st.Services[0]; !s.Known || s.ActiveSite != "dc-a" {
		t.Errorf("service hosting = %+v, want active at dc-a", s)
	}
	if s := st.Services[1]; !s.Known || s.ActiveSite != "" {
		t.Errorf("service other = %+v, want known and announced nowhere", s)
	}
	cancel()
	if err := <-errc; err != nil {
		t.Errorf("Serve: %v", err)
	}
	st, err = v.BGP(context.Background())
	if err != nil || st.Running || st.Note != "speaker sp1 does not answer" || len(st.Services) != 2 || st.Services[0].Known {
		t.Errorf("stopped speaker: %+v, %v; want not running, a note and the services without state", st, err)
	}
}

func TestActiveSite(t *testing.T) {
	p := func(site string, lp uint32) bgp.Path { return bgp.Path{Site: site, Attrs: bgp.Attrs{LocalPref: lp}} }
	pref := []string{"a", "b"}
	for _, tc := range []struct {
		paths []bgp.Path
		want  string
	}{
		{nil, ""},
		{[]bgp.Path{p("b", 100), p("a", 100)}, "a"},
		{[]bgp.Path{p("a", 100), p("b", 200)}, "b"},
		{[]bgp.Path{p("b", 100)}, "b"},
	} {
		if got := activeSite(tc.paths, pref); got != tc.want {
			t.Errorf("activeSite(%v) = %q, want %q", tc.paths, got, tc.want)
		}
	}
}
