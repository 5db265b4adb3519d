package inventory_test

import (
	"encoding/json"
	"net/netip"
	"testing"

	"github.com/tuyau-net/tuyau/inventory"
	"github.com/tuyau-net/tuyau/inventory/synth"
)

func TestDiffApplyConverges(t *testing.T) {
	from, err := synth.Generate(synth.Options{Sites: 30, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	to := from.Clone()
	// A day of an engineer's changes: an MTU, a new member session, a cable
	// re-routed into another duct, a site removed with everything on it.
	to.Devices[3].Interfaces[1].MTU = 9000
	to.Devices[4].BGPSessions = append(to.Devices[4].BGPSessions, inventory.BGPSession{
		PeerAddress: netip.MustParseAddr("192.0.2.200"), PeerASN: 64500, Role: inventory.BGPTransit})
	to.Cables[5].SRLGs = []string{"duct-new"}
	to.Services = to.Services[:1]
	to.Network.Description = "changed"
	// A room renamed rides with its site; a router moved to the other room
	// is a device change.
	to.Sites[0].Locations[1].Name = "Salle B (fibre)"
	to.Devices[0].Location = to.Sites[0].Locations[1].Slug

	cs, err := inventory.Diff(from, to)
	if err != nil {
		t.Fatal(err)
	}
	counts := map[string]int{}
	for _, c := range cs {
		counts[string(c.Op)+" "+c.Kind]++
	}
	want := map[string]int{"update interface": 1, "create bgp-session": 1, "update cable": 1, "delete service": 1, "update network": 1,
		"update site": 1, "update device": 1}
	if len(counts) != len(want) {
		t.Errorf("Diff gave %v, want %v", counts, want)
	}
	for k, n := range want {
		if counts[k] != n {
			t.Errorf("Diff: %d × %q, want %d (all: %v)", counts[k], k, n, counts)
		}
	}
	got, err := cs.ApplyTo(from)
	if err != nil {
		t.Fatal(err)
	}
	rest, err := inventory.Diff(got, to)
	if err != nil {
		t.Fatal(err)
	}
	if len(rest) != 0 {
		t.Errorf("after ApplyTo, Diff = %v, want none", rest)
	}
	if from.Sites[0].Locations[1].Name == to.Sites[0].Locations[1].Name {
		t.Error("Clone shares the locations of a site with its original")
	}
	// ApplyTo works on a copy.
	again, _ := inventory.Diff(from, to)
	if len(again) != len(cs) {
		t.Errorf("ApplyTo modified its input: %d changes then %d", len(cs), len(again))
	}
}

func TestApplyToRejectsWhatDoesNotFit(t *testing.T) {
	s, err := synth.Generate(synth.Options{Sites: 6, Seed: 2})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		cs   inventory.ChangeSet
	}{
		{"update missing", inventory.ChangeSet{{Op: inventory.OpUpdate, Kind: "site", Key: "nowhere", After: &inventory.Site{Slug: "nowhere"}}}},
		{"create existing", inventory.ChangeSet{{Op: inventory.OpCreate, Kind: "site", Key: s.Sites[0].Slug, After: &s.Sites[0]}}},
		{"interface on unknown device", inventory.ChangeSet{{Op: inventory.OpCreate, Kind: "interface", Key: "ghost:eth1", After: &inventory.Interface{Name: "eth1"}}}},
		{"unknown kind", inventory.ChangeSet{{Op: inventory.OpCreate, Kind: "vlan", Key: "10"}}},
		{"wrong type", inventory.ChangeSet{{Op: inventory.OpCreate, Kind: "site", Key: "x", After: &inventory.Device{}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before, _ := json.Marshal(s)
			if _, err := tt.cs.ApplyTo(s); err == nil {
				t.Errorf("ApplyTo(%v) succeeded, want an error", tt.cs)
			}
			after, _ := json.Marshal(s)
			if string(before) != string(after) {
				t.Errorf("ApplyTo(%v) changed its input", tt.cs)
			}
		})
	}
}

// TestApplyToTracksWhatExists follows existence through a change set:
// what a change creates or deletes, and what a deleted device takes with it.
func TestApplyToTracksWhatExists(t *testing.T) {
	s, err := synth.Generate(synth.Options{Sites: 6, Seed: 2})
	if err != nil {
		t.Fatal(err)
	}
	d := s.Devices[len(s.Devices)-1]
	ifc := d.Interfaces[0]
	key := d.Name + ":" + ifc.Name
	bare := d
	bare.Interfaces, bare.BGPSessions = nil, nil
	tests := []struct {
		name    string
		cs      inventory.ChangeSet
		wantErr bool
	}{
		{"delete then create the same site", inventory.ChangeSet{
			{Op: inventory.OpDelete, Kind: "site", Key: s.Sites[0].Slug},
			{Op: inventory.OpCreate, Kind: "site", Key: s.Sites[0].Slug, After: &s.Sites[0]},
		}, false},
		{"create then update", inventory.ChangeSet{
			{Op: inventory.OpCreate, Kind: "region", Key: "new", After: &inventory.Region{Slug: "new"}},
			{Op: inventory.OpUpdate, Kind: "region", Key: "new", After: &inventory.Region{Slug: "new", Name: "New"}},
		}, false},
		{"delete twice", inventory.ChangeSet{
			{Op: inventory.OpDelete, Kind: "cable", Key: s.Cables[0].Label},
			{Op: inventory.OpDelete, Kind: "cable", Key: s.Cables[0].Label},
		}, true},
		{"a deleted device takes its interfaces", inventory.ChangeSet{
			{Op: inventory.OpUpdate, Kind: "interface", Key: key, After: &ifc},
			{Op: inventory.OpDelete, Kind: "device", Key: d.Name},
			{Op: inventory.OpCreate, Kind: "device", Key: d.Name, After: &bare},
			{Op: inventory.OpCreate, Kind: "interface", Key: key, After: &ifc},
		}, false},
		{"no interface left to update on a deleted device", inventory.ChangeSet{
			{Op: inventory.OpUpdate, Kind: "interface", Key: key, After: &ifc},
			{Op: inventory.OpDelete, Kind: "device", Key: d.Name},
			{Op: inventory.OpCreate, Kind: "device", Key: d.Name, After: &bare},
			{Op: inventory.OpUpdate, Kind: "interface", Key: key, After: &ifc},
		}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.cs.ApplyTo(s)
			if (err != nil) != tt.wantErr {
				t.Errorf("ApplyTo: %v, want error %v", err, tt.wantErr)
			}
		})
	}
}
