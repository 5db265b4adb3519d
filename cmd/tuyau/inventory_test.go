package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const example = "../../examples/manche"

type result struct {
	code           int
	stdout, stderr string
}

func runCLI(t *testing.T, env map[string]string, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	d := &deps{stdout: &out, stderr: &errb, stdin: strings.NewReader(""), getenv: func(k string) string { return env[k] }, self: testSelf(env)}
	code := runDeps(context.Background(), d, args)
	return result{code, out.String(), errb.String()}
}

func TestValidate(t *testing.T) {
	broken := "../../inventory/yamlstore/testdata/invalid/many-problems.yaml"
	tests := []struct {
		name     string
		env      map[string]string
		args     []string
		code     int
		stdout   string
		stderr   string
		jsonLen  int // -1: stdout is not JSON
		notInOut string
	}{
		{"clean", nil, []string{"inventory", "validate", "-i", example}, 0, "ok: 50 sites, 50 devices", "", -1, ""},
		{"broken", nil, []string{"inventory", "validate", "-i", broken}, 1, "", "many-problems.yaml:13:5: site pop1: region \"normandie\" is not defined", -1, ""},
		{"broken json", nil, []string{"inventory", "validate", "-i", broken, "-o", "json"}, 1, "", "", 21, ""},
		{"clean json", nil, []string{"inventory", "validate", "-i", example, "-o", "json"}, 0, "[]", "", 0, ""},
		{"env", map[string]string{"TUYAU_INVENTORY": example}, []string{"inventory", "validate"}, 0, "ok:", "", -1, ""},
		{"flag beats env", map[string]string{"TUYAU_INVENTORY": "nowhere"}, []string{"inventory", "validate", "-i", example}, 0, "ok:", "", -1, ""},
		{"none", nil, []string{"inventory", "validate"}, 1, "", "no inventory given", -1, ""},
		{"missing", nil, []string{"inventory", "validate", "-i", "nowhere"}, 1, "", "nowhere", -1, ""},
		{"bad format", nil, []string{"inventory", "validate", "-i", example, "-o", "xml"}, 1, "", "unknown output format", -1, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runCLI(t, tt.env, tt.args...)
			if r.code != tt.code {
				t.Errorf("exit %d, want %d; stderr: %s", r.code, tt.code, r.stderr)
			}
			if !strings.Contains(r.stdout, tt.stdout) {
				t.Errorf("stdout %q does not contain %q", r.stdout, tt.stdout)
			}
			if !strings.Contains(r.stderr, tt.stderr) {
				t.Errorf("stderr %q does not contain %q", r.stderr, tt.stderr)
			}
			if tt.jsonLen >= 0 {
				var ps []map[string]string
				if err := json.Unmarshal([]byte(r.stdout), &ps); err != nil {
					t.Fatalf("stdout is not JSON: %v\n%s", err, r.stdout)
				}
				if len(ps) != tt.jsonLen {
					t.Errorf("%d problems in JSON, want %d", len(ps), tt.jsonLen)
				}
				if r.stderr != "" {
					t.Errorf("-o json wrote to stderr: %s", r.stderr)
				}
			}
		})
	}
}

func TestConfigFile(t *testing.T) {
	dir := t.TempDir()
	abs, err := filepath.Abs(example)
	if err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "tuyau.yaml")
	if err := os.WriteFile(cfg, []byte("inventory: "+abs+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if r := runCLI(t, nil, "--config", cfg, "inventory", "validate"); r.code != 0 {
		t.Errorf("config file inventory: exit %d, %s", r.code, r.stderr)
	}
	// The environment beats the file.
	if r := runCLI(t, map[string]string{"TUYAU_INVENTORY": "nowhere"}, "--config", cfg, "inventory", "validate"); r.code != 1 || !strings.Contains(r.stderr, "nowhere") {
		t.Errorf("env over config: exit %d, %s", r.code, r.stderr)
	}
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("inventroy: x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if r := runCLI(t, nil, "--config", bad, "inventory", "validate"); r.code != 1 || !strings.Contains(r.stderr, "inventroy") {
		t.Errorf("typo in config: exit %d, %s", r.code, r.stderr)
	}
}

func TestShow(t *testing.T) {
	r := runCLI(t, nil, "inventory", "show", "-i", example, "-o", "json")
	var sum struct {
		Sites       int            `json:"sites"`
		SitesByRole map[string]int `json:"sites_by_role"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &sum); err != nil || r.code != 0 {
		t.Fatalf("show -o json: exit %d, %v\n%s", r.code, err, r.stdout)
	}
	if sum.Sites != 50 || sum.SitesByRole["core"] != 2 {
		t.Errorf("summary %+v", sum)
	}
	for _, view := range showViews {
		r := runCLI(t, nil, "inventory", "show", view, "-i", example)
		if r.code != 0 || len(strings.Split(r.stdout, "\n")) < 3 {
			t.Errorf("show %s: exit %d, %q", view, r.code, r.stderr)
		}
	}
	if r := runCLI(t, nil, "inventory", "show", "vlans", "-i", example); r.code != 1 {
		t.Errorf("show vlans: exit %d, want 1", r.code)
	}
}

func TestExportThenValidate(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "net.yaml")
	if r := runCLI(t, nil, "inventory", "export", "-i", example, "--out", out); r.code != 0 {
		t.Fatalf("export: %s", r.stderr)
	}
	if r := runCLI(t, nil, "inventory", "validate", "-i", out); r.code != 0 {
		t.Errorf("exported inventory does not validate: %s", r.stderr)
	}
	// An invalid inventory exports nothing.
	never := filepath.Join(dir, "never.yaml")
	r := runCLI(t, nil, "inventory", "export", "-i", "../../inventory/yamlstore/testdata/invalid/bgp.yaml", "--out", never)
	if r.code != 1 {
		t.Errorf("export of an invalid inventory: exit %d", r.code)
	}
	if _, err := os.Stat(never); !os.IsNotExist(err) {
		t.Error("export wrote a file for an invalid inventory")
	}
}

func TestGenerateIsReproducible(t *testing.T) {
	a := runCLI(t, nil, "inventory", "generate", "--sites", "30", "--seed", "9")
	b := runCLI(t, nil, "inventory", "generate", "--sites", "30", "--seed", "9")
	if a.code != 0 || a.stdout != b.stdout || !strings.Contains(a.stdout, "cables:") {
		t.Errorf("generate twice: exit %d, equal %v", a.code, a.stdout == b.stdout)
	}
	if r := runCLI(t, nil, "inventory", "generate", "--sites", "2"); r.code != 1 || !strings.Contains(r.stderr, "--sites 2") {
		t.Errorf("generate --sites 2: exit %d, %s", r.code, r.stderr)
	}
}

func TestVersionAndCompletion(t *testing.T) {
	if r := runCLI(t, nil, "version"); r.code != 0 || !strings.HasPrefix(r.stdout, "tuyau ") {
		t.Errorf("version: %d %q", r.code, r.stdout)
	}
	for _, sh := range []string{"bash", "zsh", "fish"} {
		if r := runCLI(t, nil, "completion", sh); r.code != 0 || !strings.Contains(r.stdout, "tuyau") {
			t.Errorf("completion %s: exit %d", sh, r.code)
		}
	}
}
