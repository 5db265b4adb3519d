package bgp

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"runtime"
	"testing"

	api "github.com/osrg/gobgp/v3/api"
	"github.com/osrg/gobgp/v3/pkg/apiutil"
	"github.com/osrg/gobgp/v3/pkg/packet/bgp"
)

// BenchmarkMonitorFeed is the monitor's share of a full-table load, per
// path, without a network: N paths of a table as a BIRD feeder sends them
// (1,000 IPv4 /24s an UPDATE, none of them ours, as on a real table),
// against 1,000 member LANs of ours.
//   - bmp: the station's read of GoBGP's BMP route monitoring (the raw
//     UPDATEs), the monitor's trie and Observe: what the speaker runs.
//   - watchevent: what GoBGP's WatchEvent API did per path before the
//     station (each path's NLRI and attributes marshalled into protobuf
//     Any messages, in GoBGP, before the monitor could drop it), with the
//     monitor's walk of the trie: what it replaced.
func BenchmarkMonitorFeed(b *testing.B) {
	const n, perUpdate = 100_000, 1000
	var own []OwnedPrefix
	for i := range 1000 {
		own = append(own, OwnedPrefix{Prefix: netip.PrefixFrom(netip.AddrFrom4([4]byte{172, 16, byte(i / 16), byte(i%16) * 16}), 28),
			Kind: KindMemberLAN, Origins: []uint32{4200000000 + uint32(i)}, Required: true})
	}
	attrs := []bgp.PathAttributeInterface{bgp.NewPathAttributeOrigin(0), bgp.NewPathAttributeNextHop("192.0.2.10"),
		bgp.NewPathAttributeAsPath([]bgp.AsPathParamInterface{bgp.NewAs4PathParam(bgp.BGP_ASPATH_ATTR_TYPE_SEQ, []uint32{65001})})}
	var nlri []*bgp.IPAddrPrefix
	for i := range n {
		nlri = append(nlri, bgp.NewIPAddrPrefix(24, fmt.Sprintf("%d.%d.%d.0", 1+i>>16%200, byte(i>>8), byte(i))))
	}
	perPath := func(b *testing.B, run func()) {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		for b.Loop() {
			run()
		}
		runtime.ReadMemStats(&after)
		paths := float64(b.N) * n
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/paths, "ns/path")
		b.ReportMetric(float64(after.Mallocs-before.Mallocs)/paths, "allocs/path")
		b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/paths, "B/path")
	}
	b.Run("bmp", func(b *testing.B) {
		stream := [][]byte{bmpInit(b), bmpPeerUpMsg(b, bmpTestPeer, nil, nil)}
		for i := 0; i < n; i += perUpdate {
			stream = append(stream, bmpRoute(b, bmpTestPeer, 0, bgp.NewBGPUpdateMessage(nil, attrs, nlri[i:i+perUpdate])))
		}
		all := bytes.Join(stream, nil)
		m := NewMonitor(MonitorConfig{ASN: 65000, Prefixes: own}, nil)
		st := newStation(m, slog.New(slog.DiscardHandler), nil)
		perPath(b, func() {
			if err := st.read(bytes.NewReader(all)); err != nil {
				b.Fatal(err)
			}
		})
		if got := m.Stats().Paths; got != uint64(b.N)*n {
			b.Fatalf("observed %d paths, want %d", got, b.N*n)
		}
	})
	b.Run("watchevent", func(b *testing.B) {
		m := NewMonitor(MonitorConfig{ASN: 65000, Prefixes: own}, nil)
		perPath(b, func() {
			seen := 0
			for _, p := range nlri {
				an, err := apiutil.MarshalNLRI(p)
				if err != nil {
					b.Fatal(err)
				}
				ap, _ := apiutil.MarshalPathAttributes(attrs)
				path := &api.Path{Nlri: an, Pattrs: ap, NeighborIp: "10.255.0.1"}
				if m.ours(netip.PrefixFrom(netip.AddrFrom4([4]byte(p.Prefix.To4())), int(p.Length))) || path == nil {
					b.Fatal("a path of ours")
				}
				seen++
			}
			m.observe(nil, seen)
		})
	})
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

func (mapSource) PeerCounts(context.Context) ([]PeerStatus, error) { return nil, nil }

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
