package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tuyau-net/tuyau/inventory/synth"
	"github.com/tuyau-net/tuyau/inventory/yamlstore"
	"github.com/tuyau-net/tuyau/telemetry"
)

// lockedBuffer is a bytes.Buffer a running command writes while the test reads.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestTelemetryCollectLab runs "tuyau telemetry collect --lab" against a
// running lab, reads "telemetry targets|links|alarms -o json" back from
// its HTTP API, and stops it as SIGTERM would: a clean exit.
func TestTelemetryCollectLab(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	root := t.TempDir()
	snap, err := synth.Generate(synth.Options{Sites: 5, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	inv := filepath.Join(t.TempDir(), "inventory.yaml")
	if err := yamlstore.WriteFile(inv, snap); err != nil {
		t.Fatal(err)
	}
	startForegroundLab(t, ctx, cancel, root, "teltest", snap, 20*time.Second)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	listen := ln.Addr().String()
	ln.Close()
	colCtx, stop := context.WithCancel(ctx)
	var cout, cerr lockedBuffer
	exited := make(chan struct{})
	code := -1
	go func() {
		defer close(exited)
		code = run(colCtx, []string{"telemetry", "collect", "-i", inv, "--lab", "teltest", "--lab-dir", root, "--listen", listen,
			"--interval", "counters=1s,optics=1s", "--flush", "200ms", "--name", "col-test"}, strings.NewReader(""), &cout, &cerr,
			func(string) string { return "" })
	}()
	defer func() {
		stop()
		select {
		case <-exited:
		case <-time.After(30 * time.Second):
			t.Error("collect did not stop")
		}
	}()
	url := "http://" + listen
	readJSON := func(what string, v any) error {
		r := runCLI(t, nil, "telemetry", what, "-o", "json", "--collector", url)
		if r.code != exitOK {
			return fmt.Errorf("telemetry %s: exit %d: %s", what, r.code, r.stderr)
		}
		return json.Unmarshal([]byte(r.stdout), v)
	}
	var ts []telemetry.TargetHealth
	deadline := time.Now().Add(45 * time.Second)
	for {
		err := readJSON("targets", &ts)
		ok := err == nil && len(ts) > 0
		for _, h := range ts {
			ok = ok && h.Connected && h.Received > 0 && h.Collector == "col-test"
		}
		if ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("targets not all connected: %v %+v\ncollect stderr:\n%s", err, ts, cerr.String())
		}
		time.Sleep(200 * time.Millisecond)
	}
	var links []telemetry.LinkState
	for deadline := time.Now().Add(30 * time.Second); ; {
		err := readJSON("links", &links)
		up := 0
		for _, l := range links {
			if l.Oper == "up" && l.HasRx {
				up++
			}
		}
		if err == nil && up > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no link up with rx power: %v %+v", err, links)
		}
		time.Sleep(200 * time.Millisecond)
	}
	// /metrics is served on the same listener, from the same engine.
	if resp, err := http.Get(url + "/metrics"); err != nil {
		t.Errorf("GET /metrics: %v", err)
	} else {
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if want := `tuyau_target_up{target="` + ts[0].Name + `"} 1`; resp.StatusCode != http.StatusOK || !strings.Contains(string(body), want) {
			t.Errorf("GET /metrics: %d, no %s in:\n%.2000s", resp.StatusCode, want, body)
		}
	}
	r := runCLI(t, nil, "telemetry", "alarms", "-o", "json", "--collector", url)
	if r.code != exitOK || !strings.HasPrefix(strings.TrimSpace(r.stdout), "[") {
		t.Errorf("telemetry alarms -o json: exit %d, stdout %q, stderr %s", r.code, r.stdout, r.stderr)
	}
	r = runCLI(t, nil, "telemetry", "targets", "--collector", url)
	if r.code != exitOK || !strings.Contains(r.stdout, "GAPS") || !strings.Contains(r.stdout, "DELAY") || !strings.Contains(r.stdout, ts[0].Name) {
		t.Errorf("telemetry targets (table): exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = runCLI(t, nil, "telemetry", "ack", "no-such-alarm", "--collector", url, "--by", "alice")
	if r.code != exitError || !strings.Contains(r.stderr, "no-such-alarm") {
		t.Errorf("telemetry ack of an unknown alarm: exit %d, stderr %s", r.code, r.stderr)
	}
	if strings.Contains(cerr.String(), "lab-pw") {
		t.Error("collect logged the lab password")
	}
	stop()
	select {
	case <-exited:
		if code != exitOK {
			t.Errorf("collect exit %d after cancel; stderr:\n%s", code, cerr.String())
		}
		if !strings.Contains(cerr.String(), "collector stopped") {
			t.Errorf("collect stderr lacks the stop line:\n%s", cerr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("collect did not stop within 30 s")
	}
}

// TestTelemetryCollectBadRules: alarm rules in tuyau.yaml that do not
// parse or validate refuse the start, naming the file and the line.
func TestTelemetryCollectBadRules(t *testing.T) {
	tests := []struct {
		name, alarms, want string
	}{
		{"unknown key", "alarms:\n  link_down:\n    severity: major\n  rx_margn:\n    threshold: 1\n", `:5:3: alarm rules: unknown key "rx_margn"`},
		{"clear past threshold", "alarms:\n  utilization:\n    threshold: 0.8\n    clear: 0.9\n", ":3:3: alarm rule utilization: clear 0.9 is above threshold 0.8"},
		{"duration without unit", "alarms:\n  target_unreachable:\n    raise_after: 30\n", `:4:18: alarm rules: target_unreachable.raise_after: duration "30"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := filepath.Join(t.TempDir(), "tuyau.yaml")
			if err := os.WriteFile(cfg, []byte("inventory: "+example+"\n"+tt.alarms /* the alarms start on line 2 */), 0o600); err != nil {
				t.Fatal(err)
			}
			r := runCLI(t, map[string]string{"TUYAU_GNMI_USERNAME": "u", "TUYAU_GNMI_PASSWORD": "p"},
				"telemetry", "collect", "--config", cfg, "--listen", "", "--insecure")
			if r.code != exitError || !strings.Contains(r.stderr, cfg+tt.want) {
				t.Errorf("collect with %q: exit %d, stderr %q; want exit 1 and %q", tt.alarms, r.code, r.stderr, cfg+tt.want)
			}
		})
	}
}
