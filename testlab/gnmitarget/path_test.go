package gnmitarget

import (
	"errors"
	"reflect"
	"testing"

	gpb "github.com/openconfig/gnmi/proto/gnmi"
)

func TestParsePath(t *testing.T) {
	tests := []struct {
		in   string
		want Path
		str  string // canonical form; "" means same as in
	}{
		{in: "/", want: nil},
		{in: "/interfaces", want: Path{{Name: "interfaces"}}},
		{in: "interfaces/interface", want: Path{{Name: "interfaces"}, {Name: "interface"}}, str: "/interfaces/interface"},
		{in: "/interfaces/interface[name=eth1]/state/oper-status", want: Path{{Name: "interfaces"}, {Name: "interface", Keys: map[string]string{"name": "eth1"}}, {Name: "state"}, {Name: "oper-status"}}},
		{in: "/interfaces/interface[name=xe-0/0/1]/config", want: Path{{Name: "interfaces"}, {Name: "interface", Keys: map[string]string{"name": "xe-0/0/1"}}, {Name: "config"}}},
		{in: `/a/b[k=x\]y\\z]`, want: Path{{Name: "a"}, {Name: "b", Keys: map[string]string{"k": `x]y\z`}}}},
		{in: "/p/protocol[name=BGP][identifier=openconfig-policy-types:BGP]", want: Path{{Name: "p"}, {Name: "protocol", Keys: map[string]string{"identifier": "BGP", "name": "BGP"}}}, str: "/p/protocol[identifier=BGP][name=BGP]"},
		{in: "/n/neighbor[neighbor-address=2001:db8::1]", want: Path{{Name: "n"}, {Name: "neighbor", Keys: map[string]string{"neighbor-address": "2001:db8::1"}}}},
		{in: "/openconfig-interfaces:interfaces/interface[name=*]/...", want: Path{{Name: "interfaces"}, {Name: "interface", Keys: map[string]string{"name": "*"}}, {Name: "..."}}, str: "/interfaces/interface[name=*]/..."},
		{in: "/a/b[k=]", want: Path{{Name: "a"}, {Name: "b", Keys: map[string]string{"k": ""}}}},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParsePath(tt.in)
			if err != nil {
				t.Fatalf("ParsePath(%q) error: %v", tt.in, err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("ParsePath(%q) = %#v, want %#v", tt.in, got, tt.want)
			}
			want := tt.str
			if want == "" {
				want = tt.in
			}
			if got.String() != want {
				t.Errorf("ParsePath(%q).String() = %q, want %q", tt.in, got.String(), want)
			}
			again, err := ParsePath(got.String())
			if err != nil || !reflect.DeepEqual(again, got) {
				t.Errorf("round trip of %q: %#v, %v", got.String(), again, err)
			}
		})
	}
}

func TestParsePathErrors(t *testing.T) {
	for _, in := range []string{
		"//a", "/a/", "/a[k=v", "/a[=v]", "/a[k]", "/a]b", "/a[k=v]x", "/a[k=1][k=2]", "/a=b",
	} {
		t.Run(in, func(t *testing.T) {
			if p, err := ParsePath(in); !errors.Is(err, ErrBadPath) {
				t.Errorf("ParsePath(%q) = %v, %v; want ErrBadPath", in, p, err)
			}
		})
	}
}

func TestMatch(t *testing.T) {
	const (
		octets  = "/interfaces/interface[name=eth1]/state/counters/in-octets"
		oper2   = "/interfaces/interface[name=eth2]/state/oper-status"
		power   = "/components/component[name=transceiver-eth1]/transceiver/physical-channels/channel[index=0]/state/input-power/instant"
		session = bgpPrefix + "/neighbors/neighbor[neighbor-address=10.0.0.1]/state/session-state"
	)
	tests := []struct {
		pattern, path string
		match, exact  bool
	}{
		{"/", octets, true, false},
		{"/interfaces", octets, true, false},
		{"/interfaces/interface", octets, true, false}, // keys left out match all
		{"/interfaces/interface[name=*]/state/counters", octets, true, false},
		{"/interfaces/interface[name=eth1]/state/counters/in-octets", octets, true, true},
		{"/interfaces/interface[name=eth2]/state/counters/in-octets", octets, false, false},
		{"/interfaces/interface[name=*]/state/counters/in-octets", octets, true, true},
		{"/interfaces/*/state", octets, true, false},
		{"/interfaces/*/*/*/in-octets", octets, true, true},
		{"/interfaces/.../in-octets", octets, true, true},
		{"/.../in-octets", octets, true, true},
		{"/.../oper-status", octets, false, false},
		{"/...", oper2, true, true},
		{"/interfaces/interface[name=*]/state/oper-status", oper2, true, true},
		{"/interfaces/interface[name=*]/state/counters/in-octets/extra", octets, false, false},
		{"/components/component[name=*]/transceiver/physical-channels/channel[index=*]/state/input-power", power, true, false},
		{"/components/component/transceiver/.../instant", power, true, true},
		{"/components/component[name=transceiver-eth2]/transceiver", power, false, false},
		{bgpPrefix + "/neighbors/neighbor[neighbor-address=*]/state/session-state", session, true, true},
		{"/network-instances/network-instance[name=default]/protocols/protocol[identifier=BGP]/bgp/neighbors", session, true, false},
		{"/network-instances/network-instance[name=mgmt]", session, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.pattern+" ~ "+tt.path, func(t *testing.T) {
			p, c := MustParsePath(tt.pattern), MustParsePath(tt.path)
			if got := p.Match(c); got != tt.match {
				t.Errorf("Match(%s, %s) = %v, want %v", tt.pattern, tt.path, got, tt.match)
			}
			if got := p.MatchExact(c); got != tt.exact {
				t.Errorf("MatchExact(%s, %s) = %v, want %v", tt.pattern, tt.path, got, tt.exact)
			}
		})
	}
}

func TestFromProto(t *testing.T) {
	tests := []struct {
		name string
		in   *gpb.Path
		want string
		err  bool
	}{
		{"nil", nil, "/", false},
		{"elems", &gpb.Path{Elem: []*gpb.PathElem{{Name: "interfaces"}, {Name: "interface", Key: map[string]string{"name": "eth1"}}}}, "/interfaces/interface[name=eth1]", false},
		{"origin openconfig", &gpb.Path{Origin: "openconfig", Elem: []*gpb.PathElem{{Name: "openconfig-interfaces:interfaces"}}}, "/interfaces", false},
		{"origin cli", &gpb.Path{Origin: "cli", Elem: []*gpb.PathElem{{Name: "show"}}}, "", true},
		{"deprecated element", &gpb.Path{Element: []string{"interfaces", "interface[name=xe-0/0/1]"}}, "/interfaces/interface[name=xe-0/0/1]", false},
		{"elem wins over element", &gpb.Path{Element: []string{"x"}, Elem: []*gpb.PathElem{{Name: "interfaces"}}}, "/interfaces", false},
		{"empty name", &gpb.Path{Elem: []*gpb.PathElem{{Name: ""}}}, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := fromProto(tt.in)
			if (err != nil) != tt.err {
				t.Fatalf("fromProto(%v) error %v, want error %v", tt.in, err, tt.err)
			}
			if err == nil && got.String() != tt.want {
				t.Errorf("fromProto(%v) = %s, want %s", tt.in, got, tt.want)
			}
		})
	}
}

func TestChangeMatch(t *testing.T) {
	c := Change{Op: OpSet, Path: NeighborPath("10.0.0.9", "config/peer-as"), Value: uint32(65009)}
	keys, ok := c.Match(bgpPrefix + "/neighbors/neighbor[neighbor-address=*]/config/peer-as")
	if !ok || keys["neighbor-address"] != "10.0.0.9" || keys["name"] != "BGP" {
		t.Errorf("Match = %v, %v; want neighbor-address 10.0.0.9", keys, ok)
	}
	if _, ok := c.Match("/interfaces/interface[name=*]/config/mtu"); ok {
		t.Errorf("Match of an interface pattern on %s succeeded", c.Path)
	}
}
