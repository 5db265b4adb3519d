package netbox_test

import (
	"context"
	"encoding/pem"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tuyau-net/tuyau/inventory"
	"github.com/tuyau-net/tuyau/inventory/netbox"
	"github.com/tuyau-net/tuyau/testlab/netboxsim"
)

func TestLoadFailuresGiveClearErrors(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name   string
		break_ func(*netboxsim.Server)
		opts   []netbox.Option
		want   []string
	}{
		{"500s", func(s *netboxsim.Server) { s.SetFailureRate(1) }, nil, []string{"500 Internal Server Error", "Server Error (500)", "after 3 attempts"}},
		{"timeout", func(s *netboxsim.Server) { s.SetLatency(2 * time.Second) }, []netbox.Option{netbox.WithTimeout(50 * time.Millisecond)}, []string{"deadline exceeded", "after 3 attempts"}},
		{"bad token", nil, []netbox.Option{netbox.WithToken("not-the-token")}, []string{"403 Forbidden", "Invalid token", "NETBOX_TOKEN"}},
		{"malformed JSON", func(s *netboxsim.Server) { s.SetMalformed(true) }, nil, []string{"malformed JSON"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sim, nb := newTestNetBox(t, tt.opts...)
			if err := push(ctx, mustStore(t, sim, nb), loadExample(t)); err != nil {
				t.Fatalf("push: %v", err)
			}
			if tt.break_ != nil {
				tt.break_(sim)
			}
			snap, err := nb.Load(ctx)
			if err == nil {
				t.Fatalf("Load succeeded with %d devices, want an error", len(snap.Devices))
			}
			if snap != nil {
				t.Errorf("Load returned a partial snapshot with its error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
			if strings.Contains(err.Error(), testToken) || strings.Contains(err.Error(), "not-the-token") {
				t.Errorf("error %q leaks the token", err)
			}
		})
	}
}

// mustStore returns a store with the right token on sim, for setup steps
// of tests whose own store is broken on purpose.
func mustStore(t *testing.T, sim *netboxsim.Server, nb *netbox.Store) *netbox.Store {
	t.Helper()
	good, err := netbox.New(nb.URL(), netbox.WithToken(testToken), exampleOptics(t))
	if err != nil {
		t.Fatal(err)
	}
	return good
}

func TestRetryAfterIsHonoured(t *testing.T) {
	ctx := context.Background()
	sim, nb := newTestNetBox(t, netbox.WithConcurrency(1))
	var mu sync.Mutex
	var waits []time.Duration
	netbox.SetSleep(nb, func(_ context.Context, d time.Duration) error {
		mu.Lock()
		waits = append(waits, d)
		mu.Unlock()
		return nil
	})
	sim.Throttle(2, 7)
	if _, err := nb.Load(ctx); err != nil {
		t.Fatalf("Load after two 429s: %v", err)
	}
	if len(waits) != 2 {
		t.Fatalf("waited %d times (%v), want 2", len(waits), waits)
	}
	for _, w := range waits {
		if w < 7*time.Second {
			t.Errorf("waited %v after a 429 with Retry-After: 7, want at least 7s", w)
		}
	}
}

func TestTransientFailuresAreRetried(t *testing.T) {
	ctx := context.Background()
	sim, nb := newTestNetBox(t, netbox.WithRetry(12, time.Millisecond))
	want := loadExample(t)
	if err := push(ctx, nb, want); err != nil {
		t.Fatalf("push: %v", err)
	}
	sim.SetFailureRate(0.3)
	got, err := nb.Load(ctx)
	if err != nil {
		t.Fatalf("Load with 30%% of requests failing: %v", err)
	}
	if sim.Stats().Injected == 0 {
		t.Fatal("no failure was injected; the test proves nothing")
	}
	assertSame(t, want, got)
}

// TestInterruptedPushConverges kills NetBox's writes after n of them, then
// pushes again: the result must be exactly the inventory, with nothing
// created twice.
func TestInterruptedPushConverges(t *testing.T) {
	ctx := context.Background()
	want := loadExample(t)
	ref, refNB := newTestNetBox(t)
	before := ref.Stats().Writes
	if err := push(ctx, refNB, want); err != nil {
		t.Fatal(err)
	}
	total := int(ref.Stats().Writes - before)
	for _, n := range []int{1, total / 4, total / 2, total - 2} {
		t.Run(fmt.Sprintf("after-%d-of-%d-writes", n, total), func(t *testing.T) {
			sim, nb := newTestNetBox(t)
			sim.FailWritesAfter(n)
			if err := push(ctx, nb, want); err == nil {
				t.Fatalf("push succeeded though NetBox failed after %d writes", n)
			}
			sim.FailWritesAfter(-1)
			if err := push(ctx, nb, want); err != nil {
				t.Fatalf("second push: %v", err)
			}
			got, err := nb.Load(ctx)
			if err != nil {
				t.Fatal(err)
			}
			assertSame(t, want, got)
			for _, path := range []string{"dcim/devices", "dcim/interfaces", "ipam/ip-addresses", "dcim/cables", "dcim/front-ports", "dcim/rear-ports", "circuits/circuit-terminations", "ipam/prefixes"} {
				if a, b := sim.Count(path), ref.Count(path); a != b {
					t.Errorf("%s: %d objects after an interrupted push, %d after a clean one", path, a, b)
				}
			}
		})
	}
}

// TestPushUpdatesAndPrunes changes a pushed inventory in every kind of way
// and checks that push keeps what NetBox has beyond the file unless --prune.
func TestPushUpdatesAndPrunes(t *testing.T) {
	ctx := context.Background()
	_, nb := newTestNetBox(t)
	orig := loadExample(t)
	if err := push(ctx, nb, orig); err != nil {
		t.Fatal(err)
	}
	next := orig.Clone()
	dropped := next.Cables[len(next.Cables)-1].Label
	next.Cables = next.Cables[:len(next.Cables)-1]
	next.Devices[0].Interfaces[1].MTU = 1500
	next.Devices[0].Interfaces[1].Addresses = append(next.Devices[0].Interfaces[1].Addresses[:0:0], next.Devices[0].Interfaces[1].Addresses...)
	next.Devices[0].BGPSessions = next.Devices[0].BGPSessions[1:]
	next.Devices[1].Mgmt = next.Devices[2].Mgmt.Next().Next().Next()
	next.Cables[0].SRLGs = []string{"duct-new", "bridge-1"}
	next.Cables[1].Length, _ = inventory.NewLength(1.5, "km")
	next.ASNs = next.ASNs[1:]
	next.Network.Description = "changed"

	res, err := nb.Push(ctx, next, false, false)
	if err != nil {
		t.Fatalf("push without prune: %v", err)
	}
	if res.Kept != 3 {
		t.Errorf("kept %d objects, want 3 (cable %s, a BGP session and an ASN)", res.Kept, dropped)
	}
	got, _ := nb.Load(ctx)
	if got.Cables[len(got.Cables)-1].Label != dropped && !hasCable(got, dropped) {
		t.Errorf("cable %s was deleted without --prune", dropped)
	}
	if _, err := nb.Push(ctx, next, true, false); err != nil {
		t.Fatalf("push with prune: %v", err)
	}
	got, err = nb.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	assertSame(t, next, got)
}

func hasCable(s *inventory.Snapshot, label string) bool {
	for _, c := range s.Cables {
		if c.Label == label {
			return true
		}
	}
	return false
}

// TestTLSIsVerified checks that a NetBox with a certificate the system does
// not trust is refused, and accepted with its CA given.
func TestTLSIsVerified(t *testing.T) {
	sim := netboxsim.New(netboxsim.Options{Tokens: []string{testToken}})
	srv := httptest.NewTLSServer(sim)
	defer srv.Close()
	ctx := context.Background()
	nb, err := netbox.New(srv.URL, netbox.WithToken(testToken), netbox.WithRetry(1, time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := nb.Load(ctx); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("Load from a NetBox with an untrusted certificate: %v, want a certificate error", err)
	}
	ca := filepath.Join(t.TempDir(), "ca.pem")
	pemData := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	if err := os.WriteFile(ca, pemData, 0o600); err != nil {
		t.Fatal(err)
	}
	nb, err = netbox.New(srv.URL, netbox.WithToken(testToken), netbox.WithCAFile(ca))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := nb.Load(ctx); err != nil {
		t.Fatalf("Load with the NetBox CA given: %v", err)
	}
	if _, err := netbox.New(srv.URL, netbox.WithCAFile(filepath.Join(t.TempDir(), "missing.pem"))); err == nil {
		t.Error("a missing CA file was accepted")
	}
}
