package bgp

import (
	"bytes"
	"fmt"
	"log/slog"
	"net/netip"
	"slices"
	"testing"

	"github.com/osrg/gobgp/v3/pkg/packet/bgp"
	"github.com/osrg/gobgp/v3/pkg/packet/bmp"
)

// The BMP the station reads is built here with GoBGP's own packet
// packages, as its BMP client builds what it sends.

var (
	bmpTestPeer  = netip.MustParseAddr("10.255.0.1")
	bmpTestPeer6 = netip.MustParseAddr("2001:db8:ff::1")
)

func bmpBytes(t testing.TB, m *bmp.BMPMessage) []byte {
	t.Helper()
	b, err := m.Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func bmpHeader(peer netip.Addr, flags uint8) bmp.BMPPeerHeader {
	return *bmp.NewBMPPeerHeader(bmp.BMP_PEER_TYPE_GLOBAL, flags, 0, peer.String(), 65001, "10.255.0.1", 0)
}

// bmpInit is the Initiation GoBGP's client starts a connection with.
func bmpInit(t testing.TB) []byte {
	return bmpBytes(t, bmp.NewBMPInitiation([]bmp.BMPInfoTLVInterface{bmp.NewBMPInfoTLVString(bmp.BMP_INIT_TLV_TYPE_SYS_NAME, "test")}))
}

// bmpPeerUpMsg is a peer up whose OPENs offer add-path: ours to receive
// in recv's families, the peer's to send in send's.
func bmpPeerUpMsg(t testing.TB, peer netip.Addr, recv, send []bgp.RouteFamily) []byte {
	open := func(fs []bgp.RouteFamily, mode bgp.BGPAddPathMode) *bgp.BGPMessage {
		caps := []bgp.ParameterCapabilityInterface{bgp.NewCapMultiProtocol(bgp.RF_IPv4_UC), bgp.NewCapMultiProtocol(bgp.RF_IPv6_UC),
			bgp.NewCapFourOctetASNumber(65001)}
		var tuples []*bgp.CapAddPathTuple
		for _, f := range fs {
			tuples = append(tuples, bgp.NewCapAddPathTuple(f, mode))
		}
		if len(tuples) > 0 {
			caps = append(caps, bgp.NewCapAddPath(tuples))
		}
		return bgp.NewBGPOpenMessage(23456, 90, "10.255.0.1", []bgp.OptionParameterInterface{bgp.NewOptionParameterCapability(caps)})
	}
	return bmpBytes(t, bmp.NewBMPPeerUpNotification(bmpHeader(peer, 0), "127.0.0.1", 179, 40000,
		open(recv, bgp.BGP_ADD_PATH_RECEIVE), open(send, bgp.BGP_ADD_PATH_BOTH)))
}

// bmpRoute wraps an UPDATE as route monitoring, serialized with path
// identifiers in the families of addPath (as the peer sent it).
func bmpRoute(t testing.TB, peer netip.Addr, flags uint8, u *bgp.BGPMessage, addPath ...bgp.RouteFamily) []byte {
	t.Helper()
	opt := &bgp.MarshallingOption{AddPath: map[bgp.RouteFamily]bgp.BGPAddPathMode{}}
	for _, f := range addPath {
		opt.AddPath[f] = bgp.BGP_ADD_PATH_SEND
	}
	payload, err := u.Serialize(opt)
	if err != nil {
		t.Fatal(err)
	}
	m := bmp.NewBMPRouteMonitoring(bmpHeader(peer, flags), nil)
	m.Body.(*bmp.BMPRouteMonitoring).BGPUpdatePayload = payload
	return bmpBytes(t, m)
}

func v4(bits uint8, addr string, id uint32) *bgp.IPAddrPrefix {
	p := bgp.NewIPAddrPrefix(bits, addr)
	p.SetPathLocalIdentifier(id) // what GoBGP serializes
	return p
}

func v6(bits uint8, addr string, id uint32) *bgp.IPv6AddrPrefix {
	p := bgp.NewIPv6AddrPrefix(bits, addr)
	p.SetPathLocalIdentifier(id)
	return p
}

func announce(path []uint32, nlri ...*bgp.IPAddrPrefix) *bgp.BGPMessage {
	return bgp.NewBGPUpdateMessage(nil, []bgp.PathAttributeInterface{bgp.NewPathAttributeOrigin(0),
		bgp.NewPathAttributeAsPath([]bgp.AsPathParamInterface{bgp.NewAs4PathParam(bgp.BGP_ASPATH_ATTR_TYPE_SEQ, path)}),
		bgp.NewPathAttributeNextHop("192.0.2.1")}, nlri)
}

func announce6(path []uint32, nlri ...bgp.AddrPrefixInterface) *bgp.BGPMessage {
	return bgp.NewBGPUpdateMessage(nil, []bgp.PathAttributeInterface{bgp.NewPathAttributeOrigin(0),
		bgp.NewPathAttributeAsPath([]bgp.AsPathParamInterface{bgp.NewAs4PathParam(bgp.BGP_ASPATH_ATTR_TYPE_SEQ, path)}),
		bgp.NewPathAttributeMpReachNLRI("2001:db8::1", nlri)}, nil)
}

func bmpTestMonitor() *Monitor {
	return NewMonitor(MonitorConfig{ASN: 65000, Prefixes: []OwnedPrefix{
		{Prefix: netip.MustParsePrefix("198.51.100.0/24"), Kind: KindHosting, Origins: []uint32{65000}},
		{Prefix: netip.MustParsePrefix("2001:db8:100::/48"), Kind: KindHosting, Origins: []uint32{65000}},
	}}, nil)
}

// heldList is what the monitor holds, sorted, as "prefix peer id path".
func heldList(m *Monitor) []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []string
	for _, h := range m.held {
		for k, p := range h {
			out = append(out, fmt.Sprintf("%s %s %d %v", k.prefix, k.peer, k.id, p.asPath))
		}
	}
	slices.Sort(out)
	return out
}

// TestStation: what the station makes of GoBGP's BMP: the paths under
// ours held with their peer, add-path id and AS path, the others only
// counted, withdrawals and a peer down applied in order.
func TestStation(t *testing.T) {
	const as2 = bmp.BMP_PEER_FLAG_TWO_AS
	hijack := []uint32{64666}
	tests := []struct {
		name  string
		msgs  func(t testing.TB) [][]byte
		held  []string
		paths uint64 // observed, ours or not
	}{
		{"IPv4, ours and not", func(t testing.TB) [][]byte {
			return [][]byte{bmpRoute(t, bmpTestPeer, 0, announce([]uint32{3356, 64666},
				v4(24, "203.0.113.0", 0), v4(25, "198.51.100.128", 0), v4(16, "10.1.0.0", 0)))}
		}, []string{"198.51.100.128/25 10.255.0.1 0 [3356 64666]"}, 3},
		{"withdrawn in a later UPDATE", func(t testing.TB) [][]byte {
			return [][]byte{
				bmpRoute(t, bmpTestPeer, 0, announce(hijack, v4(25, "198.51.100.128", 0), v4(25, "198.51.100.0", 0))),
				bmpRoute(t, bmpTestPeer, 0, bgp.NewBGPUpdateMessage([]*bgp.IPAddrPrefix{v4(25, "198.51.100.0", 0), v4(24, "203.0.113.0", 0)}, nil, nil)),
			}
		}, []string{"198.51.100.128/25 10.255.0.1 0 [64666]"}, 4},
		{"IPv6 reach and unreach, an IPv6 peer", func(t testing.TB) [][]byte {
			return [][]byte{
				bmpRoute(t, bmpTestPeer6, bmp.BMP_PEER_FLAG_IPV6, announce6(hijack, v6(64, "2001:db8:100:1::", 0), v6(48, "2001:db8:200::", 0), v6(56, "2001:db8:100:200::", 0))),
				bmpRoute(t, bmpTestPeer6, bmp.BMP_PEER_FLAG_IPV6, bgp.NewBGPUpdateMessage(nil,
					[]bgp.PathAttributeInterface{bgp.NewPathAttributeMpUnreachNLRI([]bgp.AddrPrefixInterface{v6(56, "2001:db8:100:200::", 0)})}, nil)),
			}
		}, []string{"2001:db8:100:1::/64 2001:db8:ff::1 0 [64666]"}, 4},
		{"IPv4 in MP_REACH_NLRI (an IPv6 next hop, RFC 8950) and MP_UNREACH_NLRI", func(t testing.TB) [][]byte {
			return [][]byte{
				bmpRoute(t, bmpTestPeer, 0, announce6(hijack, v4(25, "198.51.100.0", 0), v4(25, "198.51.100.128", 0), v4(24, "203.0.113.0", 0))),
				bmpRoute(t, bmpTestPeer, 0, bgp.NewBGPUpdateMessage(nil,
					[]bgp.PathAttributeInterface{bgp.NewPathAttributeMpUnreachNLRI([]bgp.AddrPrefixInterface{v4(25, "198.51.100.0", 0)})}, nil)),
			}
		}, []string{"198.51.100.128/25 10.255.0.1 0 [64666]"}, 4},
		{"add-path negotiated: two paths of a prefix, one withdrawn", func(t testing.TB) [][]byte {
			fs := []bgp.RouteFamily{bgp.RF_IPv4_UC, bgp.RF_IPv6_UC}
			return [][]byte{
				bmpPeerUpMsg(t, bmpTestPeer, fs, fs),
				bmpRoute(t, bmpTestPeer, 0, announce([]uint32{65000}, v4(24, "198.51.100.0", 1)), fs...),
				bmpRoute(t, bmpTestPeer, 0, announce(hijack, v4(24, "198.51.100.0", 2), v4(24, "198.51.100.0", 3)), fs...),
				bmpRoute(t, bmpTestPeer, 0, bgp.NewBGPUpdateMessage([]*bgp.IPAddrPrefix{v4(24, "198.51.100.0", 3)}, nil, nil), fs...),
				bmpRoute(t, bmpTestPeer, 0, announce6(hijack, v6(48, "2001:db8:100::", 7)), fs...),
			}
		}, []string{"198.51.100.0/24 10.255.0.1 1 [65000]", "198.51.100.0/24 10.255.0.1 2 [64666]", "2001:db8:100::/48 10.255.0.1 7 [64666]"}, 5},
		{"add-path offered by us only: no identifiers", func(t testing.TB) [][]byte {
			return [][]byte{
				bmpPeerUpMsg(t, bmpTestPeer, []bgp.RouteFamily{bgp.RF_IPv4_UC}, nil),
				bmpRoute(t, bmpTestPeer, 0, announce(hijack, v4(32, "198.51.100.1", 0))),
			}
		}, []string{"198.51.100.1/32 10.255.0.1 0 [64666]"}, 1},
		{"GoBGP's dump to a new connection: no identifiers on an add-path session until End-of-RIB", func(t testing.TB) [][]byte {
			fs := []bgp.RouteFamily{bgp.RF_IPv4_UC, bgp.RF_IPv6_UC}
			return [][]byte{
				bmpInit(t), // the connection's second: GoBGP dumps
				bmpPeerUpMsg(t, bmpTestPeer, fs, fs),
				bmpRoute(t, bmpTestPeer, 0, announce(hijack, v4(25, "198.51.100.0", 0))),
				bmpRoute(t, bmpTestPeer, 0, bgp.NewEndOfRib(bgp.RF_IPv4_UC)),
				bmpRoute(t, bmpTestPeer, 0, announce6(hijack, v6(49, "2001:db8:100::", 0))),
				bmpRoute(t, bmpTestPeer, 0, bgp.NewEndOfRib(bgp.RF_IPv6_UC)),
				bmpRoute(t, bmpTestPeer, 0, announce(hijack, v4(25, "198.51.100.128", 9)), fs...),
				bmpRoute(t, bmpTestPeer, 0, announce6(hijack, v6(49, "2001:db8:100:8000::", 10)), fs...),
			}
		}, []string{"198.51.100.0/25 10.255.0.1 0 [64666]", "198.51.100.128/25 10.255.0.1 9 [64666]",
			"2001:db8:100:8000::/49 10.255.0.1 10 [64666]", "2001:db8:100::/49 10.255.0.1 0 [64666]"}, 4},
		{"a 2-byte AS session: AS4_PATH restores the 4-byte origin", func(t testing.TB) [][]byte {
			u := bgp.NewBGPUpdateMessage(nil, []bgp.PathAttributeInterface{bgp.NewPathAttributeOrigin(0),
				bgp.NewPathAttributeAsPath([]bgp.AsPathParamInterface{bgp.NewAsPathParam(bgp.BGP_ASPATH_ATTR_TYPE_SEQ, []uint16{64512, 23456})}),
				bgp.NewPathAttributeNextHop("192.0.2.1"),
				bgp.NewPathAttributeAs4Path([]*bgp.As4PathParam{bgp.NewAs4PathParam(bgp.BGP_ASPATH_ATTR_TYPE_SEQ, []uint32{4200000001})})},
				[]*bgp.IPAddrPrefix{v4(26, "198.51.100.64", 0)})
			return [][]byte{bmpRoute(t, bmpTestPeer, as2, u)}
		}, []string{"198.51.100.64/26 10.255.0.1 0 [64512 4200000001]"}, 1},
		{"post-policy and peer down", func(t testing.TB) [][]byte {
			down := bmp.NewBMPPeerDownNotification(bmpHeader(bmpTestPeer, 0), bmp.BMP_PEER_DOWN_REASON_REMOTE_NO_NOTIFICATION, nil, nil)
			return [][]byte{
				bmpRoute(t, bmpTestPeer, bmp.BMP_PEER_FLAG_POST_POLICY, announce(hijack, v4(25, "198.51.100.0", 0))),
				bmpRoute(t, bmpTestPeer, 0, announce(hijack, v4(25, "198.51.100.128", 0))),
				bmpRoute(t, bmpTestPeer6, bmp.BMP_PEER_FLAG_IPV6, announce(hijack, v4(25, "198.51.100.128", 0))),
				bmpBytes(t, down),
			}
		}, []string{"198.51.100.128/25 2001:db8:ff::1 0 [64666]"}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := bmpTestMonitor()
			st := newStation(m, slog.New(slog.DiscardHandler), nil)
			stream := append([][]byte{bmpInit(t)}, tt.msgs(t)...)
			if err := st.read(bytes.NewReader(bytes.Join(stream, nil))); err != nil {
				t.Fatalf("read: %v", err)
			}
			select {
			case <-st.ready:
			default:
				t.Error("the Initiation did not make the station ready")
			}
			if got := heldList(m); !slices.Equal(got, tt.held) {
				t.Errorf("held\n  %q\nwant\n  %q", got, tt.held)
			}
			if got := m.Stats().Paths; got != tt.paths {
				t.Errorf("Stats().Paths = %d, want %d", got, tt.paths)
			}
		})
	}
}

// TestStationHijackAlarm: a hijack read from BMP raises at once, naming
// the covering prefix, the origins and the peer.
func TestStationHijackAlarm(t *testing.T) {
	var got []Alarm
	m := NewMonitor(MonitorConfig{ASN: 65000, Devices: map[netip.Addr]string{bmpTestPeer: "dc1-r1"}, Prefixes: []OwnedPrefix{
		{Prefix: netip.MustParsePrefix("198.51.100.0/24"), Kind: KindHosting, Origins: []uint32{65000}}}},
		func(a Alarm) { got = append(got, a) })
	st := newStation(m, slog.New(slog.DiscardHandler), nil)
	stream := bytes.Join([][]byte{bmpInit(t), bmpRoute(t, bmpTestPeer, 0, announce([]uint32{3356, 64666}, v4(25, "198.51.100.128", 0)))}, nil)
	if err := st.read(bytes.NewReader(stream)); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 {
		t.Fatalf("alarms %+v, want one hijack", got)
	}
	a := got[0]
	if a.Rule != RuleOriginHijack || a.Prefix != netip.MustParsePrefix("198.51.100.128/25") || a.Covering != netip.MustParsePrefix("198.51.100.0/24") ||
		a.Seen != 64666 || !slices.Equal(a.Expected, []uint32{65000}) || a.Peer != bmpTestPeer || a.Device != "dc1-r1" {
		t.Errorf("alarm %+v", a)
	}
}

// TestStationRejects: what is not BMP 3 ends the connection; an
// unreadable UPDATE is skipped, the next one read.
func TestStationRejects(t *testing.T) {
	m := bmpTestMonitor()
	st := newStation(m, slog.New(slog.DiscardHandler), nil)
	if err := st.read(bytes.NewReader([]byte("GET / HTTP/1.1\r\n\r\n"))); err == nil {
		t.Error("read of HTTP: no error")
	}
	good := bmpRoute(t, bmpTestPeer, 0, announce([]uint32{64666}, v4(25, "198.51.100.128", 0)))
	bad := slices.Clone(good)
	bad[6+bmpPeerHeaderLen+16+1]-- // the BGP length one short of the message
	if err := st.read(bytes.NewReader(bytes.Join([][]byte{bmpInit(t), bad, good}, nil))); err != nil {
		t.Fatal(err)
	}
	if got := heldList(m); len(got) != 1 {
		t.Errorf("held %q, want the good UPDATE's path", got)
	}
}

// FuzzScanUpdate: any bytes, as the UPDATE of a route monitoring: no
// panic, and every prefix reported is one of its family.
func FuzzScanUpdate(f *testing.F) {
	for _, u := range []*bgp.BGPMessage{
		announce([]uint32{3356, 64666}, v4(24, "203.0.113.0", 0), v4(25, "198.51.100.128", 0)),
		announce6([]uint32{64666}, v6(64, "2001:db8:100:1::", 0)),
		bgp.NewBGPUpdateMessage([]*bgp.IPAddrPrefix{v4(25, "198.51.100.0", 0)}, nil, nil),
	} {
		b, err := u.Serialize()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, false)
		opt := &bgp.MarshallingOption{AddPath: map[bgp.RouteFamily]bgp.BGPAddPathMode{bgp.RF_IPv4_UC: bgp.BGP_ADD_PATH_SEND, bgp.RF_IPv6_UC: bgp.BGP_ADD_PATH_SEND}}
		if b, err = u.Serialize(opt); err != nil {
			f.Fatal(err)
		}
		f.Add(b, true)
	}
	f.Fuzz(func(t *testing.T, msg []byte, addPath bool) {
		u, err := scanUpdate(msg)
		if err != nil {
			return
		}
		u.asPath4(true)
		u.asPath4(false)
		for _, s := range []struct {
			b  []byte
			v6 bool
		}{{u.withdrawn, false}, {u.nlri, false}, {u.mpReach, u.mpReachV6}, {u.mpUnreach, u.mpUnreachV6}} {
			max := 32
			if s.v6 {
				max = 128
			}
			if !nlriValid(s.b, addPath, max) {
				continue
			}
			eachPrefix(s.b, addPath, s.v6, func(p netip.Prefix, _ uint32) {
				if !p.IsValid() || p.Addr().Is6() != s.v6 || p.Bits() > max || p != p.Masked() {
					t.Errorf("prefix %v from %x", p, s.b)
				}
			})
		}
	})
}
