package testlab

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/tuyau-net/tuyau/inventory"
	"github.com/tuyau-net/tuyau/inventory/yamlstore"
)

// ErrLabUp is returned by Up when the lab already runs.
var ErrLabUp = errors.New("lab already up")

// ErrNoLab is returned when no lab of that name exists.
var ErrNoLab = errors.New("no such lab")

// UpOptions start a virtual lab.
type UpOptions struct {
	// Root holds every lab's directory and the slot registry.
	Root string
	Name string
	// Snapshot is the inventory; InventoryName says where it came from.
	Snapshot      *inventory.Snapshot
	InventoryName string
	Bootstrap     Bootstrap
	User          string
	// Password is the SSH password; a random one is made (and kept in the
	// lab directory, mode 0600) when empty.
	Password string
	// AuthorizedKeys (authorized_keys format) are accepted besides the
	// lab's own client key.
	AuthorizedKeys []byte
	// Command starts the lab process in the background ("tuyau lab serve
	// ..."); with Foreground the lab runs in this process instead.
	Command    []string
	Foreground bool
	// GNMIInsecure serves gNMI without TLS (default: TLS from the lab CA).
	GNMIInsecure bool
	Log          *slog.Logger
}

// Up prepares a lab's directory (slot, plan, keys, known_hosts, state) and
// starts the lab process, returning once every device listens. With
// Foreground it serves the lab itself until ctx ends, then cleans up.
func Up(ctx context.Context, o UpOptions) (*State, error) {
	if err := checkName(o.Name); err != nil {
		return nil, err
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	dir := filepath.Join(o.Root, o.Name)
	if old, err := readState(dir); err == nil {
		if processAlive(old.PID) {
			return nil, fmt.Errorf("lab %s (pid %d): %w; run tuyau lab down first", o.Name, old.PID, ErrLabUp)
		}
		o.Log.Info("cleaning up after a lab process that died", "lab", o.Name, "pid", old.PID)
		if _, err := Down(ctx, o.Root, o.Name, false); err != nil {
			return nil, err
		}
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("lab %s: %w", o.Name, err)
	}
	slot, err := allocate(ctx, o.Root, o.Name, slotWait)
	if err != nil {
		return nil, err
	}
	st, err := prepare(dir, slot, o)
	if err != nil {
		release(o.Root, o.Name, true)
		return nil, err
	}
	if o.Foreground {
		return st, Serve(ctx, dir, o.Log)
	}
	if err := spawn(ctx, st, o.Command); err != nil {
		Down(context.WithoutCancel(ctx), o.Root, o.Name, false)
		return nil, err
	}
	return readState(dir)
}

func prepare(dir string, slot int, o UpOptions) (*State, error) {
	plan, err := NewPlan(o.Name, o.Snapshot, slotBlock(slot), slotPorts(slot))
	if err != nil {
		return nil, err
	}
	if o.Password != "" {
		if err := os.WriteFile(filepath.Join(dir, PasswordFile), []byte(o.Password+"\n"), 0o600); err != nil {
			return nil, err
		}
	} else if _, err := EnsurePassword(dir); err != nil {
		return nil, err
	}
	if _, err := EnsureClientKey(dir); err != nil {
		return nil, err
	}
	if _, err := WriteKnownHosts(dir, plan); err != nil {
		return nil, err
	}
	if len(o.AuthorizedKeys) > 0 {
		if err := os.WriteFile(filepath.Join(dir, authKeysFile), o.AuthorizedKeys, 0o600); err != nil {
			return nil, err
		}
	}
	if err := yamlstore.WriteFile(filepath.Join(dir, inventoryFile), o.Snapshot); err != nil {
		return nil, fmt.Errorf("lab %s: save inventory: %w", o.Name, err)
	}
	if o.Bootstrap == "" {
		o.Bootstrap = BootstrapFull
	}
	if o.User == "" {
		o.User = "admin"
	}
	st := &State{
		Name: o.Name, Mode: "virtual", Dir: dir, Started: time.Now().UTC(), Phase: PhaseStarting,
		User: o.User, Bootstrap: o.Bootstrap, Inventory: o.InventoryName, Plan: plan,
		GNMIInsecure: o.GNMIInsecure,
	}
	return st, st.write()
}

// spawn starts the lab process in its own session (it outlives the shell
// that ran "lab up") and waits until it reports ready or dies.
func spawn(ctx context.Context, st *State, command []string) error {
	if len(command) == 0 {
		return errors.New("lab up: no command to start the lab process")
	}
	logf, err := os.OpenFile(st.LogFile(), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer logf.Close()
	cmd := exec.Command(command[0], command[1:]...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("lab %s: start lab process: %w", st.Name, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	// The lab process records its own pid: writing the state from here too
	// would race with it, and a write landing after its "ready" left Up
	// waiting 5 minutes for a lab that was long up.
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	timeout := time.After(5 * time.Minute)
	for {
		select {
		case err := <-exited:
			cur, _ := readState(st.Dir)
			msg := ""
			if cur != nil {
				msg = cur.Error
			}
			return fmt.Errorf("lab %s: lab process exited (%v) before it was ready: %s (see %s)", st.Name, err, msg, st.LogFile())
		case <-ctx.Done():
			cmd.Process.Kill()
			return ctx.Err()
		case <-timeout:
			cmd.Process.Kill()
			return fmt.Errorf("lab %s: not ready after 5 minutes (see %s)", st.Name, st.LogFile())
		case <-tick.C:
			cur, err := readState(st.Dir)
			if err != nil {
				continue
			}
			switch cur.Phase {
			case PhaseReady:
				cmd.Process.Release()
				return nil
			case PhaseFailed:
				return fmt.Errorf("lab %s: %s", st.Name, cur.Error)
			}
		}
	}
}

// Serve runs the lab of dir in this process until ctx ends or a shutdown
// request arrives: it is what "tuyau lab serve" (started by Up) runs.
func Serve(ctx context.Context, dir string, log *slog.Logger) (err error) {
	st, err := readState(dir)
	if err != nil {
		return fmt.Errorf("lab %s: %w", dir, err)
	}
	// Down and a second Up find the lab process by this pid from now on.
	st.PID = os.Getpid()
	if err := st.write(); err != nil {
		return err
	}
	fail := func(err error) error {
		st.Phase, st.Error = PhaseFailed, err.Error()
		st.write()
		return err
	}
	snap, err := yamlstore.Open(filepath.Join(dir, inventoryFile)).Load(ctx)
	if err != nil {
		return fail(fmt.Errorf("lab %s: inventory: %w", st.Name, err))
	}
	pw, err := EnsurePassword(dir)
	if err != nil {
		return fail(err)
	}
	key, err := EnsureClientKey(dir)
	if err != nil {
		return fail(err)
	}
	keys := []ssh.PublicKey{key.PublicKey()}
	if extra, err := os.ReadFile(filepath.Join(dir, authKeysFile)); err == nil {
		for len(extra) > 0 {
			k, _, _, rest, err := ssh.ParseAuthorizedKey(extra)
			if err != nil {
				break
			}
			keys = append(keys, k)
			extra = rest
		}
	}
	// A soft memory limit keeps a large lab's heap near its live size
	// instead of twice it (GOGC's default); GOMEMLIMIT overrides it.
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(serveMemoryLimit(snap))
	}
	start := time.Now()
	l, err := Start(ctx, st.Plan, snap, Options{
		Dir: dir, User: st.User, Password: pw, AuthorizedKeys: keys, Bootstrap: st.Bootstrap, Logger: log,
		GNMIInsecure: st.GNMIInsecure,
	})
	if err != nil {
		return fail(err)
	}
	defer l.Close()
	ctx, stop := context.WithCancel(ctx)
	defer stop()
	closeCtl, err := l.serveControl(ctx, st.Socket(), stop)
	if err != nil {
		return fail(err)
	}
	defer closeCtl()
	st.Phase, st.Ready = PhaseReady, time.Now().UTC()
	if err := st.write(); err != nil {
		return err
	}
	log.Info("lab ready", "lab", st.Name, "devices", len(st.Plan.Devices), "took", time.Since(start).Round(time.Millisecond))
	<-ctx.Done()
	log.Info("lab stopping", "lab", st.Name)
	return nil
}

// serveMemoryLimit is the lab process's soft heap limit: 700 MiB (the
// budget for a 500-device lab of the generator's default size is 1 GB),
// or more for a telemetry load lab: its interfaces' leaves, counters and
// streams hold about 64 KiB each (a 200 x 48 lab lives in about 600 MiB),
// and a limit close to the live heap makes the lab spend its CPU in the
// garbage collector instead of streaming. Allowing 1 MiB per device
// and 96 KiB per interface leaves it half again as much room.
func serveMemoryLimit(snap *inventory.Snapshot) int64 {
	const floor = 700 << 20
	ifaces := 0
	for _, d := range snap.Devices {
		ifaces += len(d.Interfaces)
	}
	return max(floor, int64(len(snap.Devices))*(1<<20)+int64(ifaces)*(96<<10))
}

// DownReport says what Down removed.
type DownReport struct {
	Name    string   `json:"name"`
	Stopped int      `json:"stopped_pid,omitempty"`
	Killed  bool     `json:"killed,omitempty"`
	Removed []string `json:"removed"`
}

// Down stops a lab's process, waits until it has exited (its listeners
// closed) and removes every file it made, whether the process is healthy,
// hung or long dead. The lab's identity (slot, host key seed, known_hosts,
// client key, password) stays so addresses and host keys are stable across
// runs, unless purge; purge also works on a lab that is already down.
func Down(ctx context.Context, root, name string, purge bool) (DownReport, error) {
	if err := checkName(name); err != nil {
		return DownReport{}, err
	}
	dir := filepath.Join(root, name)
	rep := DownReport{Name: name, Removed: []string{}}
	st, err := readState(dir)
	if errors.Is(err, fs.ErrNotExist) {
		if up, kept := registered(root, name); !up && !(purge && kept) {
			return rep, fmt.Errorf("lab %s: %w", name, ErrNoLab)
		}
		st = &State{Name: name, Dir: dir}
	} else if err != nil {
		return rep, err
	}
	if st.PID > 0 && processAlive(st.PID) && isLabProcess(st.PID, name) {
		rep.Stopped = st.PID
		control(ctx, dir, Request{Op: "shutdown"})
		if !waitExit(st.PID, 15*time.Second) {
			syscall.Kill(st.PID, syscall.SIGTERM)
			if !waitExit(st.PID, 5*time.Second) {
				syscall.Kill(st.PID, syscall.SIGKILL)
				waitExit(st.PID, 5*time.Second)
				rep.Killed = true
			}
		}
	}
	temp := []string{socketFile, stateFile, stateFile + ".tmp", inventoryFile, logFile, authKeysFile, configsDir}
	if purge {
		temp = append(temp, seedFile, KnownHostsFile, ClientKeyFile, ClientKeyFile+".pub", PasswordFile, CAFile, caKeyFile)
	}
	for _, f := range temp {
		p := filepath.Join(dir, f)
		if _, err := os.Lstat(p); err == nil {
			if err := os.RemoveAll(p); err != nil {
				return rep, fmt.Errorf("lab %s: %w", name, err)
			}
			rep.Removed = append(rep.Removed, p)
		}
	}
	if purge {
		os.Remove(dir)
	}
	return rep, release(root, name, !purge)
}

// StatusOf asks a running lab for its status; a lab whose process is gone
// is reported from its state file, not running.
func StatusOf(ctx context.Context, root, name string) (LabStatus, error) {
	return statusOf(ctx, root, name, false)
}

// BriefStatusOf is StatusOf without the devices' BGP sessions
// (LabStatus.Brief): what the --lab commands need, answered at once
// however busy the lab's BGP is.
func BriefStatusOf(ctx context.Context, root, name string) (LabStatus, error) {
	return statusOf(ctx, root, name, true)
}

func statusOf(ctx context.Context, root, name string, brief bool) (LabStatus, error) {
	dir := filepath.Join(root, name)
	st, err := readState(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return LabStatus{}, fmt.Errorf("lab %s: %w (tuyau lab up starts one)", name, ErrNoLab)
	}
	if err != nil {
		return LabStatus{}, err
	}
	out := LabStatus{Name: name, Mode: st.Mode, Phase: st.Phase, PID: st.PID, Dir: dir}
	if st.Phase == PhaseReady && processAlive(st.PID) {
		resp, err := control(ctx, dir, Request{Op: "status", Brief: brief})
		switch {
		case err == nil && resp.Status != nil:
			out = *resp.Status
			out.Phase, out.PID, out.Dir = st.Phase, st.PID, dir
		case !errors.Is(err, ErrNotRunning) && processAlive(st.PID):
			if err == nil {
				err = errors.New("an answer without a status")
			}
			// Its control socket took the request but no status came back
			// (busy past the deadline): the lab is there, and "not
			// running" would send one to restart it. A socket nobody
			// listens on is a lab that stopped (its pid may live on, as a
			// foreground lab's process or a reused pid).
			return out, fmt.Errorf("lab %s (pid %d): running, but its status request failed: %w", name, st.PID, err)
		}
	}
	if out.Endpoints == nil {
		out.Endpoints = []EndpointStatus{}
	}
	if !out.Running {
		out.Note = fmt.Sprintf("lab process %d is not running; tuyau lab down cleans up", st.PID)
		if st.Error != "" {
			out.Note = st.Error
		}
		if st.Plan != nil {
			out.Block, out.Ports, out.Mapping, out.Speakers = st.Plan.Block.String(), st.Plan.Ports, st.Plan.Mapping, st.Plan.Speakers
		}
	}
	out.KnownHosts, out.Password, out.ClientKey, out.User = st.KnownHosts(), st.PasswordFile(), st.ClientKey(), st.User
	if !st.GNMIInsecure {
		out.GNMICA = filepath.Join(dir, CAFile)
	}
	return out, nil
}

// Control sends a fault command to a running lab.
func Control(ctx context.Context, root, name string, req Request) (FaultResult, error) {
	resp, err := control(ctx, filepath.Join(root, name), req)
	if err != nil {
		return FaultResult{}, fmt.Errorf("lab %s: %w", name, err)
	}
	if resp.Result == nil {
		return FaultResult{}, nil
	}
	return *resp.Result, nil
}

// processAlive reports whether pid runs, or is still exiting and so may
// still hold its files (a lab's listeners among them).
func processAlive(pid int) bool {
	if pid <= 0 {
		return false
	}
	if err := syscall.Kill(pid, 0); err != nil && !errors.Is(err, syscall.EPERM) {
		return false
	}
	if procState(pid) != "Z" {
		return true
	}
	// A zombie is dead for our purposes only once its whole thread group
	// is: a Go process's leader thread often becomes a zombie while its
	// other threads are still exiting, and they share the file table, so
	// the lab's listeners stay open until the last thread is gone (and the
	// next up found its own slot busy).
	tasks, err := os.ReadDir("/proc/" + strconv.Itoa(pid) + "/task")
	return err == nil && len(tasks) > 1
}

// procState is the state letter of pid in /proc (R, S, D, Z...), or ""
// when it cannot be read.
func procState(pid int) string {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return ""
	}
	// The state follows the command name, which may hold spaces and ')'.
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) == 0 {
		return ""
	}
	return f[0]
}

// isLabProcess checks a pid still runs a lab of this name, so a pid reused
// by an unrelated process after a crash is never signalled.
func isLabProcess(pid int, name string) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
	if err != nil {
		return false
	}
	args := strings.Split(strings.TrimRight(string(b), "\x00"), "\x00")
	hasServe, hasName := false, false
	for _, a := range args {
		if a == "serve" || strings.HasSuffix(a, ".test") {
			hasServe = true
		}
		if a == name || strings.HasSuffix(a, "/"+name) {
			hasName = true
		}
	}
	return hasServe && hasName
}

func waitExit(pid int, within time.Duration) bool {
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		if !processAlive(pid) {
			return true
		}
		time.Sleep(50 * time.Millisecond)
	}
	return !processAlive(pid)
}
