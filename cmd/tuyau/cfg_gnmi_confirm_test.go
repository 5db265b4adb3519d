package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tuyau-net/tuyau/inventory"
	"github.com/tuyau-net/tuyau/inventory/yamlstore"
	"github.com/tuyau-net/tuyau/provisioning/gnmiset"
	"github.com/tuyau-net/tuyau/testlab"
)

// childArgsEnv makes TestCLIChildProcess run the CLI with these
// JSON-encoded arguments: a tuyau process the test can SIGKILL.
const childArgsEnv = "TUYAU_TEST_CLI_CHILD_ARGS"

// TestCLIChildProcess is not a test on its own: it is the tuyau process
// started by tests that must kill it (it does nothing without childArgsEnv).
func TestCLIChildProcess(t *testing.T) {
	raw := os.Getenv(childArgsEnv)
	if raw == "" {
		return
	}
	var args []string
	if err := json.Unmarshal([]byte(raw), &args); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(99)
	}
	d := &deps{stdout: os.Stdout, stderr: os.Stderr, stdin: strings.NewReader(""), getenv: os.Getenv, self: testSelf(nil)}
	os.Exit(runDeps(context.Background(), d, args))
}

// testSelf runs tuyau as another process (the confirm timer) in tests:
// the test binary re-run as TestCLIChildProcess, with env added to its
// environment (what runCLI's tuyau sees through getenv).
func testSelf(env map[string]string) func(args []string) (*exec.Cmd, error) {
	return func(args []string) (*exec.Cmd, error) {
		exe, err := os.Executable()
		if err != nil {
			return nil, err
		}
		enc, err := json.Marshal(args)
		if err != nil {
			return nil, err
		}
		cmd := exec.Command(exe, "-test.run=^TestCLIChildProcess$")
		for _, kv := range os.Environ() {
			if !strings.HasPrefix(kv, childArgsEnv+"=") {
				cmd.Env = append(cmd.Env, kv)
			}
		}
		for k, v := range env {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
		cmd.Env = append(cmd.Env, childArgsEnv+"="+string(enc))
		return cmd, nil
	}
}

// TestConfigGNMIConfirmDeviceRollback: with --confirm over gNMI the window
// runs on the device (commit-confirmed). A tuyau SIGKILLed after its Set
// reached the device leaves nothing to roll back: the device goes back to
// its exact previous config by itself once the window ends. A normal
// --confirm run confirms the commit, and the change outlives the window.
func TestConfigGNMIConfirmDeviceRollback(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	root := t.TempDir()
	snap, err := yamlstore.Open(example).Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	startForegroundLab(t, ctx, cancel, root, "gnmikill", snap, 10*time.Second)
	dev := snap.Devices[12]
	inv := filepath.Join(t.TempDir(), "inventory.yaml")
	for i, ifc := range dev.Interfaces {
		if ifc.Name == "eth1" {
			snap.Devices[12].Interfaces[i].Description += " (confirmed?)"
		}
	}
	if err := yamlstore.WriteFile(inv, snap); err != nil {
		t.Fatal(err)
	}
	args := func(a ...string) []string {
		return append(a, "-i", inv, "--lab", "gnmikill", "--lab-dir", root, "--transport", "gnmi", "--records", filepath.Join(root, "records"),
			"--confirm-dir", filepath.Join(root, "confirms"))
	}
	running := labGNMIRunning(t, ctx, root, "gnmikill", dev)
	before := running()

	// Killed inside the window: no post-checks, so it waits for a confirm.
	enc, _ := json.Marshal(args("config", "apply", dev.Name, "--confirm", "4s", "--no-post-checks"))
	child := exec.Command(os.Args[0], "-test.run=^TestCLIChildProcess$")
	child.Env = append(os.Environ(), childArgsEnv+"="+string(enc))
	var out strings.Builder
	child.Stdout, child.Stderr = &out, &out
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	changed := poll(t, 60*time.Second, func() bool { return running() != before })
	if err := child.Process.Kill(); err != nil { // SIGKILL: tuyau gets no say
		t.Fatal(err)
	}
	child.Wait()
	if !changed {
		t.Fatalf("the Set never reached the device:\n%s", out.String())
	}
	if !poll(t, 60*time.Second, func() bool { return running() == before }) {
		t.Fatalf("device did not roll back by itself after tuyau was killed; now:\n%s", running())
	}
	if got := running(); got != before {
		t.Fatalf("device differs from its previous config:\nbefore:\n%s\nnow:\n%s", before, got)
	}

	// A normal run: post-checks pass, the commit is confirmed and kept.
	start := time.Now()
	r := runCLI(t, nil, args("config", "apply", dev.Name, "--confirm", "12s")...)
	if r.code != exitOK || !strings.Contains(r.stdout, "1 applied") {
		t.Fatalf("apply --confirm over gNMI: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	audit, err := os.ReadFile(filepath.Join(root, "records", "audit.jsonl"))
	if err != nil || !strings.Contains(string(audit), `"commit_id":"tuyau-`+dev.Name+`-`) {
		t.Errorf("the apply record does not name the confirmed commit (%v):\n%s", err, audit)
	}
	after := running()
	if after == before {
		t.Fatal("apply reported applied but the device is unchanged")
	}
	// Past the device's window, the change must still be there.
	for time.Since(start) < 15*time.Second {
		if got := running(); got != after {
			t.Fatalf("confirmed change was rolled back by the device:\n%s", got)
		}
		time.Sleep(500 * time.Millisecond)
	}
	r = runCLI(t, nil, args("config", "plan", dev.Name, "--detailed-exitcode")...)
	if r.code != exitOK {
		t.Errorf("plan after the window: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}

	// Killed again inside the window, then confirmed by a fresh "tuyau
	// config confirm": it sends the device the confirm of the dead
	// apply's commit, and the change outlives the device's window.
	for i, ifc := range snap.Devices[12].Interfaces {
		if ifc.Name == "eth1" {
			snap.Devices[12].Interfaces[i].Description += " (confirmed later)"
		}
	}
	if err := yamlstore.WriteFile(inv, snap); err != nil {
		t.Fatal(err)
	}
	before = running()
	start = time.Now()
	enc, _ = json.Marshal(args("config", "apply", dev.Name, "--confirm", "6s", "--no-post-checks"))
	child = exec.Command(os.Args[0], "-test.run=^TestCLIChildProcess$")
	child.Env = append(os.Environ(), childArgsEnv+"="+string(enc))
	out.Reset()
	child.Stdout, child.Stderr = &out, &out
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	changed = poll(t, 60*time.Second, func() bool { return running() != before })
	child.Process.Kill()
	child.Wait()
	if !changed {
		t.Fatalf("the second Set never reached the device:\n%s", out.String())
	}
	after = running()
	st := runCLI(t, nil, args("config", "confirm", "--status", "-o", "json")...)
	if !strings.Contains(st.stdout, `"device_timer": true`) || !strings.Contains(st.stdout, `"stale": false`) {
		t.Errorf("confirm --status of a dead apply's gNMI commit: exit %d\n%s%s", st.code, st.stdout, st.stderr)
	}
	r = runCLI(t, nil, args("config", "confirm")...)
	if r.code != exitOK || !strings.Contains(r.stdout, dev.Name+": confirmed on the device (commit tuyau-"+dev.Name) {
		t.Fatalf("confirm of the dead apply's commit: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	for time.Since(start) < 9*time.Second {
		if got := running(); got != after {
			t.Fatalf("the change confirmed after the apply died was rolled back by the device (back before: %v)", got == before)
		}
		time.Sleep(250 * time.Millisecond)
	}
	if st := runCLI(t, nil, args("config", "confirm", "--status", "-o", "json")...); strings.TrimSpace(st.stdout) != "[]" {
		t.Errorf("confirm --status after the confirm: %s%s", st.stdout, st.stderr)
	}
}

// labGNMIRunning returns a reader of dev's running config over the lab's
// gNMI target, as tuyau reads it.
func labGNMIRunning(t *testing.T, ctx context.Context, dir, name string, dev inventory.Device) func() string {
	t.Helper()
	st, err := testlab.StatusOf(ctx, dir, name)
	if err != nil {
		t.Fatal(err)
	}
	pw, err := os.ReadFile(st.Password)
	if err != nil {
		t.Fatal(err)
	}
	gt := map[string]string{}
	for _, d := range st.Devices {
		gt[d.Name] = fmt.Sprintf("%s:%d", d.Addr, st.Ports.GNMI)
	}
	dial := &gnmiset.Dialer{Targets: gt, CAFile: filepath.Join(st.Dir, testlab.CAFile), Username: st.User,
		Password: strings.TrimSpace(string(pw)), Timeout: 10 * time.Second}
	return func() string {
		t.Helper()
		c, err := dial.Dial(ctx, dev, "gnmi")
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		b, err := c.Running(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
}

// poll reports whether ok became true within d.
func poll(t *testing.T, d time.Duration, ok func() bool) bool {
	t.Helper()
	for end := time.Now().Add(d); time.Now().Before(end); time.Sleep(200 * time.Millisecond) {
		if ok() {
			return true
		}
	}
	return ok()
}
