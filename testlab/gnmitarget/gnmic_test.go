package gnmitarget

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	gpb "github.com/openconfig/gnmi/proto/gnmi"
	"github.com/openconfig/gnmic/pkg/api"
	"github.com/openconfig/gnmic/pkg/api/target"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// These tests drive the target with gnmic's client library, an
// implementation of the client side we did not write.

func gnmicTarget(t *testing.T, lt *labTarget, opts ...api.TargetOption) *target.Target {
	t.Helper()
	base := []api.TargetOption{api.Name("r1"), api.Address(lt.addr), api.Username(testUser), api.Password(testPassword), api.Timeout(5 * time.Second)}
	if lt.caFile != "" {
		base = append(base, api.TLSCA(lt.caFile))
	} else {
		base = append(base, api.Insecure(true))
	}
	tg, err := api.NewTarget(append(base, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := tg.CreateGNMIClient(ctx); err != nil {
		t.Fatalf("gnmic connect to %s: %v", lt.addr, err)
	}
	t.Cleanup(func() { tg.Close() })
	return tg
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// leafValues flattens notifications into path → value, decoding JSON
// scalars and trees (a tree's leaves get their full paths).
func leafValues(t *testing.T, ns ...*gpb.Notification) map[string]any {
	t.Helper()
	out := map[string]any{}
	for _, n := range ns {
		pre, err := fromProto(n.GetPrefix())
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range n.GetUpdate() {
			p, err := fromProto(u.GetPath())
			if err != nil {
				t.Fatal(err)
			}
			full := pre.join(p)
			var raw []byte
			switch v := u.GetVal().GetValue().(type) {
			case *gpb.TypedValue_JsonIetfVal:
				raw = v.JsonIetfVal
			case *gpb.TypedValue_JsonVal:
				raw = v.JsonVal
			case *gpb.TypedValue_UintVal:
				out[full.String()] = v.UintVal
				continue
			case *gpb.TypedValue_IntVal:
				out[full.String()] = v.IntVal
				continue
			case *gpb.TypedValue_StringVal:
				out[full.String()] = v.StringVal
				continue
			case *gpb.TypedValue_BoolVal:
				out[full.String()] = v.BoolVal
				continue
			case *gpb.TypedValue_DoubleVal:
				out[full.String()] = v.DoubleVal
				continue
			default:
				t.Fatalf("update %s: unexpected value %T", full, v)
			}
			var j any
			if err := json.Unmarshal(raw, &j); err != nil {
				t.Fatalf("update %s: %v", full, err)
			}
			flattenJSON(full, j, out)
		}
	}
	return out
}

func flattenJSON(p Path, j any, out map[string]any) {
	switch x := j.(type) {
	case map[string]any:
		for k, v := range x {
			if arr, ok := v.([]any); ok {
				for _, e := range arr {
					obj := e.(map[string]any)
					keys := map[string]string{}
					for _, kn := range newSchema().listKeys[k] {
						keys[kn] = fmt.Sprint(obj[kn])
					}
					if k == "channel" {
						keys["index"] = fmt.Sprint(obj["index"])
					}
					flattenJSON(p.join(Path{{Name: k, Keys: keys}}), obj, out)
				}
				continue
			}
			flattenJSON(p.join(Path{{Name: stripModule(k)}}), v, out)
		}
	default:
		out[p.String()] = x
	}
}

func TestGnmicCapabilities(t *testing.T) {
	lt := startTarget(t, newDevice(t), false)
	tg := gnmicTarget(t, lt)
	resp, err := tg.Capabilities(testCtx(t))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, m := range resp.GetSupportedModels() {
		names = append(names, m.GetName())
	}
	for _, want := range []string{"openconfig-interfaces", "openconfig-platform-transceiver", "openconfig-bgp"} {
		if !strings.Contains(strings.Join(names, " "), want) {
			t.Errorf("models %v lack %s", names, want)
		}
	}
	if fmt.Sprint(resp.GetSupportedEncodings()) != "[JSON JSON_IETF PROTO]" || resp.GetGNMIVersion() == "" {
		t.Errorf("encodings %v, version %q", resp.GetSupportedEncodings(), resp.GetGNMIVersion())
	}
}

func TestGnmicGet(t *testing.T) {
	lt := startTarget(t, newDevice(t), false)
	tg := gnmicTarget(t, lt)
	ctx := testCtx(t)
	fixture := map[string]any{}
	for _, l := range loadLeaves(t, "device-r1.json") {
		fixture[MustParsePath(l.Path).String()] = l.Value
	}
	tests := []struct {
		name     string
		opts     []api.GNMIOption
		wantLen  int      // updates in the one notification
		wantKeys []string // leaves that must come back with their fixture value
	}{
		{
			name:     "counters container as a JSON_IETF tree",
			opts:     []api.GNMIOption{api.Path("/interfaces/interface[name=eth1]/state/counters"), api.EncodingJSON_IETF()},
			wantLen:  1,
			wantKeys: []string{eth1 + "/state/counters/in-octets", eth1 + "/state/counters/out-discards"},
		},
		{
			name:     "oper-status of every interface",
			opts:     []api.GNMIOption{api.Path("/interfaces/interface[name=*]/state/oper-status"), api.EncodingJSON_IETF()},
			wantLen:  3,
			wantKeys: []string{eth1 + "/state/oper-status", "/interfaces/interface[name=lo]/state/oper-status"},
		},
		{
			name:     "optical power as PROTO leaves",
			opts:     []api.GNMIOption{api.Path("/components/component/transceiver/physical-channels/channel/state/input-power/instant"), api.EncodingPROTO()},
			wantLen:  2,
			wantKeys: []string{TransceiverChannelPath("transceiver-eth2", 0, "state/input-power/instant")},
		},
		{
			name:     "prefix plus relative path",
			opts:     []api.GNMIOption{api.Prefix(bgpPrefix), api.Path("neighbors/neighbor/state/session-state"), api.EncodingJSON()},
			wantLen:  2,
			wantKeys: []string{NeighborPath("10.0.0.1", "state/session-state"), NeighborPath("10.0.0.3", "state/session-state")},
		},
		{
			name:     "config only",
			opts:     []api.GNMIOption{api.Path("/interfaces/interface[name=eth1]"), api.DataTypeCONFIG(), api.EncodingJSON_IETF()},
			wantLen:  1,
			wantKeys: []string{eth1 + "/config/mtu", eth1 + "/subinterfaces/subinterface[index=0]/ipv4/addresses/address[ip=10.0.0.0]/config/prefix-length"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := api.NewGetRequest(tt.opts...)
			if err != nil {
				t.Fatal(err)
			}
			resp, err := tg.Get(ctx, req)
			if err != nil {
				t.Fatalf("Get: %v", err)
			}
			if len(resp.GetNotification()) != 1 || len(resp.GetNotification()[0].GetUpdate()) != tt.wantLen {
				t.Fatalf("Get returned %v, want 1 notification of %d updates", resp, tt.wantLen)
			}
			got := leafValues(t, resp.GetNotification()...)
			for _, k := range tt.wantKeys {
				if !sameJSON(got[k], fixture[k], req.GetEncoding()) {
					t.Errorf("%s = %v (%T), want %v", k, got[k], got[k], fixture[k])
				}
			}
			if req.GetType() == gpb.GetRequest_CONFIG {
				for k := range got {
					if strings.Contains(k, "/state/") {
						t.Errorf("CONFIG Get returned state leaf %s", k)
					}
				}
			}
		})
	}
	req, _ := api.NewGetRequest(api.Path("/interfaces/interface[name=eth9]"), api.EncodingJSON_IETF())
	if _, err := tg.Get(ctx, req); status.Code(err) != codes.NotFound {
		t.Errorf("Get of a missing interface = %v, want NotFound", err)
	}
}

// sameJSON compares a decoded value with a fixture value as the encoding
// writes it: RFC 7951 quotes 64-bit integers and decimal64.
func sameJSON(got, want any, enc gpb.Encoding) bool {
	switch enc {
	case gpb.Encoding_PROTO:
		return fmt.Sprint(got) == fmt.Sprint(want)
	case gpb.Encoding_JSON_IETF:
		switch want.(type) {
		case uint64, float64:
			s, ok := got.(string)
			return ok && s == fmt.Sprint(want)
		}
	}
	return fmt.Sprint(got) == fmt.Sprint(want)
}

func TestGnmicSet(t *testing.T) {
	dev := newDevice(t)
	lt := startTarget(t, dev, false)
	tg := gnmicTarget(t, lt)
	ctx := testCtx(t)

	req, err := api.NewSetRequest(
		api.Update(api.Path(eth1+"/config/description"), api.Value("to r2 via C-0042", "json_ietf")),
		api.Update(api.Path(nbrs+"/neighbor[neighbor-address=10.0.0.9]/config"), api.Value(`{"peer-as": 65009, "description": "r9"}`, "json_ietf")),
		api.Delete(nbrs+"/neighbor[neighbor-address=10.0.0.3]"),
		api.Replace(api.Path(eth1+"/config/mtu"), api.Value(`1500`, "json_ietf")),
	)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := tg.Set(ctx, req)
	if err != nil {
		t.Fatalf("Set: %v", err)
	}
	if len(resp.GetResponse()) != 4 {
		t.Errorf("Set answered %d results, want 4", len(resp.GetResponse()))
	}
	get, _ := api.NewGetRequest(api.Path("/interfaces/interface[name=eth1]/config"), api.Path(nbrs), api.EncodingJSON_IETF())
	gr, err := tg.Get(ctx, get)
	if err != nil {
		t.Fatal(err)
	}
	got := leafValues(t, gr.GetNotification()...)
	want := map[string]any{
		eth1 + "/config/description":                    "to r2 via C-0042",
		eth1 + "/config/mtu":                            float64(1500),
		NeighborPath("10.0.0.9", "config/peer-as"):      float64(65009),
		NeighborPath("10.0.0.9", "state/description"):   "r9",
		NeighborPath("10.0.0.1", "state/session-state"): "ESTABLISHED",
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("after Set, %s = %v (%T), want %v", k, got[k], got[k], v)
		}
	}
	for k := range got {
		if strings.Contains(k, "10.0.0.3") {
			t.Errorf("deleted neighbor still has %s", k)
		}
	}

	// One bad operation rejects the whole Set.
	before, _ := dev.State(ctx)
	bad, _ := api.NewSetRequest(
		api.Update(api.Path(eth1+"/config/description"), api.Value("never", "json_ietf")),
		api.Update(api.Path("/interfaces/interface[name=eth1]/state/counters/in-octets"), api.Value(`"0"`, "json_ietf")),
	)
	if _, err := tg.Set(ctx, bad); status.Code(err) != codes.InvalidArgument {
		t.Fatalf("Set with a read-only leaf = %v, want InvalidArgument", err)
	}
	after, _ := dev.State(ctx)
	if fmt.Sprint(before) != fmt.Sprint(after) {
		t.Errorf("rejected Set changed the device")
	}
}

func TestGnmicAuthAndTLS(t *testing.T) {
	lt := startTarget(t, newDevice(t), false)
	ctx := testCtx(t)
	req, _ := api.NewGetRequest(api.Path("/interfaces/interface[name=eth1]/state/oper-status"))

	wrong := gnmicTarget(t, lt, api.Password("guess"))
	if _, err := wrong.Get(ctx, req); status.Code(err) != codes.Unauthenticated {
		t.Errorf("Get with a wrong password = %v, want Unauthenticated", err)
	}
	// gnmic's SubscribeOnce reports a stream closed before its request
	// went out as a clean end, so check Subscribe on the raw stream.
	sreq, _ := api.NewSubscribeRequest(api.Subscription(api.Path("/interfaces")), api.SubscriptionListModeONCE())
	for _, pw := range []string{"guess", ""} {
		md := metadata.Pairs("username", testUser)
		if pw != "" {
			md.Append("password", pw)
		}
		stream, err := wrong.Client.Subscribe(metadata.NewOutgoingContext(ctx, md))
		if err == nil {
			_ = stream.Send(sreq)
			_, err = stream.Recv()
		}
		if status.Code(err) != codes.Unauthenticated {
			t.Errorf("Subscribe with password %q = %v, want Unauthenticated", pw, err)
		}
	}

	// A client trusting another CA must not connect.
	other, err := NewLabCA("other", time.Now(), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	otherCA := filepath.Join(t.TempDir(), "other.pem")
	if err := other.WriteFiles(otherCA, otherCA+".key"); err != nil {
		t.Fatal(err)
	}
	tg, err := api.NewTarget(api.Name("r1"), api.Address(lt.addr), api.Username(testUser), api.Password(testPassword),
		api.TLSCA(otherCA), api.Timeout(2*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	defer tg.Close()
	if err := tg.CreateGNMIClient(ctx); err == nil {
		if _, err := tg.Get(ctx, req); err == nil || !strings.Contains(err.Error(), "certificate") {
			t.Errorf("Get through a TLS session with an untrusted CA: %v, want a certificate error", err)
		}
	}

	// Insecure mode, on request.
	plain := startTarget(t, newDevice(t), true)
	ptg := gnmicTarget(t, plain)
	if _, err := ptg.Get(ctx, req); err != nil {
		t.Errorf("Get in insecure mode: %v", err)
	}
}

// TestTargetOnOwnLoopback serves two targets the way a lab does, each on
// its own 127.x address with a certificate for that address: a client
// verifies the one whose certificate names the address it dialled, and
// refuses the one whose certificate names another.
func TestTargetOnOwnLoopback(t *testing.T) {
	ctx := testCtx(t)
	req, _ := api.NewGetRequest(api.Path("/interfaces/interface[name=eth1]/state/oper-status"))
	good := startTargetAt(t, newDevice(t), "127.0.3.17", "127.0.3.17", false)
	if _, err := gnmicTarget(t, good).Get(ctx, req); err != nil {
		t.Errorf("Get from %s with its own certificate: %v", good.addr, err)
	}
	wrong := startTargetAt(t, newDevice(t), "127.0.3.18", "127.0.3.19", false)
	tg, err := api.NewTarget(api.Name("r1"), api.Address(wrong.addr), api.Username(testUser), api.Password(testPassword),
		api.TLSCA(wrong.caFile), api.Timeout(2*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	defer tg.Close()
	if err := tg.CreateGNMIClient(ctx); err == nil {
		if _, err := tg.Get(ctx, req); err == nil || !strings.Contains(err.Error(), "certificate") {
			t.Errorf("Get from %s presenting a certificate for 127.0.3.19: %v, want a certificate error", wrong.addr, err)
		}
	}
}
