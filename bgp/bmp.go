package bgp

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"sync"

	"github.com/osrg/gobgp/v3/pkg/packet/bgp"
)

// station is the monitor's BMP station (RFC 7854): the speaker's GoBGP
// connects to it on the loopback and sends every UPDATE it receives, as
// received, pre-policy. It replaces GoBGP's WatchEvent API, which turns
// every path into protobuf Any messages (NLRI and each attribute) before
// the monitor could drop it: 6 µs and 20 allocations a path, 1.2 million
// paths for a full table, on 2 cores next to the receive itself (the
// monitor added 41 % to a full table's load). Here a path that is not
// under a prefix of ours costs a walk of its bytes and of the trie.
//
// One connection is read at a time; one that ends is followed by the
// next GoBGP makes (it reconnects, and dumps the tables again).
type station struct {
	mon   *Monitor
	log   *slog.Logger
	ln    net.Listener
	ready chan struct{} // closed at the first Initiation: GoBGP watches
	once  sync.Once

	// Read only by serve's goroutine.
	addPath map[netip.Addr][2]bool // per peer, add-path received for IPv4, IPv6
	paths   []ReceivedPath         // reused per UPDATE
	// A connection after the first starts with GoBGP's dump of the
	// tables it holds: the peers up (burst: before any route), then per
	// peer and family its paths, one an UPDATE serialized without its
	// add-path identifier, and an End-of-RIB. dumping is, per peer up in
	// the burst, the families whose dump is not over. The first
	// connection is made before the speaker has a peer: no dump.
	conns   int
	burst   bool
	dumping map[netip.Addr][2]bool
}

// BMP message types (RFC 7854 4.1) and per-peer header flags (4.2).
const (
	bmpRouteMonitoring = 0
	bmpPeerDown        = 2
	bmpPeerUp          = 3
	bmpInitiation      = 4
	bmpTermination     = 5

	bmpPeerHeaderLen = 42
	bmpFlagV6        = 0x80
	bmpFlagPost      = 0x40
	bmpFlagAS2       = 0x20

	// bmpMaxMessage bounds what is read: a BGP message is at most 65,535
	// bytes (RFC 8654), a peer up two of them.
	bmpMaxMessage = 1 << 18
)

// listenStation opens the station on a loopback port.
func listenStation(mon *Monitor, log *slog.Logger) (*station, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("monitor BMP station: %w", err)
	}
	return newStation(mon, log, ln), nil
}

func newStation(mon *Monitor, log *slog.Logger, ln net.Listener) *station {
	return &station{mon: mon, log: log, ln: ln, ready: make(chan struct{}), addPath: map[netip.Addr][2]bool{}}
}

func (st *station) port() int { return st.ln.Addr().(*net.TCPAddr).Port }

// serve reads GoBGP's connections until ctx ends.
func (st *station) serve(ctx context.Context) {
	stop := context.AfterFunc(ctx, func() { st.ln.Close() })
	defer stop()
	defer st.ln.Close()
	for {
		c, err := st.ln.Accept()
		if err != nil {
			if ctx.Err() == nil {
				st.log.Warn("bgp monitor: BMP station stopped", "err", err)
			}
			return
		}
		closeConn := context.AfterFunc(ctx, func() { c.Close() })
		err = st.read(c)
		closeConn()
		c.Close()
		if ctx.Err() != nil {
			return
		}
		if errors.Is(err, errTerminated) {
			st.log.Info("bgp monitor: the speaker ended its BMP session", "station", st.ln.Addr())
			continue
		}
		st.log.Warn("bgp monitor: the speaker's BMP connection ended; waiting for it again", "err", err)
	}
}

// errTerminated is a connection GoBGP ended with a Termination (the
// station removed from it at shutdown).
var errTerminated = errors.New("BMP termination")

// read handles one connection's messages until it ends.
func (st *station) read(c io.Reader) error {
	r := bufio.NewReaderSize(c, 1<<16)
	var (
		hdr [6]byte
		buf []byte
	)
	for {
		if _, err := io.ReadFull(r, hdr[:]); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
		n := int(binary.BigEndian.Uint32(hdr[1:5]))
		if hdr[0] != 3 || n < len(hdr) || n > bmpMaxMessage {
			return fmt.Errorf("BMP message version %d, length %d: not BMP 3", hdr[0], n)
		}
		if cap(buf) < n-len(hdr) {
			buf = make([]byte, n-len(hdr))
		}
		b := buf[:n-len(hdr)]
		if _, err := io.ReadFull(r, b); err != nil {
			return err
		}
		switch hdr[5] {
		case bmpInitiation:
			// A new connection: GoBGP sends the peers up again.
			clear(st.addPath)
			st.conns++
			st.burst, st.dumping = st.conns > 1, map[netip.Addr][2]bool{}
			st.once.Do(func() { close(st.ready) })
		case bmpTermination:
			return errTerminated
		case bmpPeerUp, bmpPeerDown, bmpRouteMonitoring:
			if len(b) < bmpPeerHeaderLen || b[0] != 0 { // the global instance only
				continue
			}
			peer, flags := bmpPeer(b), b[1]
			switch hdr[5] {
			case bmpPeerUp:
				st.addPath[peer] = addPathReceived(b[bmpPeerHeaderLen:])
				if st.burst {
					st.dumping[peer] = [2]bool{true, true}
				}
			case bmpPeerDown:
				delete(st.addPath, peer)
				delete(st.dumping, peer)
				st.mon.dropPeer(peer)
			default:
				st.burst = false
				if flags&bmpFlagPost == 0 {
					st.update(peer, flags&bmpFlagAS2 != 0, b[bmpPeerHeaderLen:])
				}
			}
		}
	}
}

// bmpPeer is the peer address of a per-peer header.
func bmpPeer(h []byte) netip.Addr {
	if h[1]&bmpFlagV6 != 0 {
		return netip.AddrFrom16([16]byte(h[10:26]))
	}
	return netip.AddrFrom4([4]byte(h[22:26]))
}

// addPathReceived reads a peer up's two OPENs (after local address and
// ports): add-path is received in a family when ours offered to receive
// and the peer to send (RFC 7911 4). Unreadable: none.
func addPathReceived(b []byte) (ap [2]bool) {
	if len(b) < 20 {
		return ap
	}
	b = b[20:]
	modes := func() map[bgp.RouteFamily]bgp.BGPAddPathMode {
		if len(b) < 19 {
			return nil
		}
		n := int(binary.BigEndian.Uint16(b[16:18]))
		if n < 19 || n > len(b) {
			return nil
		}
		msg, err := bgp.ParseBGPMessage(b[:n])
		b = b[n:]
		if err != nil {
			return nil
		}
		open, ok := msg.Body.(*bgp.BGPOpen)
		if !ok {
			return nil
		}
		out := map[bgp.RouteFamily]bgp.BGPAddPathMode{}
		for _, o := range open.OptParams {
			if c, ok := o.(*bgp.OptionParameterCapability); ok {
				for _, cp := range c.Capability {
					if a, ok := cp.(*bgp.CapAddPath); ok {
						for _, t := range a.Tuples {
							out[t.RouteFamily] |= t.Mode
						}
					}
				}
			}
		}
		return out
	}
	sent, recv := modes(), modes()
	for i, f := range []bgp.RouteFamily{bgp.RF_IPv4_UC, bgp.RF_IPv6_UC} {
		ap[i] = sent[f]&bgp.BGP_ADD_PATH_RECEIVE != 0 && recv[f]&bgp.BGP_ADD_PATH_SEND != 0
	}
	return ap
}

// update hands the monitor the paths of one UPDATE that fall under a
// prefix of ours, and the count of the others.
func (st *station) update(peer netip.Addr, as2 bool, msg []byte) {
	u, err := scanUpdate(msg)
	if err != nil {
		st.log.Warn("bgp monitor: unreadable UPDATE from the speaker", "peer", peer, "bytes", len(msg), "err", err)
		return
	}
	ap := st.addPath[peer]
	if d, ok := st.dumping[peer]; ok {
		if u.endOfRIB(false) {
			d[0] = false
		}
		if u.endOfRIB(true) {
			d[1] = false
		}
		st.dumping[peer] = d
		ap[0], ap[1] = ap[0] && !d[0], ap[1] && !d[1]
	}
	paths := st.paths[:0]
	seen := 0
	var asPath []uint32
	decoded := false
	section := func(b []byte, v6, withdraw bool) {
		if len(b) == 0 {
			return
		}
		add, maxBits, fam := ap[0], 32, 0
		if v6 {
			add, maxBits, fam = ap[1], 128, 1
		}
		if !nlriValid(b, add, maxBits) {
			st.log.Warn("bgp monitor: unreadable NLRI from the speaker", "peer", peer, "family", fam, "add_path", add, "bytes", len(b))
			return
		}
		eachPrefix(b, add, v6, func(p netip.Prefix, id uint32) {
			seen++
			if !st.mon.ours(p) {
				return
			}
			rp := ReceivedPath{Prefix: p, Peer: peer, ID: id, Withdraw: withdraw}
			if !withdraw {
				if !decoded {
					asPath, decoded = u.asPath4(as2), true
				}
				rp.ASPath = asPath // shared by the UPDATE's paths, never written
			}
			paths = append(paths, rp)
		})
	}
	section(u.withdrawn, false, true)
	section(u.mpUnreach, u.mpUnreachV6, true)
	section(u.nlri, false, false)
	section(u.mpReach, u.mpReachV6, false)
	st.mon.observe(paths, seen-len(paths))
	clear(paths)
	st.paths = paths
}
