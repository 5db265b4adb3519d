package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tuyau-net/tuyau/inventory/yamlstore"
)

// TestConfigSecretsNeverInClear runs render, plan (JSON, saved), apply,
// a password rotation, backup and rollback against the virtual lab with a
// known MD5 password on a member session, then greps every artifact for
// the passwords: stdout, stderr, the saved plans, the records (work tree
// and every commit of the git history) and the hash key file. The
// devices get the real passwords (the push resolves the tokens), a
// rotated password shows as a change, and a rollback from a record puts
// the old password back.
func TestConfigSecretsNeverInClear(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Fatalf("git is needed for the records repository: %v", err)
	}
	lab, dir, env, flags := virtualLab(t)
	const old, rotated = "Md5-0ld-s3cret!", "Md5-r0tated-s3cret!"
	agg, member := "valognes-pop-r1", "barfleur-mairie-r1"
	inv := flags[1]
	snap, err := yamlstore.Open(inv).Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	// Both ends of the member's session reference the secret.
	n := 0
	for i, d := range snap.Devices {
		for j, s := range d.BGPSessions {
			if (d.Name == agg && s.PeerDevice == member) || (d.Name == member && s.PeerDevice == agg) {
				snap.Devices[i].BGPSessions[j].PasswordSecret = "bgp-barfleur"
				n++
			}
		}
	}
	if n != 2 {
		t.Fatalf("found %d ends of the %s-%s session, want 2", n, agg, member)
	}
	if err := yamlstore.WriteFile(inv, snap); err != nil {
		t.Fatal(err)
	}
	secrets := filepath.Join(dir, "secrets.yaml")
	writeSecrets := func(current string) {
		t.Helper()
		// The old password stays under another key while it may be rolled back to.
		body := "bgp:\n  passwords:\n    bgp-barfleur: \"" + current + "\"\n    bgp-barfleur-previous: \"" + old + "\"\n"
		if err := os.WriteFile(secrets, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	writeSecrets(old)
	var transcript strings.Builder
	cli := func(want int, a ...string) result {
		t.Helper()
		r := runCLI(t, env, append(append(a, flags...), "--secrets", secrets)...)
		transcript.WriteString(r.stdout + r.stderr)
		if r.code != want {
			t.Fatalf("tuyau %s: exit %d, want %d\n%s%s", strings.Join(a, " "), r.code, want, r.stdout, r.stderr)
		}
		return r
	}
	password := func(dev string) string {
		t.Helper()
		d, _ := lab.Device(dev)
		for _, nb := range d.Running().Config().BGP.Neighbors {
			if nb.Password != "" {
				return nb.Password
			}
		}
		return ""
	}

	if r := cli(exitOK, "config", "render", member); !strings.Contains(r.stdout, " password tuyau-secret-") {
		t.Errorf("render shows no password token:\n%s", r.stdout)
	}
	plan1 := filepath.Join(dir, "plan1.json")
	cli(exitChanges, "config", "plan", agg, member, "-o", "json", "--detailed-exitcode", "--out", plan1)
	cli(exitOK, "config", "apply", "--plan", plan1)
	for _, dev := range []string{agg, member} {
		if got := password(dev); got != old {
			t.Errorf("%s after apply has password %q, want the secret", dev, got)
		}
	}
	cli(exitOK, "config", "plan", agg, member, "--detailed-exitcode")
	cli(exitOK, "config", "backup")

	// A new password is a change (the tokens differ) and reaches the devices.
	writeSecrets(rotated)
	r := cli(exitChanges, "config", "plan", agg, member, "--detailed-exitcode", "-o", "json")
	if !strings.Contains(r.stdout, "password") {
		t.Errorf("rotated password: the plan does not show the password line change:\n%s", r.stdout)
	}
	cli(exitOK, "config", "apply", agg, member)
	for _, dev := range []string{agg, member} {
		if got := password(dev); got != rotated {
			t.Errorf("%s after the rotation has password %q, want the new secret", dev, got)
		}
	}
	// Back to the recorded config before the rotation: its token resolves
	// to the old password, still in the secrets file.
	cli(exitOK, "config", "rollback", member, "--to", "1")
	if got := password(member); got != old {
		t.Errorf("%s after rollback has password %q, want the old secret", member, got)
	}

	records := filepath.Join(dir, "records")
	hist, err := exec.Command("git", "-C", records, "log", "-p", "--all").CombinedOutput()
	if err != nil {
		t.Fatalf("git log: %v\n%s", err, hist)
	}
	if !strings.Contains(string(hist), "tuyau-secret-") {
		t.Errorf("records history holds no password token: did the records get the member's config?")
	}
	artifacts := map[string]string{"stdout and stderr of every run": transcript.String(), "records git history": string(hist)}
	for _, root := range []string{records, plan1, records + ".secret-hash-key"} {
		filepath.Walk(root, func(p string, info os.FileInfo, err error) error {
			if err == nil && !info.IsDir() && !strings.Contains(p, string(filepath.Separator)+".git"+string(filepath.Separator)) {
				b, _ := os.ReadFile(p)
				artifacts[p] = string(b)
			}
			return nil
		})
	}
	if len(artifacts) < 5 {
		t.Errorf("only %d artifacts to check: %v", len(artifacts), artifacts)
	}
	for name, text := range artifacts {
		for _, pw := range []string{old, rotated} {
			if c := strings.Count(text, pw); c != 0 {
				t.Errorf("%s: the password %q appears %d times", name, pw, c)
			}
		}
	}
}
