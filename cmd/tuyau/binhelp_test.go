package main

import (
	"os"
	"path/filepath"
	"testing"
)

// tuyauExecutable returns a "tuyau" for the tests that run it as a
// subprocess (signals, a CI job's shell steps): a link named tuyau to
// this test binary, which TestMain runs as tuyau when called by that
// name. No build, and the code under test is this test's.
func tuyauExecutable(t *testing.T) string {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), "tuyau")
	if err := os.Symlink(self, bin); err != nil {
		t.Fatal(err)
	}
	return bin
}
