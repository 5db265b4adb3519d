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

// TestFRRDatacenterDefaults: on a router started with the datacenter
// profile (the netns lab's), "bgp log-neighbor-changes" is on and not
// shown; an intent stating it is no change there, but is one where the
// profile is traditional or the line is turned off.
func TestFRRDatacenterDefaults(t *testing.T) {
	want := []byte("router bgp 65000\n bgp log-neighbor-changes\n neighbor 10.0.0.1 remote-as 65001\nexit\n")
	dc := "frr version 8.4.4\nfrr defaults datacenter\n!\nrouter bgp 65000\n neighbor 10.0.0.1 remote-as 65001\nexit\n"
	tests := []struct {
		name, running string
		changed       bool
	}{
		{"datacenter, default", "frr version 8.4.4\nfrr defaults datacenter\n!\nrouter bgp 65000\n neighbor 10.0.0.1 remote-as 65001\nexit\n", false},
		{"datacenter, turned off", "frr defaults datacenter\nrouter bgp 65000\n no bgp log-neighbor-changes\n neighbor 10.0.0.1 remote-as 65001\nexit\n", true},
		{"traditional", "frr version 8.4.4\nfrr defaults traditional\n!\nrouter bgp 65000\n neighbor 10.0.0.1 remote-as 65001\nexit\n", true},
		// checkSaved compares two reads of a datacenter router (the
		// recorded startup and the running config): the hidden line is
		// put back on both sides, so an unchanged router is saved.
		{"datacenter read against itself", dc, false},
		{"datacenter read against a read turning it off", "frr defaults datacenter\nrouter bgp 65000\n no bgp log-neighbor-changes\n neighbor 10.0.0.1 remote-as 65001\nexit\n", true},
	}
	for _, tt := range tests {
		w := want
		if strings.HasPrefix(tt.name, "datacenter read against") {
			w = []byte(dc)
		}
		d, err := FRR{}.Delta([]byte(tt.running), w)
		if err != nil {
			t.Fatal(err)
		}
		if d.Changed() != tt.changed {
			t.Errorf("%s: changed %v, want %v (commands %q)", tt.name, d.Changed(), tt.changed, d.Commands)
		}
	}
}
