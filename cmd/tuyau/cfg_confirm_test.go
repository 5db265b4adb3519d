package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tuyau-net/tuyau/inventory/synth"
	"github.com/tuyau-net/tuyau/inventory/yamlstore"
	"github.com/tuyau-net/tuyau/provisioning/confirms"
	"github.com/tuyau-net/tuyau/testlab/need"
	"github.com/tuyau-net/tuyau/testlab/netns"
)

// confirmLab is the virtual lab of virtualLab with a confirms directory,
// and the device the tests change: a member router, booted with
// interfaces only, so an apply pushes its whole BGP config.
type confirmLab struct {
	env      map[string]string
	flags    []string
	confirms string
	device   string
	// show is the device's running config as the device prints it.
	show func(t *testing.T) string
}

func newConfirmLab(t *testing.T) confirmLab {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Fatalf("git is needed for the records repository: %v", err)
	}
	lab, dir, env, flags := virtualLab(t)
	cd := filepath.Join(dir, "confirms")
	const dev = "barfleur-mairie-r1"
	return confirmLab{env: env, flags: append(flags, "--confirm-dir", cd), confirms: cd, device: dev,
		show: func(t *testing.T) string {
			t.Helper()
			d, ok := lab.Device(dev)
			if !ok {
				t.Fatalf("no device %s in the lab", dev)
			}
			return d.Running().Config().Render()
		}}
}

func (l confirmLab) args(a ...string) []string { return append(a, l.flags...) }

// running is the device's running config as "show running-config" prints it.
func (l confirmLab) running(t *testing.T) string {
	t.Helper()
	return l.show(t)
}

// startKilledApply starts "config apply --confirm window --no-post-checks"
// as a process of its own, in a process group of its own as a shell's
// job is, and once its push reached the device, inside the window, sends
// the group SIGHUP (the terminal closed) then SIGKILL: neither may reach
// the timer. It returns the configs the device had before and after.
func (l confirmLab) startKilledApply(t *testing.T, window string) (before, after string) {
	t.Helper()
	before = l.running(t)
	cmd, err := testSelf(l.env)(l.args("config", "apply", l.device, "--confirm", window, "--no-post-checks"))
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Changed and verified: the apply waits for its confirm from then on.
	changed := poll(t, 60*time.Second, func() bool {
		cs := l.commits(t)
		return len(cs) == 1 && cs[0].Waiting
	})
	after = l.running(t)
	syscall.Kill(-cmd.Process.Pid, syscall.SIGHUP)
	if err := syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL); err != nil { // tuyau gets no say
		t.Fatal(err)
	}
	cmd.Wait()
	if !changed || after == before {
		t.Fatalf("the apply never waited for its confirm with the change pushed:\n%s", out.String())
	}
	return before, after
}

func (l confirmLab) commits(t *testing.T) []confirms.Commit {
	t.Helper()
	st, err := confirms.Open(l.confirms)
	if err != nil {
		t.Fatal(err)
	}
	cs, err := st.List()
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

func (l confirmLab) status(t *testing.T) []pendingStatus {
	t.Helper()
	r := runCLI(t, l.env, l.args("config", "confirm", "--status", "-o", "json")...)
	var list []pendingStatus
	if err := json.Unmarshal([]byte(r.stdout), &list); err != nil || r.code != exitOK || list == nil {
		t.Fatalf("confirm --status -o json: exit %d, want a JSON list (%v)\n%s%s", r.code, err, r.stdout, r.stderr)
	}
	return list
}

// timerGone waits for the timer of commit c to exit.
func timerGone(t *testing.T, c confirms.Commit) {
	t.Helper()
	if !poll(t, 30*time.Second, func() bool { return !confirms.Alive(c.TimerPID, c.Apply) }) {
		t.Errorf("the confirm timer (pid %d) of apply %s is still running with nothing left pending", c.TimerPID, c.Apply)
	}
}

// TestConfigConfirmTimerRollsBackKilledApply: over SSH (FRR, no
// commit-confirmed), "apply --confirm" SIGKILLed inside its window leaves
// a detached timer that puts the device back on its exact previous
// config at the deadline. "confirm --status" shows the pending change
// meanwhile, then none; the state file is private and holds no password;
// the rollback is in the records.
func TestConfigConfirmTimerRollsBackKilledApply(t *testing.T) {
	testTimerRollsBack(t, newConfirmLab(t), "lab-pw")
}

// TestConfigConfirmTimerRealFRR is TestConfigConfirmTimerRollsBackKilledApply
// on real FRR 8.4 (vtysh over OpenSSH) in network namespaces: the netns
// lab of a generated 4-site network, booted with interfaces only.
func TestConfigConfirmTimerRealFRR(t *testing.T) {
	if testing.Short() {
		t.Skip("starts FRR and sshd in namespaces")
	}
	for _, bin := range []string{"/usr/lib/frr/zebra", "/usr/lib/frr/bgpd", "/usr/sbin/sshd", "vtysh", "ip"} {
		need.Tool(t, bin, "apt-get install frr openssh-server iproute2; .ci/deps does")
	}
	need.Root(t, "network namespaces for FRR")
	if _, err := exec.LookPath("git"); err != nil {
		t.Fatalf("git is needed for the records repository: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	snap, err := synth.Generate(synth.Options{Sites: 4, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	inv := filepath.Join(dir, "inventory.yaml")
	if err := yamlstore.WriteFile(inv, snap); err != nil {
		t.Fatal(err)
	}
	pwb := make([]byte, 12)
	rand.Read(pwb)
	pw := hex.EncodeToString(pwb)
	lab, err := netns.Up(ctx, snap, netns.Options{Name: fmt.Sprintf("cf%04x", os.Getpid()&0xffff), StateDir: t.TempDir(),
		Config: netns.ConfigBootstrap, Password: pw})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := lab.Down(context.Background()); err != nil {
			t.Errorf("lab down: %v", err)
		}
	})
	dev := snap.Devices[len(snap.Devices)-1].Name
	cd := filepath.Join(dir, "confirms")
	l := confirmLab{env: map[string]string{"TUYAU_LAB_PASSWORD": pw, "TUYAU_USER": "ci-bot"},
		flags:    []string{"-i", inv, "--lab-netns", lab.StatePath(), "--records", filepath.Join(dir, "records"), "--confirm-dir", cd},
		confirms: cd, device: dev,
		show: func(t *testing.T) string {
			t.Helper()
			out, err := lab.Vtysh(ctx, dev, "show running-config")
			if err != nil {
				t.Fatalf("%s: show running-config: %v", dev, err)
			}
			return out
		}}
	testTimerRollsBack(t, l, pw)
}

// testTimerRollsBack is the killed-apply test on lab l; secret is a
// password that must not be in the state file.
func testTimerRollsBack(t *testing.T, l confirmLab, secret string) {
	// 5 s: room for the status checks below under load, inside the window.
	before, _ := l.startKilledApply(t, "5s")

	list := l.status(t)
	if len(list) != 1 || list[0].Device != l.device || list[0].Transport != "ssh" || !list[0].TimerAlive || list[0].Stale ||
		list[0].ApplyAlive || list[0].State != "pending" {
		t.Errorf("confirm --status after the kill: %+v, want %s pending over ssh, timer alive, apply dead", list, l.device)
	}
	r := runCLI(t, l.env, l.args("config", "confirm", "--status")...)
	if !strings.Contains(r.stdout, l.device) || !strings.Contains(r.stdout, "alive (pid") {
		t.Errorf("confirm --status table:\n%s%s", r.stdout, r.stderr)
	}
	cs := l.commits(t)
	if !poll(t, 60*time.Second, func() bool { cs = l.commits(t); return cs[0].State.Final() }) {
		t.Fatalf("no rollback after the window: %+v", cs[0])
	}
	if cs[0].State != confirms.RolledBack || cs[0].By != "timer" {
		t.Fatalf("commit settled %s by %s (%s), want rolled back by the timer", cs[0].State, cs[0].By, cs[0].Error)
	}
	if got := l.running(t); got != before {
		t.Fatalf("the device is not on its exact previous config:\nbefore:\n%s\nnow:\n%s", before, got)
	}
	if list := l.status(t); len(list) != 0 {
		t.Errorf("confirm --status after the rollback: %+v, want []", list)
	}
	timerGone(t, cs[0])

	// Private files, no secret in them, and the rollback recorded.
	fi, err := os.Stat(l.confirms)
	if err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("confirms directory: %v, mode %v, want 0700", err, fi.Mode().Perm())
	}
	state := filepath.Join(l.confirms, cs[0].ID+".json")
	fi, err = os.Stat(state)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("state file: %v, mode %v, want 0600", err, fi.Mode().Perm())
	}
	b, _ := os.ReadFile(state)
	if strings.Contains(string(b), secret) {
		t.Error("the state file holds the SSH password")
	}
	audit, err := os.ReadFile(filepath.Join(filepath.Dir(l.confirms), "records", "audit.jsonl"))
	if err != nil || !strings.Contains(string(audit), `"saved":true`) {
		t.Errorf("the timer's rollback was not saved on the device (write memory) (%v):\n%s", err, audit)
	}
	if err != nil || !strings.Contains(string(audit), `"action":"rollback","device":"`+l.device) ||
		!strings.Contains(string(audit), "confirm window elapsed") {
		t.Errorf("the timer's rollback is not in the audit log (%v):\n%s", err, audit)
	}
	log, _ := os.ReadFile(cs[0].Log)
	if !strings.Contains(string(log), l.device+": rolled-back") {
		t.Errorf("timer log:\n%s", log)
	}
}

// TestConfigConfirmKeepsKilledApply: a fresh "tuyau config confirm" after
// the apply was SIGKILLed confirms its change: the timer stops, and the
// change outlives the window. A second confirm is too late for nothing.
func TestConfigConfirmKeepsKilledApply(t *testing.T) {
	l := newConfirmLab(t)
	before, after := l.startKilledApply(t, "6s")
	r := runCLI(t, l.env, l.args("config", "confirm")...)
	if r.code != exitOK || !strings.Contains(r.stdout, l.device+": confirmed") {
		t.Fatalf("confirm after the kill: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	cs := l.commits(t)
	if len(cs) != 1 || cs[0].State != confirms.Confirmed || cs[0].By != "confirm" {
		t.Fatalf("state after confirm: %+v", cs)
	}
	timerGone(t, cs[0])
	// Past the window (and the timer's), the change must still be there.
	for time.Now().Before(cs[0].Deadline.Add(2 * time.Second)) {
		if got := l.running(t); got != after {
			t.Fatalf("the confirmed change was rolled back (back on the old config: %v)", got == before)
		}
		time.Sleep(250 * time.Millisecond)
	}
	if list := l.status(t); len(list) != 0 {
		t.Errorf("confirm --status after the confirm: %+v, want []", list)
	}
}

// TestConfigConfirmLiveApply: the apply that stays alive decides by
// itself and settles its state file: an apply with nobody confirming
// rolls back at its deadline (the cancel path) and its timer exits; an
// apply confirmed while it waits keeps its change.
func TestConfigConfirmLiveApply(t *testing.T) {
	l := newConfirmLab(t)
	before := l.running(t)
	r := runCLI(t, l.env, l.args("config", "apply", l.device, "--confirm", "2s", "--no-post-checks")...)
	if r.code == exitOK || !strings.Contains(r.stdout, "rolled-back") {
		t.Fatalf("unconfirmed apply: exit %d, want rolled back\n%s%s", r.code, r.stdout, r.stderr)
	}
	cs := l.commits(t)
	if len(cs) != 1 || cs[0].State != confirms.RolledBack || cs[0].By != "apply" {
		t.Fatalf("state after the apply's own rollback: %+v", cs)
	}
	if got := l.running(t); got != before {
		t.Fatalf("not back on the previous config:\n%s", got)
	}
	timerGone(t, cs[0])

	done := make(chan result, 1)
	go func() {
		done <- runCLI(t, l.env, l.args("config", "apply", l.device, "--confirm", "30s", "--no-post-checks")...)
	}()
	if !poll(t, 60*time.Second, func() bool {
		cs = l.commits(t)
		return len(cs) == 2 && cs[1].Waiting
	}) {
		t.Fatalf("the second apply never waited: %+v", cs)
	}
	if r := runCLI(t, l.env, l.args("config", "confirm", l.device)...); r.code != exitOK {
		t.Fatalf("confirm: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := <-done; r.code != exitOK || !strings.Contains(r.stdout, "1 applied") {
		t.Fatalf("confirmed apply: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	cs = l.commits(t)
	if cs[1].State != confirms.Confirmed {
		t.Errorf("state after the confirmed apply: %+v", cs[1])
	}
	if l.running(t) == before {
		t.Error("the confirmed change is not on the device")
	}
	timerGone(t, cs[1])
}

// TestConfigConfirmNoTimerNoPush: a --confirm apply over SSH whose timer
// does not come up (here a "tuyau" that exits at once) pushes nothing:
// the change would otherwise have no one to roll it back if the apply died.
func TestConfigConfirmNoTimerNoPush(t *testing.T) {
	l := newConfirmLab(t)
	before := l.running(t)
	var out, errb strings.Builder
	d := &deps{stdout: &out, stderr: &errb, stdin: strings.NewReader(""), getenv: func(k string) string { return l.env[k] },
		self: func([]string) (*exec.Cmd, error) { return exec.Command("false"), nil }}
	code := runDeps(context.Background(), d, l.args("config", "apply", l.device, "--confirm", "30s", "--no-post-checks"))
	if code == exitOK || !strings.Contains(out.String(), "the confirm timer did not start") || !strings.Contains(out.String(), "nothing pushed") {
		t.Fatalf("apply without a timer: exit %d, want an error saying nothing was pushed\n%s%s", code, out.String(), errb.String())
	}
	if got := l.running(t); got != before {
		t.Fatalf("the device changed although its timer never started:\n%s", got)
	}
	if cs := l.commits(t); len(cs) != 0 {
		t.Errorf("state files written without a timer: %+v", cs)
	}
}

// TestConfigConfirmStaleRollback: a timer that dies before its deadline
// (as on a reboot of the machine running tuyau) leaves a stale pending
// change: --status says so, nothing rolls it back by itself, and
// "config confirm --rollback" puts the device back on its exact previous
// config with the dead apply's flags.
func TestConfigConfirmStaleRollback(t *testing.T) {
	l := newConfirmLab(t)
	before, after := l.startKilledApply(t, "4s")
	cs := l.commits(t)
	if err := syscall.Kill(cs[0].TimerPID, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	if !poll(t, 10*time.Second, func() bool { return !confirms.Alive(cs[0].TimerPID, cs[0].Apply) }) {
		t.Fatal("the timer outlived its SIGKILL")
	}
	list := l.status(t)
	if len(list) != 1 || !list[0].Stale || list[0].TimerAlive {
		t.Fatalf("confirm --status with a dead timer: %+v, want one stale change", list)
	}
	r := runCLI(t, l.env, l.args("config", "confirm", "--status")...)
	if !strings.Contains(r.stdout, "STALE") || !strings.Contains(r.stdout, "confirm --rollback") {
		t.Errorf("confirm --status table does not flag the stale change:\n%s", r.stdout)
	}
	// Past the deadline, nothing rolled it back.
	time.Sleep(time.Until(cs[0].Deadline.Add(time.Second)))
	if got := l.running(t); got != after {
		t.Fatalf("the stale change moved without a timer (back before: %v)", got == before)
	}
	r = runCLI(t, l.env, l.args("config", "confirm", "--rollback")...)
	if r.code != exitOK || !strings.Contains(r.stdout, l.device+": rolled-back") {
		t.Fatalf("confirm --rollback: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if got := l.running(t); got != before {
		t.Fatalf("not back on the exact previous config:\nbefore:\n%s\nnow:\n%s", before, got)
	}
	if cs = l.commits(t); cs[0].State != confirms.RolledBack || cs[0].By != "rollback" {
		t.Errorf("state after --rollback: %s by %s", cs[0].State, cs[0].By)
	}
	if list := l.status(t); len(list) != 0 {
		t.Errorf("confirm --status after --rollback: %+v, want []", list)
	}
}
