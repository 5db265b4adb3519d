// Package need is the one guard tests use for the outside tools they run
// (redis-server, vtysh, gobgpd, chromium...): on a developer machine a
// missing tool skips the test with what to install; under CI (CI set to
// anything but "" or "false") it fails it, because a CI run that skips its
// real peers proves nothing.
//
//	redis := need.Tool(t, "redis-server", "apt install redis-server")
package need

import (
	"os"
	"os/exec"
	"testing"
)

// CI reports whether the tests run under CI, where nothing may be skipped
// for want of a tool.
func CI() bool {
	v := os.Getenv("CI")
	return v != "" && v != "false" && v != "0"
}

// Tool returns the path of an executable on PATH, or stops the test: a
// skip on a developer machine, a failure under CI. hint says how to get it.
func Tool(t testing.TB, name, hint string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err == nil {
		return p
	}
	Missing(t, name+" not found on PATH ("+hint+")")
	return ""
}

// Root stops the test unless it runs as root (network namespaces, sshd).
func Root(t testing.TB, why string) {
	t.Helper()
	if os.Geteuid() != 0 {
		Missing(t, "needs root: "+why)
	}
}

// Missing stops the test for a missing prerequisite: Skip, or Fatal under CI.
func Missing(t testing.TB, msg string) {
	t.Helper()
	if CI() {
		t.Fatalf("CI: %s", msg)
	}
	t.Skip(msg)
}
