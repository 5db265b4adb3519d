// Package sinktest gives the tests of the Redis sink's readers (the
// dashboards) a real redis-server with a sink on it. It is a package of
// its own, not part of redislab, because the sink's own tests import
// redislab (a cycle otherwise); it sits under testlab because production
// packages never import lab code (ARCHITECTURE.md).
package sinktest

import (
	"testing"

	"github.com/tuyau-net/tuyau/telemetry/sink/redis"
	"github.com/tuyau-net/tuyau/testlab/redislab"
)

// Sink starts a redis-server for the test (redislab.Start) and opens a
// sink with o on it, closed when the test ends.
func Sink(t testing.TB, o redis.Options) *redis.Sink {
	t.Helper()
	srv := redislab.Start(t)
	sink, err := redis.Open(srv.URL(), "", o)
	if err != nil {
		t.Fatalf("redis sink on %s: %v", srv.URL(), err)
	}
	t.Cleanup(func() { sink.Close() })
	return sink
}
