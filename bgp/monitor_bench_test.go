package bgp

import (
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
