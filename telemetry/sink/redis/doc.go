// Package redis is the Redis sink of the telemetry collector: the latest
// state of every link, interface and target in hashes, history in capped
// streams, state changes and alarms in long-retention streams and on
// pub/sub, under the key layout of docs/telemetry.md ("Redis keys"). It
// buffers within a memory budget while Redis is down or slow (samples may
// be dropped and are counted; alarms and state changes never are) and
// replays in order; it follows a Sentinel-promoted primary. Leases with
// fencing tokens spread the targets among several collectors, and every
// write is checked against its writer's token inside Redis.
//
//	s, err := redis.Open("redis-sentinel://10.0.0.1:26379,10.0.0.2:26379/tuyau", os.Getenv("TUYAU_REDIS_PASSWORD"), redis.Options{Network: "manche"})
//	l := redis.NewLeases(s.Client(), "manche", "collector-1", targets, redis.LeaseOptions{})
//	go l.Run(ctx)
//	s.Write(ctx, telemetry.Batch{Interfaces: states, Collector: "collector-1", Tokens: l.Owned()})
//	acks := s.Reader().Subscribe(ctx, "") // acks given through Redis, for the engine
package redis
