package netns

import (
	"context"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/tuyau-net/tuyau/inventory"
	"github.com/tuyau-net/tuyau/inventory/synth"
)

// requireRoot skips a test that needs a real lab when the machine cannot
// run one, except under CI, where root and FRR are promised and a skip
// would hide a broken setup.
func requireRoot(t *testing.T) {
	t.Helper()
	if err := Preflight(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("netns lab cannot run under CI: %v", err)
		}
		t.Skipf("netns lab: %v", err)
	}
}

func smallNetwork(t *testing.T) *inventory.Snapshot {
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

func (w tWriter) Write(p []byte) (int, error) { w.t.Log(string(p)); return len(p), nil }

func TestUpDownSmoke(t *testing.T) {
	requireRoot(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	lab, err := Up(ctx, smallNetwork(t), Options{Name: "smoke", StateDir: t.TempDir(), Config: ConfigBGP, Password: "lab-secret", Log: testLog(t)})
	if err != nil {
		t.Fatal(err)
	}
	out, err := lab.Vtysh(ctx, lab.State().Devices[0].Name, "show running-config")
	t.Log(out, err)
	if err := lab.Down(ctx); err != nil {
		t.Fatal(err)
	}
}
