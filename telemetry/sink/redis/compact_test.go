package redis

import (
	"context"
	"maps"
	"slices"
	"testing"

	"github.com/tuyau-net/tuyau/telemetry"
)

// TestCompactCommands: the templated writes (fencedWrite's "~H", "~HT",
// "~XT") leave exactly the documented fields, optics fields only with
// optics, and put an object in its index set when its hash is created
// (a Redis that restarted empty gets its indexes back at the next sample).
func TestCompactCommands(t *testing.T) {
	s, _, c := startSink(t, Options{Network: "n"})
	ctx := context.Background()
	keys := NewKeys("n")
	ifs := ifaces(1, 2, t0)
	ifs[1].HasOptics, ifs[1].RxDBm, ifs[1].TxDBm = false, 0, 0
	links := []telemetry.LinkState{
		{ID: "l1", Oper: "up", Utilization: 0.5, HasRx: true, MeasuredRxDBm: -8.5, MarginDB: 6.25, DriftDB: -0.5, Updated: t0,
			A: telemetry.LinkEnd{InterfaceState: telemetry.InterfaceState{InBps: 1.5e9, OutBps: 2}}},
		{ID: "l2", Oper: "down", Updated: t0},
	}
	write := func() {
		t.Helper()
		if err := s.Write(ctx, telemetry.Batch{Interfaces: ifs, Links: links}); err != nil {
			t.Fatal(err)
		}
		flush(t, s)
	}
	write()

	fieldsOf := func(key string) map[string]string {
		t.Helper()
		xs, err := c.XRevRangeN(ctx, key, "+", "-", 1).Result()
		if err != nil || len(xs) != 1 {
			t.Fatalf("XREVRANGE %s = %v, %v", key, xs, err)
		}
		out := map[string]string{}
		for k, v := range xs[0].Values {
			out[k] = v.(string)
		}
		return out
	}
	ms := "1796284800000" // t0 in ms
	for _, tc := range []struct {
		key  string
		want map[string]string
	}{
		{keys.IfaceHistory("dev000", "Ethernet1/1"), map[string]string{"ts": ms, "oper": "UP", "in_bps": "1e+06", "out_bps": "2e+06",
			"errors_per_sec": "0", "discards_per_sec": "0", "rx_dbm": "-7.5", "tx_dbm": "-2"}},
		{keys.IfaceHistory("dev000", "Ethernet1/2"), map[string]string{"ts": ms, "oper": "UP", "in_bps": "2e+06", "out_bps": "2e+06",
			"errors_per_sec": "0", "discards_per_sec": "0"}},
		{keys.LinkHistory("l1"), map[string]string{"ts": ms, "oper": "up", "utilization": "0.5", "a_in_bps": "1.5e+09", "a_out_bps": "2",
			"rx_dbm": "-8.5", "margin_db": "6.25", "drift_db": "-0.5"}},
		{keys.LinkHistory("l2"), map[string]string{"ts": ms, "oper": "down", "utilization": "0", "a_in_bps": "0", "a_out_bps": "0"}},
	} {
		if got := fieldsOf(tc.key); !maps.Equal(got, tc.want) {
			t.Errorf("%s: last entry %v, want %v", tc.key, got, tc.want)
		}
	}
	h := c.HGetAll(ctx, keys.Link("l1")).Val()
	want := []string{"json", "margin_db", "oper", "token", "updated", "utilization", "writer"}
	if got := slices.Sorted(maps.Keys(h)); !slices.Equal(got, want) {
		t.Errorf("HGETALL %s fields %v, want %v", keys.Link("l1"), got, want)
	}
	if h["utilization"] != "0.5" || h["margin_db"] != "6.25" || h["updated"] != "2026-12-03T08:00:00Z" || h["token"] != "0" {
		t.Errorf("HGETALL %s = %v", keys.Link("l1"), h)
	}
	if got := c.HKeys(ctx, keys.Interfaces("dev000")).Val(); len(got) != 2 {
		t.Errorf("HKEYS %s = %v, want both interfaces", keys.Interfaces("dev000"), got)
	}

	indexes := func() (links, devs []string) {
		l := c.SMembers(ctx, keys.LinkIndex()).Val()
		d := c.SMembers(ctx, keys.DeviceIndex()).Val()
		slices.Sort(l)
		return l, d
	}
	if l, d := indexes(); !slices.Equal(l, []string{"l1", "l2"}) || !slices.Equal(d, []string{"dev000"}) {
		t.Fatalf("indexes: links %v, devices %v", l, d)
	}
	// Redis restarted empty: the next sample creates the hashes, and with
	// them the index entries.
	if err := c.FlushAll(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	write()
	if l, d := indexes(); !slices.Equal(l, []string{"l1", "l2"}) || !slices.Equal(d, []string{"dev000"}) {
		t.Fatalf("indexes after FLUSHALL and a sample: links %v, devices %v", l, d)
	}
}
