package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tuyau-net/tuyau/bgp"
)

// TestBGPCommands runs "bgp serve" in-process and drives it with the other
// bgp commands over its API: peers (the core router is not there: the
// session is down, with a reason), announce with attributes, routes, withdraw.
func TestBGPCommands(t *testing.T) {
	dir := t.TempDir()
	port := freeTCPPort(t, "127.0.0.1")
	sock := filepath.Join(dir, "bgp.sock")
	inv := filepath.Join(dir, "inv.yaml")
	os.WriteFile(inv, []byte(fmt.Sprintf(`network: {name: t, asn: 65000}
sites:
  - {slug: dc1, role: core, latitude: 49.1, longitude: -1.1}
devices:
  - {name: dc1-r1, site: dc1, role: core, platform: frr, asn: 65000, loopback: 127.0.0.2}
services:
  - {name: hosting, prefixes: [198.51.100.0/24], sites: [dc1]}
speakers:
  - name: dc1
    asn: 65000
    router_id: 10.254.0.1
    site: dc1
    listen: 127.0.0.1
    port: %d
    api: %s
    peers:
      - {device: dc1-r1, password_secret: bgp-dc1, hold_time: 9, keepalive: 3}
`, port, sock)), 0o644)
	secrets := filepath.Join(dir, "secrets.yaml")
	os.WriteFile(secrets, []byte("bgp:\n  passwords:\n    bgp-dc1: secret-cli-pw\n"), 0o600)
	env := map[string]string{"TUYAU_INVENTORY": inv, "TUYAU_SECRETS": secrets}

	if r := runCLI(t, map[string]string{"TUYAU_INVENTORY": inv}, "bgp", "serve"); r.code == 0 || !strings.Contains(r.stderr, `password_secret "bgp-dc1"`) {
		t.Fatalf("serve without secrets: exit %d, want an error naming the key\n%s", r.code, r.stderr)
	}
	// Registered before serveBGP's cleanup, this runs after it: on the
	// whole log, once serve has exited.
	var serveErr *lockedBuffer
	t.Cleanup(func() {
		if strings.Contains(serveErr.String(), "secret-cli-pw") {
			t.Errorf("the password reached the log")
		}
	})
	serveErr = serveBGP(t, env)
	var peers []bgp.PeerStatus
	deadline := time.Now().Add(15 * time.Second)
	for {
		r := runCLI(t, env, "bgp", "peers", "-o", "json")
		if r.code == 0 && json.Unmarshal([]byte(r.stdout), &peers) == nil && len(peers) == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("bgp peers: exit %d\n%s%s", r.code, r.stdout, r.stderr)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if p := peers[0]; p.Device != "dc1-r1" || p.State == "established" || !p.MD5 || !strings.Contains(p.Reason, "MD5") {
		t.Errorf("peer = %+v, want dc1-r1 down with MD5 named in the reason", p)
	}
	if r := runCLI(t, env, "bgp", "peers"); r.code != 0 || !strings.Contains(r.stdout, "dc1-r1") || !strings.Contains(r.stdout, "REASON") {
		t.Errorf("bgp peers table: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := runCLI(t, env, "bgp", "announce", "198.51.100.0/24", "--med", "10", "--local-pref", "150", "--community", "65000:100,65000:1:2", "--next-hop", "192.0.2.10"); r.code != 0 {
		t.Fatalf("announce: exit %d\n%s", r.code, r.stderr)
	}
	var rs []bgp.Route
	r := runCLI(t, env, "bgp", "routes", "198.51.100.0/24", "-o", "json")
	if r.code != 0 || json.Unmarshal([]byte(r.stdout), &rs) != nil || len(rs) != 1 {
		t.Fatalf("routes: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if got := rs[0]; !got.Local || got.MED != 10 || got.LocalPref != 150 || got.Site != "dc1" || strings.Join(got.Communities, " ") != "65000:100 65000:1:2" {
		t.Errorf("route = %+v, want our own with MED 10, local-pref 150, both communities, site dc1", got)
	}
	if r := runCLI(t, env, "bgp", "withdraw", "198.51.100.0/24"); r.code != 0 {
		t.Fatalf("withdraw: exit %d\n%s", r.code, r.stderr)
	}
	if r := runCLI(t, env, "bgp", "routes", "-o", "json"); r.code != 0 || strings.TrimSpace(r.stdout) != "[]" {
		t.Errorf("routes after withdraw: exit %d, %q, want []", r.code, r.stdout)
	}
	if r := runCLI(t, env, "bgp", "announce", "198.51.100.1/24"); r.code == 0 || !strings.Contains(r.stderr, "198.51.100.0/24") {
		t.Errorf("announce with host bits: exit %d %s, want an error suggesting the network", r.code, r.stderr)
	}
}
