package gnmitarget

import (
	"testing"
	"time"

	gpb "github.com/openconfig/gnmi/proto/gnmi"
	"github.com/openconfig/gnmic/pkg/api"
	"github.com/openconfig/gnmic/pkg/api/target"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// TestCommitConfirmed drives the commit confirmed extension with gnmic:
// unconfirmed commits roll back by themselves, confirmed ones stay,
// cancelled ones roll back at once, and nothing else may change the
// device while one is pending.
func TestCommitConfirmed(t *testing.T) {
	newNeighbor := NeighborPath("10.0.0.9", "config/peer-as")
	address := AddressPath("eth1", 0, "10.0.0.0", "config/prefix-length")
	// One commit adds a neighbor, removes an address and changes a leaf.
	commit := func(t *testing.T, tg *target.Target, id string, window time.Duration) {
		t.Helper()
		req, err := api.NewSetRequest(
			api.Update(api.Path(newNeighbor), api.Value(`65009`, "json_ietf")),
			api.Delete(eth1+"/subinterfaces/subinterface[index=0]/ipv4/addresses/address[ip=10.0.0.0]"),
			api.Update(api.Path(eth1+"/config/mtu"), api.Value(`1500`, "json_ietf")),
			api.Extension_CommitRequest(id, window),
		)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tg.Set(testCtx(t), req); err != nil {
			t.Fatalf("commit %s: %v", id, err)
		}
	}
	committed := func(dev *MemBackend) bool {
		_, n := dev.Value(newNeighbor)
		_, a := dev.Value(address)
		mtu, _ := dev.Value(eth1 + "/config/mtu")
		return n && !a && mtu == uint16(1500)
	}
	original := func(dev *MemBackend) bool {
		_, n := dev.Value(newNeighbor)
		_, a := dev.Value(address)
		mtu, _ := dev.Value(eth1 + "/config/mtu")
		return !n && a && mtu == uint16(9000)
	}
	action := func(opt api.GNMIOption) *gpb.SetRequest {
		req, err := api.NewSetRequest(opt)
		if err != nil {
			t.Fatal(err)
		}
		return req
	}

	t.Run("rolls back unconfirmed", func(t *testing.T) {
		dev := newDevice(t)
		tg := gnmicTarget(t, startTarget(t, dev, false))
		commit(t, tg, "c1", 200*time.Millisecond)
		if !committed(dev) {
			t.Fatal("commit not applied")
		}
		waitFor(t, "the rollback", func() bool { return original(dev) })
		if n := len(dev.Applied()); n != 2 {
			t.Errorf("device applied %d change sets, want the commit and its rollback", n)
		}
	})

	t.Run("confirmed stays", func(t *testing.T) {
		dev := newDevice(t)
		tg := gnmicTarget(t, startTarget(t, dev, false))
		commit(t, tg, "c2", time.Second)
		// While pending: other Sets and commits are refused, wrong ids fail.
		plain, _ := api.NewSetRequest(api.Update(api.Path(eth1+"/config/description"), api.Value("x", "json_ietf")))
		if _, err := tg.Set(testCtx(t), plain); status.Code(err) != codes.FailedPrecondition {
			t.Errorf("Set during a pending commit = %v, want FailedPrecondition", err)
		}
		if _, err := tg.Set(testCtx(t), action(api.Extension_CommitConfirm("other"))); status.Code(err) != codes.InvalidArgument {
			t.Errorf("confirm of another id = %v, want InvalidArgument (spec 3.2.2)", err)
		}
		if _, err := tg.Set(testCtx(t), action(api.Extension_CommitCancel("other"))); status.Code(err) != codes.InvalidArgument {
			t.Errorf("cancel of another id = %v, want InvalidArgument (spec 3.2.3)", err)
		}
		again, _ := api.NewSetRequest(api.Update(api.Path(eth1+"/config/mtu"), api.Value(`1400`, "json_ietf")), api.Extension_CommitRequest("c2b", time.Second))
		if _, err := tg.Set(testCtx(t), again); status.Code(err) != codes.FailedPrecondition {
			t.Errorf("commit during a pending commit = %v, want FailedPrecondition (spec 3.2.1)", err)
		}
		if _, err := tg.Set(testCtx(t), action(api.Extension_CommitConfirm("c2"))); err != nil {
			t.Fatalf("confirm: %v", err)
		}
		time.Sleep(1300 * time.Millisecond) // past the window it no longer has
		if !committed(dev) {
			t.Error("confirmed commit was rolled back")
		}
		if _, err := tg.Set(testCtx(t), plain); err != nil {
			t.Errorf("Set after the confirm: %v", err)
		}
	})

	t.Run("cancel rolls back now", func(t *testing.T) {
		dev := newDevice(t)
		tg := gnmicTarget(t, startTarget(t, dev, false))
		commit(t, tg, "c3", time.Hour)
		if _, err := tg.Set(testCtx(t), action(api.Extension_CommitSetRollbackDuration("c3", 2*time.Hour))); err != nil {
			t.Fatalf("set rollback duration: %v", err)
		}
		if _, err := tg.Set(testCtx(t), action(api.Extension_CommitCancel("c3"))); err != nil {
			t.Fatalf("cancel: %v", err)
		}
		if !original(dev) {
			t.Error("cancelled commit is still applied")
		}
		if _, err := tg.Set(testCtx(t), action(api.Extension_CommitConfirm("c3"))); status.Code(err) != codes.FailedPrecondition {
			t.Errorf("confirm after cancel = %v, want FailedPrecondition", err)
		}
	})

	t.Run("default window", func(t *testing.T) {
		// Spec 3.2.1: no rollback_duration means 10 minutes, not a refusal.
		dev := newDevice(t)
		tg := gnmicTarget(t, startTarget(t, dev, false))
		commit(t, tg, "c4", 0)
		if !committed(dev) {
			t.Fatal("commit without rollback_duration not applied")
		}
		plain, _ := api.NewSetRequest(api.Update(api.Path(eth1+"/config/description"), api.Value("x", "json_ietf")))
		if _, err := tg.Set(testCtx(t), plain); status.Code(err) != codes.FailedPrecondition {
			t.Errorf("Set during the default window = %v, want FailedPrecondition", err)
		}
		if _, err := tg.Set(testCtx(t), action(api.Extension_CommitCancel("c4"))); err != nil || !original(dev) {
			t.Errorf("cancel: %v, original config back: %v", err, original(dev))
		}
		req, _ := api.NewSetRequest(api.Update(api.Path(eth1+"/config/mtu"), api.Value(`1500`, "json_ietf")), api.Extension_CommitRequest("c5", -time.Second))
		if _, err := tg.Set(testCtx(t), req); status.Code(err) != codes.InvalidArgument {
			t.Errorf("commit with a negative rollback_duration = %v, want InvalidArgument", err)
		}
	})
}

// waitFor polls cond for up to 10s: the event comes from the target's own
// timer, so the test waits for it rather than for a time.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("no %s within 10s", what)
}
