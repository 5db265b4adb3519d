package netns

import (
	"context"
	"testing"
)

// BenchmarkUpDown builds and removes the generated 8-site lab (8 routers,
// 2 transit routers) with the bootstrap config: the cost a test pays for
// a fresh lab. Needs root and FRR.
func BenchmarkUpDown(b *testing.B) {
	if err := Preflight(); err != nil {
		b.Skip(err)
	}
	snap := smallNetwork(b)
	ctx := context.Background()
	dir := b.TempDir()
	for b.Loop() {
		lab, err := Up(ctx, snap, Options{Name: "tbench", StateDir: dir, Password: "x"})
		if err != nil {
			b.Fatal(err)
		}
		if err := lab.Down(ctx); err != nil {
			b.Fatal(err)
		}
	}
}
