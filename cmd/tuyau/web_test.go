package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestWebRefuses: beyond loopback tuyau web wants a token, and a token
// file that is empty or missing is an error, before anything listens.
func TestWebRefuses(t *testing.T) {
	empty := filepath.Join(t.TempDir(), "empty")
	if err := os.WriteFile(empty, []byte("\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"all interfaces, no token", nil, []string{"--listen", "0.0.0.0:0"}, "is not loopback: set TUYAU_WEB_TOKEN or --token-file"},
		{"an address, no token", nil, []string{"--listen", "192.0.2.1:9380"}, "is not loopback"},
		{"empty token file", nil, []string{"--listen", "0.0.0.0:0", "--token-file", empty}, "empty"},
		{"missing token file", nil, []string{"--token-file", filepath.Join(t.TempDir(), "none")}, "--token-file"},
		{"bad tile URL", map[string]string{"TUYAU_WEB_TILES": "ftp://x/{z}"}, []string{"--listen", "127.0.0.1:0"}, "tile URL"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := runCLI(t, tc.env, append([]string{"web", "-i", example, "--collector", "http://127.0.0.1:1"}, tc.args...)...)
			if r.code != exitError || !strings.Contains(r.stderr, tc.want) {
				t.Errorf("exit %d, stderr %q; want exit %d and %q", r.code, r.stderr, exitError, tc.want)
			}
		})
	}
}
