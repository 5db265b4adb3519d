package yamlstore

import (
	"bytes"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/tuyau-net/tuyau/inventory"
	"github.com/tuyau-net/tuyau/inventory/synth"
)

// wholeDecode is the reference: yaml.v3 over the whole file at once.
func wholeDecode(t *testing.T, data []byte) *inventory.Snapshot {
	t.Helper()
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		t.Fatal(err)
	}
	d := &decoder{file: "x.yaml", maxNodes: 1 << 40}
	want := &inventory.Snapshot{}
	d.decodeTop(fromYAML(root.Content[0], map[*yaml.Node]*node{}), want)
	if len(d.probs) != 0 {
		t.Fatalf("reference decode: %v", d.probs)
	}
	return want
}

// TestSlowDecodeByPiecesMatchesWhole: a file the fast reader refuses (a
// block scalar, tabs in the indentation of a comment...) is read by pieces
// with the same result, positions included, as yaml.v3 over the whole file.
func TestSlowDecodeByPiecesMatchesWhole(t *testing.T) {
	snap, err := synth.Generate(synth.Options{Sites: 200, Seed: 9})
	if err != nil {
		t.Fatal(err)
	}
	data, err := Marshal(snap)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(data, []byte("\ndevices:\n")) {
		t.Fatal("no devices section")
	}
	// A block scalar in the network block, and an anchor used inside one
	// device, in a file long enough to be cut.
	data = bytes.Replace(data, []byte("  description: public fiber network and dual-site core (generated)\n"), []byte("  description: |\n    two\n    lines\n"), 1)
	data = bytes.Replace(data, []byte("    mtu: 9000\n"), []byte("    mtu: &jumbo 9000\n"), 1)
	for _, tc := range []struct {
		name string
		data []byte
	}{{"LF", data}, {"CRLF", bytes.ReplaceAll(data, []byte("\n"), []byte("\r\n"))}} {
		const chunk = 500
		t.Run(tc.name, func(t *testing.T) {
			if _, _, ok := fastDecode("x.yaml", string(tc.data)); ok {
				t.Fatal("the fast reader took a file with a block scalar")
			}
			if n := bytes.Count(tc.data, []byte("\n")); n < 8*chunk {
				t.Fatalf("%d lines: too few to be cut", n)
			}
			got, probs, ok := slowDecodeBy("x.yaml", string(tc.data), chunk)
			if !ok || len(probs) != 0 {
				t.Fatalf("slowDecode: ok %v, problems %v", ok, probs)
			}
			want := wholeDecode(t, tc.data)
			gj, _ := Marshal(got)
			wj, _ := Marshal(want)
			if !bytes.Equal(gj, wj) {
				t.Fatal("read by pieces and whole, the file decodes differently")
			}
			if got.Network.Description != "two\nlines\n" {
				t.Errorf("description %q", got.Network.Description)
			}
			for i := range want.Devices {
				if got.Devices[i].Src != want.Devices[i].Src || got.Devices[i].Interfaces[0].Src != want.Devices[i].Interfaces[0].Src {
					t.Fatalf("device %d: at %v, want %v", i, got.Devices[i].Src, want.Devices[i].Src)
				}
			}
			for i := range want.Cables {
				if got.Cables[i].Src != want.Cables[i].Src {
					t.Fatalf("cable %d: at %v, want %v", i, got.Cables[i].Src, want.Cables[i].Src)
				}
			}
		})
	}
}

// TestSlowDecodeRefusesWhatItCannotCut: these go to yaml.v3 whole.
func TestSlowDecodeRefusesWhatItCannotCut(t *testing.T) {
	for _, src := range []string{
		"a: 1\n---\nb: 2\n",
		"- a\n- b\n",
		"network:\n  name: \"two\n  lines\"\n",
		"network: [\n",
		"network:\n  name: x\nplain continuation\n",
	} {
		if _, _, ok := slowDecode("x.yaml", src); ok {
			t.Errorf("slowDecode(%q) cut a file it cannot cut safely", src)
		}
	}
	// An alias to an anchor in another piece: the piece fails, the whole
	// file is parsed at once and the value is right.
	var b strings.Builder
	b.WriteString("sites:\n  - &s {slug: a, role: core, latitude: 1, longitude: 1}\n")
	for i := 0; i < 300; i++ {
		b.WriteString("  - {slug: s, role: member, latitude: 1, longitude: 1}\n")
	}
	b.WriteString("  - *s\n")
	if _, _, ok := slowDecodeBy("x.yaml", b.String(), 50); ok {
		t.Error("slowDecode resolved an alias across pieces")
	}
	snap, probs := Decode("x.yaml", []byte(b.String()))
	if len(probs) != 0 || snap.Sites[len(snap.Sites)-1].Slug != "a" {
		t.Errorf("Decode of the aliased file: %v problems, last site %q", probs, snap.Sites[len(snap.Sites)-1].Slug)
	}
}
