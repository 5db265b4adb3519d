package netns

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// TestHelperUp is not a test: TestDownAfterCrash runs the test binary
// with it to get a process that builds a lab and then dies.
func TestHelperUp(t *testing.T) {
	dir := os.Getenv("TUYAU_NETNS_HELPER_STATE")
	if dir == "" {
		t.Skip("helper process for TestDownAfterCrash")
	}
	_, err := Up(context.Background(), smallNetwork(t), Options{Name: "tcrash", StateDir: dir, Config: ConfigIGP, Password: "x"})
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Minute) // killed long before
}

// TestDownAfterCrash kills the process running Up, mid-way and once the
// lab is up, and checks that Down, from the state file alone, removes
// every namespace, veth, process and file; and that Sweep, from the lab's
// name alone, does too.
func TestDownAfterCrash(t *testing.T) {
	requireRoot(t)
	for _, tc := range []struct {
		name string
		// killWhen says when the state is far enough along to kill.
		killWhen func(s *State) bool
	}{
		{"mid-up", func(s *State) bool {
			_, err := os.Stat(filepath.Join("/run/netns", s.Devices[0].Netns))
			return err == nil
		}},
		{"after-up", func(s *State) bool { return s.Phase == "up" }},
		{"state-lost", func(s *State) bool { return s.Phase == "up" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := StatePath(dir, "tcrash")
			cmd := exec.Command(os.Args[0], "-test.run=^TestHelperUp$", "-test.count=1")
			cmd.Env = append(os.Environ(), "TUYAU_NETNS_HELPER_STATE="+dir)
			var out bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &out
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			waited := make(chan error, 1)
			go func() { waited <- cmd.Wait() }()
			var s *State
			for deadline := time.Now().Add(60 * time.Second); ; {
				if st, err := readState(path); err == nil && tc.killWhen(st) {
					s = st
					break
				}
				select {
				case err := <-waited:
					t.Fatalf("helper exited before the kill point: %v\n%s", err, out.String())
				default:
				}
				if time.Now().After(deadline) {
					cmd.Process.Kill()
					t.Fatal("helper never reached the kill point")
				}
				time.Sleep(5 * time.Millisecond)
			}
			cmd.Process.Kill()
			<-waited
			if tc.name == "after-up" {
				// The lab outlives the process that built it.
				if pids := nsPids([]string{s.Devices[0].Netns}); len(pids[s.Devices[0].Netns]) == 0 {
					t.Errorf("no process left in %s after its builder died", s.Devices[0].Netns)
				}
			}
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			if tc.name == "state-lost" {
				// As after a reboot or an rm: Sweep works from the name.
				if err := os.Remove(path); err != nil {
					t.Fatal(err)
				}
				// A state directory that is gone too, as /run after a reboot.
				if err := Sweep(ctx, filepath.Join(dir, "gone"), "tcrash"); err != nil {
					t.Fatal(err)
				}
			} else if err := Down(ctx, path); err != nil {
				t.Fatal(err)
			}
			assertGone(t, s, path)
		})
	}
}
