package main

import (
	"bytes"
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tuyau-net/tuyau/bgp/hosting"
	"github.com/tuyau-net/tuyau/testlab"
)

// TestLabCommands runs the lab commands as an engineer would, with the lab
// in the foreground of a goroutine (a background lab would start this test
// binary): up, status with the address map, a cut seen in status, restore,
// and down cleaning up after the lab process is gone.
func TestLabCommands(t *testing.T) {
	root := t.TempDir()
	env := map[string]string{"TUYAU_LAB_DIR": root, "TUYAU_LAB_NAME": "cli"}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan result, 1)
	go func() {
		var out, errb bytes.Buffer
		code := run(ctx, []string{"lab", "up", "-i", example, "--foreground"}, strings.NewReader(""), &out, &errb,
			func(k string) string { return env[k] })
		done <- result{code, out.String(), errb.String()}
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})

	var st testlab.LabStatus
	deadline := time.Now().Add(30 * time.Second)
	for {
		r := runCLI(t, env, "lab", "status", "-o", "json")
		if r.code == exitOK && json.Unmarshal([]byte(r.stdout), &st) == nil && st.Running {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("lab not running after 30 s: %s %s", r.stdout, r.stderr)
		}
		time.Sleep(100 * time.Millisecond)
	}
	transit := 0
	for _, dv := range st.Devices {
		if dv.Role == testlab.RoleTransit {
			transit++
		}
	}
	// The example network's 50 routers and a router for each of its two
	// transit providers.
	if len(st.Devices) != 52 || transit != 2 || len(st.Mapping) == 0 {
		t.Fatalf("status: %d devices (%d transit), %d mappings; want 50 and 2 transit, and the address map", len(st.Devices), transit, len(st.Mapping))
	}

	r := runCLI(t, env, "lab", "status", "--addresses")
	if r.code != exitOK || !strings.Contains(r.stdout, "10.255.0.1/32") || !strings.Contains(r.stdout, "INVENTORY") {
		t.Errorf("status --addresses: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = runCLI(t, env, "lab", "status")
	if !slices.ContainsFunc(strings.Split(r.stdout, "\n"), func(l string) bool {
		f := strings.Fields(l)
		return len(f) == 5 && f[0] == "transit-1-peer" && f[1] == testlab.RoleTransit
	}) {
		t.Errorf("status does not show transit-1-peer with role %s:\n%s", testlab.RoleTransit, r.stdout)
	}
	r = runCLI(t, env, "lab", "status", "--brief")
	if r.code != exitOK || !slices.ContainsFunc(strings.Split(r.stdout, "\n"), func(l string) bool {
		f := strings.Fields(l)
		return len(f) == 5 && f[0] == "transit-1-peer" && f[4] == "-"
	}) {
		t.Errorf("status --brief: exit %d, want transit-1-peer with its BGP left out (-)\n%s%s", r.code, r.stdout, r.stderr)
	}
	// Barfleur's uplink to Valognes rides FO-000047 in the example network.
	r = runCLI(t, env, "lab", "cut", "FO-000047")
	if r.code != exitOK || !strings.Contains(r.stdout, "down barfleur-mairie-r1:eth1--valognes-pop-r1:eth3") {
		t.Errorf("cut: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = runCLI(t, env, "lab", "exec", "barfleur-mairie-r1", "show", "interface", "brief")
	if r.code != exitOK || !strings.Contains(r.stdout, "eth1            down") {
		t.Errorf("exec show interface brief after the cut: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := runCLI(t, env, "lab", "exec", "barfleur-mairie-r1", "show", "bgp", "sumary"); r.code != exitError || !strings.Contains(r.stdout, "% Unknown command") {
		t.Errorf("exec of a typo: exit %d, stdout %q", r.code, r.stdout)
	}
	r = runCLI(t, env, "lab", "status")
	if !strings.Contains(r.stdout, "DOWN: cable cut") || !strings.Contains(r.stdout, "faults: cut [FO-000047]") {
		t.Errorf("status after cut:\n%s", r.stdout)
	}
	r = runCLI(t, env, "lab", "degrade", "FO-000050", "--db", "6", "-o", "json")
	var res testlab.FaultResult
	if r.code != exitOK || json.Unmarshal([]byte(r.stdout), &res) != nil || len(res.Links) != 1 {
		t.Errorf("degrade -o json: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := runCLI(t, env, "lab", "cut", "NO-SUCH-CABLE"); r.code != exitError || !strings.Contains(r.stderr, "NO-SUCH-CABLE") {
		t.Errorf("cut of an unknown cable: exit %d, stderr %q", r.code, r.stderr)
	}
	// Traffic faults, by an end's name and by cable, shown in status.
	r = runCLI(t, env, "lab", "load", "valognes-pop-r1:eth3", "--percent", "95")
	if r.code != exitOK || !strings.Contains(r.stdout, "barfleur-mairie-r1:eth1--valognes-pop-r1:eth3") {
		t.Errorf("load: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := runCLI(t, env, "lab", "errors", "FO-000050", "--rate", "20"); r.code != exitOK {
		t.Errorf("errors: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = runCLI(t, env, "lab", "status")
	if !strings.Contains(r.stdout, "barfleur-mairie-r1:eth1--valognes-pop-r1:eth3 load 95 %") || !strings.Contains(r.stdout, "errors 20/s") {
		t.Errorf("status after load and errors:\n%s", r.stdout)
	}
	if r := runCLI(t, env, "lab", "load", "nowhere:eth1"); r.code != exitError || !strings.Contains(r.stderr, "nowhere:eth1") {
		t.Errorf("load of an unknown link: exit %d, stderr %q", r.code, r.stderr)
	}
	// Hosting endpoints: failed, seen failed by a health check and in
	// status, restored on the same address.
	endpoint := func() testlab.EndpointStatus {
		var st testlab.LabStatus
		json.Unmarshal([]byte(runCLI(t, env, "lab", "status", "-o", "json").stdout), &st)
		for _, e := range st.Endpoints {
			if e.Service == "hosting" && e.Site == "saint-lo-dc" {
				return e
			}
		}
		t.Fatalf("lab status -o json: no endpoint of hosting at saint-lo-dc: %+v", st.Endpoints)
		return testlab.EndpointStatus{}
	}
	healthy := func(addr string) error {
		c, _ := hosting.NewProbe(hosting.CheckConfig{Kind: "http"}, addr)
		return c.Check(ctx)
	}
	ep := endpoint()
	if err := healthy(ep.Addr); err != nil || !ep.Healthy {
		t.Errorf("endpoint %+v before any fault: %v", ep, err)
	}
	r = runCLI(t, env, "lab", "fail-service", "saint-lo-dc", "--service", "hosting")
	if r.code != exitOK || !strings.Contains(r.stdout, "FAILED: stopped hosting at saint-lo-dc") {
		t.Errorf("fail-service: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if err := healthy(ep.Addr); err == nil {
		t.Errorf("endpoint %s still answers after fail-service", ep.Addr)
	}
	r = runCLI(t, env, "lab", "status")
	if !strings.Contains(r.stdout, "services failed [hosting@saint-lo-dc]") || !strings.Contains(r.stdout, "http://"+ep.Addr+"/") {
		t.Errorf("status after fail-service:\n%s", r.stdout)
	}
	if r := runCLI(t, env, "lab", "restore-service", "saint-lo-dc"); r.code != exitOK || !strings.Contains(r.stdout, "healthy  hosting at saint-lo-dc") {
		t.Errorf("restore-service: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if err := healthy(ep.Addr); err != nil {
		t.Errorf("endpoint %s after restore-service: %v", ep.Addr, err)
	}
	if r := runCLI(t, env, "lab", "fail-service", "saint-lo-dc", "--mode", "http-503"); r.code != exitOK {
		t.Errorf("fail-service --mode http-503: exit %d %s", r.code, r.stderr)
	}
	if err := healthy(ep.Addr); err == nil || !strings.Contains(err.Error(), "status 503") {
		t.Errorf("endpoint %s after fail-service --mode http-503: %v, want status 503", ep.Addr, err)
	}
	if r := runCLI(t, env, "lab", "fail-service", "valognes-pop"); r.code != exitError || !strings.Contains(r.stderr, "no endpoint") {
		t.Errorf("fail-service of a site without services: exit %d, stderr %q", r.code, r.stderr)
	}
	if r := runCLI(t, env, "lab", "restore", "--all"); r.code != exitOK {
		t.Errorf("restore --all: exit %d %s", r.code, r.stderr)
	}
	if r := runCLI(t, env, "lab", "status"); !strings.Contains(r.stdout, "faults: none") {
		t.Errorf("status after restore --all:\n%s", r.stdout)
	}

	cancel()
	if r := <-done; r.code != exitOK {
		t.Errorf("lab up --foreground: exit %d\n%s", r.code, r.stderr)
	}
	done <- result{}
	r = runCLI(t, env, "lab", "status")
	if !strings.Contains(r.stdout, "NOT RUNNING") {
		t.Errorf("status after the lab stopped:\n%s%s", r.stdout, r.stderr)
	}
	r = runCLI(t, env, "lab", "down")
	if r.code != exitOK || !strings.Contains(r.stdout, "lab cli down") {
		t.Errorf("down: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := runCLI(t, env, "lab", "down"); r.code != exitError {
		t.Errorf("second down: exit %d, want 1", r.code)
	}
}
