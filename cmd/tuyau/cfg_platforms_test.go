package main

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/tuyau-net/tuyau/provisioning"
)

// TestConfigPlatforms: both outputs are provisioning.Supported(), the table
// the code obeys, not a second copy of it.
func TestConfigPlatforms(t *testing.T) {
	want := provisioning.Supported()
	r := runCLI(t, nil, "config", "platforms", "-o", "json")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	var got []provisioning.Support
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
		t.Fatalf("%v\n%s", err, r.stdout)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("json differs from provisioning.Supported():\n%s", r.stdout)
	}
	r = runCLI(t, nil, "config", "platforms")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	lines := strings.Split(r.stdout, "\n")
	cell := func(c provisioning.Capability) string {
		switch {
		case c.Works && c.Tested:
			return "yes"
		case c.Works:
			return "yes, untested"
		}
		return "no"
	}
	for i, s := range want {
		cols := strings.Split(strings.Join(strings.Fields(lines[i+1]), " "), " ")
		row := strings.Join(cols, " ")
		exp := strings.Join([]string{s.Platform, cell(s.Render), cell(s.Plan), cell(s.ApplySSH), cell(s.ApplyGNMI), cell(s.DeviceConfirm), cell(s.Rollback)}, " ")
		if row != exp {
			t.Errorf("row %d: %q, want %q", i+1, row, exp)
		}
		if !strings.Contains(r.stdout, s.Platform+" apply-ssh: "+s.ApplySSH.How) {
			t.Errorf("%s: how apply over SSH was tested is not printed", s.Platform)
		}
	}
	if r := runCLI(t, nil, "config", "platforms", "-o", "yaml"); r.code == 0 || !strings.Contains(r.stderr, "unknown output format") {
		t.Errorf("-o yaml: exit %d, %q", r.code, r.stderr)
	}
}
