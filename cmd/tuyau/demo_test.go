package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tuyau-net/tuyau/testlab/need"
)

// TestDemo runs .ci/demo, what "make demo" runs, end to end with a tuyau
// built from this tree: the lab, configs, both speakers, the collector into
// a real redis-server, the web NOC and its screenshot, the duct cut, the
// core site failure (the primary site's router killed and its hosting
// platform stopped) and the restore. The script fails itself when a step
// breaks, when the duct cut's prediction, the duct alarm and the routers'
// BGP paths disagree, when the site loss raises no site-loss alarm or loses
// members the topology does not predict, when a router loses its path to the
// hosting during the failover or the failback, or when an alarm is left
// after the restore; the test also checks that its teardown left no process
// and no directory behind. About a minute and a half on an idle 2-core
// machine (the site-loss alarm waits for target-unreachable's 30 s).
func TestDemo(t *testing.T) {
	if testing.Short() {
		t.Skip("the whole demo: a minute or two")
	}
	for _, tool := range []string{"jq", "redis-server", "redis-cli", "chromium", "python3", "curl"} {
		need.Tool(t, tool, "make deps (.ci/deps)")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "tuyau")
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	if out, err := exec.CommandContext(ctx, "go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	outDir, tmp := filepath.Join(dir, "out"), filepath.Join(dir, "tmp")
	if err := os.MkdirAll(tmp, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(ctx, "bash", filepath.Join("..", "..", ".ci", "demo"))
	cmd.Env = append(os.Environ(), "TUYAU="+bin, "DEMO_OUT="+outDir, "TMPDIR="+tmp, "KEEP=")
	start := time.Now()
	out, err := cmd.CombinedOutput()
	text := string(out)
	if err != nil {
		t.Fatalf(".ci/demo: %v after %s\n%s", err, time.Since(start).Round(time.Second), text)
	}
	t.Logf(".ci/demo took %s", time.Since(start).Round(time.Second))
	for _, want := range []string{
		"members losing the hosting           predicted 4, NOC 4, routers 4, match yes",
		"links down                           predicted 4, observed 4, match yes",
		"router polls without a path      0 (the backup path is in every RIB)",
		// The core site failure: its router killed, the collector names the
		// dead site (site-loss), no member loses the hosting, as predicted.
		"site failure: site-loss alarm (root cause)",
		"site failure: members losing the hosting       predicted 0, routers 0, match yes",
		"dead (saint-lo-dc-r1)",
		"router polls without a path           0 (make-before-break)",
		"== torn down",
	} {
		if !strings.Contains(text, want) {
			t.Errorf(".ci/demo output lacks %q\n%s", want, text)
		}
	}
	for _, f := range []string{"scorecard.txt", "noc-duct-cut.png"} {
		if st, err := os.Stat(filepath.Join(outDir, f)); err != nil || st.Size() == 0 {
			t.Errorf("%s: %v", f, err)
		}
	}
	// The teardown removed the demo's directory and every process in it:
	// nothing of it is left under TMPDIR, and no process names it.
	left, _ := filepath.Glob(filepath.Join(tmp, "tuyau-demo.*"))
	if len(left) > 0 {
		t.Errorf("left behind: %v", left)
	}
	if ps, err := exec.Command("pgrep", "-af", tmp+"/").Output(); err == nil && len(ps) > 0 {
		t.Errorf("processes left: %s", ps)
	}
}
