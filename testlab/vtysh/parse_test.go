package vtysh

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files")

// TestParseRoundTrip reads each saved config, renders it, and checks the
// rendering against a golden file and that it reads back to itself.
func TestParseRoundTrip(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.conf")
	if len(files) == 0 {
		t.Fatal("no testdata/*.conf")
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			src, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			cfg, err := Parse(string(src))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			got := cfg.Text()
			golden := strings.TrimSuffix(f, ".conf") + ".golden"
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update)", err)
			}
			if got != string(want) {
				t.Errorf("Text() differs from %s:\n%s", golden, got)
			}
			again, err := Parse(got)
			if err != nil {
				t.Fatalf("Parse(Text()): %v", err)
			}
			if again.Text() != got {
				t.Errorf("Parse(Text()).Text() is not stable:\n%s", again.Text())
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, text, want string
	}{
		{"unknown", "hostname r1\nfoo bar\n", `line 2: "foo bar": % Unknown command: foo bar`},
		{"incomplete", "router\n", `line 1: "router": % Command incomplete: router`},
		{"neighbor first", "router bgp 1\n neighbor 10.0.0.1 description x\n", `line 2: "neighbor 10.0.0.1 description x": % Specify remote-as or peer-group commands first`},
		{"second instance", "router bgp 1\nexit\nrouter bgp 2\n", `line 3: "router bgp 2": BGP is already running; AS is 1`},
		{"bad mask", "router bgp 1\n address-family ipv4 unicast\n  network 10.0.0.1/24\n", `line 3: "network 10.0.0.1/24": % Inconsistent address and mask`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(tc.text)
			if err == nil || err.Error() != tc.want {
				t.Errorf("Parse(%q) error = %v, want %s", tc.text, err, tc.want)
			}
		})
	}
}

// FuzzParse feeds arbitrary text to the parser: it must never panic, and
// whatever it accepts must render to text that parses to the same thing.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.conf")
	for _, p := range files {
		b, _ := os.ReadFile(p)
		f.Add(string(b))
	}
	f.Add("router bgp 4294967295\n neighbor ::1 remote-as external\n address-family ipv6\n  network ::/0\n")
	f.Add("interface eth0\n ip address 1.2.3.4/33\n no shutdown\nroute-map X permit 1\n match x\n")
	f.Fuzz(func(t *testing.T, text string) {
		cfg, _ := Parse(text)
		out := cfg.Text()
		again, _ := Parse(out)
		if again.Text() != out {
			t.Errorf("render not stable for %q:\n%s\nvs\n%s", text, out, again.Text())
		}
	})
}
