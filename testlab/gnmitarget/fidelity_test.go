package gnmitarget

import (
	"context"
	"encoding/json"
	"net/netip"
	"strings"
	"testing"
	"time"

	gpb "github.com/openconfig/gnmi/proto/gnmi"
	"github.com/openconfig/gnmic/pkg/api"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/prototext"
)

// viewDevice is a device with an optical interface, an address and a BGP
// neighbor, built through DeviceView as the lab builds its devices.
func viewDevice(t testing.TB) *MemBackend {
	t.Helper()
	v := DeviceView{
		Interfaces: []InterfaceView{{
			Name: "eth1", Enabled: true, OperUp: true, MTU: 9216, LastChange: time.Unix(1_700_000_000, 0),
			Addresses:   []netip.Prefix{netip.MustParsePrefix("10.0.0.0/31")},
			Counters:    Counters{InOctets: 1 << 40, InErrors: 7},
			Transceiver: &TransceiverView{FormFactor: "SFP_PLUS", InputDBm: -7.5, OutputDBm: -2},
		}},
		BGP: &BGPView{AS: 65000, RouterID: "10.255.0.1", Neighbors: []NeighborView{{
			Address: "10.0.0.1", PeerAS: 65001, Enabled: true, SessionState: "ESTABLISHED", PrefixesReceived: 3,
		}}},
	}
	m, err := NewMemBackend(v.Leaves()...)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// getJSON runs a Get of one path and decodes the one JSON value returned.
func getJSON(t *testing.T, s *Server, req string) map[string]any {
	t.Helper()
	var r gpb.GetRequest
	if err := prototext.Unmarshal([]byte(req), &r); err != nil {
		t.Fatal(err)
	}
	resp, err := s.Get(context.Background(), &r)
	if err != nil {
		t.Fatalf("Get %s: %v", req, err)
	}
	if len(resp.GetNotification()) != 1 || len(resp.GetNotification()[0].GetUpdate()) != 1 {
		t.Fatalf("Get %s: want one update, got %v", req, resp)
	}
	val := resp.GetNotification()[0].GetUpdate()[0].GetVal()
	raw := val.GetJsonIetfVal()
	if raw == nil {
		raw = val.GetJsonVal()
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("Get %s: %v in %s", req, err, raw)
	}
	return m
}

// member walks a decoded JSON tree: names for objects, "#N" for the N-th
// entry of an array.
func member(j any, path ...string) (any, bool) {
	for _, name := range path {
		if strings.HasPrefix(name, "#") {
			arr, ok := j.([]any)
			if !ok || len(arr) == 0 {
				return nil, false
			}
			j = arr[0]
			continue
		}
		m, ok := j.(map[string]any)
		if !ok {
			return nil, false
		}
		if j, ok = m[name]; !ok {
			return nil, false
		}
	}
	return j, true
}

// TestJSONIETFQualification checks RFC 7951 in JSON_IETF answers:
// identityref values and keys carry their module, members augmented from
// another module are qualified with it, 64-bit integers are strings; and
// plain JSON keeps bare names.
func TestJSONIETFQualification(t *testing.T) {
	s := New(viewDevice(t))
	const (
		ifState  = `path: <elem: <name: "interfaces"> elem: <name: "interface" key: <key: "name" value: "eth1">> elem: <name: "state">>`
		comp     = `path: <elem: <name: "components"> elem: <name: "component" key: <key: "name" value: "eth1">>>`
		iface    = `path: <elem: <name: "interfaces"> elem: <name: "interface" key: <key: "name" value: "eth1">>>`
		proto    = `path: <elem: <name: "network-instances"> elem: <name: "network-instance" key: <key: "name" value: "default">> elem: <name: "protocols">>`
		neighbor = `path: <elem: <name: "network-instances"> elem: <name: "network-instance" key: <key: "name" value: "default">> elem: <name: "protocols"> elem: <name: "protocol" key: <key: "identifier" value: "openconfig-policy-types:BGP"> key: <key: "name" value: "BGP">> elem: <name: "bgp"> elem: <name: "neighbors">>`
	)
	tests := []struct {
		name string
		req  string
		at   []string
		want any
	}{
		{"interface transceiver leaf is an augment", ifState + ` encoding: JSON_IETF`, []string{"openconfig-platform-transceiver:transceiver"}, "eth1"},
		{"interface type is an identity", ifState + ` encoding: JSON_IETF`, []string{"type"}, "iana-if-type:ethernetCsmacd"},
		{"64-bit counter is a string", ifState + ` encoding: JSON_IETF`, []string{"counters", "in-octets"}, "1099511627776"},
		{"in-errors reported", ifState + ` encoding: JSON_IETF`, []string{"counters", "in-errors"}, "7"},
		{"32-bit mtu is a number", ifState + ` encoding: JSON_IETF`, []string{"mtu"}, float64(9216)},
		{"ipv4 is an augment", iface + ` encoding: JSON_IETF`, []string{"subinterfaces", "subinterface", "#0", "openconfig-if-ip:ipv4", "addresses", "address", "#0", "state", "prefix-length"}, float64(31)},
		{"component transceiver is an augment", comp + ` encoding: JSON_IETF`, []string{"openconfig-platform-transceiver:transceiver", "state", "form-factor"}, "openconfig-transport-types:SFP_PLUS"},
		{"component type is an identity", comp + ` encoding: JSON_IETF`, []string{"state", "type"}, "openconfig-platform-types:TRANSCEIVER"},
		{"decimal64 power is a string", comp + ` encoding: JSON_IETF`, []string{"openconfig-platform-transceiver:transceiver", "physical-channels", "channel", "#0", "state", "input-power", "instant"}, "-7.5"},
		{"protocol identifier key is an identity", proto + ` encoding: JSON_IETF`, []string{"protocol", "#0", "identifier"}, "openconfig-policy-types:BGP"},
		{"afi-safi-name key is an identity", neighbor + ` encoding: JSON_IETF`, []string{"neighbor", "#0", "afi-safis", "afi-safi", "#0", "afi-safi-name"}, "openconfig-bgp-types:IPV4_UNICAST"},
		{"session-state is an enumeration", neighbor + ` encoding: JSON_IETF`, []string{"neighbor", "#0", "state", "session-state"}, "ESTABLISHED"},
		{"JSON: bare protocol key", proto + ` encoding: JSON`, []string{"protocol", "#0", "identifier"}, "BGP"},
		{"JSON: bare member names", ifState + ` encoding: JSON`, []string{"transceiver"}, "eth1"},
		{"JSON: 64-bit counter is a number", ifState + ` encoding: JSON`, []string{"counters", "in-octets"}, float64(1 << 40)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := member(getJSON(t, s, tt.req), tt.at...)
			if !ok || got != tt.want {
				t.Errorf("%v = %#v (found %v), want %#v", tt.at, got, ok, tt.want)
			}
		})
	}
}

// TestUseModels checks Get and Subscribe return only the data of the
// models asked for, and refuse a model the target does not serve.
func TestUseModels(t *testing.T) {
	s := New(viewDevice(t))
	model := func(name string) []*gpb.ModelData { return []*gpb.ModelData{{Name: name}} }
	tests := []struct {
		name   string
		models []*gpb.ModelData
		want   []string // path prefixes every returned leaf must have one of
		need   []string // paths that must be returned
		code   codes.Code
	}{
		{name: "all", need: []string{"/interfaces/interface[name=eth1]/state/transceiver", "/components/component[name=eth1]/state/type", bgpPrefix + "/global/state/as"}},
		{name: "interfaces only", models: model("openconfig-interfaces"), want: []string{"/interfaces/"},
			need: []string{"/interfaces/interface[name=eth1]/state/counters/in-octets"}},
		{name: "transceivers only", models: model("openconfig-platform-transceiver"),
			want: []string{"/components/component[name=eth1]/transceiver/", "/interfaces/interface[name=eth1]/state/transceiver"},
			need: []string{"/components/component[name=eth1]/transceiver/state/input-power/instant", "/interfaces/interface[name=eth1]/state/transceiver"}},
		{name: "bgp through openconfig-bgp", models: model("openconfig-bgp"), want: []string{bgpPrefix + "/"},
			need: []string{bgpPrefix + "/neighbors/neighbor[neighbor-address=10.0.0.1]/state/session-state"}},
		{name: "ip addresses", models: model("openconfig-if-ip"), want: []string{"/interfaces/interface[name=eth1]/subinterfaces/subinterface[index=0]/ipv4/"},
			need: []string{"/interfaces/interface[name=eth1]/subinterfaces/subinterface[index=0]/ipv4/addresses/address[ip=10.0.0.0]/state/prefix-length"}},
		{name: "right version", models: []*gpb.ModelData{{Name: "openconfig-interfaces", Organization: "OpenConfig working group", Version: "3.7.1"}}, want: []string{"/interfaces/"}},
		{name: "unknown model", models: model("openconfig-acl"), code: codes.Unimplemented},
		{name: "wrong version", models: []*gpb.ModelData{{Name: "openconfig-interfaces", Version: "9.9.9"}}, code: codes.Unimplemented},
		{name: "wrong organization", models: []*gpb.ModelData{{Name: "openconfig-interfaces", Organization: "ACME"}}, code: codes.Unimplemented},
	}
	check := func(t *testing.T, got map[string]any, want, need []string) {
		t.Helper()
		for p := range got {
			ok := len(want) == 0
			for _, w := range want {
				ok = ok || strings.HasPrefix(p, w) || p == strings.TrimSuffix(w, "/")
			}
			if !ok {
				t.Errorf("%s returned, outside %v", p, want)
			}
		}
		for _, p := range need {
			if _, ok := got[p]; !ok {
				t.Errorf("%s not returned (%d leaves)", p, len(got))
			}
		}
	}
	lt := startTarget(t, viewDevice(t), true)
	tg := gnmicTarget(t, lt)
	for _, tt := range tests {
		t.Run("get/"+tt.name, func(t *testing.T) {
			resp, err := s.Get(context.Background(), &gpb.GetRequest{Encoding: gpb.Encoding_PROTO, UseModels: tt.models})
			if status.Code(err) != tt.code {
				t.Fatalf("Get: %v, want code %v", err, tt.code)
			}
			if err == nil {
				check(t, leafValues(t, resp.GetNotification()...), tt.want, tt.need)
			}
		})
		t.Run("subscribe/"+tt.name, func(t *testing.T) {
			req := &gpb.SubscribeRequest{Request: &gpb.SubscribeRequest_Subscribe{Subscribe: &gpb.SubscriptionList{
				Mode: gpb.SubscriptionList_ONCE, Encoding: gpb.Encoding_PROTO, UseModels: tt.models,
				Subscription: []*gpb.Subscription{{Path: &gpb.Path{}}},
			}}}
			ns, err := tg.SubscribeOnce(testCtx(t), req)
			if status.Code(err) != tt.code {
				t.Fatalf("Subscribe ONCE: %v, want code %v", err, tt.code)
			}
			if err == nil {
				var got []*gpb.Notification
				for _, r := range ns {
					if u := r.GetUpdate(); u != nil {
						got = append(got, u)
					}
				}
				check(t, leafValues(t, got...), tt.want, tt.need)
			}
		})
	}
}

// TestSampleIntervalZero checks a SAMPLE subscription with interval 0
// streams at the lowest interval the target supports, not at a default of
// seconds; and that with bundling off each update travels alone.
func TestSampleIntervalZero(t *testing.T) {
	const floor = 50 * time.Millisecond
	lt := startTarget(t, viewDevice(t), true, WithMinSampleInterval(floor), WithMaxUpdatesPerNotification(1))
	tg := gnmicTarget(t, lt)
	s := subscribe(t, tg, "zero", api.SubscriptionListModeSTREAM(), api.EncodingPROTO(),
		api.Subscription(api.Path("/interfaces/interface[name=eth1]/state/counters"), api.SubscriptionModeSAMPLE()))
	initial := s.untilSync()
	if len(initial) < 10 {
		t.Fatalf("initial sync: %d notifications, want one per counter", len(initial))
	}
	for _, n := range initial {
		if len(n.GetUpdate()) != 1 {
			t.Fatalf("bundling off: a notification holds %d updates", len(n.GetUpdate()))
		}
	}
	start := time.Now()
	seen := 0
	s.until("four more samples of in-octets", func(n *gpb.Notification) bool {
		if len(n.GetUpdate()) != 1 {
			t.Fatalf("bundling off: a notification holds %d updates", len(n.GetUpdate()))
		}
		if pathString(n.GetUpdate()[0].GetPath()) == "/interfaces/interface[name=eth1]/state/counters/in-octets" {
			seen++
		}
		return seen == 4
	})
	// Four samples at the 50 ms floor take 200 ms; the old default of 10 s
	// would have taken 40.
	if el := time.Since(start); el > 5*time.Second {
		t.Errorf("four samples took %v", el)
	}
	if _, err := tg.SubscribeOnce(testCtx(t), &gpb.SubscribeRequest{Request: &gpb.SubscribeRequest_Subscribe{Subscribe: &gpb.SubscriptionList{
		Mode: gpb.SubscriptionList_STREAM, Subscription: []*gpb.Subscription{{Path: &gpb.Path{}, Mode: gpb.SubscriptionMode_SAMPLE, SampleInterval: uint64(floor / 2)}},
	}}}); status.Code(err) != codes.InvalidArgument {
		t.Errorf("sample_interval below the floor: %v, want InvalidArgument", err)
	}
}

func pathString(p *gpb.Path) string {
	pp, _ := fromProto(p)
	return pp.String()
}
