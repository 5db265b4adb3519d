package gnmitarget

import (
	"context"
	"reflect"
	"testing"
)

func TestMemBackendZeroValue(t *testing.T) {
	var m MemBackend
	ctx := context.Background()
	if st, err := m.State(ctx); err != nil || len(st) != 0 {
		t.Fatalf("zero MemBackend State = %v, %v", st, err)
	}
	woken := 0
	wctx, cancel := context.WithCancel(ctx)
	m.Watch(wctx, func() { woken++ })
	if err := m.Set(InterfacePath("eth1", "state/oper-status"), "UP"); err != nil {
		t.Fatal(err)
	}
	if err := m.Apply(ctx, []Change{{Op: OpSet, Path: InterfacePath("eth1", "config/enabled"), Value: false}}); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]any{
		InterfacePath("eth1", "state/enabled"):      false,
		InterfacePath("eth1", "state/admin-status"): "DOWN",
		InterfacePath("eth1", "state/oper-status"):  "DOWN",
		InterfacePath("eth1", "config/name"):        "eth1",
	} {
		if v, _ := m.Value(path); v != want {
			t.Errorf("%s = %v, want %v", path, v, want)
		}
	}
	if woken != 2 {
		t.Errorf("watcher woken %d times, want 2", woken)
	}
	cancel()
	_ = m.Set(InterfacePath("eth1", "state/oper-status"), "UP")
	if woken != 2 {
		t.Errorf("watcher woken after its context ended")
	}
}

// TestMemBackendRefusesUnexpected checks that the reference backend fails
// on changes the server should never send, and then changes nothing.
func TestMemBackendRefusesUnexpected(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name    string
		changes []Change
	}{
		{"state leaf", []Change{{Op: OpSet, Path: eth1 + "/state/mtu", Value: uint16(1500)}}},
		{"wrong Go type", []Change{{Op: OpSet, Path: eth1 + "/config/mtu", Value: 1500}}},
		{"delete an interface", []Change{{Op: OpDelete, Path: eth1}}},
		{"bad path", []Change{{Op: OpSet, Path: "/interfaces/interface[name=eth1", Value: "x"}}},
		{"unknown op", []Change{{Op: Op(9), Path: eth1 + "/config/mtu", Value: uint16(1)}}},
		{"good then bad", []Change{
			{Op: OpSet, Path: eth1 + "/config/description", Value: "fine"},
			{Op: OpSet, Path: eth1 + "/config/enabled", Value: "yes"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newDevice(t)
			before, _ := m.State(ctx)
			if err := m.Apply(ctx, tt.changes); err == nil {
				t.Fatalf("Apply(%v) succeeded", tt.changes)
			}
			after, _ := m.State(ctx)
			if !reflect.DeepEqual(before, after) || len(m.Applied()) != 0 {
				t.Errorf("refused Apply changed the device")
			}
		})
	}
}
