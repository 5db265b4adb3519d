package confirms

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// TestSettleOneWinner: a confirm and the timer's rollback racing for the
// same pending commit (goroutines here, each with its own open of the
// lock file as separate processes have) get one outcome: exactly one
// moves it out of pending, every other one is told it was settled and by
// whom.
func TestSettleOneWinner(t *testing.T) {
	st, err := Open(filepath.Join(t.TempDir(), "confirms"))
	if err != nil {
		t.Fatal(err)
	}
	for round := range 20 {
		id := ID("apply1", "r"+string(rune('a'+round)))
		if err := st.Create(Commit{ID: id, Apply: "apply1", Device: "r1", Created: time.Now()}); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		var mu sync.Mutex
		won := map[State]int{}
		settled := 0
		for i := range 8 {
			to, by := Confirmed, "confirm"
			if i%2 == 1 {
				to, by = RollingBack, "timer"
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := st.Settle(id, to, by, "", Pending)
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					won[to]++
				case errors.Is(err, ErrSettled):
					settled++
				default:
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		if len(won) != 1 || won[Confirmed]+won[RollingBack] != 1 || settled != 7 {
			t.Fatalf("round %d: winners %v, %d told settled; want one winner and 7", round, won, settled)
		}
		c, err := st.read(id)
		if err != nil {
			t.Fatal(err)
		}
		for s := range won {
			if c.State != s {
				t.Errorf("round %d: file says %s, the winner set %s", round, c.State, s)
			}
		}
	}
}

// TestStoreFiles: the directory is 0700 and the files 0600 whatever the
// umask and the directory's mode before; a file that cannot be parsed is
// an error naming it, not a pending rollback silently dropped; Prune
// removes settled commits only.
func TestStoreFiles(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "confirms")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	st, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	for _, c := range []Commit{{ID: ID("a", "r1"), Device: "r1", Created: now}, {ID: ID("a", "r/2"), Device: "r/2", Created: now.Add(time.Second)}} {
		if err := st.Create(c); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.Create(Commit{ID: ID("a", "r1")}); err == nil {
		t.Error("a second Create of the same commit was accepted")
	}
	if fi, _ := os.Stat(dir); fi.Mode().Perm() != 0o700 {
		t.Errorf("directory mode %v, want 0700", fi.Mode().Perm())
	}
	if fi, err := os.Stat(filepath.Join(dir, "a.r_2.json")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("state file: %v, want mode 0600", err)
	}
	if _, err := st.Settle(ID("a", "r1"), Confirmed, "confirm", "", Pending); err != nil {
		t.Fatal(err)
	}
	if err := st.Prune(time.Now().Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	cs, err := st.List()
	if err != nil || len(cs) != 1 || cs[0].Device != "r/2" || cs[0].State != Pending {
		t.Fatalf("after prune: %+v (%v), want the pending r/2 only", cs, err)
	}
	if err := os.WriteFile(filepath.Join(dir, "broken.json"), []byte("{"), 0o600); err != nil {
		t.Fatal(err)
	}
	if cs, err := st.List(); err == nil || len(cs) != 1 {
		t.Errorf("List with a broken file: %d commits, error %v; want the good one and an error naming the file", len(cs), err)
	}
}

// TestAlive: a live process holding the mark is alive; without the mark
// (a pid reused by another program), or once exited, it is not.
func TestAlive(t *testing.T) {
	cmd := exec.Command("sleep", "30")
	cmd.Env = append(os.Environ(), "MARK=apply-xyz")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pid := cmd.Process.Pid
	// Start returns when exec has closed the child's descriptors, which
	// the kernel does before it lays out the new arguments and
	// environment: for a moment /proc shows neither. A timer is only ever
	// checked long after its ready pipe spoke, so wait for the exec to end.
	for deadline := time.Now().Add(5 * time.Second); !Alive(pid, "apply-xyz") && time.Now().Before(deadline); {
		time.Sleep(5 * time.Millisecond)
	}
	if !Alive(pid, "apply-xyz") || !Alive(pid, "") {
		t.Error("a running process with the mark is not alive")
	}
	if Alive(pid, "apply-other") {
		t.Error("a process without the mark is taken for the timer")
	}
	cmd.Process.Kill()
	cmd.Wait()
	if Alive(pid, "apply-xyz") {
		t.Error("an exited process is alive")
	}
	if Alive(0, "") || Alive(-1, "") {
		t.Error("pid 0 or -1 is alive")
	}
}
