package netns

import (
	"context"
	"errors"
	"github.com/tuyau-net/tuyau/testlab/need"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/tuyau-net/tuyau/inventory"
	"github.com/tuyau-net/tuyau/inventory/synth"
)

// requireRoot skips a test that needs a real lab when the machine cannot
// run one, except under CI, where root and FRR are promised and a skip
// would hide a broken setup.
func requireRoot(t *testing.T) {
	t.Helper()
	if err := Preflight(); err != nil {
		need.Missing(t, "netns lab: "+err.Error())
	}
}

func smallNetwork(t testing.TB) *inventory.Snapshot {
	t.Helper()
	snap, err := synth.Generate(synth.Options{Sites: 8, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	return snap
}

func testLog(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(tWriter{t}, &slog.HandlerOptions{Level: slog.LevelInfo}))
}

type tWriter struct{ t *testing.T }

func (w tWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// labSessions lists, per device, the BGP peers whose other end is in the
// lab: those must reach Established (transit peers are not in the lab).
func labSessions(snap *inventory.Snapshot) map[string][]string {
	out := map[string][]string{}
	for _, d := range snap.Devices {
		for _, n := range d.BGPSessions {
			if n.PeerDevice != "" {
				out[d.Name] = append(out[d.Name], n.PeerAddress.String())
			}
		}
	}
	return out
}

// waitSessions polls until want(device, peer, state) holds for every lab
// session of the listed devices, and returns how long it took.
func waitSessions(ctx context.Context, t *testing.T, lab *Lab, sessions map[string][]string, timeout time.Duration, want func(dev, peer, state string) bool) time.Duration {
	t.Helper()
	start := time.Now()
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var bad []string
	for {
		bad = bad[:0]
		for dev, peers := range sessions {
			got, err := lab.BGPPeers(ctx, dev)
			if err != nil {
				bad = append(bad, err.Error())
				continue
			}
			for _, p := range peers {
				ok := false
				for _, g := range got {
					if g.Peer == p && want(dev, p, g.State) {
						ok = true
					}
				}
				if !ok {
					bad = append(bad, dev+"->"+p)
				}
			}
		}
		if len(bad) == 0 {
			return time.Since(start)
		}
		select {
		case <-ctx.Done():
			t.Fatalf("after %v, sessions not as wanted: %v", time.Since(start).Round(time.Second), bad)
		case <-time.After(500 * time.Millisecond):
		}
	}
}

func established(_, _, state string) bool { return state == "Established" }

func assertGone(t *testing.T, s *State, statePath string) {
	t.Helper()
	for _, d := range append(s.Devices, Device{Netns: s.Wire}) {
		if _, err := os.Stat("/run/netns/" + d.Netns); err == nil {
			t.Errorf("namespace %s left behind", d.Netns)
		}
	}
	if _, err := os.Stat("/sys/class/net/" + s.Bridge); err == nil {
		t.Errorf("bridge %s left behind", s.Bridge)
	}
	for _, d := range s.Devices {
		if _, err := os.Stat("/sys/class/net/" + d.HostVeth); err == nil {
			t.Errorf("veth %s left behind", d.HostVeth)
		}
		for _, p := range d.Paths {
			if _, err := os.Stat(p); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("%s left behind", p)
			}
		}
	}
	for _, p := range []string{s.Dir, statePath} {
		if _, err := os.Stat(p); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s left behind", p)
		}
	}
	if left := nsPids([]string{s.Wire}); len(left) > 0 {
		t.Errorf("processes left: %v", left)
	}
}

func sshRun(t *testing.T, c *ssh.Client, cmd string) string {
	t.Helper()
	s, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	out, err := s.CombinedOutput(cmd)
	if err != nil {
		t.Fatalf("ssh %q: %v\n%s", cmd, err, out)
	}
	return string(out)
}
