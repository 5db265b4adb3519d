package main

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// ghWorkflow is what a GitHub Actions workflow file holds that the
// pipeline test runs: jobs of steps, environment at three levels, outputs.
type ghWorkflow struct {
	Name string            `yaml:"name"`
	On   yaml.Node         `yaml:"on"`
	Env  map[string]string `yaml:"env"`
	Jobs map[string]ghJob  `yaml:"jobs"`
	// Concurrency is kept as written: a deploy workflow needs one.
	Concurrency struct {
		Group            string `yaml:"group"`
		CancelInProgress bool   `yaml:"cancel-in-progress"`
	} `yaml:"concurrency"`
}

type ghJob struct {
	Needs       string            `yaml:"needs"`
	If          string            `yaml:"if"`
	RunsOn      yaml.Node         `yaml:"runs-on"`
	Environment string            `yaml:"environment"`
	Outputs     map[string]string `yaml:"outputs"`
	Env         map[string]string `yaml:"env"`
	Steps       []ghStep          `yaml:"steps"`
}

type ghStep struct {
	Name string            `yaml:"name"`
	ID   string            `yaml:"id"`
	Uses string            `yaml:"uses"`
	With map[string]string `yaml:"with"`
	Env  map[string]string `yaml:"env"`
	If   string            `yaml:"if"`
	Run  string            `yaml:"run"`
}

func readWorkflow(t *testing.T, path string) ghWorkflow {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var w ghWorkflow
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&w); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return w
}

// ghRunner runs a workflow's jobs the way a self-hosted runner would, on
// this machine: each job in a fresh workspace, "run:" steps in bash -eo
// pipefail (GitHub's default shell), the actions it uses emulated
// (checkout copies the repository or clones the records' origin, the
// artifact actions copy files through a store), ${{ }} expressions and
// if: conditions evaluated for the forms the workflow uses.
type ghRunner struct {
	t         *testing.T
	wf        ghWorkflow
	repo      string            // the repository checked out
	origins   map[string]string // vars.RECORDS_REPO and the like: a repository's URL
	secrets   map[string]string
	vars      map[string]string
	runnerEnv []string // the runner's own environment (PATH with tuyau)
	artifacts map[string]string
	runs      int
	log       func(format string, args ...any)
}

// stepResult is one step as the runner saw it.
type stepResult struct {
	Name   string
	Code   int
	Output string
	Ran    bool
}

// jobResult is one job: its steps, outputs, and whether it succeeded.
type jobResult struct {
	Ran     bool
	OK      bool
	Outputs map[string]string
	Steps   []stepResult
	Dir     string
}

func (r jobResult) step(name string) stepResult {
	for _, s := range r.Steps {
		if s.Name == name {
			return s
		}
	}
	return stepResult{}
}

var ghExpr = regexp.MustCompile(`\$\{\{\s*([^}]*?)\s*\}\}`)

// expand replaces ${{ X }} in s; an expression it does not know fails the
// test rather than becoming "".
func (g *ghRunner) expand(s string, ctx map[string]string) string {
	return ghExpr.ReplaceAllStringFunc(s, func(m string) string {
		e := strings.TrimSpace(ghExpr.FindStringSubmatch(m)[1])
		v, ok := g.value(e, ctx)
		if !ok {
			g.t.Fatalf("workflow expression %q: not known to the test's runner", e)
		}
		return v
	})
}

func (g *ghRunner) value(e string, ctx map[string]string) (string, bool) {
	switch {
	case strings.HasPrefix(e, "secrets."):
		v, ok := g.secrets[strings.TrimPrefix(e, "secrets.")]
		return v, ok
	case strings.HasPrefix(e, "vars."):
		v, ok := g.vars[strings.TrimPrefix(e, "vars.")]
		return v, ok
	}
	v, ok := ctx[e]
	return v, ok
}

// cond evaluates an if: of the forms always(), failure(), success() and
// EXPR == 'literal'.
func (g *ghRunner) cond(c string, ctx map[string]string, failed bool) bool {
	c = strings.TrimSpace(ghExpr.ReplaceAllString(c, "$1"))
	switch c {
	case "":
		return !failed
	case "always()":
		return true
	case "failure()":
		return failed
	case "success()":
		return !failed
	}
	l, rhs, ok := strings.Cut(c, "==")
	if !ok {
		g.t.Fatalf("workflow condition %q: not known to the test's runner", c)
	}
	v, ok := g.value(strings.TrimSpace(l), ctx)
	if !ok {
		g.t.Fatalf("workflow condition %q: %s unknown", c, l)
	}
	return !failed && v == strings.Trim(strings.TrimSpace(rhs), "'")
}

// job runs one job of the workflow; needs are the outputs of the jobs it
// needs, by job name.
func (g *ghRunner) job(name string, needs map[string]jobResult) jobResult {
	t := g.t
	t.Helper()
	j, ok := g.wf.Jobs[name]
	if !ok {
		t.Fatalf("workflow has no job %q", name)
	}
	g.runs++
	ws := filepath.Join(t.TempDir(), fmt.Sprintf("%s-%d", name, g.runs))
	ctx := map[string]string{"github.actor": "ci-bot", "github.workspace": ws}
	for n, res := range needs {
		for k, v := range res.Outputs {
			ctx["needs."+n+".outputs."+k] = v
		}
	}
	res := jobResult{Outputs: map[string]string{}, Dir: ws}
	if !g.cond(j.If, ctx, false) {
		g.log("job %s: skipped (if: %s)", name, j.If)
		return res
	}
	res.Ran, res.OK = true, true
	if err := os.MkdirAll(ws, 0o755); err != nil {
		t.Fatal(err)
	}
	g.log("job %s (environment %q)", name, j.Environment)
	for i, s := range j.Steps {
		label := s.Name
		if label == "" {
			label = s.Uses
		}
		if !g.cond(s.If, ctx, !res.OK) {
			g.log("  step %d %s: skipped", i+1, label)
			res.Steps = append(res.Steps, stepResult{Name: label})
			continue
		}
		sr := stepResult{Name: label, Ran: true}
		if s.Uses != "" {
			sr.Output = g.action(s, ws, ctx)
		} else {
			sr.Code, sr.Output = g.shell(s, j, ws, ctx)
		}
		if s.Run != "" {
			g.log("  step %d %s:\n%s", i+1, label, indent("$ "+strings.ReplaceAll(strings.TrimSpace(s.Run), "\n", "\n  ")))
		}
		g.log("  step %d %s: exit %d\n%s", i+1, label, sr.Code, indent(sr.Output))
		if sr.Code != 0 {
			res.OK = false
		}
		res.Steps = append(res.Steps, sr)
	}
	for k, v := range j.Outputs {
		res.Outputs[k] = g.expand(v, ctx)
	}
	return res
}

func (g *ghRunner) shell(s ghStep, j ghJob, ws string, ctx map[string]string) (int, string) {
	t := g.t
	out := filepath.Join(ws, ".github-output")
	os.WriteFile(out, nil, 0o644)
	env := append([]string{}, g.runnerEnv...)
	env = append(env, "CI=true", "GITHUB_ACTIONS=true", "GITHUB_WORKSPACE="+ws, "GITHUB_OUTPUT="+out, "HOME="+filepath.Join(ws, ".home"),
		"XDG_STATE_HOME="+filepath.Join(ws, ".state"))
	for _, m := range []map[string]string{g.wf.Env, j.Env, s.Env} {
		for k, v := range m {
			env = append(env, k+"="+g.expand(v, ctx))
		}
	}
	cmd := exec.Command("bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", g.expand(s.Run, ctx))
	cmd.Dir, cmd.Env = ws, env
	b, err := cmd.CombinedOutput()
	code := 0
	if err != nil {
		ee, ok := err.(*exec.ExitError)
		if !ok {
			t.Fatalf("step %s: %v", s.Name, err)
		}
		code = ee.ExitCode()
	}
	outs, _ := os.ReadFile(out)
	for _, line := range strings.Split(string(outs), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok && s.ID != "" {
			ctx["steps."+s.ID+".outputs."+k] = v
		}
	}
	return code, string(b)
}

// action emulates the actions the workflow uses.
func (g *ghRunner) action(s ghStep, ws string, ctx map[string]string) string {
	t := g.t
	name, _, _ := strings.Cut(s.Uses, "@")
	with := map[string]string{}
	for k, v := range s.With {
		with[k] = g.expand(v, ctx)
	}
	switch name {
	case "actions/checkout":
		if repo := with["repository"]; repo != "" {
			dst := filepath.Join(ws, with["path"])
			if b, err := exec.Command("git", "clone", "-q", repo, dst).CombinedOutput(); err != nil {
				t.Fatalf("checkout %s: %v\n%s", repo, err, b)
			}
			return "cloned " + repo + " into " + with["path"]
		}
		copyTree(t, g.repo, ws)
		return "checked out the repository"
	case "actions/upload-artifact":
		dir := filepath.Join(t.TempDir(), "artifact-"+with["name"])
		var got []string
		for _, p := range strings.Fields(with["path"]) {
			b, err := os.ReadFile(filepath.Join(ws, p))
			if err != nil {
				t.Fatalf("upload-artifact %s: %v", with["name"], err)
			}
			os.MkdirAll(dir, 0o755)
			os.WriteFile(filepath.Join(dir, p), b, 0o644)
			got = append(got, fmt.Sprintf("%s (%d bytes)", p, len(b)))
		}
		g.artifacts[with["name"]] = dir
		return "uploaded " + strings.Join(got, ", ")
	case "actions/download-artifact":
		dir, ok := g.artifacts[with["name"]]
		if !ok {
			t.Fatalf("download-artifact %s: no such artifact", with["name"])
		}
		copyTree(t, dir, ws)
		return "downloaded " + with["name"]
	}
	t.Fatalf("action %s: not known to the test's runner", s.Uses)
	return ""
}

func copyTree(t *testing.T, from, to string) {
	t.Helper()
	err := filepath.WalkDir(from, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, p)
		dst := filepath.Join(to, rel)
		if d.IsDir() {
			return os.MkdirAll(dst, 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(dst, b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

func indent(s string) string {
	s = strings.TrimRight(s, "\n")
	if s == "" {
		return "    (no output)"
	}
	return "    " + strings.ReplaceAll(s, "\n", "\n    ")
}
