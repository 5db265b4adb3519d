package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tuyau-net/tuyau/telemetry"
	"github.com/tuyau-net/tuyau/testlab/need"
)

// TestBGPMonitorAlarms runs the NOC's processes in-process: "telemetry
// collect" (its HTTP API) and "bgp serve --collector" whose speaker is the
// client of Debian's gobgpd as the core's route reflector. gobgpd plays the
// member's LAN withdrawn and back, then a hijacked more-specific of the
// hosting prefix: "telemetry alarms -o json" lists each alarm with the
// prefix, the expected and seen origin and the peer, the missing LAN
// cleared on its return. "bgp dump --mrt" writes the table bgpdump reads.
func TestBGPMonitorAlarms(t *testing.T) {
	gobgpd := need.Tool(t, "gobgpd", "apt-get install gobgpd (.ci/deps)")
	gobgp := need.Tool(t, "gobgp", "apt-get install gobgpd (.ci/deps)")
	bgpdump := need.Tool(t, "bgpdump", "apt-get install bgpdump (.ci/deps)")
	dir := t.TempDir()
	rrPort, spPort, apiPort := freeTCPPort(t, "127.0.0.2"), freeTCPPort(t, "127.0.0.3"), freeTCPPort(t, "127.0.0.1")
	startGobgpd(t, gobgpd, dir, "rr", fmt.Sprintf(`[global.config]
  as = 65000
  router-id = "127.0.0.2"
  port = %d
  local-address-list = ["127.0.0.2"]

[[neighbors]]
  [neighbors.config]
    neighbor-address = "127.0.0.3"
    peer-as = 65000
  [neighbors.transport.config]
    local-address = "127.0.0.2"
    remote-port = %d
  [neighbors.timers.config]
    connect-retry = 1
    hold-time = 9
    keepalive-interval = 3
  [neighbors.route-reflector.config]
    route-reflector-client = true
    route-reflector-cluster-id = "127.0.0.2"
  [[neighbors.afi-safis]]
    [neighbors.afi-safis.config]
      afi-safi-name = "ipv4-unicast"
`, rrPort, spPort), apiPort)
	try := func(args ...string) ([]byte, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		return exec.CommandContext(ctx, gobgp, append([]string{"-u", "127.0.0.1", "-p", strconv.Itoa(apiPort)}, args...)...).CombinedOutput()
	}
	cli := func(args ...string) {
		t.Helper()
		if out, err := try(args...); err != nil {
			t.Fatalf("gobgp %v: %v: %s", args, err, out)
		}
	}
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		out, err := try("global")
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("gobgpd's API not up: %v: %s", err, out)
		}
	}

	inv := filepath.Join(dir, "inv.yaml")
	sock := filepath.Join(dir, "bgp-dc1.sock")
	os.WriteFile(inv, []byte(fmt.Sprintf(`network: {name: t, asn: 65000}
sites:
  - {slug: dc1, role: core, latitude: 49.1, longitude: -1.1}
  - {slug: dc2, role: core, latitude: 49.3, longitude: -1.3}
  - {slug: barfleur-mairie, role: member, latitude: 49.6, longitude: -1.2}
devices:
  - {name: dc1-r1, site: dc1, role: core, platform: frr, asn: 65000, loopback: 127.0.0.2}
  - {name: dc2-r1, site: dc2, role: core, platform: frr, asn: 65000, loopback: 127.0.0.5}
  - {name: barfleur-r1, site: barfleur-mairie, role: member, platform: frr, asn: 4200000001, loopback: 10.255.1.1}
prefixes:
  - {prefix: 172.16.0.0/28, role: member-lan, site: barfleur-mairie}
services:
  - {name: hosting, prefixes: [198.51.100.0/24], sites: [dc1, dc2]}
speakers:
  - {name: dc1, asn: 65000, router_id: 10.254.0.1, site: dc1, listen: 127.0.0.3, port: %d, api: %s,
     peers: [{device: dc1-r1, hold_time: 9, keepalive: 3}]}
`, spPort, sock)), 0o644)
	cfgFile := filepath.Join(dir, "tuyau.yaml")
	os.WriteFile(cfgFile, []byte("bgp:\n  monitor:\n    missing_grace: 1s\n    check: 200ms\n    resync: 1s\n"), 0o644)
	listen := fmt.Sprintf("127.0.0.1:%d", freeTCPPort(t, "127.0.0.1"))
	env := map[string]string{"TUYAU_INVENTORY": inv, "TUYAU_CONFIG": cfgFile, "TUYAU_GNMI_USERNAME": "noc", "TUYAU_GNMI_PASSWORD": "x"}

	start := func(args ...string) {
		ctx, cancel := context.WithCancel(context.Background())
		var errb lockedBuffer
		done := make(chan int, 1)
		go func() {
			done <- run(ctx, args, strings.NewReader(""), &bytes.Buffer{}, &errb, func(k string) string { return env[k] })
		}()
		t.Cleanup(func() {
			cancel()
			select {
			case code := <-done:
				if code != 0 || t.Failed() {
					t.Logf("%v: exit %d\n%s", args, code, errb.String())
				}
			case <-time.After(30 * time.Second):
				t.Errorf("%v did not stop", args)
			}
		})
	}
	start("telemetry", "collect", "--listen", listen, "--insecure", "--flush", "200ms")
	start("bgp", "serve", "--speaker", "dc1", "--hosting=false", "--collector", "http://"+listen)

	alarm := func(what, rule, obj string, state telemetry.AlarmState) telemetry.Alarm {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for {
			r := runCLI(t, env, "telemetry", "alarms", "-o", "json", "--collector", "http://"+listen)
			var as []telemetry.Alarm
			if r.code == 0 && json.Unmarshal([]byte(r.stdout), &as) == nil {
				for _, a := range as {
					if a.Source == "bgp" && a.Rule == rule && a.Object == obj && a.State == state {
						return a
					}
				}
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: no %s alarm %s %q in telemetry alarms:\n%s%s", what, state, rule, obj, r.stdout, r.stderr)
			}
			time.Sleep(200 * time.Millisecond)
		}
	}

	cli("global", "rib", "add", "-a", "ipv4", "172.16.0.0/28", "aspath", "4200000001")
	// The speaker has it once "bgp routes" shows it.
	deadline := time.Now().Add(30 * time.Second)
	for {
		r := runCLI(t, env, "bgp", "routes", "172.16.0.0/28", "--speaker", "dc1", "-o", "json")
		if r.code == 0 && strings.Contains(r.stdout, "4200000001") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the member LAN never reached the speaker: %s%s", r.stdout, r.stderr)
		}
		time.Sleep(200 * time.Millisecond)
	}
	time.Sleep(1500 * time.Millisecond) // past missing_grace, so the withdrawal is reported
	cli("global", "rib", "del", "-a", "ipv4", "172.16.0.0/28")
	a := alarm("member LAN withdrawn", "bgp-prefix-missing", "172.16.0.0/28", telemetry.AlarmActive)
	if a.Attrs["prefix"] != "172.16.0.0/28" || a.Attrs["expected_origin"] != "AS4200000001" || a.Attrs["site"] != "barfleur-mairie" {
		t.Errorf("missing alarm attrs %v, want the prefix, expected origin AS4200000001, site", a.Attrs)
	}
	cli("global", "rib", "add", "-a", "ipv4", "172.16.0.0/28", "aspath", "4200000001")
	a = alarm("member LAN back", "bgp-prefix-missing", "172.16.0.0/28", telemetry.AlarmCleared)
	if !strings.HasPrefix(a.Message, "restored: 172.16.0.0/28") || !strings.Contains(a.Message, "AS4200000001") {
		t.Errorf("cleared missing alarm's message %q, want the restoration notice naming the origin", a.Message)
	}

	cli("global", "rib", "add", "-a", "ipv4", "198.51.100.128/25", "aspath", "64666")
	a = alarm("hijacked more-specific", "bgp-origin-hijack", "198.51.100.128/25 AS64666", telemetry.AlarmActive)
	want := map[string]string{"prefix": "198.51.100.128/25", "covering": "198.51.100.0/24", "expected_origin": "AS65000",
		"seen_origin": "AS64666", "peer": "127.0.0.2", "device": "dc1-r1", "speaker": "dc1"}
	for k, v := range want {
		if a.Attrs[k] != v {
			t.Errorf("hijack alarm attr %s = %q, want %q (attrs %v)", k, a.Attrs[k], v, a.Attrs)
		}
	}
	if a.Severity != telemetry.SevCritical {
		t.Errorf("hijack severity %s, want critical", a.Severity)
	}

	mrtFile := filepath.Join(dir, "rib.mrt")
	if r := runCLI(t, env, "bgp", "dump", "--mrt", mrtFile, "--speaker", "dc1"); r.code != 0 || !strings.Contains(r.stderr, "2 prefixes") {
		t.Fatalf("bgp dump: exit %d: %s%s", r.code, r.stdout, r.stderr)
	}
	out, err := exec.Command(bgpdump, "-m", mrtFile).Output()
	if err != nil || !strings.Contains(string(out), "|198.51.100.128/25|64666|") || !strings.Contains(string(out), "|172.16.0.0/28|4200000001|") {
		t.Errorf("bgpdump of the dump: %v:\n%s", err, out)
	}
}
