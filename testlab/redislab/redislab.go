// Package redislab starts real redis-server and redis-sentinel processes on
// loopback free ports in a temporary directory, for the tests of the Redis
// sink, its buffering and its leases. A server can be stopped and started
// again on the same port (an outage), or killed (a crash); a Sentinel group
// is a primary, replicas and sentinels watching them.
//
//	srv := redislab.Start(t)            // stopped at the end of the test
//	c := goredis.NewClient(&goredis.Options{Addr: srv.Addr()})
//	srv.Stop(t)                          // Redis down...
//	srv.Start(t)                         // ...and back on the same port
package redislab

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/tuyau-net/tuyau/testlab/need"
)

// Server is one redis-server (or redis-sentinel) process on 127.0.0.1.
type Server struct {
	bin  string
	dir  string
	port int
	conf string

	mu  sync.Mutex
	cmd *exec.Cmd
	log string
}

// Start runs a redis-server on a free loopback port with persistence off;
// it is killed when the test ends.
func Start(t testing.TB) *Server {
	t.Helper()
	return start(t, "redis-server", "")
}

// StartPersistent is Start with an append-only file, so what was written
// survives Stop and Start (a restart, not a data loss).
func StartPersistent(t testing.TB) *Server {
	t.Helper()
	return start(t, "redis-server", "appendonly yes\nappendfsync always\n")
}

func start(t testing.TB, bin, extra string) *Server {
	t.Helper()
	path := need.Tool(t, bin, "apt install "+bin)
	s := &Server{bin: path, dir: t.TempDir(), port: freePort(t)}
	s.conf = filepath.Join(s.dir, "redis.conf")
	s.log = filepath.Join(s.dir, "redis.log")
	conf := fmt.Sprintf("bind 127.0.0.1\nport %d\ndir %s\nsave \"\"\nappendonly no\nlogfile %s\nprotected-mode no\n%s",
		s.port, s.dir, s.log, extra)
	if err := os.WriteFile(s.conf, []byte(conf), 0o600); err != nil {
		t.Fatalf("redislab: %v", err)
	}
	s.Start(t)
	t.Cleanup(func() { s.Kill(t) })
	return s
}

// Addr is host:port.
func (s *Server) Addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port)) }

// Port is the server's TCP port.
func (s *Server) Port() int { return s.port }

// URL is redis://127.0.0.1:port/0.
func (s *Server) URL() string { return "redis://" + s.Addr() + "/0" }

// Start (re)starts the process on its port and waits until it accepts
// connections; a no-op if it runs.
func (s *Server) Start(t testing.TB) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd != nil {
		return
	}
	args := []string{s.conf}
	if strings.HasSuffix(s.bin, "redis-sentinel") {
		args = append(args, "--sentinel")
	}
	cmd := exec.Command(s.bin, args...)
	cmd.Dir = s.dir
	if err := cmd.Start(); err != nil {
		t.Fatalf("redislab: start %s: %v", s.bin, err)
	}
	s.cmd = cmd
	deadline := time.Now().Add(10 * time.Second)
	for {
		if err := s.ping(); err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("redislab: %s on %s not answering PING after 10s; log:\n%s", s.bin, s.Addr(), s.Log())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Stop shuts the process down with SIGTERM and waits for it (a clean
// outage: clients see connection refused until Start).
func (s *Server) Stop(t testing.TB) { s.signal(t, syscall.SIGTERM) }

// Kill ends the process with SIGKILL (a crash).
func (s *Server) Kill(t testing.TB) { s.signal(t, syscall.SIGKILL) }

func (s *Server) signal(t testing.TB, sig syscall.Signal) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Signal(sig)
	_ = s.cmd.Wait()
	s.cmd = nil
}

// Running says whether the process is up (as far as this harness knows).
func (s *Server) Running() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cmd != nil
}

// Log is the server's log file, for failure messages.
func (s *Server) Log() string {
	b, _ := os.ReadFile(s.log)
	return string(b)
}

// Do sends one command over a fresh connection and returns the reply as
// text (bulk strings and integers; arrays joined by newlines). The harness
// uses it to set servers up without depending on the code under test.
func (s *Server) Do(args ...string) (string, error) {
	c, err := net.DialTimeout("tcp", s.Addr(), 2*time.Second)
	if err != nil {
		return "", err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	var b strings.Builder
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	if _, err := c.Write([]byte(b.String())); err != nil {
		return "", err
	}
	return readReply(bufio.NewReader(c))
}

func (s *Server) ping() error {
	out, err := s.Do("PING")
	if err != nil {
		return err
	}
	if out != "PONG" {
		return fmt.Errorf("PING: %q", out)
	}
	return nil
}

func readReply(r *bufio.Reader) (string, error) {
	line, err := r.ReadString('\n')
	if err != nil {
		return "", err
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", fmt.Errorf("empty reply")
	}
	switch line[0] {
	case '+', ':':
		return line[1:], nil
	case '-':
		return "", fmt.Errorf("redis: %s", line[1:])
	case '$':
		n, _ := strconv.Atoi(line[1:])
		if n < 0 {
			return "", nil
		}
		buf := make([]byte, n+2)
		if _, err := ioReadFull(r, buf); err != nil {
			return "", err
		}
		return string(buf[:n]), nil
	case '*':
		n, _ := strconv.Atoi(line[1:])
		parts := make([]string, 0, n)
		for i := 0; i < n; i++ {
			p, err := readReply(r)
			if err != nil {
				return "", err
			}
			parts = append(parts, p)
		}
		return strings.Join(parts, "\n"), nil
	}
	return "", fmt.Errorf("unexpected reply %q", line)
}

func ioReadFull(r *bufio.Reader, buf []byte) (int, error) {
	n := 0
	for n < len(buf) {
		m, err := r.Read(buf[n:])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// freePort asks the kernel for a free loopback port. Redis binds it itself,
// so there is a small window where another process could take it; ports are
// allocated from the ephemeral range so collisions are rare in practice.
func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("redislab: free port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
