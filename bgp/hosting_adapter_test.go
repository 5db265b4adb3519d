package bgp

import (
	"context"
	"errors"
	"net/netip"
	"testing"

	"github.com/tuyau-net/tuyau/bgp/hosting"
)

type fakeSpeaker struct {
	paths []Path
	err   error
	got   []Attrs
}

func (f *fakeSpeaker) Announce(_ context.Context, _ netip.Prefix, a Attrs) error {
	f.got = append(f.got, a)
	return nil
}
func (f *fakeSpeaker) Withdraw(context.Context, netip.Prefix) error { return nil }
func (f *fakeSpeaker) Paths(context.Context, netip.Prefix) ([]Path, error) {
	return f.paths, f.err
}

func TestHostingView(t *testing.T) {
	p := netip.MustParsePrefix("198.51.100.0/24")
	// Each speaker sees its own announcement as Local and the other site's
	// through add-path from its route reflector.
	a := &fakeSpeaker{paths: []Path{
		{Site: "saint-lo-dc", Local: true, Attrs: Attrs{LocalPref: 200}},
		{Site: "cherbourg-en-cotentin-dc", Attrs: Attrs{LocalPref: 100, MED: 100}},
	}}
	b := &fakeSpeaker{paths: []Path{
		{Site: "cherbourg-en-cotentin-dc", Local: true, Attrs: Attrs{LocalPref: 100, MED: 100}},
	}}
	got, err := HostingView(a, b).Paths(context.Background(), p)
	if err != nil || len(got) != 1 || got[0].Site != "cherbourg-en-cotentin-dc" || got[0].Attrs.MED != 100 || !got[0].HasAttrs {
		t.Errorf("Paths = %+v, %v; want only cherbourg (saint-lo is only in its own speaker's RIB)", got, err)
	}
	b.paths = append(b.paths, Path{Site: "saint-lo-dc", Attrs: Attrs{LocalPref: 200}})
	if got, _ := HostingView(a, b).Paths(context.Background(), p); len(got) != 2 || got[0].Site != "cherbourg-en-cotentin-dc" || got[1].Attrs.LocalPref != 200 {
		t.Errorf("Paths = %+v, want both sites once the core carries saint-lo's path", got)
	}
	b.err = errors.New("speaker down")
	if got, err := HostingView(a, b).Paths(context.Background(), p); err != nil || len(got) != 1 {
		t.Errorf("one speaker failing: %+v, %v; want the other's view", got, err)
	}
	a.err = errors.New("speaker down")
	if _, err := HostingView(a, b).Paths(context.Background(), p); err == nil {
		t.Error("every speaker failing: no error")
	}
}

func TestHostingAnnouncer(t *testing.T) {
	sp := &fakeSpeaker{}
	nh4, nh6 := netip.MustParseAddr("10.1.0.10"), netip.MustParseAddr("2001:db8:1::10")
	an := HostingAnnouncer(sp, nh4, nh6)
	ctx := context.Background()
	at := hosting.Attrs{LocalPref: 200, MED: 0, Communities: []string{"65000:100"}}
	if err := an.Announce(ctx, netip.MustParsePrefix("198.51.100.0/24"), at); err != nil {
		t.Fatal(err)
	}
	if err := an.Announce(ctx, netip.MustParsePrefix("2001:db8:100::/48"), at); err != nil {
		t.Fatal(err)
	}
	if len(sp.got) != 2 || sp.got[0].NextHop != nh4 || sp.got[1].NextHop != nh6 || sp.got[0].LocalPref != 200 || sp.got[1].Communities[0] != "65000:100" {
		t.Errorf("announced %+v", sp.got)
	}
	pfx := netip.MustParsePrefix("198.51.100.0/24")
	h := an.(hosting.Holder)
	for _, tc := range []struct {
		name  string
		paths []Path
		err   error
		want  bool
	}{
		{name: "its own announcement", paths: []Path{{Site: "b", Attrs: Attrs{LocalPref: 200}}, {Site: "a", Local: true}}, want: true},
		{name: "restarted: only the other site's path", paths: []Path{{Site: "b", Attrs: Attrs{LocalPref: 200}}}},
		{name: "speaker unreachable", err: errors.New("connection refused")},
	} {
		sp.paths, sp.err = tc.paths, tc.err
		got, err := h.Holds(ctx, pfx)
		if got != tc.want || (err != nil) != (tc.err != nil) {
			t.Errorf("%s: Holds = %v, %v; want %v (error %v)", tc.name, got, err, tc.want, tc.err != nil)
		}
	}
	sp.paths, sp.err = nil, nil
	if err := HostingAnnouncer(sp, nh4, netip.Addr{}).Announce(ctx, netip.MustParsePrefix("2001:db8:100::/48"), at); err == nil {
		t.Error("IPv6 prefix without an IPv6 next hop accepted")
	}
}
