package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestValidateStatsAndDebug: --stats names each file's reader, and for one
// that left the fast reader the line and why; --debug logs the same
// fallback; neither touches stdout's JSON.
func TestValidateStatsAndDebug(t *testing.T) {
	dir := t.TempDir()
	src, err := os.ReadFile(filepath.Join(example, "sites.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	// The same sites file with CRLF line ends (the fast reader takes
	// those) and, in another file, a block scalar (it does not).
	for _, f := range []string{"circuits.yaml", "devices.yaml", "fiber.yaml", "network.yaml", "optics.yaml", "speakers.yaml"} {
		b, err := os.ReadFile(filepath.Join(example, f))
		if err != nil {
			t.Fatal(err)
		}
		if f == "network.yaml" {
			b = []byte(strings.Replace(string(b), "  description: public fiber network and dual-site core (generated)\n",
				"  description: |\n    public fiber network and dual-site core\n", 1))
		}
		if err := os.WriteFile(filepath.Join(dir, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "sites.yaml"), []byte(strings.ReplaceAll(string(src), "\n", "\r\n")), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		args      []string
		stderr    []string // regexps
		notStderr string
	}{
		{"stats", []string{"inventory", "validate", "-i", dir, "--stats"}, []string{
			`sites\.yaml +\d+ +fast `,
			`network\.yaml +\d+ +yaml\.v3 +[\d.]+ ms +\S*network\.yaml:3: a block scalar`,
			`7 files: 6 by the fast reader, 1 by yaml\.v3`}, "level=DEBUG"},
		{"debug", []string{"--debug", "inventory", "validate", "-i", dir}, []string{
			`level=DEBUG msg="yaml: fast reader left the file to yaml\.v3" at="\S*network\.yaml:3: a block scalar`}, "by the fast reader"},
		{"neither", []string{"inventory", "validate", "-i", dir}, nil, "yaml.v3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runCLI(t, nil, tt.args...)
			if r.code != 0 {
				t.Errorf("exit %d: %s", r.code, r.stderr)
			}
			for _, re := range tt.stderr {
				if !regexp.MustCompile(re).MatchString(r.stderr) {
					t.Errorf("stderr lacks %s:\n%s", re, r.stderr)
				}
			}
			if tt.notStderr != "" && strings.Contains(r.stderr, tt.notStderr) {
				t.Errorf("stderr has %q:\n%s", tt.notStderr, r.stderr)
			}
		})
	}
	r := runCLI(t, nil, "inventory", "validate", "-i", dir, "--stats", "-o", "json")
	if !strings.HasPrefix(strings.TrimSpace(r.stdout), "[") || !strings.Contains(r.stderr, "by yaml.v3") {
		t.Errorf("--stats -o json: stdout %.80q, stderr %.200q", r.stdout, r.stderr)
	}
}
