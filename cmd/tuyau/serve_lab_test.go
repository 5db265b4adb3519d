package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tuyau-net/tuyau/inventory/synth"
	"github.com/tuyau-net/tuyau/inventory/yamlstore"
	"github.com/tuyau-net/tuyau/telemetry"
	"github.com/tuyau-net/tuyau/testlab/redislab"
	"github.com/tuyau-net/tuyau/topology"
)

// serveHealth is GET /healthz of "tuyau serve".
type serveHealth struct {
	Status string       `json:"status"`
	Parts  []partHealth `json:"parts"`
}

func (h serveHealth) part(name string) partHealth {
	for _, p := range h.Parts {
		if p.Name == name {
			return p
		}
	}
	return partHealth{}
}

// TestServeLab runs "tuyau serve --lab" as a process of its own (this test
// binary through a link named tuyau, see TestMain), with the three
// parts against a virtual lab and a real redis-server, configured by a
// serve: section as a NOC server's tuyau.yaml would be: /healthz says
// every part runs and the speaker's session with its core router is
// established; the collector's links are in Redis; the web NOC answers
// with the speaker's session; a core router killed raises the speaker's
// bgp-session-down alarm in the same process's alarm engine (in Redis);
// SIGTERM stops the parts web, bgp, collector in that order and exits 0
// within its deadline.
func TestServeLab(t *testing.T) {
	if testing.Short() {
		t.Skip("a virtual lab, redis-server and the built binary: seconds")
	}
	rs := redislab.Start(t)
	ctx, cancel := context.WithCancel(context.Background())
	snap, err := synth.Generate(synth.Options{Sites: 4, Seed: 1, Speakers: true})
	if err != nil {
		t.Fatal(err)
	}
	dir, root, lab := t.TempDir(), t.TempDir(), "serve"
	inv := filepath.Join(dir, "inventory.yaml")
	if err := yamlstore.WriteFile(inv, snap); err != nil {
		t.Fatal(err)
	}
	startForegroundLab(t, ctx, cancel, root, lab, snap, 60*time.Second)
	env := map[string]string{"TUYAU_INVENTORY": inv, "TUYAU_RECORDS": filepath.Join(dir, "records")}
	// The core router's side of the speaker's session, as rendered.
	if r := runCLI(t, env, "config", "apply", "--lab", lab, "--lab-dir", root, "dc1-r1"); r.code != 0 {
		t.Fatalf("config apply dc1-r1: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	health, api, webAddr := freeAddr(t), freeAddr(t), freeAddr(t)
	cfg := filepath.Join(dir, "tuyau.yaml")
	conf := fmt.Sprintf(`inventory: %s
%s
serve:
  health: %s
  redis: %s
  collector:
    listen: %s
    id: noc1
    interval: counters=1s,optics=1s
    flush: 200ms
  bgp:
    speaker: dc1
    hosting: false
  web:
    listen: %s
    interval: 200ms
`, inv, fastAlarms, health, rs.URL(), api, webAddr)
	if err := os.WriteFile(cfg, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	bin := tuyauExecutable(t)
	var stderr lockedBuffer
	cmd := exec.Command(bin, "serve", "--config", cfg, "--lab", lab, "--lab-dir", root)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir}
	cmd.Stdout, cmd.Stderr = io.Discard, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill() // no-op once it exited
		<-exited
		if t.Failed() {
			t.Logf("tuyau serve:\n%s", stderr.String())
		}
	})

	var h serveHealth
	eventually(t, 60*time.Second, "every part running, the speaker's session established", func() (bool, string) {
		resp, err := http.Get("http://" + health + "/healthz")
		if err != nil {
			return false, err.Error()
		}
		defer resp.Body.Close()
		h = serveHealth{}
		b, _ := io.ReadAll(resp.Body)
		if err := json.Unmarshal(b, &h); err != nil {
			return false, fmt.Sprintf("%d %s", resp.StatusCode, b)
		}
		return resp.StatusCode == http.StatusOK && h.Status == "ok" && len(h.Parts) == 3 &&
			h.part("bgp").Detail == "1/1 sessions established", string(b)
	})
	if d := h.part("collector").Detail; d != "4/4 targets connected" {
		t.Errorf("collector health detail %q, want 4/4 targets connected", d)
	}
	topo, err := topology.Build(snap, topology.Options{})
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, 30*time.Second, "the collector's links in Redis", func() (bool, string) {
		r := runCLI(t, env, "telemetry", "links", "-o", "json", "--redis", rs.URL())
		var ls []telemetry.LinkState
		if r.code != exitOK || json.Unmarshal([]byte(r.stdout), &ls) != nil {
			return false, r.stderr
		}
		up := 0
		for _, l := range ls {
			if l.Oper == "up" {
				up++
			}
		}
		return len(ls) == len(topo.Links) && up > 0, fmt.Sprintf("%d links of %d, %d up", len(ls), len(topo.Links), up)
	})
	eventually(t, 30*time.Second, "the web NOC with the speaker's session", func() (bool, string) {
		resp, err := http.Get("http://" + webAddr + "/api/state")
		if err != nil {
			return false, err.Error()
		}
		defer resp.Body.Close()
		var st struct {
			Hosting struct {
				Running  bool   `json:"running"`
				Sessions [2]int `json:"sessions"`
			} `json:"hosting"`
		}
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode == http.StatusOK && json.Unmarshal(b, &st) == nil && st.Hosting.Running && st.Hosting.Sessions[0] >= 1, string(b)
	})

	// The speaker's alarm reaches this process's engine, then Redis.
	if r := runCLI(t, env, "lab", "kill", "dc1-r1", "--lab-dir", root, "--name", lab); r.code != exitOK {
		t.Fatalf("lab kill dc1-r1: exit %d %s", r.code, r.stderr)
	}
	eventually(t, 30*time.Second, "bgp-session-down of dc1-r1 in Redis", func() (bool, string) {
		r := runCLI(t, env, "telemetry", "alarms", "-o", "json", "--redis", rs.URL())
		var as []telemetry.Alarm
		if r.code != exitOK || json.Unmarshal([]byte(r.stdout), &as) != nil {
			return false, r.stderr
		}
		for _, a := range as {
			if a.Source == "bgp" && a.Rule == "bgp-session-down" && a.State == telemetry.AlarmActive {
				return true, ""
			}
		}
		return false, r.stdout
	})

	// SIGHUP: the collector re-reads the inventory and the alarm rules.
	if err := cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	eventually(t, 15*time.Second, "the collector's reload on SIGHUP", func() (bool, string) {
		return strings.Contains(stderr.String(), `msg="reload: re-reading the inventory and the alarm rules" part=collector`), "no reload logged"
	})

	t0 := time.Now()
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		exited <- err // for the cleanup
		if err != nil {
			t.Fatalf("tuyau serve after SIGTERM: %v, want exit 0", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("tuyau serve did not exit within 30s of SIGTERM")
	}
	t.Logf("SIGTERM to exit: %s", time.Since(t0).Round(time.Millisecond))
	s := stderr.String()
	last := -1
	for _, want := range []string{"msg=stopping part=web", "msg=stopping part=bgp", "msg=stopping part=collector", "msg=\"collector stopped\" part=collector"} {
		i := strings.Index(s, want)
		if i < last {
			t.Errorf("stderr: %q missing or out of order (want web, bgp, then the collector)", want)
		}
		last = i
	}
}
