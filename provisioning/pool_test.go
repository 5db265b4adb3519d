package provisioning

import (
	"context"
	"testing"
	"time"

	"github.com/tuyau-net/tuyau/inventory"
)

// countingDialer hands out sessions to one fakeDevice and counts the reads
// that reach it.
type countingDialer struct {
	dev   *fakeDevice
	reads int
	dials int
}

func (d *countingDialer) Dial(context.Context, inventory.Device, string) (Conn, error) {
	d.dials++
	return &countingConn{fakeConn: fakeConn{d: d.dev}, n: &d.reads}, nil
}

type countingConn struct {
	fakeConn
	n *int
}

func (c *countingConn) Running(ctx context.Context) ([]byte, error) {
	*c.n++
	return c.fakeConn.Running(ctx)
}

func TestPoolReuseReads(t *testing.T) {
	dev := inventory.Device{Name: "r1"}
	// Each step is one call on the session; "wait" moves the clock.
	tests := []struct {
		name  string
		reuse time.Duration
		steps []string
		// reads is how many reads reach the device; last is what the final
		// read returns.
		reads int
		last  string
	}{
		{"no reuse by default", 0, []string{"read", "read"}, 2, "hostname r1"},
		{"second read on the session reused", 5 * time.Second, []string{"read", "read"}, 1, "hostname r1"},
		{"reused once only", 5 * time.Second, []string{"read", "read", "read"}, 2, "hostname r1"},
		{"window elapsed", 5 * time.Second, []string{"read", "wait", "read"}, 2, "hostname r1"},
		{"read after push goes to the device", 5 * time.Second, []string{"read", "push", "read"}, 2, "pushed"},
		{"reads after a push never reused", 5 * time.Second, []string{"read", "push", "read", "read"}, 3, "pushed"},
		{"other session's change unseen inside the window", 5 * time.Second, []string{"read", "edit", "read"}, 1, "hostname r1"},
		{"other session's change seen without reuse", 0, []string{"read", "edit", "read"}, 2, "edited"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fd := &fakeDevice{running: "hostname r1"}
			cd := &countingDialer{dev: fd}
			p := NewPool(cd)
			clock := time.Unix(1_800_000_000, 0)
			p.now = func() time.Time { return clock }
			p.ReuseReads(tt.reuse)
			ctx := context.Background()
			var got string
			for _, s := range tt.steps {
				// Every step dials and closes, as plan then apply do.
				c, err := p.Dial(ctx, dev, "ssh")
				if err != nil {
					t.Fatal(err)
				}
				switch s {
				case "read":
					b, err := c.Running(ctx)
					if err != nil {
						t.Fatal(err)
					}
					got = string(b)
				case "push":
					if err := c.Push(ctx, Delta{Commands: []string{"pushed"}}); err != nil {
						t.Fatal(err)
					}
				case "wait":
					clock = clock.Add(6 * time.Second)
				case "edit":
					fd.mu.Lock()
					fd.running = "edited"
					fd.mu.Unlock()
				}
				c.Close()
			}
			if cd.dials != 1 {
				t.Errorf("dials = %d, want 1 (the session is pooled)", cd.dials)
			}
			if cd.reads != tt.reads || got != tt.last {
				t.Errorf("reads = %d, last = %q; want %d, %q", cd.reads, got, tt.reads, tt.last)
			}
		})
	}
}
