package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tuyau-net/tuyau/telemetry"
	"github.com/tuyau-net/tuyau/telemetry/sink/memory"
)

// TestNocViewsSpeaker runs "bgp serve" in-process (a real GoBGP speaker;
// its core router is not there, so its session is not established) and
// announces the hosting prefix from it: "noc --once" and "web" over the
// same inventory show the speaker's session and the hosting service
// active at the speaker's site, as an operator sees them when the
// speaker runs.
func TestNocViewsSpeaker(t *testing.T) {
	dir := t.TempDir()
	port := freeTCPPort(t, "127.0.0.1")
	sock := filepath.Join(dir, "bgp.sock")
	inv := filepath.Join(dir, "inv.yaml")
	if err := os.WriteFile(inv, []byte(fmt.Sprintf(`network: {name: t, asn: 65000}
sites:
  - {slug: dc1, role: core, latitude: 49.1, longitude: -1.1}
  - {slug: dc2, role: core, latitude: 49.6, longitude: -1.6}
devices:
  - {name: dc1-r1, site: dc1, role: core, platform: frr, asn: 65000, loopback: 127.0.0.2}
  - {name: dc2-r1, site: dc2, role: core, platform: frr, asn: 65000, loopback: 127.0.0.3}
services:
  - {name: hosting, prefixes: [198.51.100.0/24], sites: [dc1, dc2]}
speakers:
  - name: dc1
    asn: 65000
    router_id: 10.254.0.1
    site: dc1
    listen: 127.0.0.1
    port: %d
    api: %s
    peers:
      - {device: dc1-r1, hold_time: 9, keepalive: 3}
`, port, sock)), 0o644); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"TUYAU_INVENTORY": inv}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	serveErr := serveBGP(t, env, "--hosting=false")
	for deadline := time.Now().Add(15 * time.Second); ; {
		if r := runCLI(t, env, "bgp", "announce", "198.51.100.0/24"); r.code == 0 {
			break
		} else if time.Now().After(deadline) {
			t.Fatalf("bgp announce: exit %d %s\n%s", r.code, r.stderr, serveErr.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	// A collector API with nothing in it: the BGP side comes from the speaker.
	api := httptest.NewServer(telemetry.NewAPI(memory.New(memory.Options{}), telemetry.APIOptions{}))
	defer api.Close()

	// The speaker's API answers (GoBGP serves it from the start) before
	// its peers are configured (after the monitor's BMP station is
	// attached): a view taken in that moment lists no session yet, so
	// look again until the configured session shows, for a few seconds.
	wants := []string{"session ", "dc1 dc1-r1", "hosting", "active dc1"}
	var r result
	for deadline := time.Now().Add(10 * time.Second); ; {
		r = runCLI(t, env, "noc", "--once", "--collector", api.URL, "--width", "100")
		if r.code != exitOK {
			t.Fatalf("noc --once: exit %d: %s", r.code, r.stderr)
		}
		missing := false
		for _, want := range wants {
			missing = missing || !strings.Contains(r.stdout, want)
		}
		if !missing || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	for _, want := range wants {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("noc frame lacks %q:\n%s", want, r.stdout)
		}
	}
	if strings.Contains(r.stdout, "BGP speaker not running") || strings.Contains(r.stdout, "ESTABLISHED") {
		t.Errorf("noc frame: want the running speaker's session, not established:\n%s", r.stdout)
	}

	webAddr := freeAddr(t)
	webErr := runInBackground(t, ctx, "web", "web", "-i", inv, "--collector", api.URL, "--listen", webAddr, "--interval", "100ms")
	var st struct {
		Hosting struct {
			Running  bool `json:"running"`
			Services []struct {
				Name       string `json:"name"`
				ActiveSite string `json:"active_site"`
				Known      bool   `json:"known"`
			} `json:"services"`
			Sessions [2]int `json:"sessions"`
		} `json:"hosting"`
	}
	var body []byte
	for deadline := time.Now().Add(20 * time.Second); ; {
		if resp, err := http.Get("http://" + webAddr + "/api/state"); err == nil {
			body, _ = io.ReadAll(resp.Body)
			resp.Body.Close()
			if json.Unmarshal(body, &st) == nil && st.Hosting.Running && len(st.Hosting.Services) == 1 &&
				st.Hosting.Services[0].Known && st.Hosting.Services[0].ActiveSite == "dc1" && st.Hosting.Sessions == [2]int{0, 1} {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("web state: %s, want the speaker running, 0 of 1 session established, hosting active at dc1\n%s", body, webErr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}
