package main

import (
	"bytes"
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tuyau-net/tuyau/testlab/need"
)

// TestServeConfig runs "tuyau serve" on serve: sections an operator could
// get wrong: each is refused before any part starts, the error at the
// file and line of the key (or naming the flag that set the value).
func TestServeConfig(t *testing.T) {
	tests := []struct {
		name string
		conf string
		args []string
		env  map[string]string
		want string
	}{
		{"nothing enabled", "inventory: INV\n", nil, nil, "nothing to serve: CFG enables no part"},
		{"all disabled", "inventory: INV\nserve:\n  web: {enabled: false}\n", nil, nil, "nothing to serve"},
		{"unknown part", "inventory: INV\n", []string{"--parts", "collector,noc"}, nil, `--parts: unknown part "noc" (known: collector, bgp, web)`},
		{"misspelt key", "inventory: INV\nserve:\n  redis: redis://127.0.0.1:1\n  web:\n    lisen: 127.0.0.1:1\n", nil, nil,
			`CFG:5:5: unknown key "lisen" in serve.web (known keys: enabled, interval, listen, tile_url, token_file)`},
		{"part not a mapping", "inventory: INV\nserve:\n  collector: yes\n", nil, nil, `CFG:3:14: serve.collector: want a mapping, not "yes"`},
		{"bad duration", "inventory: INV\nserve:\n  collector:\n    flush: soon\n", nil, nil, "CFG:4: serve: cannot unmarshal !!str `soon` into time.Duration"},
		{"bad listen", "inventory: INV\nserve:\n  redis: redis://127.0.0.1:1\n  web:\n    listen: nowhere\n", nil, nil, `CFG:5:5: serve.web.listen "nowhere": want host:port`},
		{"web beyond loopback without a token", "inventory: INV\nserve:\n  redis: redis://127.0.0.1:1\n  web:\n    listen: 0.0.0.0:9380\n", nil, nil,
			"CFG:5:5: serve.web.listen: web: listen 0.0.0.0:9380 is not loopback"},
		{"flag named, not the file", "inventory: INV\nserve:\n  redis: redis://127.0.0.1:1\n  web: {}\n", []string{"--web-listen", "10.0.0.1:80"}, nil,
			"--web-listen: serve.web.listen: web: listen 10.0.0.1:80 is not loopback"},
		{"web with nothing to read", "inventory: INV\nserve:\n  web: {}\n", nil, nil, "CFG:3:3: serve.web: the web reads Redis (serve.redis) or this process's collector API"},
		{"web without the collector's API", "inventory: INV\nserve:\n  collector: {listen: \"\"}\n  web: {}\n", nil, nil, "serve.web: the web reads Redis"},
		{"bad interval", "inventory: INV\nserve:\n  collector:\n    interval: counters=fast\n", nil, nil, "CFG:4:5: serve.collector.interval:"},
		{"bgp among several speakers", "inventory: INV\nserve:\n  bgp: {}\n", nil, nil, "CFG:3:3: serve.bgp: the inventory has 2 speakers: name one with --speaker"},
		{"bgp unknown speaker", "inventory: INV\nserve:\n  bgp: {speaker: nope}\n", nil, nil, `CFG:3:9: serve.bgp: speaker "nope" is not in the inventory`},
		{"bad health", "inventory: INV\nserve:\n  health: 9379\n  collector: {}\n", nil, nil, `CFG:3:3: serve.health "9379": want host:port`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := filepath.Join(t.TempDir(), "tuyau.yaml")
			if err := os.WriteFile(cfg, []byte(strings.ReplaceAll(tt.conf, "INV", example)), 0o600); err != nil {
				t.Fatal(err)
			}
			r := runCLI(t, tt.env, append([]string{"serve", "--config", cfg}, tt.args...)...)
			want := strings.ReplaceAll(tt.want, "CFG", cfg)
			if r.code != exitError || !strings.Contains(r.stderr, want) {
				t.Errorf("serve: exit %d, stderr:\n%s\nwant exit 1 and %q", r.code, r.stderr, want)
			}
			if strings.Contains(r.stderr, "starting") {
				t.Errorf("a part started before the config was checked:\n%s", r.stderr)
			}
		})
	}
}

// TestServePartFails runs a collector (its targets unreachable, which is
// no failure) and a web whose address is taken: the web's failure to
// start stops the whole process with exit 1 and an error naming the web,
// after the collector, already running, was stopped.
func TestServePartFails(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	cfg := filepath.Join(t.TempDir(), "tuyau.yaml")
	conf := "inventory: " + example + "\nserve:\n  collector: {listen: " + freeAddr(t) + ", insecure: true}\n  web: {listen: " + taken.Addr().String() + "}\n"
	if err := os.WriteFile(cfg, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"TUYAU_GNMI_USERNAME": "noc", "TUYAU_GNMI_PASSWORD": "x"}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var out, errb lockedBuffer
	code := run(ctx, []string{"serve", "--config", cfg}, strings.NewReader(""), &out, &errb, func(k string) string { return env[k] })
	if ctx.Err() != nil {
		t.Fatalf("serve did not stop on the web's failure:\n%s", errb.String())
	}
	s := errb.String()
	if code != exitError || !strings.Contains(s, "tuyau: serve: web did not start: --listen "+taken.Addr().String()) {
		t.Fatalf("serve: exit %d, want 1 and the web's failure named:\n%s", code, s)
	}
	for _, want := range []string{"msg=ready part=collector", "msg=starting part=web", "msg=stopping part=collector", "msg=stopped part=collector", "msg=\"collector stopped\" part=collector"} {
		if !strings.Contains(s, want) {
			t.Errorf("stderr lacks %q:\n%s", want, s)
		}
	}
}

// TestServeSystemdUnit runs systemd-analyze verify on the unit of
// docs/serve.md, its binary path pointed at an executable that exists:
// any warning (a misspelt key, a bad signal name) fails it, as systemd
// would ignore the line.
func TestServeSystemdUnit(t *testing.T) {
	sa := need.Tool(t, "systemd-analyze", "apt-get install systemd (.ci/deps)")
	doc, err := os.ReadFile("../../docs/serve.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(doc), "TestServeSystemdUnit")
	_, rest, ok2 := strings.Cut(rest, "```ini\n")
	unit, _, ok3 := strings.Cut(rest, "```")
	if !ok || !ok2 || !ok3 || !strings.Contains(unit, "ExecStart=/usr/local/bin/tuyau serve") {
		t.Fatalf("docs/serve.md: no systemd unit running tuyau serve after the TestServeSystemdUnit marker")
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "tuyau.service")
	if err := os.WriteFile(file, []byte(strings.ReplaceAll(unit, "/usr/local/bin/tuyau", self)), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(sa, "verify", file).CombinedOutput()
	if err != nil || len(bytes.TrimSpace(out)) > 0 {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
}

// TestServeDocConfig reads the tuyau.yaml of docs/serve.md (its inventory
// pointed at the example network) as serve does: it parses and validates,
// and enables the three parts with the addresses it shows.
func TestServeDocConfig(t *testing.T) {
	doc, err := os.ReadFile("../../docs/serve.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, _ := strings.Cut(string(doc), "## tuyau.yaml")
	_, rest, ok := strings.Cut(rest, "```yaml\n")
	block, _, ok2 := strings.Cut(rest, "```")
	if !ok || !ok2 {
		t.Fatal("docs/serve.md: no yaml block under ## tuyau.yaml")
	}
	cfg := filepath.Join(t.TempDir(), "tuyau.yaml")
	if err := os.WriteFile(cfg, []byte(strings.Replace(block, "/etc/tuyau/inventory", example, 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	d := &deps{getenv: func(string) string { return "" }, configPath: cfg}
	c, err := d.loadConfig()
	if err != nil {
		t.Fatal(err)
	}
	sc, err := parseServe(&c.Serve, c.file)
	if err != nil {
		t.Fatal(err)
	}
	parts, err := serveOpts{}.parts(sc)
	if err != nil || strings.Join(parts, ",") != "collector,bgp,web" {
		t.Fatalf("parts = %v, %v; want collector,bgp,web", parts, err)
	}
	if err := sc.validate(parts, "", map[string]string{}); err != nil {
		t.Errorf("validate: %v", err)
	}
	if sc.Health != "127.0.0.1:9379" || *sc.Collector.Listen != "127.0.0.1:9378" || sc.Web.Listen != "127.0.0.1:9380" || sc.BGP.Speaker != "saint-lo-dc" {
		t.Errorf("serve config %+v", sc)
	}
}
