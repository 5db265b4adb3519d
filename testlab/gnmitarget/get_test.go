package gnmitarget

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	gpb "github.com/openconfig/gnmi/proto/gnmi"
	"google.golang.org/protobuf/encoding/prototext"
)

var update = flag.Bool("update", false, "rewrite golden files")

// TestGetGolden renders Get answers of the fixture device into
// testdata/get/*.golden: the shape of JSON trees (module qualification,
// list entries with their keys, RFC 7951 quoting) is what clients parse.
func TestGetGolden(t *testing.T) {
	s := New(newDevice(t), WithClock(func() time.Time { return time.Unix(1700000000, 0) }))
	tests := []struct {
		name string
		req  string // GetRequest in prototext
	}{
		{"root-json-ietf", `encoding: JSON_IETF`},
		{"interface-eth1-json", `path: <elem: <name: "interfaces"> elem: <name: "interface" key: <key: "name" value: "eth1">>> encoding: JSON`},
		{"transceivers-json-ietf", `path: <elem: <name: "components"> elem: <name: "component">> encoding: JSON_IETF`},
		{"neighbor-state-proto", `prefix: <target: "r1" elem: <name: "network-instances"> elem: <name: "network-instance" key: <key: "name" value: "default">>> path: <elem: <name: "..."> elem: <name: "session-state">> encoding: PROTO`},
		{"operational-eth2", `path: <elem: <name: "interfaces"> elem: <name: "interface" key: <key: "name" value: "eth2">>> type: OPERATIONAL encoding: JSON_IETF`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var req gpb.GetRequest
			if err := prototext.Unmarshal([]byte(tt.req), &req); err != nil {
				t.Fatal(err)
			}
			resp, err := s.Get(context.Background(), &req)
			if err != nil {
				t.Fatalf("Get(%s): %v", tt.req, err)
			}
			got := renderGet(t, resp)
			golden := filepath.Join("testdata", "get", tt.name+".golden")
			if *update {
				if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("Get %s differs from %s:\n%s", tt.name, golden, got)
			}
		})
	}
}

func renderGet(t *testing.T, resp *gpb.GetResponse) []byte {
	var b bytes.Buffer
	for _, n := range resp.GetNotification() {
		pre, err := fromProto(n.GetPrefix())
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "notification prefix=%s target=%q timestamp=%d\n", pre, n.GetPrefix().GetTarget(), n.GetTimestamp())
		for _, u := range n.GetUpdate() {
			p, err := fromProto(u.GetPath())
			if err != nil {
				t.Fatal(err)
			}
			var raw []byte
			switch v := u.GetVal().GetValue().(type) {
			case *gpb.TypedValue_JsonIetfVal:
				raw = v.JsonIetfVal
			case *gpb.TypedValue_JsonVal:
				raw = v.JsonVal
			case *gpb.TypedValue_StringVal:
				fmt.Fprintf(&b, "%s string_val %q\n", p, v.StringVal)
				continue
			case *gpb.TypedValue_UintVal:
				fmt.Fprintf(&b, "%s uint_val %d\n", p, v.UintVal)
				continue
			case *gpb.TypedValue_DoubleVal:
				fmt.Fprintf(&b, "%s double_val %v\n", p, v.DoubleVal)
				continue
			case *gpb.TypedValue_BoolVal:
				fmt.Fprintf(&b, "%s bool_val %v\n", p, v.BoolVal)
				continue
			default:
				t.Fatalf("update %s: unexpected value %T", p, v)
			}
			var ind bytes.Buffer
			if err := json.Indent(&ind, raw, "", "  "); err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(&b, "%s %T\n%s\n", p, u.GetVal().GetValue(), ind.Bytes())
		}
	}
	return b.Bytes()
}
