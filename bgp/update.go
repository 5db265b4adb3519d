package bgp

import (
	"encoding/binary"
	"errors"
	"net/netip"
)

// A raw BGP UPDATE (RFC 4271 4.3) read without decoding it into objects:
// the monitor needs of a full table's million UPDATEd prefixes only
// whether each falls under a prefix of ours, and the AS path of the few
// that do. updateScan finds the attributes it needs and walks the NLRI
// in place, allocating nothing for a prefix that is not ours.

// errUpdate is a malformed UPDATE; GoBGP has parsed the messages it hands
// the monitor already, so this is a bug or a truncated read, never a peer.
var errUpdate = errors.New("malformed BGP UPDATE")

const (
	attrASPath    = 2
	attrMPReach   = 14
	attrMPUnreach = 15
	attrAS4Path   = 17

	afiIPv4     = 1
	afiIPv6     = 2
	safiUnicast = 1
)

// updateScan holds the sections of one UPDATE; every slice points into
// the message.
type updateScan struct {
	withdrawn, nlri []byte // IPv4 unicast
	// The NLRI of MP_REACH_NLRI and MP_UNREACH_NLRI, nil if none or of
	// another family than unicast; v6 their family (IPv4 comes there too,
	// with an IPv6 next hop, RFC 8950).
	mpReach, mpUnreach     []byte
	mpReachV6, mpUnreachV6 bool
	asPath, as4Path        []byte
	empty                  bool // no routes, no attributes: the IPv4 End-of-RIB
}

// scanUpdate splits msg, a whole BGP message with its 19-byte header,
// into its sections. Messages other than UPDATE yield an empty scan.
func scanUpdate(msg []byte) (updateScan, error) {
	var u updateScan
	if len(msg) < 19 {
		return u, errUpdate
	}
	if msg[18] != 2 { // not an UPDATE
		return u, nil
	}
	if int(binary.BigEndian.Uint16(msg[16:18])) != len(msg) {
		return u, errUpdate
	}
	b := msg[19:]
	if len(b) < 2 {
		return u, errUpdate
	}
	wl := int(binary.BigEndian.Uint16(b))
	b = b[2:]
	if len(b) < wl+2 {
		return u, errUpdate
	}
	u.withdrawn, b = b[:wl], b[wl:]
	al := int(binary.BigEndian.Uint16(b))
	b = b[2:]
	if len(b) < al {
		return u, errUpdate
	}
	attrs := b[:al]
	u.nlri = b[al:]
	u.empty = wl == 0 && al == 0 && len(u.nlri) == 0
	for len(attrs) > 0 {
		if len(attrs) < 3 {
			return u, errUpdate
		}
		flags, typ := attrs[0], attrs[1]
		var l, h int
		if flags&0x10 != 0 { // extended length
			if len(attrs) < 4 {
				return u, errUpdate
			}
			l, h = int(binary.BigEndian.Uint16(attrs[2:4])), 4
		} else {
			l, h = int(attrs[2]), 3
		}
		if len(attrs) < h+l {
			return u, errUpdate
		}
		v := attrs[h : h+l]
		attrs = attrs[h+l:]
		switch typ {
		case attrASPath:
			u.asPath = v
		case attrAS4Path:
			u.as4Path = v
		case attrMPReach:
			// AFI, SAFI, next hop length and next hop, a reserved octet.
			if len(v) < 5 {
				return u, errUpdate
			}
			nh := int(v[3])
			if len(v) < 5+nh {
				return u, errUpdate
			}
			if afi := binary.BigEndian.Uint16(v); (afi == afiIPv4 || afi == afiIPv6) && v[2] == safiUnicast {
				u.mpReach, u.mpReachV6 = v[5+nh:], afi == afiIPv6
			}
		case attrMPUnreach:
			if len(v) < 3 {
				return u, errUpdate
			}
			if afi := binary.BigEndian.Uint16(v); (afi == afiIPv4 || afi == afiIPv6) && v[2] == safiUnicast {
				u.mpUnreach, u.mpUnreachV6 = v[3:], afi == afiIPv6
			}
		}
	}
	return u, nil
}

// endOfRIB says whether the UPDATE is the End-of-RIB marker of IPv4 (an
// empty UPDATE) or of a family (v6) as an empty MP_UNREACH_NLRI alone,
// RFC 4724 2.
func (u updateScan) endOfRIB(v6 bool) bool {
	if !v6 && u.empty {
		return true
	}
	return u.mpUnreach != nil && len(u.mpUnreach) == 0 && u.mpUnreachV6 == v6 && u.asPath == nil && u.mpReach == nil &&
		len(u.nlri) == 0 && len(u.withdrawn) == 0
}

// nlriValid says whether b is a well-formed list of prefixes of at most
// maxBits, each preceded by a 4-byte path identifier when addPath.
func nlriValid(b []byte, addPath bool, maxBits int) bool {
	for len(b) > 0 {
		if addPath {
			if len(b) < 4 {
				return false
			}
			b = b[4:]
		}
		if len(b) < 1 {
			return false
		}
		bits := int(b[0])
		n := (bits + 7) / 8
		if bits > maxBits || len(b) < 1+n {
			return false
		}
		b = b[1+n:]
	}
	return true
}

// eachPrefix calls fn for every prefix of b, a list nlriValid accepted
// (v6: IPv6 prefixes), with its path identifier (0 without add-path).
func eachPrefix(b []byte, addPath, v6 bool, fn func(netip.Prefix, uint32)) {
	for len(b) > 0 {
		var id uint32
		if addPath {
			id = binary.BigEndian.Uint32(b)
			b = b[4:]
		}
		bits := int(b[0])
		n := (bits + 7) / 8
		var p netip.Prefix
		if v6 {
			var a [16]byte
			copy(a[:], b[1:1+n])
			p = netip.PrefixFrom(netip.AddrFrom16(a), bits)
		} else {
			var a [4]byte
			copy(a[:], b[1:1+n])
			p = netip.PrefixFrom(netip.AddrFrom4(a), bits)
		}
		b = b[1+n:]
		fn(p.Masked(), id)
	}
}

// asPathNumbers flattens an AS_PATH (or AS4_PATH) value into its ASes in
// order, every segment type included as GoBGP's API gives them (the
// origin is the last); as2 reads 2-byte ASes. ok is false if malformed.
func asPathNumbers(v []byte, as2 bool) (out []uint32, ok bool) {
	w := 4
	if as2 {
		w = 2
	}
	for len(v) > 0 {
		if len(v) < 2 {
			return out, false
		}
		n := int(v[1])
		v = v[2:]
		if len(v) < n*w {
			return out, false
		}
		for i := range n {
			if as2 {
				out = append(out, uint32(binary.BigEndian.Uint16(v[i*2:])))
			} else {
				out = append(out, binary.BigEndian.Uint32(v[i*4:]))
			}
		}
		v = v[n*w:]
	}
	return out, true
}

// asPath4 is the UPDATE's AS path as a 4-byte-AS speaker reads it: from a
// 2-byte session (as2), AS_PATH with its trailing ASes replaced by
// AS4_PATH when that is no longer (RFC 6793 4.2.3, segments flattened).
func (u updateScan) asPath4(as2 bool) []uint32 {
	path, ok := asPathNumbers(u.asPath, as2)
	if !ok || !as2 || u.as4Path == nil {
		return path
	}
	p4, ok := asPathNumbers(u.as4Path, false)
	if !ok || len(p4) > len(path) {
		return path
	}
	return append(path[:len(path)-len(p4)], p4...)
}
