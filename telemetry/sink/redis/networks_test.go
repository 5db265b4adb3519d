package redis

import (
	"context"
	"slices"
	"testing"

	goredis "github.com/redis/go-redis/v9"

	"github.com/tuyau-net/tuyau/testlab/redislab"
)

func TestNetworks(t *testing.T) {
	srv := redislab.Start(t)
	c := goredis.NewClient(&goredis.Options{Addr: srv.Addr()})
	t.Cleanup(func() { _ = c.Close() })
	ctx := context.Background()
	r := NewReader(c, "")
	if r.Network() != "default" || NewReader(c, "manche").Network() != "manche" {
		t.Fatalf("Network() = %q, %q; want default, manche", r.Network(), NewReader(c, "manche").Network())
	}
	if nets, err := r.Networks(ctx); err != nil || len(nets) != 0 {
		t.Fatalf("Networks on an empty Redis = %v, %v; want none", nets, err)
	}
	for _, k := range []string{NewKeys("manche").TargetIndex(), NewKeys("paris").TargetIndex(), NewKeys("manche").TargetIndex()} {
		c.SAdd(ctx, k, "dev000")
	}
	c.Set(ctx, "tuyau:{notaset}:targets", "x", 0)      // not a target index
	c.SAdd(ctx, NewKeys("morbihan").LinkIndex(), "l1") // no target index: no collector wrote it
	for i := range 3000 {                              // enough keys for several SCAN rounds
		c.Set(ctx, "other:"+string(rune('a'+i%26))+string(rune('a'+i/26%26))+string(rune('a'+i/676)), "1", 0)
	}
	for net, want := range map[string]bool{"manche": true, "paris": true, "morbihan": false, "notaset": true, "": false} {
		if got, err := NewReader(c, net).HasNetwork(ctx); err != nil || got != want {
			t.Errorf("HasNetwork(%q) = %v, %v; want %v", net, got, err, want)
		}
	}
	nets, err := r.Networks(ctx)
	if want := []string{"manche", "paris"}; err != nil || !slices.Equal(nets, want) {
		t.Errorf("Networks = %v, %v; want %v", nets, err, want)
	}
}
