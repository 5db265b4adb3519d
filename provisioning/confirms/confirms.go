// Package confirms keeps the pending commits of "tuyau config apply
// --confirm" on platforms with no device-side timer (FRR over SSH): one
// state file per device and apply, written before the push, that a
// detached timer process rolls back from at the deadline unless "tuyau
// config confirm" settles it first. The files outlive the tuyau that wrote
// them, so a SIGKILLed apply, a closed terminal or a lost session to the
// jump host leave the timer to roll back, and a fresh "tuyau config
// confirm" can keep the change.
//
// Every change of state goes through Settle under one flock on the
// directory: a confirm arriving as the deadline fires gets one answer,
// kept or rolled back, never both.
package confirms

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// State is where a pending commit is.
type State string

const (
	// Pending waits for a confirm; the timer rolls it back at the deadline.
	Pending State = "pending"
	// RollingBack was claimed by the timer or a rollback and is being
	// rolled back: too late to confirm.
	RollingBack State = "rolling-back"
	Confirmed   State = "confirmed"
	RolledBack  State = "rolled-back"
	// Failed was to be rolled back, and the rollback failed: look at it.
	Failed State = "failed"
)

// Final reports whether nothing more happens to a commit in state s.
func (s State) Final() bool { return s == Confirmed || s == RolledBack || s == Failed }

// Commit is one device's pending change of one apply. It holds no secret:
// Before is the running config as tuyau reads it, passwords replaced by
// their tokens (provisioning.Secrets), and Args name the secrets file and
// environment the credentials come from, never the credentials.
type Commit struct {
	ID        string `json:"id"`
	Apply     string `json:"apply_id"`
	Device    string `json:"device"`
	Platform  string `json:"platform"`
	Transport string `json:"transport"`
	PlanHash  string `json:"plan_hash"`
	// Before is the device's exact running config before the push: what
	// the timer puts back.
	Before string `json:"before"`
	Who    string `json:"who"`
	// Created is when the state was written, just before the push.
	Created time.Time `json:"created"`
	// Deadline is when the change is rolled back unless confirmed. It is
	// the push plus the window until the apply starts waiting, then the
	// start of the wait plus the window (the apply's own deadline).
	Deadline time.Time `json:"deadline"`
	// Waiting is set once the apply that pushed waits for post-checks or
	// a confirm; before that, a live apply is still pushing other devices.
	Waiting bool `json:"waiting"`
	// ApplyPID is the "config apply" process, TimerPID the detached timer.
	ApplyPID int `json:"apply_pid"`
	TimerPID int `json:"timer_pid"`
	// Args are the config flags the timer reaches the device with; Dir is
	// the directory they are relative to.
	Args []string `json:"args"`
	Dir  string   `json:"dir"`
	// CommitID is set for a device-side confirmed commit (gNMI
	// commit-confirmed): no timer, the device rolls it back at the
	// deadline; a confirm sends the device the confirm of this id, and
	// DeviceConfirmed says the device took it.
	CommitID        string `json:"commit_id,omitempty"`
	DeviceConfirmed bool   `json:"device_confirmed,omitempty"`
	// Log is the timer's log file.
	Log   string `json:"log"`
	State State  `json:"state"`
	// By says who settled it: "apply", "confirm", "timer", "rollback".
	By      string    `json:"by,omitempty"`
	Error   string    `json:"error,omitempty"`
	Updated time.Time `json:"updated"`
}

// Store is the directory of the state files (0700, files 0600).
type Store struct {
	Dir string
}

// Open creates dir if needed and makes it private to the user: the files
// hold running configs.
func Open(dir string) (*Store, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("confirms %s: %w", dir, err)
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return nil, fmt.Errorf("confirms %s: %w", dir, err)
	}
	return &Store{Dir: dir}, nil
}

// ID names device's commit in apply; it is also its file name.
func ID(apply, device string) string {
	return apply + "." + safeName(device)
}

func safeName(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_':
			return r
		}
		return '_'
	}, s)
}

func (s *Store) path(id string) string { return filepath.Join(s.Dir, id+".json") }

// LogPath is the log file of apply's timer.
func (s *Store) LogPath(apply string) string { return filepath.Join(s.Dir, safeName(apply)+".log") }

// lock takes the directory's lock; the returned func releases it.
func (s *Store) lock() (func(), error) {
	f, err := os.OpenFile(filepath.Join(s.Dir, ".lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("confirms %s: lock: %w", s.Dir, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, fmt.Errorf("confirms %s: lock: %w", s.Dir, err)
	}
	return func() { f.Close() }, nil // closing the file releases the flock
}

// Create writes a new pending commit. It refuses an id already there.
func (s *Store) Create(c Commit) error {
	unlock, err := s.lock()
	if err != nil {
		return err
	}
	defer unlock()
	if _, err := os.Stat(s.path(c.ID)); err == nil {
		return fmt.Errorf("confirms %s: commit %s exists already", s.Dir, c.ID)
	}
	c.State, c.Updated = Pending, time.Now().UTC()
	return s.write(c)
}

// write replaces c's file whole (temporary file and rename): a reader
// never sees half a file, even from a tuyau killed mid-write.
func (s *Store) write(c Commit) error {
	b, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return fmt.Errorf("confirms: commit %s: %w", c.ID, err)
	}
	tmp, err := os.CreateTemp(s.Dir, ".tmp-*")
	if err != nil {
		return fmt.Errorf("confirms %s: %w", s.Dir, err)
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.Write(append(b, '\n'))
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), s.path(c.ID))
	}
	if err != nil {
		return fmt.Errorf("confirms %s: commit %s: %w", s.Dir, c.ID, err)
	}
	return nil
}

func (s *Store) read(id string) (Commit, error) {
	var c Commit
	b, err := os.ReadFile(s.path(id))
	if err != nil {
		return c, fmt.Errorf("confirms %s: commit %s: %w", s.Dir, id, err)
	}
	if err := json.Unmarshal(b, &c); err != nil {
		return c, fmt.Errorf("confirms %s: %s: %w", s.Dir, filepath.Base(s.path(id)), err)
	}
	return c, nil
}

// ErrSettled is returned by Update when the commit is no longer in a
// state the change applies to.
var ErrSettled = errors.New("already settled")

// Update changes commit id under the lock: fn gets the current state and
// changes it; an error from fn leaves the file as it was.
func (s *Store) Update(id string, fn func(*Commit) error) (Commit, error) {
	unlock, err := s.lock()
	if err != nil {
		return Commit{}, err
	}
	defer unlock()
	c, err := s.read(id)
	if err != nil {
		return c, err
	}
	if err := fn(&c); err != nil {
		return c, err
	}
	c.Updated = time.Now().UTC()
	return c, s.write(c)
}

// Settle moves commit id from one of from to state to, by who: the one
// step that decides a commit's fate. It returns the commit as it was
// found, and ErrSettled (the commit in its current state) when it was
// not in one of from.
func (s *Store) Settle(id string, to State, by, msg string, from ...State) (Commit, error) {
	var was Commit
	c, err := s.Update(id, func(c *Commit) error {
		was = *c
		for _, f := range from {
			if c.State == f {
				c.State, c.By, c.Error = to, by, msg
				return nil
			}
		}
		return fmt.Errorf("commit %s of %s is %s (by %s): %w", c.ID, c.Device, c.State, c.By, ErrSettled)
	})
	if errors.Is(err, ErrSettled) {
		return c, err
	}
	return was, err
}

// List returns every commit of the directory, oldest first. A file that
// cannot be read is an error naming it: a pending rollback is never
// silently dropped.
func (s *Store) List() ([]Commit, error) {
	files, err := filepath.Glob(filepath.Join(s.Dir, "*.json"))
	if err != nil {
		return nil, err
	}
	var out []Commit
	var errs []error
	for _, f := range files {
		c, err := s.read(strings.TrimSuffix(filepath.Base(f), ".json"))
		if err != nil {
			if !errors.Is(err, os.ErrNotExist) { // removed meanwhile
				errs = append(errs, err)
			}
			continue
		}
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].Created.Equal(out[j].Created) {
			return out[i].Created.Before(out[j].Created)
		}
		return out[i].ID < out[j].ID
	})
	return out, errors.Join(errs...)
}

// Prune removes commits settled before t, and the logs of applies left
// with no commit: the directory keeps recent outcomes, not history (the
// records repository is the history).
func (s *Store) Prune(t time.Time) error {
	cs, err := s.List()
	if err != nil {
		return err
	}
	unlock, err := s.lock()
	if err != nil {
		return err
	}
	defer unlock()
	left := map[string]bool{}
	for _, c := range cs {
		if c.State.Final() && c.Updated.Before(t) {
			if err := os.Remove(s.path(c.ID)); err != nil && !errors.Is(err, os.ErrNotExist) {
				return fmt.Errorf("confirms %s: %w", s.Dir, err)
			}
			continue
		}
		left[c.Apply] = true
	}
	logs, _ := filepath.Glob(filepath.Join(s.Dir, "*.log"))
	for _, l := range logs {
		fi, err := os.Stat(l)
		if err == nil && !left[strings.TrimSuffix(filepath.Base(l), ".log")] && fi.ModTime().Before(t) {
			os.Remove(l)
		}
	}
	return nil
}

// Alive reports whether pid is a live process whose command line holds
// mark (its apply id): a pid reused by another program after the timer
// died is not taken for the timer, and a zombie is dead.
func Alive(pid int, mark string) bool {
	if pid <= 0 {
		return false
	}
	if err := syscall.Kill(pid, 0); err != nil && !errors.Is(err, syscall.EPERM) {
		return false
	}
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return !errors.Is(err, os.ErrNotExist) // no /proc: trust kill(0)
	}
	// The state follows the command name, which is in parentheses.
	if i := bytes.LastIndexByte(stat, ')'); i > 0 && i+2 < len(stat) && (stat[i+2] == 'Z' || stat[i+2] == 'X') {
		return false
	}
	if mark == "" {
		return true
	}
	// The mark is in the arguments, or in the environment of a timer
	// started by a test binary (which takes its arguments from there).
	for _, f := range []string{"cmdline", "environ"} {
		if b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/" + f); err == nil && bytes.Contains(b, []byte(mark)) {
			return true
		}
	}
	return false
}
