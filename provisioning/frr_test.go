package provisioning

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestFRRDelta checks the vtysh commands and the diff computed for each
// case in testdata/delta: a running config, an intended one.
func TestFRRDelta(t *testing.T) {
	cases, err := filepath.Glob("testdata/delta/*")
	if err != nil || len(cases) == 0 {
		t.Fatalf("no delta cases: %v", err)
	}
	for _, dir := range cases {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			running, want := readFile(t, dir, "running.conf"), readFile(t, dir, "want.conf")
			d, err := FRR{}.Delta(running, want)
			if err != nil {
				t.Fatalf("Delta: %v", err)
			}
			checkGolden(t, filepath.Join(dir, "commands.golden"), []byte(strings.Join(d.Commands, "\n")+"\n"))
			checkGolden(t, filepath.Join(dir, "diff.golden"), []byte(d.Diff("running", "intended")))
			// Idempotence: the intended config against itself needs nothing.
			again, _ := FRR{}.Delta(want, want)
			if again.Changed() {
				t.Errorf("Delta(want, want) = %q, want no commands", again.Commands)
			}
		})
	}
}

func readFile(t *testing.T, dir, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// FuzzParseFRR feeds arbitrary text (device output is outside input) to the
// parser and the delta: neither may panic, and a config needs nothing to
// reach itself.
func FuzzParseFRR(f *testing.F) {
	cases, _ := filepath.Glob("testdata/delta/*/*.conf")
	for _, c := range cases {
		b, _ := os.ReadFile(c)
		f.Add(string(b))
	}
	f.Add(" address-family ipv4\n  x\nexit-address-family\n\t!\nrouter bgp 1\n  neighbor\n")
	f.Fuzz(func(t *testing.T, s string) {
		d, err := FRR{}.Delta([]byte(s), []byte(s))
		if err != nil {
			t.Fatal(err)
		}
		if d.Changed() {
			t.Errorf("Delta(s, s) = %q for %q", d.Commands, s)
		}
	})
}
