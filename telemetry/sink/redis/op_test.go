package redis

import "testing"

// TestOpPoolTrims: the free list follows the peak use of the last period,
// not the largest burst ever (the initial sync's), and keeps what a
// steady use needs.
func TestOpPoolTrims(t *testing.T) {
	cases := []struct {
		name          string
		burst, steady int // ops out at once: in the burst, then per round
		wantMax       int // free ops at most after the steady rounds
		wantMin       int // and at least
	}{
		{"burst then small", 1500, 3, 3, 2},
		{"burst then none", 1500, 1, 1, 1},
		{"steady as the burst", 200, 200, 200, 200},
		{"no burst", 0, 8, 8, 8},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var p opPool
			hold := make([]*op, 0, c.burst)
			for range c.burst {
				o := p.get()
				o.reserve(4, 64, 256, 256)
				hold = append(hold, o)
			}
			for _, o := range hold {
				p.put(o)
			}
			if c.burst > 0 && len(p.free) != c.burst {
				t.Fatalf("after the burst: %d free, want %d", len(p.free), c.burst)
			}
			// Two periods of steady use: the first still sees the burst's
			// peak, the second trims to the steady one.
			for gets := 0; gets < 2*trimEvery+c.steady; gets += c.steady {
				hold = hold[:0]
				for range c.steady {
					hold = append(hold, p.get())
				}
				for _, o := range hold {
					p.put(o)
				}
			}
			if n := len(p.free); n > c.wantMax || n < c.wantMin {
				t.Errorf("%d free after steady use of %d, want %d..%d", n, c.steady, c.wantMin, c.wantMax)
			}
			if p.out != 0 {
				t.Errorf("%d ops out, want 0", p.out)
			}
			bytes := 0
			for _, o := range p.free {
				bytes += cap(o.buf) + cap(o.pack)
			}
			if bytes != p.bytes {
				t.Errorf("pool counts %d bytes, its ops hold %d", p.bytes, bytes)
			}
			for _, o := range p.free[len(p.free):cap(p.free)] {
				if o != nil {
					t.Fatal("a trimmed op is still referenced past the list's end")
				}
			}
		})
	}
}
