package testlab

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/netip"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/tuyau-net/tuyau/inventory"
	"github.com/tuyau-net/tuyau/inventory/synth"
)

// freePorts asks the kernel for n free ports on addr.
func freePorts(t testing.TB, addr string, n int) []int {
	t.Helper()
	var ports []int
	var lns []net.Listener
	for range n {
		ln, err := net.Listen("tcp", addr+":0")
		if err != nil {
			t.Fatalf("probe port on %s: %v", addr, err)
		}
		lns = append(lns, ln)
		ports = append(ports, ln.Addr().(*net.TCPAddr).Port)
	}
	for _, ln := range lns {
		ln.Close()
	}
	return ports
}

// testPlan lays a lab out in a random /16 of 127/8 with kernel-chosen
// ports, so parallel test runs do not collide.
func testPlan(t testing.TB, snap *inventory.Snapshot) *Plan {
	t.Helper()
	block := netip.PrefixFrom(netip.AddrFrom4([4]byte{127, byte(64 + rand.IntN(128)), 0, 0}), 16)
	first := block.Addr().Next().String()
	p := freePorts(t, first, 3)
	plan, err := NewPlan("test", snap, block, Ports{SSH: p[0], GNMI: p[1], BGP: p[2]})
	if err != nil {
		t.Fatal(err)
	}
	return plan
}

type testLab struct {
	*Lab
	dir, password string
}

func startTestLab(t testing.TB, snap *inventory.Snapshot, boot Bootstrap) *testLab {
	t.Helper()
	return startTestLabClock(t, snap, boot, nil)
}

// startTestLabClock starts a lab whose counters and timestamps follow now.
func startTestLabClock(t testing.TB, snap *inventory.Snapshot, boot Bootstrap, now func() time.Time) *testLab {
	t.Helper()
	dir := t.TempDir()
	pw, err := EnsurePassword(dir)
	if err != nil {
		t.Fatal(err)
	}
	key, err := EnsureClientKey(dir)
	if err != nil {
		t.Fatal(err)
	}
	plan := testPlan(t, snap)
	if _, err := WriteKnownHosts(dir, plan); err != nil {
		t.Fatal(err)
	}
	level := slog.LevelWarn
	if os.Getenv("TUYAU_LAB_DEBUG") != "" {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	l, err := Start(ctx, plan, snap, Options{
		Dir: dir, User: "admin", Password: pw, AuthorizedKeys: []ssh.PublicKey{key.PublicKey()},
		Bootstrap: boot, Logger: log, Now: now,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return &testLab{Lab: l, dir: dir, password: pw}
}

func smallNet(t testing.TB, sites int) *inventory.Snapshot {
	t.Helper()
	snap, err := synth.Generate(synth.Options{Sites: sites, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	return snap
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t testing.TB, within time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(within)
	last := ""
	for time.Now().Before(deadline) {
		ok, s := cond()
		if ok {
			return
		}
		last = s
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("%s: not after %v: %s", what, within, last)
}

// allEstablished reports whether every BGP session between lab devices
// whose transport is up is established (sessions to peers outside the lab,
// and over links without light, are left out), and how many are.
func (l *Lab) allEstablished(ctx context.Context) (bool, string) {
	up := 0
	for _, d := range l.order {
		_, _, ns := d.Neighbors(ctx, "")
		for _, n := range ns {
			if n.LabAddress == "" || n.DownReason != "" {
				continue
			}
			if n.State != "Established" {
				return false, fmt.Sprintf("%s neighbor %s is %s", d.Name(), n.Address, n.State)
			}
			up++
		}
	}
	return up > 0, fmt.Sprintf("%d established", up)
}

func TestLabConverges(t *testing.T) {
	snap := smallNet(t, 8)
	l := startTestLab(t, snap, BootstrapFull)
	ctx := context.Background()
	waitFor(t, 30*time.Second, "all sessions established", func() (bool, string) { return l.allEstablished(ctx) })
	for _, d := range l.order {
		t.Logf("%s\n%s", d.Name(), d.BGPSummary(ctx, "ipv4 unicast", false))
	}
}

// syncBuffer is a bytes.Buffer safe for a writer and a reader goroutine.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func splitLines(s string) []string { return strings.Split(s, "\n") }

func containsWord(line, w string) bool {
	for _, f := range strings.Fields(line) {
		if f == w {
			return true
		}
	}
	return false
}

// sessions counts the sessions between lab devices whose transport is up,
// and how many of them are established.
func (l *Lab) sessions(ctx context.Context) (up, total int) {
	for _, d := range l.order {
		_, _, ns := d.Neighbors(ctx, "")
		for _, n := range ns {
			if n.LabAddress == "" || n.DownReason != "" {
				continue
			}
			total++
			if n.State == "Established" {
				up++
			}
		}
	}
	return up, total
}
