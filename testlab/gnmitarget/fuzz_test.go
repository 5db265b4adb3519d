package gnmitarget

import (
	"context"
	"reflect"
	"testing"

	gpb "github.com/openconfig/gnmi/proto/gnmi"
)

// FuzzParsePath checks that any path ParsePath accepts renders to a string
// that parses back to the same path.
func FuzzParsePath(f *testing.F) {
	for _, s := range []string{
		"/", "/interfaces/interface[name=eth1]/state/counters/in-octets",
		"/interfaces/interface[name=xe-0/0/1]/config",
		`/a/b[k=x\]y\\z][j=*]/...`,
		"/p/protocol[identifier=openconfig-policy-types:BGP][name=BGP]",
		"/n/neighbor[neighbor-address=2001:db8::1]/state",
		"openconfig-interfaces:interfaces/*", "/a[", "/a]b", "//", "/a[k=v]x",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParsePath(s)
		if err != nil {
			return
		}
		q, err := ParsePath(p.String())
		if err != nil {
			t.Fatalf("ParsePath(%q) = %s, which does not parse: %v", s, p, err)
		}
		if !equalPaths(p, q) {
			t.Fatalf("ParsePath(%q) = %#v; its string %q parses to %#v", s, p, p.String(), q)
		}
		// Every path matches itself, exactly.
		if !p.HasWildcard() && !p.MatchExact(p) {
			t.Fatalf("%s does not match itself", p)
		}
		// And survives the trip through the proto form.
		r, err := fromProto(p.proto())
		if err != nil || !equalPaths(p, r) {
			t.Fatalf("fromProto(proto(%s)) = %v, %v", p, r, err)
		}
	})
}

func equalPaths(a, b Path) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Name != b[i].Name || !sameKeys(a[i].Keys, b[i].Keys) {
			return false
		}
	}
	return true
}

// FuzzSetValue sends arbitrary Set paths and JSON values through the
// planner against the fixture device: it must not panic, and whatever it
// accepts the reference backend must accept too (the changes fit the
// writable schema and carry the right Go types).
func FuzzSetValue(f *testing.F) {
	seeds := []struct{ path, value string }{
		{eth1 + "/config/description", `"to r2"`},
		{eth1 + "/config", `{"mtu": 1500, "enabled": false, "openconfig-interfaces:description": "x"}`},
		{eth1 + "/config/mtu", `"9000"`},
		{eth1 + "/config/mtu", `1e3`},
		{nbrs, `{"neighbor": [{"neighbor-address": "10.0.0.5", "config": {"peer-as": 65005}}]}`},
		{nbrs + "/neighbor", `[{"neighbor-address": "2001:db8::5", "config": {"peer-as": "4200000000"}}]`},
		{eth1 + "/subinterfaces", `{"subinterface": [{"index": 0, "ipv4": {"addresses": {"address": [{"ip": "192.0.2.1", "config": {"prefix-length": 24}}]}}}]}`},
		{"/", `{"interfaces": {"interface": [{"name": "eth2", "config": {"mtu": 1}}]}}`},
		{eth1 + "/config/enabled", `null`},
		{eth1, `[[[[]]]]`},
		{eth1 + "/config", `{"mtu": 1500} trailing`},
	}
	for _, s := range seeds {
		f.Add(s.path, []byte(s.value))
	}
	sc := newSchema()
	leaves := loadLeaves(f, "device-r1.json")
	state := make([]parsedLeaf, len(leaves))
	for i, l := range leaves {
		p := MustParsePath(l.Path)
		state[i] = parsedLeaf{path: p, key: p.String(), value: l.Value}
	}
	f.Fuzz(func(t *testing.T, path string, value []byte) {
		p, err := ParsePath(path)
		if err != nil {
			return
		}
		for _, enc := range []func([]byte) *gpb.TypedValue{
			func(b []byte) *gpb.TypedValue {
				return &gpb.TypedValue{Value: &gpb.TypedValue_JsonIetfVal{JsonIetfVal: b}}
			},
			func(b []byte) *gpb.TypedValue { return &gpb.TypedValue{Value: &gpb.TypedValue_JsonVal{JsonVal: b}} },
		} {
			for _, req := range []*gpb.SetRequest{
				{Update: []*gpb.Update{{Path: p.proto(), Val: enc(value)}}},
				{Replace: []*gpb.Update{{Path: p.proto(), Val: enc(value)}}},
			} {
				changes, _, err := sc.plan(state, req)
				if err != nil {
					continue
				}
				dev, err := NewMemBackend(leaves...)
				if err != nil {
					t.Fatal(err)
				}
				if err := dev.Apply(context.Background(), changes); err != nil {
					t.Fatalf("plan accepted %s = %q as %v, the reference backend refused: %v", p, value, changes, err)
				}
				again, _, err := sc.plan(state, req)
				if err != nil || !reflect.DeepEqual(again, changes) {
					t.Fatalf("plan is not deterministic: %v then %v (%v)", changes, again, err)
				}
			}
		}
	})
}
