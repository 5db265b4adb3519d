package bgp

import (
	"context"
	"fmt"
	"net/netip"
	"testing"
	"time"

	api "github.com/osrg/gobgp/v3/api"
	"github.com/osrg/gobgp/v3/pkg/apiutil"
	"github.com/osrg/gobgp/v3/pkg/packet/bgp"
)

// BenchmarkMonitorObserve is the monitor's share of a full-table load: a
// batch of the RIB watch as GoBGP hands it (api.Path with Any NLRI and
// attributes), decoded and walked against 1,000 prefixes of ours; none of
// the table's prefixes is ours, as on a real table.
func BenchmarkMonitorObserve(b *testing.B) {
	var own []OwnedPrefix
	for i := range 1000 {
		own = append(own, OwnedPrefix{Prefix: netip.PrefixFrom(netip.AddrFrom4([4]byte{172, 16, byte(i / 16), byte(i%16) * 16}), 28),
			Kind: KindMemberLAN, Origins: []uint32{4200000000 + uint32(i)}, Required: true})
	}
	m := NewMonitor(MonitorConfig{ASN: 65000, Prefixes: own}, nil)
	batch := make([]*api.Path, 1024)
	for i := range batch {
		nlri := bgp.NewIPAddrPrefix(24, fmt.Sprintf("%d.%d.%d.0", 1+i%200, i%256, (i*7)%256))
		attrs := []bgp.PathAttributeInterface{bgp.NewPathAttributeOrigin(0), bgp.NewPathAttributeNextHop("192.0.2.1"),
			bgp.NewPathAttributeAsPath([]bgp.AsPathParamInterface{bgp.NewAs4PathParam(bgp.BGP_ASPATH_ATTR_TYPE_SEQ, []uint32{3356, 1299, uint32(64512 + i)})})}
		p, err := apiutil.NewPath(nlri, false, attrs, time.Now())
		if err != nil {
			b.Fatal(err)
		}
		p.NeighborIp = "10.255.0.1"
		batch[i] = p
	}
	b.ResetTimer()
	for i := 0; i < b.N; i += len(batch) {
		m.Observe(receivedPaths(batch, m.ours))
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N), "ns/path")
}

// mapSource is a table as GoBGP keeps it for an exact lookup: a map by
// prefix.
type mapSource map[netip.Prefix][]Route

func (s mapSource) Lookup(_ context.Context, ps []netip.Prefix) ([]Route, error) {
	var out []Route
	for _, p := range ps {
		out = append(out, s[p]...)
	}
	return out, nil
}

func (mapSource) Peers(context.Context) ([]PeerStatus, error) { return nil, nil }

// BenchmarkMonitorCheck is the cost of a check once a session came up
// (every one of 1,000 prefixes of ours changed) and of a resync, with a
// table of 10k and 100k paths received: the monitor holds only the paths
// under ours and reads the table only by exact prefix, so neither grows
// with the table (it did, as one GoBGP trie of the whole table per prefix
// of ours and check, before). Reported, not asserted.
func BenchmarkMonitorCheck(b *testing.B) {
	for _, n := range []int{10_000, 100_000} {
		var own []OwnedPrefix
		for i := range 1000 {
			own = append(own, OwnedPrefix{Prefix: netip.PrefixFrom(netip.AddrFrom4([4]byte{172, 16, byte(i / 16), byte(i%16) * 16}), 28),
				Kind: KindMemberLAN, Origins: []uint32{4200000000 + uint32(i)}, Required: true})
		}
		m := NewMonitor(MonitorConfig{ASN: 65000, Prefixes: own}, nil)
		peer := netip.MustParseAddr("10.255.0.1")
		src := mapSource{}
		var batch []ReceivedPath
		add := func(p netip.Prefix, as []uint32) {
			src[p] = append(src[p], Route{Prefix: p, Peer: peer, ASPath: as})
			batch = append(batch, ReceivedPath{Prefix: p, Peer: peer, ASPath: as})
			if len(batch) == 1024 {
				m.Observe(batch)
				batch = nil
			}
		}
		for i := range n {
			add(netip.PrefixFrom(netip.AddrFrom4([4]byte{byte(1 + i>>16%200), byte(i >> 8), byte(i), 0}), 24), []uint32{3356, uint32(64512 + i%1000)})
		}
		for _, o := range own {
			add(o.Prefix, o.Origins)
		}
		m.Observe(batch)
		ctx := context.Background()
		for _, all := range []bool{false, true} {
			name := fmt.Sprintf("table=%dk/changed", n/1000)
			if all {
				name = fmt.Sprintf("table=%dk/resync", n/1000)
			}
			b.Run(name, func(b *testing.B) {
				for b.Loop() {
					m.Session(Event{Kind: SessionUp, Peer: peer}) // every prefix of ours changed
					m.checkPrefixes(ctx, src, all)
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/1000, "ns/prefix")
			})
		}
	}
}
