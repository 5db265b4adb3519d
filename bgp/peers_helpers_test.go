package bgp

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tuyau-net/tuyau/testlab/need"
)

// freePort returns a TCP port free on addr.
func freePort(t *testing.T, addr string) int {
	t.Helper()
	l, err := net.Listen("tcp", addr+":0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// proc is a real peer daemon run for one test, its output kept and shown
// when the test fails.
type proc struct {
	cmd    *exec.Cmd
	cancel context.CancelFunc
	log    *os.File
	done   chan struct{}
}

func startProc(t *testing.T, dir, bin string, args ...string) *proc {
	t.Helper()
	logf, err := os.OpenFile(filepath.Join(dir, filepath.Base(bin)+".log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatal(err)
	}
	p := &proc{cmd: cmd, cancel: cancel, log: logf, done: make(chan struct{})}
	go func() { cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		p.stop()
		logf.Close()
		if t.Failed() {
			b, _ := os.ReadFile(logf.Name())
			t.Logf("%s log:\n%s", filepath.Base(bin), b)
		}
	})
	return p
}

// stop kills the daemon (SIGKILL: no NOTIFICATION, as a crash).
func (p *proc) stop() {
	p.cancel()
	<-p.done
}

// serveSpeaker runs a speaker until the test ends and returns it ready.
func serveSpeaker(t *testing.T, cfg Config, opts ...Option) *Speaker {
	t.Helper()
	var logs syncBuf
	opts = append([]Option{WithLogger(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})))}, opts...)
	sp := NewSpeaker(cfg, opts...)
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- sp.Serve(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-errc; err != nil {
			t.Errorf("Serve: %v", err)
		}
		if t.Failed() {
			t.Logf("speaker log:\n%s", logs.String())
		}
		if strings.Contains(logs.String(), "secret-") {
			t.Errorf("a password reached the speaker's log")
		}
	})
	select {
	case <-sp.Ready():
	case err := <-errc:
		t.Fatalf("Serve: %v", err)
	case <-time.After(15 * time.Second):
		t.Fatal("speaker not ready after 15 s")
	}
	return sp
}

type syncBuf struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// waitFor polls cond until it holds or the timeout passes.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var last string
	for time.Now().Before(deadline) {
		ok, msg := cond()
		if ok {
			return
		}
		last = msg
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("%s: not after %v: %s", what, timeout, last)
}

// peerOf returns the speaker's status of the session with addr.
func peerOf(t *testing.T, c *Client, addr netip.Addr) PeerStatus {
	t.Helper()
	ps, err := c.Peers(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range ps {
		if p.Address == addr {
			return p
		}
	}
	t.Fatalf("no peer %s in %+v", addr, ps)
	return PeerStatus{}
}

func established(t *testing.T, c *Client, addr netip.Addr) func() (bool, string) {
	return func() (bool, string) {
		p := peerOf(t, c, addr)
		return p.State == "established", fmt.Sprintf("%+v", p)
	}
}

func routeFor(t *testing.T, c *Client, prefix string) (Route, bool) {
	t.Helper()
	rs, err := c.Routes(context.Background(), netip.MustParsePrefix(prefix), netip.Addr{})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rs {
		if !r.Local {
			return r, true
		}
	}
	return Route{}, false
}

func needTool(t *testing.T, name, pkg string) string {
	return need.Tool(t, name, "apt-get install "+pkg+"; .ci/deps does")
}
