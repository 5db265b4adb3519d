package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRecordsLocation: without --records the records go to the user's
// state directory, never the working directory, and the command says
// where it wrote. Precedence: flag > TUYAU_RECORDS > tuyau.yaml > default.
func TestRecordsLocation(t *testing.T) {
	dir := t.TempDir()
	conf := filepath.Join(dir, "tuyau.yaml")
	if err := os.WriteFile(conf, []byte("records: "+filepath.Join(dir, "from-yaml")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"xdg state", map[string]string{"XDG_STATE_HOME": filepath.Join(dir, "state"), "HOME": dir}, nil, filepath.Join(dir, "state", "tuyau", "records")},
		{"home", map[string]string{"HOME": dir}, nil, filepath.Join(dir, ".local", "state", "tuyau", "records")},
		{"tuyau.yaml", map[string]string{"HOME": dir}, []string{"--config", conf}, filepath.Join(dir, "from-yaml")},
		{"env beats yaml", map[string]string{"HOME": dir, "TUYAU_RECORDS": filepath.Join(dir, "from-env")}, []string{"--config", conf}, filepath.Join(dir, "from-env")},
		{"flag beats env", map[string]string{"HOME": dir, "TUYAU_RECORDS": filepath.Join(dir, "from-env")}, []string{"--records", filepath.Join(dir, "from-flag")}, filepath.Join(dir, "from-flag")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runCLI(t, tt.env, append([]string{"config", "confirm"}, tt.args...)...)
			if r.code != exitOK || !strings.Contains(r.stdout, tt.want) {
				t.Fatalf("config confirm: exit %d, stdout %q, stderr %q; want it to name %s", r.code, r.stdout, r.stderr, tt.want)
			}
			if _, err := os.Stat(filepath.Join(tt.want, ".git")); err != nil {
				t.Errorf("no records repository at %s: %v", tt.want, err)
			}
		})
	}
	if _, err := os.Stat("records"); err == nil {
		t.Error("a records directory appeared in the working directory")
	}
}
