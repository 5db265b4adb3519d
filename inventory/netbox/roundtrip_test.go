package netbox_test

import (
	"context"
	"net/http/httptest"
	"net/netip"
	"testing"
	"time"

	"github.com/tuyau-net/tuyau/inventory"
	"github.com/tuyau-net/tuyau/inventory/netbox"
	"github.com/tuyau-net/tuyau/inventory/yamlstore"
	"github.com/tuyau-net/tuyau/testlab/netboxsim"
)

const testToken = "0123456789abcdef0123456789abcdef01234567"

// newTestNetBox starts a simulator with tuyau's custom fields and returns
// it with a store pointed at it.
func newTestNetBox(t *testing.T, opts ...netbox.Option) (*netboxsim.Server, *netbox.Store) {
	t.Helper()
	sim := netboxsim.New(netboxsim.Options{Tokens: []string{testToken}})
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	all := append([]netbox.Option{netbox.WithToken(testToken), netbox.WithRetry(3, time.Millisecond), netbox.WithPageSize(100),
		exampleOptics(t)}, opts...)
	nb, err := netbox.New(srv.URL, all...)
	if err != nil {
		t.Fatal(err)
	}
	admin, err := netbox.New(srv.URL, netbox.WithToken(testToken))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := admin.Bootstrap(context.Background()); err != nil {
		t.Fatalf("bootstrap: %v", err)
	}
	return sim, nb
}

// exampleOptics gives a store the example's optics table, which NetBox
// does not hold (the example's interfaces name its vendor types).
func exampleOptics(t *testing.T) netbox.Option {
	t.Helper()
	snap, err := yamlstore.Open("../../examples/manche/optics.yaml").Parse(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return netbox.WithOptics(snap.Optics, "examples/manche/optics.yaml")
}

func loadExample(t *testing.T) *inventory.Snapshot {
	t.Helper()
	snap, err := yamlstore.Open("../../examples/manche").Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return snap
}

// push makes nb hold want, the way `tuyau inventory push --prune` does.
func push(ctx context.Context, nb *netbox.Store, want *inventory.Snapshot) error {
	_, err := nb.Push(ctx, want, true, false)
	return err
}

func assertSame(t *testing.T, want, got *inventory.Snapshot) {
	t.Helper()
	cs, err := inventory.Diff(want, got)
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range cs {
		if i == 10 {
			t.Errorf("... and %d more", len(cs)-10)
			break
		}
		t.Errorf("after the round trip: %s\n  want %+v\n  got  %+v", c, c.Before, c.After)
	}
}

func TestExampleRoundTrip(t *testing.T) {
	ctx := context.Background()
	sim, nb := newTestNetBox(t)
	want := loadExample(t)
	if err := push(ctx, nb, want); err != nil {
		t.Fatalf("push: %v", err)
	}
	got, err := nb.Load(ctx)
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	assertSame(t, want, got)
	if n := sim.Count("dcim/cables"); n != len(want.Cables) {
		t.Errorf("NetBox holds %d cables, want %d", n, len(want.Cables))
	}
	// A second push of the same file changes nothing.
	before := sim.Stats().Writes
	if err := push(ctx, nb, want); err != nil {
		t.Fatalf("second push: %v", err)
	}
	if w := sim.Stats().Writes - before; w != 0 {
		t.Errorf("second push of an unchanged inventory made %d writes, want 0", w)
	}
}

// BenchmarkLoadExample reads the example network from a local simulator:
// the decode and snapshot cost, without network latency.
func BenchmarkLoadExample(b *testing.B) {
	ctx := context.Background()
	sim := netboxsim.New(netboxsim.Options{Tokens: []string{testToken}})
	srv := httptest.NewServer(sim)
	defer srv.Close()
	nb, err := netbox.New(srv.URL, netbox.WithToken(testToken))
	if err != nil {
		b.Fatal(err)
	}
	if _, err := nb.Bootstrap(ctx); err != nil {
		b.Fatal(err)
	}
	snap, err := yamlstore.Open("../../examples/manche").Load(ctx)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := nb.Push(ctx, snap, false, false); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := nb.Load(ctx); err != nil {
			b.Fatal(err)
		}
	}
}

// TestApplyChangeSets drives the inventory.Store interface: a full create,
// then changes to one device and to sessions only, then a stale change set
// replayed (its creates become updates).
func TestApplyChangeSets(t *testing.T) {
	ctx := context.Background()
	_, nb := newTestNetBox(t)
	var store inventory.Store = nb
	example := loadExample(t)
	full, err := inventory.Diff(&inventory.Snapshot{}, example)
	if err != nil {
		t.Fatal(err)
	}
	apply := func(step string, want *inventory.Snapshot, cs inventory.ChangeSet) {
		t.Helper()
		if err := store.Apply(ctx, cs); err != nil {
			t.Fatalf("%s: Apply: %v", step, err)
		}
		got, err := store.Load(ctx)
		if err != nil {
			t.Fatalf("%s: Load: %v", step, err)
		}
		assertSame(t, want, got)
	}
	apply("full create", example, full)

	next := example.Clone()
	next.Devices[3].ASN = 64999
	next.Devices[3].Loopback6 = netip.MustParseAddr("2001:db8:ffff::99")
	next.Devices[0].BGPSessions = next.Devices[0].BGPSessions[2:]
	next.Devices[0].BGPSessions[0].Description = "changed"
	cs, err := inventory.Diff(example, next)
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) != 4 {
		t.Fatalf("%d changes, want 4 (a device, two sessions deleted, one updated): %v", len(cs), cs)
	}
	apply("device and sessions", next, cs)
	apply("stale full create replayed", example, full)
}

// TestAttenuatorRoundTrip: a cable's inline attenuator is written to the
// decimal custom field tuyau_attenuator_db and read back as written; a
// second push changes nothing.
func TestAttenuatorRoundTrip(t *testing.T) {
	ctx := context.Background()
	sim, nb := newTestNetBox(t)
	want := loadExample(t)
	want.Cables[0].AttenuatorDB, want.Cables[1].AttenuatorDB = 5, 2.5
	if err := push(ctx, nb, want); err != nil {
		t.Fatalf("push: %v", err)
	}
	got, err := nb.Load(ctx)
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	assertSame(t, want, got)
	if got.Cables[0].AttenuatorDB != 5 || got.Cables[1].AttenuatorDB != 2.5 || got.Cables[2].AttenuatorDB != 0 {
		t.Errorf("attenuators read back %v, %v, %v; want 5, 2.5, 0", got.Cables[0].AttenuatorDB, got.Cables[1].AttenuatorDB, got.Cables[2].AttenuatorDB)
	}
	before := sim.Stats().Writes
	if err := push(ctx, nb, want); err != nil {
		t.Fatalf("second push: %v", err)
	}
	if w := sim.Stats().Writes - before; w != 0 {
		t.Errorf("second push made %d writes, want 0", w)
	}
}
