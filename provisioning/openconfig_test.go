package provisioning

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	gpb "github.com/openconfig/gnmi/proto/gnmi"
)

func TestOpenConfigDelta(t *testing.T) {
	x := loadManche(t)
	r, err := RenderDevice(x, Builtin(), "barfleur-mairie-r1", "openconfig", Options{})
	if err != nil {
		t.Fatal(err)
	}
	oc := OpenConfig{}
	if d, err := oc.Delta(r.Config, r.Config); err != nil || d.Changed() {
		t.Fatalf("Delta(doc, doc) = %q, %v; want nothing", d.Commands, err)
	}
	// The flat form read back from a target compares equal to the document.
	flat, _ := oc.Delta(r.Config, r.Config)
	if d, _ := oc.Delta([]byte(flat.Have), r.Config); d.Changed() {
		t.Errorf("flat running vs document: %q", d.Commands)
	}
	running := strings.Replace(flat.Have, `"to valognes-pop-r1 eth3"`, `"stale"`, 1) +
		"/interfaces/interface[name=eth9]/config/description = \"unknown port\"\n"
	d, err := oc.Delta([]byte(running), r.Config)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"delete /interfaces/interface[name=eth9]", `replace /interfaces/interface[name=eth1]/config/description "to valognes-pop-r1 eth3"`}
	if strings.Join(d.Commands, "\n") != strings.Join(want, "\n") {
		t.Errorf("Delta = %q, want %q", d.Commands, want)
	}
}

func FuzzFlattenOpenConfig(f *testing.F) {
	f.Add(`{"openconfig-interfaces:interfaces":{"interface":[{"name":"eth1","config":{"name":"eth1","mtu":9216}}]}}`)
	f.Add(`{"a":[1,2,{"b":null}],"c":"x:y"}`)
	f.Add(`[{"k":1},{"k":"2"}]`)
	f.Fuzz(func(t *testing.T, s string) {
		_, _ = FlattenOpenConfig("/x", []byte(s))
		_, _ = OpenConfig{}.Delta([]byte(s), []byte(s))
	})
}

// trickyValues are leaf values that hand parsing of OpenConfig got wrong:
// colons (descriptions, IPv6), quotes, backslashes, unicode, HTML
// characters, digits-only text, identity look-alikes and the empty string.
var trickyValues = []string{
	"to r2: eth1",
	"2001:db8::1",
	"fe80::1%eth0",
	`say "hi"`,
	`C:\path\`,
	"Liaison Cherbourg ↔ Valognes (fibre n°3)",
	"<a&b>",
	"0012",
	"note:ALL",
	"openconfig-policy-types:BGP is the protocol",
	"",
	"a=b]c[d",
}

func TestOpenConfigTrickyValues(t *testing.T) {
	oc := OpenConfig{}
	for _, v := range trickyValues {
		t.Run(v, func(t *testing.T) {
			enc := encodeJSON(v)
			doc := `{"openconfig-interfaces:interfaces":{"interface":[{"name":"eth1","config":{"name":"eth1","description":` + enc + `}}]}}`
			d, err := oc.Delta([]byte(`{}`), []byte(doc))
			if err != nil {
				t.Fatal(err)
			}
			want := "replace /interfaces/interface[name=eth1]/config/description " + enc
			if len(d.Commands) != 1 || d.Commands[0] != want {
				t.Fatalf("Delta(empty, %s) = %q, want [%q]", doc, d.Commands, want)
			}
			_, _, val, err := ParseCommand(d.Commands[0])
			if err != nil {
				t.Fatal(err)
			}
			var got string
			if err := json.Unmarshal([]byte(val), &got); err != nil || got != v {
				t.Fatalf("pushed value %s decodes to %q (%v), want %q", val, got, err, v)
			}
			// A device holding it plans nothing; a device holding
			// anything else (the value cut at its colon) plans it.
			flat := "/interfaces/interface[name=eth1]/config/description = " + enc + "\n"
			if d, err := oc.Delta([]byte(flat), []byte(doc)); err != nil || d.Changed() {
				t.Errorf("device holding %q: Delta = %q, %v; want nothing", v, d.Commands, err)
			}
			if _, after, ok := strings.Cut(v, ":"); ok {
				cut := "/interfaces/interface[name=eth1]/config/description = " + encodeJSON(after) + "\n"
				if d, _ := oc.Delta([]byte(cut), []byte(doc)); !d.Changed() {
					t.Errorf("device holding %q instead of %q: no change planned", after, v)
				}
			}
		})
	}
}

func TestOpenConfigKeys(t *testing.T) {
	tests := []struct {
		name, doc, want string
	}{
		{"ipv6 address key",
			`{"interfaces":{"interface":[{"name":"eth1","subinterfaces":{"subinterface":[{"index":0,"openconfig-if-ip:ipv6":{"addresses":{"address":[{"ip":"2001:db8::1","config":{"ip":"2001:db8::1","prefix-length":64}}]}}}]}}]}}`,
			"/interfaces/interface[name=eth1]/subinterfaces/subinterface[index=0]/ipv6/addresses/address[ip=2001:db8::1]/config/prefix-length = 64"},
		{"ipv6 neighbor key",
			`{"network-instances":{"network-instance":[{"name":"default","protocols":{"protocol":[{"identifier":"openconfig-policy-types:BGP","name":"BGP","bgp":{"neighbors":{"neighbor":[{"neighbor-address":"2001:db8:ffff::2","config":{"neighbor-address":"2001:db8:ffff::2","peer-as":64496}}]}}}]}}]}}`,
			"/network-instances/network-instance[name=default]/protocols/protocol[identifier=BGP][name=BGP]/bgp/neighbors/neighbor[neighbor-address=2001:db8:ffff::2]/config/peer-as = 64496"},
		{"interface name with slash and colon",
			`{"interfaces":{"interface":[{"name":"xe-0/0/1:2","config":{"mtu":9000}}]}}`,
			"/interfaces/interface[name=xe-0/0/1:2]/config/mtu = 9000"},
		{"policy name with space and brackets",
			`{"routing-policy":{"defined-sets":{"prefix-sets":{"prefix-set":[{"name":"PL [OUT] v6","config":{"name":"PL [OUT] v6","mode":"IPV6"}}]}}}}`,
			`/routing-policy/defined-sets/prefix-sets/prefix-set[name=PL \[OUT\] v6]/config/mode = "IPV6"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := FlattenOpenConfig("", []byte(tt.doc))
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.TrimSpace(flatText(m)); !strings.Contains(got, tt.want) {
				t.Fatalf("FlattenOpenConfig =\n%s\nwant a line\n%s", got, tt.want)
			}
			// The path parses back to the same keys.
			path, _, _ := cutFlatLine(tt.want)
			p, err := ParsePath(path)
			if err != nil {
				t.Fatalf("ParsePath(%q): %v", path, err)
			}
			if back := FormatPath(nil, p); back != path {
				t.Errorf("FormatPath(ParsePath(%q)) = %q", path, back)
			}
		})
	}
}

func TestOpenConfigIdentities(t *testing.T) {
	tests := []struct {
		a, b string
		same bool
	}{
		{`"openconfig-policy-types:BGP"`, `"BGP"`, true},
		{`"openconfig-bgp-types:IPV6_UNICAST"`, `"IPV6_UNICAST"`, true},
		{`"openconfig-bgp-types:IPV6_UNICAST"`, `"openconfig-bgp-types:IPV4_UNICAST"`, false},
		{`"vendor-x:BGP"`, `"BGP"`, false}, // unknown module: kept whole
		{`"to r2: eth1"`, `" eth1"`, false},
		{`"2001:db8::1"`, `"db8::1"`, false},
		{`9216`, `"9216"`, true}, // RFC 7951 quoted integer
		{`"0012"`, `12`, false},
		{`""`, `null`, false},
		{`["a:b","c"]`, `["a:b","c"]`, true},
		{`["openconfig-policy-types:BGP"]`, `["BGP"]`, true},
	}
	for _, tt := range tests {
		if got := sameValue(tt.a, tt.b); got != tt.same {
			t.Errorf("sameValue(%s, %s) = %v, want %v", tt.a, tt.b, got, tt.same)
		}
	}
	// The pushed value keeps its module, as RFC 7951 asks of identityrefs.
	doc := `{"network-instances":{"network-instance":[{"name":"default","protocols":{"protocol":[{"identifier":"openconfig-policy-types:STATIC","name":"STATIC","static-routes":{"static":[{"prefix":"2001:db8::/32","next-hops":{"next-hop":[{"index":"DROP","config":{"next-hop":"openconfig-local-routing:DROP"}}]}}]}}]}}]}}`
	d, err := OpenConfig{}.Delta(nil, []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	want := `replace /network-instances/network-instance[name=default]/protocols/protocol[identifier=STATIC][name=STATIC]/static-routes/static[prefix=2001:db8::/32]/next-hops/next-hop[index=DROP]/config/next-hop "openconfig-local-routing:DROP"`
	if len(d.Commands) != 1 || d.Commands[0] != want {
		t.Errorf("Delta = %q, want [%q]", d.Commands, want)
	}
}

func TestParseCommand(t *testing.T) {
	tests := []struct {
		cmd, op, path, value string
		bad                  bool
	}{
		{cmd: `replace /a[name=RM OUT]/config/b "x y"`, op: "replace", path: "/a[name=RM OUT]/config/b", value: `"x y"`},
		{cmd: `delete /a[ip=2001:db8::1]`, op: "delete", path: "/a[ip=2001:db8::1]"},
		{cmd: `replace /a[n=x\] y]/b 1`, op: "replace", path: `/a[n=x\] y]/b`, value: "1"},
		{cmd: `replace /a/b`, bad: true},
		{cmd: `delete /a 1`, bad: true},
		{cmd: `set /a 1`, bad: true},
	}
	for _, tt := range tests {
		op, path, value, err := ParseCommand(tt.cmd)
		if tt.bad {
			if err == nil {
				t.Errorf("ParseCommand(%q) accepted a bad command", tt.cmd)
			}
			continue
		}
		if err != nil || op != tt.op || path != tt.path || value != tt.value {
			t.Errorf("ParseCommand(%q) = %q, %q, %q, %v; want %q, %q, %q", tt.cmd, op, path, value, err, tt.op, tt.path, tt.value)
		}
	}
}

// FuzzFormatPath: a path FormatPath writes parses back to itself.
func FuzzFormatPath(f *testing.F) {
	f.Add("eth1", "2001:db8::1")
	f.Add("xe-0/0/1", "RM [OUT]")
	f.Add("a b", "c=d")
	f.Fuzz(func(t *testing.T, k1, k2 string) {
		if !utf8.ValidString(k1) || !utf8.ValidString(k2) || k1 == "" || k2 == "" || strings.HasSuffix(k1, `\`) || strings.HasSuffix(k2, `\`) || strings.ContainsAny(k1+k2, "\\\x00") {
			// Protobuf strings are UTF-8 and YANG strings hold no NUL;
			// gnmic keeps empty values out and has no escape for "\".
			t.Skip()
		}
		p := &gpb.Path{Elem: []*gpb.PathElem{{Name: "interfaces"}, {Name: "interface", Key: map[string]string{"name": k1}},
			{Name: "address", Key: map[string]string{"ip": k2, "z": "1"}}}}
		s := FormatPath(nil, p)
		back, err := ParsePath(s)
		if err != nil {
			t.Fatalf("ParsePath(FormatPath) %q: %v", s, err)
		}
		if again := FormatPath(nil, back); again != s {
			t.Fatalf("round trip %q -> %q", s, again)
		}
	})
}
