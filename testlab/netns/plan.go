package netns

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/bits"
	"net/netip"
	"regexp"
	"strconv"
	"strings"

	"github.com/tuyau-net/tuyau/inventory"
)

// mgmtIfname is the management interface inside each namespace.
const mgmtIfname = "mgmt0"

// plan lays out a lab from a snapshot: names, interfaces and links. It
// touches nothing; Up creates what it describes. The management prefix is
// assigned later, from what the machine already uses.
func plan(snap *inventory.Snapshot, name string) (*State, error) {
	x := inventory.NewIndex(snap)
	tag := labTag(name)
	s := &State{Name: name, Bridge: "ty" + tag, Wire: "tuyau-" + name + "-wire", Cables: map[string][]string{}}
	inLab := map[string]bool{}
	for _, d := range snap.Devices {
		inLab[d.Name] = true
	}
	seen := map[string]bool{}
	for i, d := range snap.Devices {
		if seen[d.Name] {
			return nil, fmt.Errorf("device %s: listed twice", d.Name)
		}
		seen[d.Name] = true
		ns := "tuyau-" + name + "-" + d.Name
		if len(ns) > 60 || !safeName.MatchString(d.Name) {
			// FRR's unix sockets live under /var/run/frr/<pathspace>/ and
			// a socket path is at most 107 bytes.
			ns = "tuyau-" + name + "-d" + strconv.Itoa(i)
		}
		host := d.Name
		if !hostName.MatchString(host) {
			host = ns
		}
		s.Devices = append(s.Devices, Device{Name: d.Name, Role: d.Role, Netns: ns, Pathspace: ns, Hostname: host,
			HostVeth: "ty" + tag + "m" + strconv.Itoa(i)})
	}
	ifnames := make([]map[string]string, len(snap.Devices)) // inventory name -> Linux name, per device
	for i, d := range snap.Devices {
		ifnames[i] = linuxNames(d)
	}
	devIdx := map[string]int{}
	for i, d := range snap.Devices {
		devIdx[d.Name] = i
	}
	linked := map[inventory.PortKey]bool{}
	for i, d := range snap.Devices {
		ls := &s.Devices[i]
		for _, ifc := range d.Interfaces {
			it := Iface{Name: ifc.Name, Ifname: ifnames[i][ifc.Name], MTU: ifc.MTU}
			key := inventory.PortKey{Kind: inventory.TermInterface, Holder: d.Name, Port: ifc.Name}
			switch {
			case it.Ifname == "lo":
				it.Kind, it.MTU = "loopback", 0
			case linked[key]:
				it.Kind = "veth"
			default:
				it.Kind = "unlinked"
				if l, ok := traceLink(x, d.Name, ifc.Name, inLab); ok {
					it.Kind = "veth"
					l.A.Ifname = it.Ifname
					l.B.Ifname = ifnames[devIdx[l.B.Device]][l.B.Interface]
					linked[inventory.PortKey{Kind: inventory.TermInterface, Holder: l.B.Device, Port: l.B.Interface}] = true
					n := strconv.Itoa(len(s.Links))
					l.WireA, l.WireB, l.WireBridge = "l"+n+"a", "l"+n+"b", "l"+n+"br"
					s.Links = append(s.Links, l)
					for _, c := range l.Cables {
						s.Cables[c] = x.Cable(c).SRLGs
					}
				}
			}
			ls.Interfaces = append(ls.Interfaces, it)
		}
	}
	addTransitPeers(x, snap, s, tag)
	return s, nil
}

// traceLink follows the cables from an interface and returns the routed
// link when they end on another device of the lab and are all in service.
func traceLink(x *inventory.Index, dev, iface string, inLab map[string]bool) (Link, bool) {
	p, err := x.Trace(dev, iface)
	if err != nil || !p.Complete || p.To.Kind() != inventory.TermInterface || !inLab[p.To.Device] {
		return Link{}, false
	}
	if p.To.Device == dev || x.Interface(p.To.Device, p.To.Interface) == nil {
		return Link{}, false
	}
	l := Link{A: End{Device: dev, Interface: iface}, B: End{Device: p.To.Device, Interface: p.To.Interface}}
	for _, c := range p.Cables {
		if c.Status != "" && c.Status != inventory.CableConnected {
			return Link{}, false
		}
		l.Cables = append(l.Cables, c.Label)
	}
	return l, true
}

var (
	safeName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)
	hostName = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9.-]{0,61}[A-Za-z0-9])?$`)
	badIf    = regexp.MustCompile(`[^A-Za-z0-9._-]`)
)

// linuxNames maps a device's interface names to Linux interface names:
// kept when Linux accepts them, otherwise made safe and short, and unique
// on the device. The loopback (named lo, or an interface with only host
// addresses that holds the device's loopback or is named lo-something)
// becomes lo.
func linuxNames(d inventory.Device) map[string]string {
	out := map[string]string{}
	used := map[string]bool{mgmtIfname: true, "lo": true}
	for _, ifc := range d.Interfaces {
		if isLoopback(d, ifc) {
			out[ifc.Name] = "lo"
			continue
		}
		n := ifc.Name
		if len(n) > 15 || badIf.MatchString(n) || n == "." || n == ".." || used[n] {
			n = badIf.ReplaceAllString(n, "-")
			h := sha256.Sum256([]byte(ifc.Name))
			suffix := hex.EncodeToString(h[:2])
			if len(n) > 10 {
				n = n[:10]
			}
			n = strings.Trim(n, ".-") + "-" + suffix
			for k := 0; used[n]; k++ {
				n = n[:len(n)-1] + strconv.Itoa(k%10)
			}
		}
		used[n] = true
		out[ifc.Name] = n
	}
	return out
}

func isLoopback(d inventory.Device, ifc inventory.Interface) bool {
	if ifc.Name == "lo" {
		return true
	}
	if len(ifc.Addresses) == 0 {
		return false
	}
	holdsLoopback := false
	for _, a := range ifc.Addresses {
		if !a.IsSingleIP() {
			return false
		}
		holdsLoopback = holdsLoopback || a.Addr() == d.Loopback || a.Addr() == d.Loopback6
	}
	return holdsLoopback || strings.HasPrefix(strings.ToLower(ifc.Name), "lo")
}

// labTag is a short stable tag of the lab name for host interface names,
// which Linux limits to 15 characters.
func labTag(name string) string {
	h := sha256.Sum256([]byte(name))
	return hex.EncodeToString(h[:3])
}

// pickMgmt returns the first block of rng large enough for n devices and
// the host that overlaps none of used.
func pickMgmt(rng netip.Prefix, n int, used []netip.Prefix) (netip.Prefix, error) {
	hostBits := bits.Len(uint(n + 2)) // devices, the host, network and broadcast
	if hostBits < 8 {
		hostBits = 8
	}
	size := 32 - hostBits
	if size < rng.Bits() {
		return netip.Prefix{}, fmt.Errorf("management range %s: too small for %d devices", rng, n)
	}
	step := uint32(1) << hostBits
	base := v4(rng.Masked().Addr())
	count := uint32(1) << (size - rng.Bits())
	for i := range count {
		p := netip.PrefixFrom(fromV4(base+i*step), size)
		free := true
		for _, u := range used {
			if u.Overlaps(p) {
				free = false
				break
			}
		}
		if free {
			return p, nil
		}
	}
	return netip.Prefix{}, fmt.Errorf("management range %s: no free /%d block for %d devices (other labs or host networks use it)", rng, size, n)
}

// assignMgmt gives the host the first address of the prefix and the
// devices the next ones.
func assignMgmt(s *State, p netip.Prefix) error {
	if !p.Addr().Is4() {
		return fmt.Errorf("management prefix %s: want IPv4", p)
	}
	p = p.Masked()
	if uint64(len(s.Devices))+2 >= uint64(1)<<(32-p.Bits()) {
		return fmt.Errorf("management prefix %s: too small for %d devices", p, len(s.Devices))
	}
	s.MgmtPrefix = p
	a := p.Addr().Next()
	s.HostAddr = a
	for i := range s.Devices {
		a = a.Next()
		s.Devices[i].Mgmt = netip.PrefixFrom(a, p.Bits())
	}
	return nil
}

func v4(a netip.Addr) uint32 {
	b := a.As4()
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}

func fromV4(u uint32) netip.Addr {
	return netip.AddrFrom4([4]byte{byte(u >> 24), byte(u >> 16), byte(u >> 8), byte(u)})
}
