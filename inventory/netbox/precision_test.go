package netbox_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/tuyau-net/tuyau/inventory"
	"github.com/tuyau-net/tuyau/inventory/netbox"
)

// TestPushRoundsToWhatNetBoxKeeps: NetBox answers 400 to a cable length
// with 3 decimals or a latitude with 7 (the simulator as NetBox does).
// Push writes them rounded, says so, reads them back equal to the rounded
// inventory, and a second push changes nothing.
func TestPushRoundsToWhatNetBoxKeeps(t *testing.T) {
	ctx := context.Background()
	_, nb := newTestNetBox(t)
	want := loadExample(t)
	want.Cables[0].Length = mustLength(t, 12.345, "km")
	want.Cables[1].Length = mustLength(t, 812.125, "m")
	want.Sites[0].Latitude, want.Sites[0].Longitude = 49.1158333, -1.0906111
	orig := want.Cables[0].Length

	res, err := nb.Push(ctx, want, true, false)
	if err != nil {
		t.Fatalf("push: %v", err)
	}
	if want.Cables[0].Length != orig {
		t.Errorf("push changed the caller's snapshot: %v", want.Cables[0].Length)
	}
	got := map[string]string{}
	for _, r := range res.Rounded {
		got[r.Object+" "+r.Field] = r.From + " -> " + r.To
	}
	wantRounded := map[string]string{
		"cable " + want.Cables[0].Label + " length": "12.345 km -> 12.35 km",
		"cable " + want.Cables[1].Label + " length": "812.125 m -> 812.13 m",
		"site " + want.Sites[0].Slug + " latitude":  "49.1158333 -> 49.115833",
		"site " + want.Sites[0].Slug + " longitude": "-1.0906111 -> -1.090611",
	}
	for k, v := range wantRounded {
		if got[k] != v {
			t.Errorf("rounded %s: %q, want %q (all: %v)", k, got[k], v, got)
		}
	}
	if len(got) != len(wantRounded) {
		t.Errorf("rounded: %v, want only %v", got, wantRounded)
	}

	pulled, err := nb.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	stored, _ := netbox.Storable(want)
	assertSame(t, stored, pulled)
	if l := pulled.Cables[0].Length; l.String() != "12.35 km" {
		t.Errorf("pulled length %s, want 12.35 km", l)
	}
	again, err := nb.Push(ctx, want, true, false)
	if err != nil || len(again.Changes) != 0 {
		t.Errorf("second push: %v, %d changes (%v), want none", err, len(again.Changes), again.Changes)
	}
}

func mustLength(t *testing.T, v float64, unit string) inventory.Length {
	t.Helper()
	l, err := inventory.NewLength(v, unit)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// TestUpdatesAreBulk: changing every region, circuit and ASN is one bulk
// PATCH per kind (and one for the circuits' terminations), not one
// request per object, and reads back.
func TestUpdatesAreBulk(t *testing.T) {
	ctx := context.Background()
	sim, nb := newTestNetBox(t)
	if err := push(ctx, nb, loadExample(t)); err != nil {
		t.Fatal(err)
	}
	want := loadExample(t)
	for i := range want.Regions {
		want.Regions[i].Name += " (renamed)"
	}
	for i := range want.Circuits {
		want.Circuits[i].Bandwidth *= 2
	}
	for i := range want.ASNs {
		want.ASNs[i].Description = "renumbered " + want.ASNs[i].Name
	}
	if len(want.Regions)+len(want.Circuits)+len(want.ASNs) < 6 {
		t.Fatalf("the example has too few regions, circuits and ASNs to tell: %d, %d, %d", len(want.Regions), len(want.Circuits), len(want.ASNs))
	}
	before := sim.Stats().Writes
	res, err := nb.Push(ctx, want, true, false)
	if err != nil {
		t.Fatal(err)
	}
	writes := sim.Stats().Writes - before
	if n := len(res.Changes); n != len(want.Regions)+len(want.Circuits)+len(want.ASNs) {
		t.Errorf("%d changes, want %d", n, len(want.Regions)+len(want.Circuits)+len(want.ASNs))
	}
	if writes > 4 {
		t.Errorf("%d write requests for %d regions, %d circuits and %d ASNs, want at most 4 (one bulk PATCH per kind)",
			writes, len(want.Regions), len(want.Circuits), len(want.ASNs))
	}
	got, err := nb.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	assertSame(t, want, got)
}

// TestDryRunPredictsNetBoxRefusals: values NetBox answers 400 to (an
// interface description over 200 characters, a cable color in capitals,
// a site slug with a dot: the simulator checks them against NetBox's
// schema) are refused by the dry run and by the push alike, all listed at
// once, before anything is written.
func TestDryRunPredictsNetBoxRefusals(t *testing.T) {
	ctx := context.Background()
	sim, nb := newTestNetBox(t)
	want := loadExample(t)
	want.Devices[0].Interfaces[0].Description = strings.Repeat("é", 201)
	want.Cables[0].Color = "FF6600"
	want.Sites[0].Name = strings.Repeat("x", 101)
	before := sim.Stats().Writes
	for _, dry := range []bool{true, false} {
		_, err := nb.Push(ctx, want, true, dry)
		var refused *netbox.RefusedError
		if !errors.As(err, &refused) || netbox.Transient(err) {
			t.Fatalf("push (dry run %v): %v, want a refusal", dry, err)
		}
		for _, s := range []string{
			"device " + want.Devices[0].Name + " interface " + want.Devices[0].Interfaces[0].Name + ": description is 201 characters, NetBox takes at most 200",
			"cable " + want.Cables[0].Label + `: color "FF6600"`,
			"site " + want.Sites[0].Slug + ": name is 101 characters",
		} {
			if !strings.Contains(err.Error(), s) {
				t.Errorf("push (dry run %v): %v\nwant it to say %q", dry, err, s)
			}
		}
	}
	if n := sim.Stats().Writes - before; n != 0 {
		t.Errorf("%d writes before the refusal", n)
	}
	// What the check lets through, NetBox takes: at the limits exactly.
	want = loadExample(t)
	want.Devices[0].Interfaces[0].Description = strings.Repeat("é", 200)
	want.Cables[0].Color = "ff6600"
	if _, err := nb.Push(ctx, want, true, false); err != nil {
		t.Fatalf("push at the limits: %v", err)
	}
}
