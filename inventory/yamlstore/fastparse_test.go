package yamlstore

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/tuyau-net/tuyau/inventory"
	"github.com/tuyau-net/tuyau/inventory/synth"
)

// slowParse is the reference: yaml.v3's tree in our compact form.
func slowParse(data []byte) (*node, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var root yaml.Node
	if err := dec.Decode(&root); err != nil {
		return nil, err
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return nil, fmt.Errorf("several documents")
	}
	if len(root.Content) == 0 {
		return nil, fmt.Errorf("empty")
	}
	return fromYAML(root.Content[0], map[*yaml.Node]*node{}), nil
}

// sameTree reports the first difference between two trees.
func sameTree(a, b *node, path string) error {
	if a.kind != b.kind || a.tag != b.tag || a.value != b.value || a.line != b.line || a.col != b.col || len(a.content) != len(b.content) {
		return fmt.Errorf("%s: fast {kind %d tag %d %q at %d:%d, %d children}, yaml.v3 {kind %d tag %d %q at %d:%d, %d children}",
			path, a.kind, a.tag, a.value, a.line, a.col, len(a.content), b.kind, b.tag, b.value, b.line, b.col, len(b.content))
	}
	for i := range a.content {
		if err := sameTree(a.content[i], b.content[i], fmt.Sprintf("%s/%d", path, i)); err != nil {
			return err
		}
	}
	return nil
}

// checkFast holds the fast parser to yaml.v3: whenever it accepts a
// document, yaml.v3 must accept it too and build the same tree, positions
// included.
func checkFast(t *testing.T, name string, data []byte) (accepted bool) {
	t.Helper()
	fast, ok := fastParse(data)
	if !ok {
		return false
	}
	slow, err := slowParse(data)
	if err != nil {
		t.Fatalf("%s: fast parser accepted what yaml.v3 rejects (%v):\n%s", name, err, data)
	}
	if err := sameTree(fast, slow, ""); err != nil {
		t.Fatalf("%s: trees differ: %v\n%s", name, err, data)
	}
	return true
}

var fastCases = []string{
	"a: 1\nb: two\n",
	"list:\n  - x\n  - y\n",
	"list:\n- x\n- y\nnext: 1\n",
	"m:\n  - name: a\n    v: [1, 2, 'three']\n  - {name: b, v: []}\n",
	"k: \"quoted\" # comment\n# full line\nz: 'it''s'\n",
	"e: {}\nf: []\n",
	"n: ~\nb: true\nc: False\nd: null\n",
	"addr: [10.0.0.1/31, '2001:db8::1/128']\n",
	"t: {device: r1, interface: eth1}\n",
	"deep:\n  a:\n    b:\n      c: d\n",
	"x: a#b\ny: 'a # b'\n",
	"---\na: 1\n",
	"a: |\n  text\n",
	"a: &x 1\nb: *x\n",
	"a: b: c\n",
	"a:\n  - - x\n",
	"a: [1, 2,]\n",
	"a: \"esc\\n\"\n",
	"a:\tb\n",
	"a: x\n b: y\n",
	"- a\n- b\n",
	"a:\n  -\n    b: c\n",
	"key with space: v\n",
	"a: [x, [y, z], {k: v}]\n",
	"a: plain words, with comma\n",
	"a:\nb: 1\n",
	// CRLF line ends and tabs where YAML allows them.
	"a: 1\r\nb: two\r\n",
	"list:\r\n  - x\r\n  - {k: v, n: [1, 2]}\r\n# c\r\n\r\nz: 'q'\r\n",
	"a: 1\r\nb: 2",
	"a: b\t# comment\n",
	"a: 'x\ty'\nb: \"p\tq\"\n",
	"a: x\ty z\n",
	"a: [x,\ty]\nb: {k:\tv}\n",
	"\t# comment\na: 1\n",
	"a: 1\n  \t\nb: 2\n",
	"a:\n  b: 1\n  \t# x\n  c: 2\n",
	"a: 1 \t\n",
	"a:\t1\nb:\t\n  c: d\n",
	"k\t: v\n",
	"a:\n\t- x\n",
	"- \tx\n",
	"a: 1\rb: 2\n",
	"a: 1\r",
	"a:\n  - name: r1\r\n    addresses: [10.0.0.1/31]\r\n",
}

func TestFastParseMatchesYAMLv3(t *testing.T) {
	accepted := 0
	for i, c := range fastCases {
		if checkFast(t, fmt.Sprintf("case %d", i), []byte(c)) {
			accepted++
		}
	}
	for _, f := range corpusFiles(t) {
		if checkFast(t, f.name, f.data) {
			accepted++
		}
	}
	if accepted < len(fastCases)/2 {
		t.Errorf("the fast parser accepted only %d inputs: the subset is too narrow to matter", accepted)
	}
}

// TestFastDecodeMatchesSlow decodes generated inventories through both
// paths, with lists long enough to be cut into parallel chunks.
func TestFastDecodeMatchesSlow(t *testing.T) {
	snap, err := synth.Generate(synth.Options{Sites: 1500, Seed: 9})
	if err != nil {
		t.Fatal(err)
	}
	data, err := Marshal(snap)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Count(data, []byte("\n")) < 4*chunkLines {
		t.Fatalf("test inventory too small to exercise chunking")
	}
	fast, fprobs, ok := fastDecode("x.yaml", string(data))
	if !ok {
		t.Fatal("fast path refused our own output")
	}
	slow := &decoder{file: "x.yaml"}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		t.Fatal(err)
	}
	want := &inventory.Snapshot{}
	slow.decodeTop(fromYAML(root.Content[0], map[*yaml.Node]*node{}), want)
	if len(fprobs) != 0 || len(slow.probs) != 0 {
		t.Fatalf("problems: fast %v, slow %v", fprobs, slow.probs)
	}
	fj, _ := Marshal(fast)
	sj, _ := Marshal(want)
	if !bytes.Equal(fj, sj) {
		t.Error("fast and yaml.v3 paths decode the same file differently")
	}
	for i := range fast.Devices {
		if fast.Devices[i].Src != want.Devices[i].Src {
			t.Fatalf("device %d position: fast %v, slow %v", i, fast.Devices[i].Src, want.Devices[i].Src)
		}
	}
}

// FuzzDecode: the loader never panics or hangs, and the fast path never
// disagrees with yaml.v3. The seed corpus runs in every go test.
func FuzzDecode(f *testing.F) {
	for _, c := range fastCases {
		f.Add([]byte(c))
	}
	files, _ := filepath.Glob("testdata/invalid/*.yaml")
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte("devices:\n  - name: r1\n    interfaces:\n      - {name: eth1, addresses: [10.0.0.1/31]}\n"))
	f.Add([]byte("cables:\n  - label: c\n    length: 1e400 km\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 1<<16 {
			return
		}
		checkFast(t, "fuzz", data)
		snap, probs := Decode("fuzz.yaml", data)
		if snap == nil {
			t.Fatal("Decode returned a nil snapshot")
		}
		for _, p := range probs {
			if strings.TrimSpace(p.Msg) == "" {
				t.Fatalf("a problem without a message: %+v", p)
			}
		}
	})
}

type corpusFile struct {
	name string
	data []byte
}

// corpusFiles are the real inputs the fast paths are held to: the broken
// inventories of the golden tests and the example network.
func corpusFiles(t *testing.T) []corpusFile {
	t.Helper()
	files, _ := filepath.Glob("testdata/invalid/*.yaml")
	ex, _ := filepath.Glob("../../examples/manche/*.yaml")
	var out []corpusFile
	for _, f := range append(files, ex...) {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, corpusFile{f, data})
	}
	if len(out) == 0 {
		t.Fatal("no corpus files found")
	}
	return out
}
