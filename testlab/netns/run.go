package netns

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// cmdTimeout bounds each external command; ip and vtysh answer in
// milliseconds, frrinit.sh in well under a second.
const cmdTimeout = 30 * time.Second

// run executes a command and returns its stdout; the error carries the
// command line and its stderr.
func run(ctx context.Context, stdin string, name string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, cmdTimeout)
	defer cancel()
	c := exec.CommandContext(ctx, name, args...)
	if stdin != "" {
		c.Stdin = strings.NewReader(stdin)
	}
	var out, errb bytes.Buffer
	c.Stdout, c.Stderr = &out, &errb
	// Daemons started through this command must not keep our pipes open,
	// or Wait would block until they exit.
	c.WaitDelay = 2 * time.Second
	// If the lab process dies mid-command, the command dies with it rather
	// than create something after Down has looked (daemons it starts fork
	// away and are not affected).
	c.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := c.Run(); err != nil {
		msg := strings.TrimSpace(errb.String())
		if msg == "" {
			msg = strings.TrimSpace(out.String())
		}
		if len(msg) > 400 {
			msg = msg[:400] + "..."
		}
		return out.String(), fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, msg)
	}
	return out.String(), nil
}

// ipBatch runs ip commands in one process, in a namespace when ns is set.
func ipBatch(ctx context.Context, ns string, lines []string) error {
	if len(lines) == 0 {
		return nil
	}
	args := []string{"-batch", "-"}
	if ns != "" {
		args = append([]string{"-n", ns}, args...)
	}
	_, err := run(ctx, strings.Join(lines, "\n")+"\n", "ip", args...)
	return err
}

// nsPids returns the processes living in each of the named namespaces, as
// `ip netns pids` does but with one pass over /proc for all of them.
func nsPids(names []string) map[string][]int {
	byIno := map[uint64]string{}
	for _, n := range names {
		var st syscall.Stat_t
		if err := syscall.Stat(filepath.Join("/run/netns", n), &st); err == nil {
			byIno[st.Ino] = n
		}
	}
	out := map[string][]int{}
	if len(byIno) == 0 {
		return out
	}
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		var st syscall.Stat_t
		if err := syscall.Stat(filepath.Join("/proc", e.Name(), "ns/net"), &st); err != nil {
			continue
		}
		if n, ok := byIno[st.Ino]; ok {
			out[n] = append(out[n], pid)
		}
	}
	return out
}

// procName returns a process's command name ("" when gone).
func procName(pid int) string {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "comm"))
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// stopPids ends processes: watchfrr first so it restarts nothing, then
// the rest with SIGTERM, then SIGKILL for what is left after grace.
func stopPids(ctx context.Context, pids []int, grace time.Duration) error {
	var first, rest []int
	for _, p := range pids {
		if procName(p) == "watchfrr" {
			first = append(first, p)
		} else {
			rest = append(rest, p)
		}
	}
	for _, group := range [][]int{first, rest} {
		for _, p := range group {
			syscall.Kill(p, syscall.SIGTERM)
		}
		if !waitGone(ctx, group, grace) {
			for _, p := range group {
				syscall.Kill(p, syscall.SIGKILL)
			}
			if !waitGone(ctx, group, grace) {
				return fmt.Errorf("processes %v survive SIGKILL", alive(group))
			}
		}
	}
	return nil
}

func waitGone(ctx context.Context, pids []int, d time.Duration) bool {
	deadline := time.Now().Add(d)
	for {
		if len(alive(pids)) == 0 {
			return true
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func alive(pids []int) []int {
	var out []int
	for _, p := range pids {
		if err := syscall.Kill(p, 0); err == nil || !errors.Is(err, syscall.ESRCH) {
			// A zombie answers kill(0) until reaped; daemons are reparented
			// to init, which reaps them, so treat a zombie as gone.
			if st := procState(p); st != "" && st != "Z" {
				out = append(out, p)
			}
		}
	}
	return out
}

func procState(pid int) string {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return ""
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 || i+3 > len(s) {
		return ""
	}
	return s[i+2 : i+3]
}

// pssKiB reads a process's proportional set size (0 when unknown).
func pssKiB(pid int) int {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "smaps_rollup"))
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Fields(l); len(f) >= 2 && f[0] == "Pss:" {
			n, _ := strconv.Atoi(f[1])
			return n
		}
	}
	return 0
}
