package netbox_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/tuyau-net/tuyau/inventory"
)

// TestLocationsPushPull moves the rooms of a core site through the states
// a datacenter goes through: a building with rooms inside, a router moved
// to a new room and the old one removed, then no rooms at all. Each push
// must read back as written, and a second push must write nothing.
func TestLocationsPushPull(t *testing.T) {
	ctx := context.Background()
	sim, nb := newTestNetBox(t)
	base := loadExample(t)
	si := 0
	site := base.Sites[si].Slug
	dev := slices.IndexFunc(base.Devices, func(d inventory.Device) bool { return d.Site == site })
	panel := slices.IndexFunc(base.PatchPanels, func(p inventory.PatchPanel) bool { return p.Site == site })
	if dev < 0 || panel < 0 {
		t.Fatalf("example site %s has no router or no panel", site)
	}
	otherLocs := 0
	for i, s := range base.Sites {
		if i != si {
			otherLocs += len(s.Locations)
		}
	}

	nested := base.Clone()
	nested.Sites[si].Locations = []inventory.Location{
		{Slug: "batiment-1", Name: "Bâtiment 1"},
		{Slug: "salle-a", Name: "Salle A", Parent: "batiment-1"},
		{Slug: "salle-b", Name: "Salle B", Parent: "batiment-1"},
	}
	moved := nested.Clone()
	moved.Sites[si].Locations = []inventory.Location{
		{Slug: "batiment-1", Name: "Bâtiment 1"},
		{Slug: "salle-b", Name: "Salle B (fibre)", Parent: "batiment-1"},
		{Slug: "salle-c", Name: "Salle C"},
	}
	moved.Devices[dev].Location = "salle-c"
	none := moved.Clone()
	none.Sites[si].Locations = nil
	none.Devices[dev].Location = ""
	none.PatchPanels[panel].Location = ""

	steps := []struct {
		name string
		want *inventory.Snapshot
		locs int
	}{
		{"building with rooms", nested, 3},
		{"router moved, old room removed", moved, 3},
		{"no rooms", none, 0},
		{"rooms again", base, len(base.Sites[si].Locations)},
	}
	for _, st := range steps {
		if err := push(ctx, nb, st.want); err != nil {
			t.Fatalf("%s: push: %v", st.name, err)
		}
		got, err := nb.Load(ctx)
		if err != nil {
			t.Fatalf("%s: load: %v", st.name, err)
		}
		assertSame(t, st.want, got)
		if n := sim.Count("dcim/locations"); n != st.locs+otherLocs {
			t.Errorf("%s: NetBox holds %d locations, want %d", st.name, n, st.locs+otherLocs)
		}
		before := sim.Stats().Writes
		if err := push(ctx, nb, st.want); err != nil {
			t.Fatalf("%s: second push: %v", st.name, err)
		}
		if w := sim.Stats().Writes - before; w != 0 {
			t.Errorf("%s: second push made %d writes, want 0", st.name, w)
		}
	}
}

// TestLocationKeptDevice removes a room that still holds a router the file
// no longer lists. Without --prune NetBox keeps the router, so the room
// cannot go: the push says which room and what to do. With --prune the
// router goes first, then the room.
func TestLocationKeptDevice(t *testing.T) {
	ctx := context.Background()
	sim, nb := newTestNetBox(t)
	base := loadExample(t)
	if err := push(ctx, nb, base); err != nil {
		t.Fatalf("push: %v", err)
	}
	dev := slices.IndexFunc(base.Devices, func(d inventory.Device) bool { return d.Location != "" })
	if dev < 0 {
		t.Fatal("the example has no device in a location")
	}
	d := base.Devices[dev]
	want := base.Clone()
	si := slices.IndexFunc(want.Sites, func(s inventory.Site) bool { return s.Slug == d.Site })
	want.Sites[si].Locations = slices.DeleteFunc(want.Sites[si].Locations, func(l inventory.Location) bool { return l.Slug == d.Location })
	// Drop the router and everything that names it, as an engineer would.
	want.Devices = slices.Delete(want.Devices, dev, dev+1)
	want.Cables = slices.DeleteFunc(want.Cables, func(c inventory.Cable) bool { return c.A.Device == d.Name || c.B.Device == d.Name })
	for i := range want.Devices {
		want.Devices[i].BGPSessions = slices.DeleteFunc(want.Devices[i].BGPSessions, func(b inventory.BGPSession) bool { return b.PeerDevice == d.Name })
	}
	for i := range want.Circuits {
		for _, e := range []*inventory.CircuitEnd{&want.Circuits[i].A, &want.Circuits[i].Z} {
			if e.Device == d.Name {
				e.Device, e.Interface = "", ""
			}
		}
	}

	_, err := nb.Push(ctx, want, false, false)
	if err == nil || !strings.Contains(err.Error(), "location "+d.Site+":"+d.Location) || !strings.Contains(err.Error(), "--prune") {
		t.Fatalf("push without prune: %v, want an error naming location %s:%s and --prune", err, d.Site, d.Location)
	}
	t.Logf("push without prune: %v", err)
	if _, err := nb.Push(ctx, want, true, false); err != nil {
		t.Fatalf("push --prune: %v", err)
	}
	got, err := nb.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	assertSame(t, want, got)
	n := 0
	for _, s := range want.Sites {
		n += len(s.Locations)
	}
	if c := sim.Count("dcim/locations"); c != n {
		t.Errorf("NetBox holds %d locations, want %d", c, n)
	}
}
