package gnmitarget

import (
	"strings"
	"testing"

	gpb "github.com/openconfig/gnmi/proto/gnmi"
	"google.golang.org/protobuf/proto"
)

// TestWireEncodingMatches checks the hand-encoded notifications decode to
// exactly what notification() builds, for every value type and encoding,
// with and without a prefix and deletes.
func TestWireEncodingMatches(t *testing.T) {
	values := []Leaf{
		{"/interfaces/interface[name=eth1]/state/counters/in-octets", uint64(1<<40 + 7)},
		{"/interfaces/interface[name=eth1]/state/counters/out-octets", uint64(0)},
		{"/interfaces/interface[name=eth1]/config/mtu", uint16(9216)},
		{"/interfaces/interface[name=eth1]/state/enabled", true},
		{"/interfaces/interface[name=eth1]/state/oper-status", "UP"},
		{"/interfaces/interface[name=eth1]/state/description", ""},
		{"/a/b[k=v][k2=w]/c", int64(-42)},
		{"/a/b[k=v]/d", int32(-1)},
		{"/a/b[k=v]/e", int8(3)},
		{"/a/b[k=v]/f", uint8(255)},
		{"/a/b[k=v]/g", uint32(1 << 31)},
		{"/components/component[name=eth1]/transceiver/physical-channels/channel[index=0]/state/input-power/instant", -7.25},
		{"/x/y", float32(1.5)},
		{"/x/z", int16(-300)},
		{"/", "root"},
		// Over 127 bytes of JSON: the length takes two bytes.
		{"/interfaces/interface[name=eth2]/state/description", strings.Repeat("to <avranches> & back ", 8)},
	}
	s := New(&MemBackend{})
	lay := s.newLayout(values)
	var state []parsedLeaf
	for i, l := range values {
		pp := lay.parsed[i]
		if pp == nil {
			t.Fatalf("%s did not parse", l.Path)
		}
		state = append(state, parsedLeaf{path: pp.path, key: pp.key, models: pp.models, proto: pp.proto, wire: pp.wire, value: l.Value})
	}
	dels := []*gpb.Path{MustParsePath("/interfaces/interface[name=eth9]").proto()}
	// One scratch buffer through every case, as a session reuses it: the
	// previous response's bytes are left in it, and the short and long
	// notifications need a one- and a two-byte length before them.
	var scratch []byte
	for _, enc := range []gpb.Encoding{gpb.Encoding_PROTO, gpb.Encoding_JSON, gpb.Encoding_JSON_IETF} {
		for _, prefix := range []*gpb.Path{nil, {Target: "r1"}, {Target: "r1", Origin: "openconfig"}} {
			for _, withDels := range []bool{false, true} {
				for _, state := range [][]parsedLeaf{state, state[:1]} {
					want, err := notification(prefix, nil, nil, state, enc, false)
					if err != nil {
						t.Fatal(err)
					}
					var d []*gpb.Path
					if withDels {
						d = dels
						want.Delete = dels
					}
					want.Timestamp = 1_700_000_000_123_456_789
					if prefix != nil {
						want.Prefix = &gpb.Path{Target: prefix.GetTarget(), Origin: prefix.GetOrigin()}
					}
					r, buf, err := wireResponse(scratch, want.Timestamp, want.Prefix, state, d, enc)
					scratch = buf
					if err != nil {
						t.Fatal(err)
					}
					raw, err := proto.Marshal(r)
					if err != nil {
						t.Fatal(err)
					}
					var got gpb.SubscribeResponse
					if err := proto.Unmarshal(raw, &got); err != nil {
						t.Fatalf("%v: the encoding does not decode: %v", enc, err)
					}
					if !proto.Equal(got.GetUpdate(), want) {
						t.Errorf("%v prefix %v deletes %v, %d leaves: decoded\n%v\nwant\n%v", enc, prefix, withDels, len(state), got.GetUpdate(), want)
					}
				}
			}
		}
	}
	if _, err := appendTypedValue(nil, struct{}{}, gpb.Encoding_PROTO); err == nil {
		t.Error("a struct value was encoded")
	}
}
