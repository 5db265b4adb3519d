package provisioning

import (
	"strings"
	"testing"
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
