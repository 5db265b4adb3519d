package gnmitarget

import (
	"bufio"
	"context"
	"github.com/tuyau-net/tuyau/testlab/need"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	gpb "github.com/openconfig/gnmi/proto/gnmi"
	"google.golang.org/protobuf/encoding/prototext"
)

// These tests drive the target with openconfig's reference client,
// gnmi_cli, installed by .ci/deps.

func gnmiCLI(t *testing.T) string {
	t.Helper()
	if p, err := exec.LookPath("gnmi_cli"); err == nil {
		return p
	}
	gopath := os.Getenv("GOPATH")
	if gopath == "" {
		if out, err := exec.Command("go", "env", "GOPATH").Output(); err == nil {
			gopath = strings.TrimSpace(string(out))
		}
	}
	p := filepath.Join(gopath, "bin", "gnmi_cli")
	if _, err := os.Stat(p); err == nil {
		return p
	}
	const how = "gnmi_cli not found on PATH nor in $(go env GOPATH)/bin; install it with: go install github.com/openconfig/gnmi/cmd/gnmi_cli@v0.14.1 (.ci/deps does)"
	need.Missing(t, how)
	return ""
}

// cli runs gnmi_cli against lt with the lab CA and credentials from the
// environment, as an operator would.
func cli(t *testing.T, lt *labTarget, password string, args ...string) *exec.Cmd {
	t.Helper()
	base := []string{"-address", lt.addr, "-with_user_pass", "-timeout", "10s"}
	if lt.caFile != "" {
		base = append(base, "-ca_crt", lt.caFile)
	} else {
		base = append(base, "-insecure")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	cmd := exec.CommandContext(ctx, gnmiCLI(t), append(base, args...)...)
	cmd.Env = append(os.Environ(), "GNMI_USER="+testUser, "GNMI_PASS="+password)
	return cmd
}

func cliOutput(t *testing.T, lt *labTarget, args ...string) []byte {
	t.Helper()
	out, err := cli(t, lt, testPassword, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("gnmi_cli %v: %v\n%s", args, err, out)
	}
	return out
}

// singleLines reads gnmi_cli's "-display_type single" lines, "path, value",
// into path → the value's last word (the CLI prints values as Go structs).
func singleLines(out string) map[string][]string {
	got := map[string][]string{}
	for _, line := range strings.Split(out, "\n") {
		path, val, ok := strings.Cut(line, ", ")
		if !ok {
			continue
		}
		f := strings.Fields(strings.TrimSuffix(strings.TrimSpace(val), "}"))
		if len(f) > 0 {
			got[path] = append(got[path], f[len(f)-1])
		}
	}
	return got
}

func TestGnmiCLICapabilities(t *testing.T) {
	lt := startTarget(t, newDevice(t), false)
	var resp gpb.CapabilityResponse
	out := cliOutput(t, lt, "-capabilities")
	if err := prototext.Unmarshal(out, &resp); err != nil {
		t.Fatalf("parse capabilities: %v\n%s", err, out)
	}
	if len(resp.GetSupportedModels()) != len(Models) || resp.GetGNMIVersion() != gnmiVersion() {
		t.Errorf("capabilities = %v", &resp)
	}
}

func TestGnmiCLIGetSet(t *testing.T) {
	dev := newDevice(t)
	lt := startTarget(t, dev, false)
	get := `path: <elem: <name: "interfaces"> elem: <name: "interface" key: <key: "name" value: "eth1">> elem: <name: "config">> encoding: JSON_IETF`
	var resp gpb.GetResponse
	if err := prototext.Unmarshal(cliOutput(t, lt, "-get", "-proto", get), &resp); err != nil {
		t.Fatal(err)
	}
	if got := leafValues(t, resp.GetNotification()...)[eth1+"/config/mtu"]; got != float64(9000) {
		t.Errorf("Get mtu = %v, want 9000", got)
	}

	set := `prefix: <elem: <name: "interfaces"> elem: <name: "interface" key: <key: "name" value: "eth1">>>
	  update: <path: <elem: <name: "config">> val: <json_ietf_val: '{"mtu": 1500, "description": "set by gnmi_cli"}'>>
	  delete: <elem: <name: "subinterfaces"> elem: <name: "subinterface" key: <key: "index" value: "0">> elem: <name: "ipv4"> elem: <name: "addresses"> elem: <name: "address" key: <key: "ip" value: "10.0.0.0">>>`
	var sresp gpb.SetResponse
	if err := prototext.Unmarshal(cliOutput(t, lt, "-set", "-proto", set), &sresp); err != nil {
		t.Fatal(err)
	}
	if len(sresp.GetResponse()) != 2 {
		t.Errorf("Set results = %v, want 2", sresp.GetResponse())
	}
	if v, _ := dev.Value(eth1 + "/config/mtu"); v != uint16(1500) {
		t.Errorf("after Set, mtu = %v", v)
	}
	if v, _ := dev.Value(eth1 + "/state/description"); v != "set by gnmi_cli" {
		t.Errorf("after Set, state/description = %v", v)
	}
	if _, ok := dev.Value(eth1 + "/subinterfaces/subinterface[index=0]/ipv4/addresses/address[ip=10.0.0.0]/config/prefix-length"); ok {
		t.Errorf("address 10.0.0.0 still on eth1 after delete")
	}

	bad := `update: <path: <elem: <name: "interfaces"> elem: <name: "interface" key: <key: "name" value: "eth1">> elem: <name: "config"> elem: <name: "enabled">> val: <json_ietf_val: '"yes"'>>`
	out, err := cli(t, lt, testPassword, "-set", "-proto", bad).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "InvalidArgument") {
		t.Errorf("bad Set: err %v, output:\n%s", err, out)
	}
	out, err = cli(t, lt, "wrong", "-get", "-proto", get).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "Unauthenticated") {
		t.Errorf("Get with a wrong password: err %v, output:\n%s", err, out)
	}
}

func TestGnmiCLISubscribeOncePoll(t *testing.T) {
	lt := startTarget(t, newDevice(t), true) // and insecure mode, on request
	out := cliOutput(t, lt, "-qt", "o", "-dt", "s", "-q", "/components/component[name=*]/transceiver/physical-channels/channel/state/input-power/instant")
	got := singleLines(string(out))
	for path, want := range map[string]string{
		"components/component/transceiver-eth1/transceiver/physical-channels/channel/0/state/input-power/instant": "-3.42",
		"components/component/transceiver-eth2/transceiver/physical-channels/channel/0/state/input-power/instant": "-7.9",
	} {
		if len(got[path]) != 1 || got[path][0] != want {
			t.Errorf("ONCE %s = %v, want [%s]\n%s", path, got[path], want, out)
		}
	}
	// POLL: the CLI prints its cache after each poll; the device changes
	// after the first, and a later poll must show it.
	cmd := cli(t, lt, testPassword, "-qt", "p", "-pi", "250ms", "-c", "8", "-q", bgpPrefix+"/neighbors/neighbor/state/session-state")
	lines, err := streamLines(cmd, func(line string) bool {
		if strings.Contains(line, "ESTABLISHED") {
			if err := lt.dev.Set(NeighborPath("10.0.0.1", "state/session-state"), "IDLE"); err != nil {
				t.Fatal(err)
			}
			return true
		}
		return false
	})
	text := strings.Join(lines, "\n")
	if err != nil || !strings.Contains(text, "JsonVal ESTABLISHED") || !strings.Contains(text, "JsonVal IDLE") || strings.Count(text, "JsonVal ACTIVE") < 2 {
		t.Errorf("POLL (err %v) did not show ESTABLISHED then IDLE over several polls:\n%s", err, text)
	}
}

// streamLines runs cmd and reads its output line by line, calling hook on
// each until hook returns true once.
func streamLines(cmd *exec.Cmd, hook func(string) bool) ([]string, error) {
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	var lines []string
	sc := bufio.NewScanner(stdout)
	done := false
	for sc.Scan() {
		lines = append(lines, sc.Text())
		if !done {
			done = hook(sc.Text())
		}
	}
	return lines, cmd.Wait()
}

func TestGnmiCLISubscribeStream(t *testing.T) {
	dev := newDevice(t)
	lt := startTarget(t, dev, false)
	req := `subscribe: <prefix: <target: "r1"> mode: STREAM encoding: JSON
	  subscription: <path: <elem: <name: "interfaces"> elem: <name: "interface" key: <key: "name" value: "*">> elem: <name: "state"> elem: <name: "oper-status">> mode: ON_CHANGE>
	  subscription: <path: <elem: <name: "interfaces"> elem: <name: "interface" key: <key: "name" value: "eth1">> elem: <name: "state"> elem: <name: "counters"> elem: <name: "in-pkts">> mode: SAMPLE sample_interval: 100000000>>`
	cmd := cli(t, lt, testPassword, "-dt", "s", "-sd", "3s", "-proto", req)
	const eth2Oper = "r1/interfaces/interface/eth2/state/oper-status" // the CLI leads with the target
	lines, _ := streamLines(cmd, func(line string) bool {             // ends with DeadlineExceeded after -sd
		if !strings.HasPrefix(line, eth2Oper) {
			return false
		}
		// The initial sync is in: take the link down.
		if err := dev.Set("/interfaces/interface[name=eth2]/state/oper-status", "DOWN"); err != nil {
			t.Fatal(err)
		}
		return true
	})
	got := singleLines(strings.Join(lines, "\n"))
	if want := []string{"UP", "DOWN"}; strings.Join(got[eth2Oper], " ") != strings.Join(want, " ") {
		t.Errorf("eth2 oper-status stream = %v, want %v\n%s", got[eth2Oper], want, strings.Join(lines, "\n"))
	}
	if n := len(got["r1/interfaces/interface/eth1/state/oper-status"]); n != 1 {
		t.Errorf("eth1 oper-status sent %d times, want once (ON_CHANGE, no change)", n)
	}
	if n := len(got["r1/interfaces/interface/eth1/state/counters/in-pkts"]); n < 3 {
		t.Errorf("in-pkts sampled %d times in 3s at 100ms, want at least 3 (the initial one and samples)", n)
	}
}
