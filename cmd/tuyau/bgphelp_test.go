package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// serveBGP runs "bgp serve args..." in-process with env until the test's
// cleanup cancels it; a non-zero exit fails the test. It returns the
// command's stderr, which the test may read while it runs and which is
// logged when the test fails.
func serveBGP(t *testing.T, env map[string]string, args ...string) *lockedBuffer {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	errb := &lockedBuffer{}
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, append([]string{"bgp", "serve"}, args...), strings.NewReader(""), &bytes.Buffer{}, errb,
			func(k string) string { return env[k] })
	}()
	t.Cleanup(func() {
		cancel()
		if code := <-done; code != 0 {
			t.Errorf("bgp serve %v: exit %d\n%s", args, code, errb.String())
		} else if t.Failed() {
			t.Logf("bgp serve %v:\n%s", args, errb.String())
		}
	})
	return errb
}

// startGobgpd writes conf (a gobgpd TOML) under dir as name.toml and runs
// the gobgpd at bin on it, its API on 127.0.0.1:apiPort, until the test
// ends; its log is shown when the test fails.
func startGobgpd(t *testing.T, bin, dir, name, conf string, apiPort int) {
	t.Helper()
	path := filepath.Join(dir, name+".toml")
	if err := os.WriteFile(path, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-f", path, "--api-hosts", "127.0.0.1:"+strconv.Itoa(apiPort), "--pprof-disable")
	var log lockedBuffer
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Start(); err != nil {
		t.Fatalf("gobgpd %s: %v", name, err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		if t.Failed() {
			t.Logf("gobgpd %s:\n%s", name, log.String())
		}
	})
}
