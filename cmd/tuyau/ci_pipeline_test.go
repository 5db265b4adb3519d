package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tuyau-net/tuyau/inventory"
	"github.com/tuyau-net/tuyau/inventory/synth"
	"github.com/tuyau-net/tuyau/inventory/yamlstore"
	"github.com/tuyau-net/tuyau/provisioning"
	"github.com/tuyau-net/tuyau/testlab"
)

const ciWorkflow = "../../examples/ci/github-actions.yml"

// TestCIPipeline runs the deploy pipeline of docs/provisioning.md "CI", as
// examples/ci/github-actions.yml writes it, step by step against a virtual
// lab reached over SSH as real routers are (targets, the repository's
// known_hosts, credentials from the secrets): an inventory change is
// planned with -o json --detailed-exitcode and the plan saved as an
// artifact; a router is changed by hand before the apply job, so applying
// the saved plan is refused, the router untouched; the workflow run again
// plans afresh and applies with --confirm; the records tuyau committed are
// pushed to their own repository, where the commit holds the router's
// config. With TUYAU_CI_EXAMPLE=1 (make ci-example) every step's output is
// shown.
func TestCIPipeline(t *testing.T) {
	if testing.Short() {
		t.Skip("a virtual lab and the workflow's jobs: seconds")
	}
	if _, err := exec.LookPath("git"); err != nil {
		t.Fatalf("git is needed for the records repository: %v", err)
	}
	show := os.Getenv("TUYAU_CI_EXAMPLE") != ""
	logf := func(format string, args ...any) {
		if show {
			fmt.Printf(format+"\n", args...)
		} else {
			t.Logf(format, args...)
		}
	}
	wf := readWorkflow(t, ciWorkflow)
	if wf.Concurrency.Group == "" || wf.Jobs["apply"].Environment == "" || wf.Jobs["apply"].Needs != "plan" {
		t.Errorf("workflow: want a concurrency group, the apply job behind an environment's approval and after plan: %+v", wf)
	}

	// The commands of docs/provisioning.md's pipeline are the workflow's.
	doc, err := os.ReadFile("../../docs/provisioning.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, _ := strings.Cut(string(doc), "\n## CI\n")
	section, _, _ = strings.Cut(section, "\n## ")
	var runs strings.Builder
	for _, j := range wf.Jobs {
		for _, s := range j.Steps {
			runs.WriteString(s.Run + "\n")
		}
	}
	n := 0
	for _, line := range strings.Split(section, "\n") {
		cmd, ok := strings.CutPrefix(strings.TrimSpace(line), "- tuyau ")
		if !ok {
			continue
		}
		n++
		cmd, _, _ = strings.Cut("tuyau "+cmd, " ||")
		if !strings.Contains(runs.String(), cmd) {
			t.Errorf("docs/provisioning.md's pipeline runs %q, the workflow does not", cmd)
		}
	}
	if n != 2 {
		t.Errorf("docs/provisioning.md CI: %d tuyau commands, want the plan and the apply", n)
	}

	// The network: four routers booted with interfaces only, IPv4 hosting
	// (the virtual router shows an IPv6 static as "ip route").
	snap, err := synth.Generate(synth.Options{Sites: 4, Seed: 2})
	if err != nil {
		t.Fatal(err)
	}
	for i := range snap.Services {
		snap.Services[i].Prefixes = slices.DeleteFunc(snap.Services[i].Prefixes, func(p netip.Prefix) bool { return p.Addr().Is6() })
	}
	ctx, cancel := context.WithCancel(context.Background())
	root, lab := t.TempDir(), "ci"
	startForegroundLabBootstrap(t, ctx, cancel, root, lab, snap, 60*time.Second, testlab.BootstrapBase)
	st, err := testlab.StatusOf(ctx, root, lab)
	if err != nil {
		t.Fatal(err)
	}

	// The inventory repository: inventory/ and ci/known_hosts. The lab's
	// routers listen on lab addresses, not their management ones: the
	// runner's environment maps them (TUYAU_TARGETS), as a jump host or
	// DNS would for real routers.
	repo := t.TempDir()
	invFile := filepath.Join(repo, "inventory", "network.yaml")
	os.MkdirAll(filepath.Dir(invFile), 0o755)
	if err := yamlstore.WriteFile(invFile, snap); err != nil {
		t.Fatal(err)
	}
	kh, err := os.ReadFile(st.KnownHosts)
	if err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(filepath.Join(repo, "ci"), 0o755)
	os.WriteFile(filepath.Join(repo, "ci", "known_hosts"), kh, 0o644)
	x := inventory.NewIndex(snap)
	var targets strings.Builder
	for _, d := range st.Devices {
		if x.Device(d.Name) != nil {
			fmt.Fprintf(&targets, "%s: %s:%d\n", d.Name, d.Addr, st.Ports.SSH)
		}
	}
	tf := filepath.Join(t.TempDir(), "targets.yaml")
	os.WriteFile(tf, []byte(targets.String()), 0o644)
	pw, err := os.ReadFile(st.Password)
	if err != nil {
		t.Fatal(err)
	}

	// The records' own repository, and the first deploy made before the
	// pipeline existed (by hand, all four routers).
	origin := filepath.Join(t.TempDir(), "records.git")
	git := func(dir string, args ...string) string {
		t.Helper()
		cmd := exec.Command("git", append([]string{"-C", dir}, args...)...)
		cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@localhost", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@localhost")
		b, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, b)
		}
		return string(b)
	}
	git(".", "init", "-q", "--bare", "-b", "main", origin)
	seed := filepath.Join(t.TempDir(), "records")
	git(".", "clone", "-q", origin, seed)
	os.WriteFile(filepath.Join(seed, "README"), []byte("tuyau records\n"), 0o644)
	git(seed, "add", "README")
	git(seed, "commit", "-qm", "records")
	env := map[string]string{"TUYAU_TARGETS": tf, "TUYAU_KNOWN_HOSTS": filepath.Join(repo, "ci", "known_hosts"),
		"TUYAU_SSH_USERNAME": st.User, "TUYAU_SSH_PASSWORD": strings.TrimSpace(string(pw)), "TUYAU_USER": "first-deploy",
		"TUYAU_INVENTORY": invFile, "TUYAU_RECORDS": seed}
	if r := runCLI(t, env, "config", "apply"); r.code != exitOK || !strings.Contains(r.stdout, "4 applied") {
		t.Fatalf("first deploy: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	git(seed, "push", "-q", "origin", "HEAD:main")

	// The change the pipeline deploys: a description on dc1-r1's first
	// interface, committed to the inventory.
	const dev, want = "dc1-r1", "CI: towards the pop, ticket 4242"
	var d *inventory.Device
	for i := range snap.Devices {
		if snap.Devices[i].Name == dev {
			d = &snap.Devices[i]
		}
	}
	if d == nil || len(d.Interfaces) == 0 {
		t.Fatalf("synth network has no %s with interfaces", dev)
	}
	iface := d.Interfaces[0].Name
	d.Interfaces[0].Description = want
	if err := yamlstore.WriteFile(invFile, snap); err != nil {
		t.Fatal(err)
	}

	g := &ghRunner{t: t, wf: wf, repo: repo, artifacts: map[string]string{}, log: logf,
		vars:      map[string]string{"RECORDS_REPO": origin},
		secrets:   map[string]string{"RECORDS_TOKEN": "unused-by-a-local-clone", "TUYAU_SSH_USERNAME": env["TUYAU_SSH_USERNAME"], "TUYAU_SSH_PASSWORD": env["TUYAU_SSH_PASSWORD"]},
		runnerEnv: []string{"PATH=" + filepath.Dir(tuyauExecutable(t)) + ":" + os.Getenv("PATH"), "TUYAU_TARGETS=" + tf}}
	start := time.Now()

	// Run 1: plan, a hand change, apply refused.
	logf("== run 1: the inventory change is pushed")
	plan := g.job("plan", nil)
	if !plan.OK || plan.Outputs["changes"] != "true" {
		t.Fatalf("plan job: ok %v, changes %q, want a successful job with changes", plan.OK, plan.Outputs["changes"])
	}
	var saved provisioning.Plan
	b, err := os.ReadFile(filepath.Join(g.artifacts["plan"], "plan.json"))
	if err != nil || json.Unmarshal(b, &saved) != nil {
		t.Fatalf("the plan artifact: %v\n%s", err, b)
	}
	var changed []string
	for _, dp := range saved.Devices {
		if dp.Changed() {
			changed = append(changed, dp.Device)
		}
	}
	if !slices.Equal(changed, []string{dev}) {
		t.Fatalf("saved plan changes %v, want only %s", changed, dev)
	}
	hand := "configure terminal\ninterface " + iface + "\ndescription changed by hand during the review\nend"
	logf("== between plan and apply, on %s: %q", dev, hand)
	if r := runCLI(t, nil, "lab", "exec", dev, hand, "--lab-dir", root, "--name", lab); r.code != exitOK {
		t.Fatalf("lab exec %s: exit %d %s%s", dev, r.code, r.stdout, r.stderr)
	}
	apply := g.job("apply", map[string]jobResult{"plan": plan})
	a := apply.step("apply")
	if apply.OK || a.Code != exitError || !strings.Contains(a.Output, "skipped") || !strings.Contains(a.Output, provisioning.ErrStale.Error()) {
		t.Fatalf("apply of the stale plan: job ok %v, step exit %d, want exit 1 with %s skipped (%q)\n%s", apply.OK, a.Code, dev, provisioning.ErrStale, a.Output)
	}
	if p := apply.step("push records"); !p.Ran || p.Code != 0 {
		t.Errorf("push records after the refusal: ran %v exit %d\n%s", p.Ran, p.Code, p.Output)
	}
	running := func() string {
		out, err := testlab.Exec(ctx, root, lab, dev, "show running-config")
		if err != nil {
			t.Fatalf("%s: show running-config: %v", dev, err)
		}
		return out
	}
	if rc := running(); !strings.Contains(rc, "changed by hand") || strings.Contains(rc, want) {
		t.Fatalf("%s after the refused apply: want the hand change untouched, the plan's not applied:\n%s", dev, rc)
	}

	// Run 2: the workflow run again, a fresh plan applied with --confirm.
	logf("== run 2: the workflow is run again")
	plan = g.job("plan", nil)
	if !plan.OK || plan.Outputs["changes"] != "true" {
		t.Fatalf("second plan job: ok %v, changes %q", plan.OK, plan.Outputs["changes"])
	}
	if b, _ := os.ReadFile(filepath.Join(g.artifacts["plan"], "plan.json")); !strings.Contains(string(b), "changed by hand") {
		t.Errorf("the fresh plan does not undo the hand change:\n%s", b)
	}
	apply = g.job("apply", map[string]jobResult{"plan": plan})
	if a := apply.step("apply"); !apply.OK || !strings.Contains(a.Output, "1 applied") {
		t.Fatalf("apply of the fresh plan: job ok %v, exit %d\n%s", apply.OK, a.Code, a.Output)
	}
	if rc := running(); strings.Contains(rc, "changed by hand") || !strings.Contains(rc, "description "+want) {
		t.Errorf("%s after the apply: want the inventory's description only:\n%s", dev, rc)
	}

	// The records, in their own repository: the config the hand change left
	// (recorded before the apply), then the applied one, by the actor.
	subjects := strings.Split(strings.TrimSpace(git(origin, "log", "--format=%s", "-3")), "\n")
	if len(subjects) < 2 || !strings.HasPrefix(subjects[0], "apply: "+dev) || !strings.HasPrefix(subjects[1], "before apply") {
		t.Errorf("records log %q, want the apply of %s after a before-apply commit", subjects, dev)
	}
	files := strings.Fields(git(origin, "show", "--name-only", "--format=", "HEAD"))
	if !slices.Contains(files, "configs/"+dev+".conf") || !slices.Contains(files, "audit.jsonl") {
		t.Errorf("the apply commit holds %v, want configs/%s.conf and audit.jsonl", files, dev)
	}
	if conf := git(origin, "show", "HEAD:configs/"+dev+".conf"); !strings.Contains(conf, "description "+want) {
		t.Errorf("recorded config of %s lacks the change:\n%s", dev, conf)
	}
	if before := git(origin, "show", "HEAD~1:configs/"+dev+".conf"); !strings.Contains(before, "changed by hand") {
		t.Errorf("the before-apply record lacks the hand change:\n%s", before)
	}
	audit := git(origin, "show", "HEAD:audit.jsonl")
	if !strings.Contains(audit, `"who":"ci-bot"`) {
		t.Errorf("audit log has no entry by the workflow's actor:\n%s", audit)
	}
	logf("== pipeline done in %s: %s", time.Since(start).Round(time.Millisecond), subjects[0])
}
