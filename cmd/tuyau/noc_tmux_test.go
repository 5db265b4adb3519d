package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tuyau-net/tuyau/inventory/yamlstore"
	"github.com/tuyau-net/tuyau/telemetry"
	"github.com/tuyau-net/tuyau/testlab/need"
)

// nocCut is a duct of examples/manche holding four cables: its cut takes
// four links down and raises a duct root alarm over them.
const nocCut = "duct-villedieu-les-poeles-pop-s"

// tmuxSession drives one program in a detached tmux server of its own.
type tmuxSession struct {
	t         *testing.T
	tmux, sck string
	artifacts string
}

func (s tmuxSession) run(args ...string) (string, error) {
	out, err := exec.Command(s.tmux, append([]string{"-L", s.sck}, args...)...).CombinedOutput()
	return string(out), err
}

func (s tmuxSession) keys(keys ...string) {
	s.t.Helper()
	if out, err := s.run(append([]string{"send-keys", "-t", "noc"}, keys...)...); err != nil {
		s.t.Fatalf("tmux send-keys %v: %v: %s", keys, err, out)
	}
}

func (s tmuxSession) capture() string {
	out, _ := s.run("capture-pane", "-p", "-t", "noc")
	return out
}

// waitFor captures the pane until ok holds or wait passes; the last
// capture is kept as the artifact name.txt.
func (s tmuxSession) waitFor(name string, wait time.Duration, ok func(string) bool) (string, time.Duration) {
	s.t.Helper()
	start := time.Now()
	var pane string
	for {
		pane = s.capture()
		if ok(pane) {
			break
		}
		if time.Since(start) > wait {
			s.keep(name, pane)
			s.t.Fatalf("%s: not seen within %s; the pane:\n%s", name, wait, pane)
		}
		time.Sleep(50 * time.Millisecond)
	}
	s.keep(name, pane)
	return pane, time.Since(start)
}

func (s tmuxSession) keep(name, pane string) {
	if err := os.WriteFile(filepath.Join(s.artifacts, name+".txt"), []byte(pane), 0o644); err != nil {
		s.t.Error(err)
	}
}

// nocArtifacts is where the captured panes are kept: $TUYAU_TEST_ARTIFACTS
// or testdata/artifacts (gitignored); docs/noc.md quotes one.
func nocArtifacts(t *testing.T) string {
	dir := os.Getenv("TUYAU_TEST_ARTIFACTS")
	if dir == "" {
		dir = filepath.Join("testdata", "artifacts")
	}
	dir = filepath.Join(dir, "noc")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestNocTmux drives the real binary in tmux against a running virtual
// lab of examples/manche and "telemetry collect --lab": the dashboard fills
// in, a duct cut in the lab shows as a critical root alarm within seconds,
// "a" acknowledges it through the collector's API, enter on a child opens
// the link view with the cable and duct names, the layout holds at 80x24
// and q quits.
func TestNocTmux(t *testing.T) {
	tmux := need.Tool(t, "tmux", "apt-get install tmux (.ci/deps)")
	goTool := need.Tool(t, "go", "the go toolchain builds the binary under test")
	bin := filepath.Join(t.TempDir(), "tuyau")
	if out, err := exec.Command(goTool, "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	ctx, cancel := context.WithCancel(context.Background())
	root := t.TempDir()
	snap, err := yamlstore.Open(example).Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	startForegroundLab(t, ctx, cancel, root, "noc", snap, 30*time.Second)

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	listen := ln.Addr().String()
	ln.Close()
	colCtx, stop := context.WithCancel(ctx)
	var cerr lockedBuffer
	exited := make(chan struct{})
	go func() {
		defer close(exited)
		run(colCtx, []string{"telemetry", "collect", "-i", example, "--lab", "noc", "--lab-dir", root, "--listen", listen,
			"--interval", "counters=1s,optics=1s", "--flush", "200ms", "--name", "col-noc"}, strings.NewReader(""), &lockedBuffer{}, &cerr,
			func(string) string { return "" })
	}()
	t.Cleanup(func() {
		stop()
		select {
		case <-exited:
		case <-time.After(30 * time.Second):
			t.Error("collect did not stop")
		}
	})
	url := "http://" + listen

	s := tmuxSession{t: t, tmux: tmux, sck: fmt.Sprintf("tuyau-noc-test-%d", os.Getpid()), artifacts: nocArtifacts(t)}
	inv, _ := filepath.Abs(example)
	cmd := fmt.Sprintf("TUYAU_USER=tester %s noc --collector %s -i %s", bin, url, inv)
	if out, err := s.run("-f", "/dev/null", "new-session", "-d", "-s", "noc", "-x", "100", "-y", "30", cmd); err != nil {
		t.Fatalf("tmux new-session: %v: %s", err, out)
	}
	t.Cleanup(func() { _, _ = s.run("kill-server") })

	allUp := regexp.MustCompile(`  (\d+)/(\d+) targets`)
	s.waitFor("noc-start", 90*time.Second, func(p string) bool {
		m := allUp.FindStringSubmatch(p)
		return m != nil && m[1] == m[2] && m[1] != "0" && strings.Contains(p, "Links 76") && strings.Contains(p, "service hosting")
	})

	// When the sink itself has the alarm, to time the dashboard against.
	inSink := make(chan time.Time, 1)
	go func() {
		api := telemetry.NewHTTPReader(url)
		for ctx.Err() == nil {
			as, _ := api.Alarms(ctx)
			for _, a := range as {
				if a.Rule == "duct" && a.Object == nocCut && a.State == telemetry.AlarmActive {
					inSink <- time.Now()
					return
				}
			}
			time.Sleep(20 * time.Millisecond)
		}
	}()
	cutAt := time.Now()
	out := runCLI(t, nil, "lab", "cut", "--srlg", nocCut, "--lab-dir", root, "--name", "noc")
	if out.code != exitOK {
		t.Fatalf("lab cut: exit %d: %s", out.code, out.stderr)
	}
	pane, _ := s.waitFor("noc-cut", 10*time.Second, func(p string) bool {
		return strings.Contains(p, "CRIT") && strings.Contains(p, "[+4] "+nocCut)
	})
	shown := time.Now()
	select {
	case at := <-inSink:
		// The design is a read every 500 ms: within a second of the sink;
		// 3 s leaves room for a loaded CI machine.
		lag := shown.Sub(at)
		t.Logf("duct alarm in the sink %s after the cut, on the dashboard %s after the sink",
			at.Sub(cutAt).Round(10*time.Millisecond), lag.Round(10*time.Millisecond))
		if lag > 3*time.Second {
			t.Errorf("the dashboard showed the alarm %s after the sink had it, want within a second or so", lag)
		}
	case <-time.After(5 * time.Second):
		t.Error("the dashboard shows a duct alarm the sink's API never served")
	}
	if !strings.Contains(pane, "> CRIT") {
		t.Fatalf("the duct alarm is not the selected first row:\n%s", pane)
	}

	s.keys("a")
	s.waitFor("noc-ack", 10*time.Second, func(p string) bool {
		return strings.Contains(p, "acknowledged by tester") && strings.Contains(p, "ack  duct")
	})
	var alarms []telemetry.Alarm
	r := runCLI(t, nil, "telemetry", "alarms", "-o", "json", "--collector", url)
	if err := json.Unmarshal([]byte(r.stdout), &alarms); err != nil {
		t.Fatalf("telemetry alarms: %v: %s", err, r.stderr)
	}
	acked := false
	for _, a := range alarms {
		if a.Rule == "duct" && a.Object == nocCut {
			acked = a.Acked && a.AckedBy == "tester"
		}
	}
	if !acked {
		t.Errorf("the collector does not hold the duct alarm acknowledged by tester: %+v", alarms)
	}

	s.keys("Space", "Down", "Enter")
	pane, _ = s.waitFor("noc-link", 10*time.Second, func(p string) bool {
		return strings.Contains(p, "Rx power against the budget") && strings.Contains(p, "Ducts")
	})
	if !strings.Contains(pane, nocCut) || !strings.Contains(pane, "villedieu-les-poeles-pop-r1:eth") || !strings.Contains(pane, "FO-0001") && !strings.Contains(pane, "FO-0000") {
		t.Errorf("the link view lacks the duct, the cut cable or the ends:\n%s", pane)
	}
	if !strings.Contains(pane, "DOWN") || !strings.Contains(pane, "oper ") {
		t.Errorf("the link view lacks its state or its history:\n%s", pane)
	}

	s.keys("Escape")
	if out, err := s.run("resize-window", "-t", "noc", "-x", "80", "-y", "24"); err != nil {
		t.Fatalf("tmux resize-window: %v: %s", err, out)
	}
	pane, _ = s.waitFor("noc-80x24", 10*time.Second, func(p string) bool {
		return strings.Contains(p, "Alarms") && strings.Contains(p, "BGP & hosting") && len(strings.Split(strings.TrimRight(p, "\n"), "\n")) == 24
	})
	for i, l := range strings.Split(pane, "\n") {
		if n := len([]rune(l)); n > 80 {
			t.Errorf("80x24: line %d is %d wide: %q", i, n, l)
		}
	}

	// Live: the frame's read time moves on by itself.
	stamp := regexp.MustCompile(`^noc (\d\d:\d\d:\d\d)`)
	first := stamp.FindStringSubmatch(pane)
	s.waitFor("noc-live", 10*time.Second, func(p string) bool {
		m := stamp.FindStringSubmatch(p)
		return first != nil && m != nil && m[1] != first[1]
	})

	s.keys("q")
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := s.run("has-session", "-t", "noc"); err != nil {
			break // the dashboard quit and its session with it
		}
		if time.Now().After(deadline) {
			t.Fatalf("q did not quit:\n%s", s.capture())
		}
		time.Sleep(50 * time.Millisecond)
	}
}
