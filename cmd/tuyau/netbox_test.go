package main

import (
	"bytes"
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/tuyau-net/tuyau/inventory"
	"github.com/tuyau-net/tuyau/inventory/yamlstore"
	"github.com/tuyau-net/tuyau/testlab/netboxsim"
)

const cliToken = "cli-test-token"

// filledNetBox serves the example network from a simulator.
func filledNetBox(t *testing.T) (*netboxsim.Server, map[string]string) {
	t.Helper()
	sim := netboxsim.New(netboxsim.Options{Tokens: []string{cliToken}})
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	env := map[string]string{"NETBOX_URL": srv.URL, "NETBOX_TOKEN": cliToken}
	if r := runCLI(t, env, "netbox", "bootstrap"); r.code != 0 || !strings.Contains(r.stdout, "tuyau_srlgs") {
		t.Fatalf("bootstrap: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := runCLI(t, env, "inventory", "push", "-i", example); r.code != 0 || !strings.Contains(r.stdout, "to create") ||
		!strings.Contains(r.stdout, "optics types are not stored in NetBox") {
		t.Fatalf("push: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	return sim, env
}

func TestNetboxPushPullRoundTrip(t *testing.T) {
	_, env := filledNetBox(t)
	out := filepath.Join(t.TempDir(), "pulled.yaml")
	// NetBox holds no optics table: a pull without one names the fix on
	// the interfaces whose vendor types only the table knows.
	if r := runCLI(t, env, "inventory", "pull", "--out", out); r.code != 1 ||
		!strings.Contains(r.stderr, "dcim/interfaces/") || !strings.Contains(r.stderr, "--optics FILE or netbox.optics") {
		t.Fatalf("pull without the optics table: exit %d, want 1 naming the interface and --optics: %s", r.code, r.stderr)
	}
	optics := filepath.Join(example, "optics.yaml")
	if r := runCLI(t, env, "inventory", "pull", "--optics", optics, "--out", out); r.code != 0 || !strings.Contains(r.stderr, "optics: 3 types from "+optics) {
		t.Fatalf("pull: exit %d: %s", r.code, r.stderr)
	}
	ctx := context.Background()
	want, err := yamlstore.Open(example).Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got, err := yamlstore.Open(out).Load(ctx)
	if err != nil {
		t.Fatalf("the pulled file does not load: %v", err)
	}
	if cs, _ := inventory.Diff(want, got); len(cs) != 0 {
		t.Errorf("YAML -> NetBox -> YAML changed %d objects, first: %s", len(cs), cs[0])
	}
	if !reflect.DeepEqual(stripOpticSrc(want.Optics), stripOpticSrc(got.Optics)) {
		t.Errorf("optics after the round trip:\n got %+v\nwant %+v", got.Optics, want.Optics)
	}
	// netbox.optics in tuyau.yaml is the flag's default.
	cfg := filepath.Join(t.TempDir(), "tuyau.yaml")
	if err := os.WriteFile(cfg, []byte("netbox:\n  optics: "+example+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	env["TUYAU_CONFIG"] = cfg
	r := runCLI(t, env, "inventory", "diff", "--from", example, "--to", "netbox", "--detailed-exitcode")
	if r.code != 0 || !strings.Contains(r.stdout, "no differences") {
		t.Errorf("diff after push: exit %d, %q %s", r.code, r.stdout, r.stderr)
	}
	r = runCLI(t, env, "inventory", "push", "-i", example)
	if r.code != 0 || !strings.Contains(r.stdout, "0 to create, 0 to update, 0 to delete") || strings.Contains(r.stdout, "not stored in NetBox") {
		t.Errorf("second push: exit %d, %q", r.code, r.stdout)
	}
}

func stripOpticSrc(os []inventory.Optic) []inventory.Optic {
	out := make([]inventory.Optic, len(os))
	for i, o := range os {
		o.Src = inventory.Source{}
		out[i] = o
	}
	return out
}

func TestNetboxDiffShowsChanges(t *testing.T) {
	_, env := filledNetBox(t)
	ctx := context.Background()
	snap, err := yamlstore.Open(example).Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	snap.Devices[0].Interfaces[1].MTU = 1500
	snap.Cables = snap.Cables[1:]
	changed := filepath.Join(t.TempDir(), "changed.yaml")
	if err := yamlstore.WriteFile(changed, snap); err != nil {
		t.Fatal(err)
	}
	r := runCLI(t, env, "inventory", "diff", "--from", changed, "--to", "netbox", "--detailed-exitcode")
	if r.code != 2 {
		t.Errorf("diff with changes: exit %d, want 2; stderr %s", r.code, r.stderr)
	}
	for _, w := range []string{"update  interface", "saint-lo-dc-r1:eth1", "delete  cable", "PC-000001", "0 to create, 1 to update, 1 to delete"} {
		if !strings.Contains(r.stdout, w) {
			t.Errorf("diff output lacks %q:\n%s", w, r.stdout)
		}
	}
	r = runCLI(t, env, "inventory", "push", "-i", changed, "--dry-run")
	if !strings.Contains(r.stdout, "update  interface") || !strings.Contains(r.stdout, "kept 1 objects") {
		t.Errorf("push --dry-run:\n%s", r.stdout)
	}
	if r := runCLI(t, env, "inventory", "diff", "--from", changed, "--to", "netbox", "--detailed-exitcode"); r.code != 2 {
		t.Errorf("a dry run changed NetBox")
	}
}

// TestNetboxPullFailuresWriteNothing checks that a pull that fails leaves
// no file behind and an existing file as it was.
func TestNetboxPullFailuresWriteNothing(t *testing.T) {
	tests := []struct {
		name   string
		break_ func(*netboxsim.Server, map[string]string)
		want   string
	}{
		{"500s", func(s *netboxsim.Server, _ map[string]string) { s.SetFailureRate(1) }, "500 Internal Server Error"},
		{"bad token", func(_ *netboxsim.Server, env map[string]string) { env["NETBOX_TOKEN"] = "wrong" }, "Invalid token"},
		{"malformed JSON", func(s *netboxsim.Server, _ map[string]string) { s.SetMalformed(true) }, "malformed JSON"},
		{"no NetBox", func(_ *netboxsim.Server, env map[string]string) { env["NETBOX_URL"] = "http://127.0.0.1:1" }, "connection refused"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sim, env := filledNetBox(t)
			tt.break_(sim, env)
			dir := t.TempDir()
			fresh, existing := filepath.Join(dir, "new.yaml"), filepath.Join(dir, "old.yaml")
			if err := os.WriteFile(existing, []byte("# the engineers' file\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			for _, out := range []string{fresh, existing} {
				r := runCLI(t, env, "inventory", "pull", "--out", out)
				if r.code != 1 || !strings.Contains(r.stderr, tt.want) {
					t.Errorf("pull to %s: exit %d, stderr %q, want 1 and %q", filepath.Base(out), r.code, r.stderr, tt.want)
				}
				if strings.Contains(r.stderr, cliToken) {
					t.Errorf("the token leaked into stderr")
				}
			}
			if _, err := os.Stat(fresh); !os.IsNotExist(err) {
				t.Errorf("a failed pull created %s", fresh)
			}
			if b, _ := os.ReadFile(existing); string(b) != "# the engineers' file\n" {
				t.Errorf("a failed pull overwrote the existing file: %q", b)
			}
			entries, _ := os.ReadDir(dir)
			if len(entries) != 1 {
				t.Errorf("a failed pull left files behind: %v", entries)
			}
		})
	}
}

func TestNetboxNeedsURLAndToken(t *testing.T) {
	if r := runCLI(t, nil, "inventory", "pull"); r.code != 1 || !strings.Contains(r.stderr, "NETBOX_URL") {
		t.Errorf("pull without a NetBox: %d %q", r.code, r.stderr)
	}
	if r := runCLI(t, map[string]string{"NETBOX_URL": "http://127.0.0.1:1"}, "inventory", "pull"); r.code != 1 || !strings.Contains(r.stderr, "NETBOX_TOKEN") {
		t.Errorf("pull without a token: %d %q", r.code, r.stderr)
	}
}

// brownfieldNetBox serves a NetBox never bootstrapped by tuyau.
func brownfieldNetBox(t *testing.T) map[string]string {
	t.Helper()
	sim := netboxsim.New(netboxsim.Options{Tokens: []string{cliToken}})
	if err := sim.Brownfield(netboxsim.BrownfieldOptions{}); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	return map[string]string{"NETBOX_URL": srv.URL, "NETBOX_TOKEN": cliToken}
}

func TestNetboxPullAdoptsABrownfieldNetBox(t *testing.T) {
	env := brownfieldNetBox(t)
	dir := t.TempDir()
	out := filepath.Join(dir, "adopted.yaml")
	// Unfiltered, the other tenant's campus has no router to take a site
	// role from: pull and diff --from netbox refuse alike, naming it.
	r := runCLI(t, env, "inventory", "pull", "--out", out)
	d := runCLI(t, env, "inventory", "diff", "--from", "netbox", "--to", example)
	for _, res := range []result{r, d} {
		if res.code != 1 || !strings.Contains(res.stderr, "site ifremer-brest (NetBox /api/dcim/sites/") ||
			!strings.Contains(res.stderr, "tuyau netbox bootstrap") {
			t.Errorf("unfiltered: exit %d, stderr %s", res.code, res.stderr)
		}
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("pull wrote a file despite the error")
	}
	r = runCLI(t, env, "inventory", "pull", "--out", out, "--filter", "tenant=morbihan-numerique", "-o", "json")
	if r.code != 0 {
		t.Fatalf("filtered pull: exit %d: %s", r.code, r.stderr)
	}
	if !strings.Contains(r.stderr, "site roles from their routers' device roles") || !strings.Contains(r.stderr, "cables to a dcim.powerport") {
		t.Errorf("no report on stderr: %s", r.stderr)
	}
	if !strings.Contains(r.stdout, `"inferred"`) || !strings.Contains(r.stdout, `"skipped"`) {
		t.Errorf("-o json report: %s", r.stdout)
	}
	snap, err := yamlstore.Open(out).Load(context.Background())
	if err != nil || len(snap.Sites) != 28 {
		t.Fatalf("adopted file: %v", err)
	}
	d = runCLI(t, env, "inventory", "diff", "--from", "netbox", "--to", out, "--filter", "tenant=morbihan-numerique", "--detailed-exitcode")
	if d.code != 0 || !strings.Contains(d.stdout, "no differences") {
		t.Errorf("diff --from netbox after pull: exit %d %s %s", d.code, d.stdout, d.stderr)
	}
	cfg := filepath.Join(dir, "tuyau.yaml")
	if err := os.WriteFile(cfg, []byte("netbox:\n  filter:\n    tags: [rrm]\n  mapping:\n    platforms: {cisco-ios-xe: frr}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r = runCLI(t, env, "--config", cfg, "inventory", "pull")
	if r.code != 0 || !strings.Contains(r.stdout, "platform: frr") || strings.Contains(r.stdout, "platform: iosxe") {
		t.Errorf("pull with tuyau.yaml mapping: exit %d: %s", r.code, r.stderr)
	}
}

// TestNetboxPushSaysWhetherARerunHelps: a push NetBox refuses (no tuyau
// custom fields: never bootstrapped) is refused by its dry run too, and
// the message says a re-run will not help and what will.
func TestNetboxPushSaysWhetherARerunHelps(t *testing.T) {
	env := brownfieldNetBox(t)
	dry := runCLI(t, env, "inventory", "push", "-i", example, "--dry-run")
	if dry.code != 1 || !strings.Contains(dry.stderr, "dry run: the push to") || !strings.Contains(dry.stderr, "would be refused") ||
		!strings.Contains(dry.stderr, "tuyau netbox bootstrap") {
		t.Errorf("push --dry-run: exit %d, stderr %s", dry.code, dry.stderr)
	}
	real := runCLI(t, env, "inventory", "push", "-i", example)
	if real.code != 1 || !strings.Contains(real.stderr, "running it again will not help until this is fixed") ||
		!strings.Contains(real.stderr, "tuyau netbox bootstrap") || strings.Contains(real.stderr, "run it again to finish") {
		t.Errorf("push: exit %d, stderr %s", real.code, real.stderr)
	}
}

// TestProgressBar: on a terminal a push's progress is one line per kind
// redrawn in place, ended when the kind is done; elsewhere nothing (the
// log lines say it).
func TestProgressBar(t *testing.T) {
	var tty, plain bytes.Buffer
	for _, p := range []func(string, int, int){progressBar(&tty, true), progressBar(&plain, false)} {
		p("devices", 0, 4)
		p("devices", 2, 4)
		p("devices", 4, 4)
		p("cables", 1, 1)
	}
	want := "\rdevices      [                              ] 0/4" +
		"\rdevices      [###############               ] 2/4" +
		"\rdevices      [##############################] 4/4\n" +
		"\rcables       [##############################] 1/1\n"
	if tty.String() != want {
		t.Errorf("terminal:\n%q\nwant\n%q", tty.String(), want)
	}
	if plain.Len() != 0 {
		t.Errorf("not a terminal: %q", plain.String())
	}
}
