package main

import (
	"bytes"
	"context"
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
