package testlab

import (
	"net/netip"
	"testing"

	"github.com/tuyau-net/tuyau/inventory/synth"
)

// TestPlanSpeakers: each speaker of the inventory gets a lab address of its
// own, after every device and transit peer (adding speakers moves no
// address a lab without them had), standing for its listen address.
func TestPlanSpeakers(t *testing.T) {
	block := netip.MustParsePrefix("127.44.0.0/16")
	ports := Ports{SSH: 22, GNMI: 57400, BGP: 179}
	plan := func(speakers bool) *Plan {
		snap, err := synth.Generate(synth.Options{Sites: 6, Seed: 1, Speakers: speakers})
		if err != nil {
			t.Fatal(err)
		}
		p, err := NewPlan("spk", snap, block, ports)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	with, without := plan(true), plan(false)
	if len(with.Speakers) != 2 || len(without.Speakers) != 0 {
		t.Fatalf("speakers planned: %+v with, %+v without; want 2 and 0", with.Speakers, without.Speakers)
	}
	taken := map[netip.Addr]string{}
	for _, d := range with.Devices {
		taken[d.Addr] = d.Name
		if w, ok := without.Device(d.Name); !ok || w.Addr != d.Addr {
			t.Errorf("device %s at %s with speakers, %s without: an address moved", d.Name, d.Addr, w.Addr)
		}
	}
	for _, m := range with.Mapping {
		taken[m.Lab] = m.Device
	}
	for _, sp := range with.Speakers {
		if owner, dup := taken[sp.Addr]; dup {
			t.Errorf("speaker %s at %s: taken by %s", sp.Name, sp.Addr, owner)
		}
		taken[sp.Addr] = sp.Name
		if got, ok := with.speakerAt(sp.Listen); !ok || got.Name != sp.Name {
			t.Errorf("speakerAt(%s) = %+v, %v; want %s", sp.Listen, got, ok, sp.Name)
		}
		if _, ok := with.Speaker(sp.Name); !ok {
			t.Errorf("Speaker(%s) not found", sp.Name)
		}
	}
}
