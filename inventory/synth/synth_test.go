package synth

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/tuyau-net/tuyau/inventory"
)

func TestGenerateIsDeterministic(t *testing.T) {
	o := Options{Sites: 120, Seed: 42}
	a, err := Generate(o)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := Generate(o)
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	if !bytes.Equal(ja, jb) {
		t.Error("same options and seed gave two different networks")
	}
	o.Seed = 43
	c, _ := Generate(o)
	jc, _ := json.Marshal(c)
	if bytes.Equal(ja, jc) {
		t.Error("different seeds gave the same network")
	}
}

func TestGeneratedNetworksAreValid(t *testing.T) {
	tests := []Options{
		{Sites: 4, Seed: 1},
		{Sites: 50, Seed: 1, Profile: "manche"},
		{Sites: 80, Seed: 1, Profile: "manche"}, // more sites than Manche names
		{Sites: 300, Seed: 7},
		{Sites: 300, Seed: 7, NoPanels: true},
		{Sites: 200, Seed: 2, DualHomed: 1},
	}
	for _, o := range tests {
		s, err := Generate(o)
		if err != nil {
			t.Fatalf("Generate(%+v): %v", o, err)
		}
		if ps := inventory.Validate(s); ps != nil {
			t.Fatalf("Generate(%+v) is invalid: %v", o, ps)
		}
		sum := inventory.Summarize(s)
		if sum.Sites != o.Sites || sum.SitesByRole["core"] != 2 {
			t.Errorf("Generate(%+v): %d sites, %d core", o, sum.Sites, sum.SitesByRole["core"])
		}
		if o.DualHomed == 1 && sum.SingleHomed != 0 {
			t.Errorf("Generate(%+v): %d single-homed members, want 0", o, sum.SingleHomed)
		}
		perLink := 3
		if o.NoPanels {
			perLink = 1
		}
		// Every routed link is one cable or three (patch cord, trunk, patch cord),
		// plus one patch cord per transit circuit.
		links := 0
		for _, d := range s.Devices {
			for _, i := range d.Interfaces {
				if i.Name != "lo" && len(i.Addresses) > 0 {
					links++
				}
			}
		}
		links = (links - len(s.Circuits)) / 2
		if want := links*perLink + len(s.Circuits); len(s.Cables) != want {
			t.Errorf("Generate(%+v): %d cables for %d links, want %d", o, len(s.Cables), links, want)
		}
	}
}

func TestCoreSitesAreJoinedOnDiversePaths(t *testing.T) {
	s, err := Generate(Options{Sites: 50, Seed: 1, Profile: "manche"})
	if err != nil {
		t.Fatal(err)
	}
	x := inventory.NewIndex(s)
	core := s.Devices[0]
	var ducts [][]string
	for _, i := range core.Interfaces {
		p, err := x.Trace(core.Name, i.Name)
		if err != nil {
			t.Fatal(err)
		}
		if p.Complete && p.To.Device == s.Devices[1].Name {
			var d []string
			for _, c := range p.Cables {
				d = append(d, c.SRLGs...)
			}
			ducts = append(ducts, d)
			if i.Speed != 10000 {
				t.Errorf("core link %s at %s, want 10G", i.Name, i.Speed)
			}
		}
	}
	if len(ducts) != 2 {
		t.Fatalf("core sites joined by %d links, want 2", len(ducts))
	}
	for _, a := range ducts[0] {
		for _, b := range ducts[1] {
			if a == b {
				t.Errorf("the two core paths share duct %s", a)
			}
		}
	}
}

func TestBadOptions(t *testing.T) {
	for _, o := range []Options{{Sites: 3}, {Sites: MaxSites + 1}, {Sites: 10, Profile: "bretagne"}, {Sites: 10, DualHomed: 2}} {
		if _, err := Generate(o); err == nil {
			t.Errorf("Generate(%+v) succeeded, want an error", o)
		}
	}
}

// TestInterfacesPerDevice checks the load-test shape: every device gets
// at least the ports asked for, each cabled to a link or an access circuit
// that lands on it, and the network stays valid.
func TestInterfacesPerDevice(t *testing.T) {
	for _, o := range []Options{{Sites: 12, Seed: 1, InterfacesPerDevice: 48}, {Sites: 12, Seed: 1, InterfacesPerDevice: 4, NoPanels: true}} {
		s, err := Generate(o)
		if err != nil {
			t.Fatal(err)
		}
		if ps := inventory.Validate(s); ps != nil {
			t.Fatalf("%+v: invalid: %v", o, ps)
		}
		x := inventory.NewIndex(s)
		landed := map[string]bool{}
		for _, c := range s.Circuits {
			landed[c.A.Device+":"+c.A.Interface] = true
		}
		for _, d := range s.Devices {
			ports := 0
			for _, f := range d.Interfaces {
				if f.Name == "lo" {
					continue
				}
				path, err := x.Trace(d.Name, f.Name)
				if err != nil || !path.Complete {
					t.Errorf("%+v: %s %s: no complete cable path (%v)", o, d.Name, f.Name, err)
					continue
				}
				if path.To.Kind() == inventory.TermCircuit && !landed[d.Name+":"+f.Name] {
					t.Errorf("%+v: %s %s ends on circuit %s, which does not say it lands there", o, d.Name, f.Name, path.To.Circuit)
				}
				ports++
			}
			if ports < o.InterfacesPerDevice {
				t.Errorf("%+v: %s has %d monitored ports, want at least %d", o, d.Name, ports, o.InterfacesPerDevice)
			}
		}
	}
	if _, err := Generate(Options{Sites: 12, InterfacesPerDevice: MaxInterfacesPerDevice + 1}); err == nil {
		t.Error("too many interfaces per device accepted")
	}
}
