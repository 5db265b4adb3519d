package testlab

import (
	"cmp"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/tuyau-net/tuyau/inventory"
	"github.com/tuyau-net/tuyau/topology"
)

// Ports are the TCP ports every virtual device of a lab listens on, each on
// its own loopback address.
type Ports struct {
	SSH  int `json:"ssh"`
	GNMI int `json:"gnmi"`
	BGP  int `json:"bgp"`
}

// Plan is a lab laid out from an inventory snapshot: which loopback address
// stands for each device and each of its inventory addresses, and which
// routed links ride which cables. It is a value: computed once, saved in the
// state file, shown by "tuyau lab status".
type Plan struct {
	Name    string       `json:"name"`
	Block   netip.Prefix `json:"block"`
	Ports   Ports        `json:"ports"`
	Devices []DevicePlan `json:"devices"`
	Links   []Link       `json:"links"`
	Mapping []AddressMap `json:"mapping"`
	// Speakers are tuyau's own BGP speakers (inventory speakers:): the lab
	// runs none, it gives each a lab address so that "tuyau bgp serve
	// --lab" runs it there and the lab's core routers reach it.
	Speakers []SpeakerPlan `json:"speakers,omitempty"`
	byInv    map[netip.Addr]int
	byLab    map[netip.Addr]int
}

// SpeakerPlan is where a speaker of the inventory runs in the lab: its
// listen address stands for Listen, on the lab's BGP port.
type SpeakerPlan struct {
	Name string `json:"name"`
	Site string `json:"site"`
	// Addr is the lab address the speaker binds to and the routers dial.
	Addr netip.Addr `json:"addr"`
	// Listen is the inventory address it stands for (the routers'
	// neighbor address).
	Listen netip.Addr `json:"listen"`
}

// DevicePlan is one virtual device.
type DevicePlan struct {
	Name     string `json:"name"`
	Site     string `json:"site"`
	Role     string `json:"role"`
	Platform string `json:"platform"`
	ASN      uint32 `json:"asn,omitempty"`
	// Addr is the device's own lab address: SSH and gNMI listen there.
	Addr netip.Addr `json:"addr"`
	// Mgmt and Loopback are the inventory addresses it stands for.
	Mgmt     netip.Addr `json:"mgmt,omitzero"`
	Loopback netip.Addr `json:"loopback,omitzero"`
	// Transit is set on the devices the lab adds for transit providers
	// (Role RoleTransit); they have no inventory device.
	Transit *TransitPeer `json:"transit,omitempty"`
}

// AddressMap translates one inventory address to the lab address that
// plays its part: a BGP neighbor written with inventory addresses is
// reached at Lab.
type AddressMap struct {
	Device    string     `json:"device"`
	Interface string     `json:"interface"`
	Inventory netip.Addr `json:"inventory"`
	Prefix    int        `json:"prefix_len"`
	Lab       netip.Addr `json:"lab"`
}

// Endpoint is one end of a routed link.
type Endpoint struct {
	Device      string `json:"device,omitempty"`
	Interface   string `json:"interface,omitempty"`
	Transceiver string `json:"transceiver,omitempty"`
	// Optic holds the figures of a transceiver type the inventory defines
	// under optics: (a vendor module); built-in types are looked up by
	// name, so plans of inventories without optics: are unchanged.
	Optic *topology.Optic `json:"optic,omitempty"`
	// Circuit is set when the link ends at a provider; Device and
	// Interface are then the lab's transit peer, or empty when the lab has
	// none there (no transit session on the circuit, or a plan saved
	// before labs had transit peers): a far end that is always up.
	Circuit string `json:"circuit,omitempty"`
}

func (e Endpoint) String() string {
	if e.Circuit != "" {
		return "circuit " + e.Circuit
	}
	return e.Device + ":" + e.Interface
}

// Link is a routed link: two interfaces joined by a chain of cables
// through patch panels, or an interface and a provider circuit.
type Link struct {
	ID      string   `json:"id"`
	A       Endpoint `json:"a"`
	B       Endpoint `json:"b"`
	Cables  []string `json:"cables"`
	SRLGs   []string `json:"srlgs,omitempty"`
	LengthM float64  `json:"length_m"`
	Splices int      `json:"splices"`
	// LossDB is the loss of the cable chain, from topology's optical budget.
	LossDB float64 `json:"loss_db"`
	Fiber  string  `json:"fiber,omitempty"`
	// SpeedMbps is the line rate of the slower end (a circuit's bandwidth
	// when lower); the modelled load is a share of it. 0 in plans saved
	// before links had speeds: the lab then takes 10 Gbit/s.
	SpeedMbps int64 `json:"speed_mbps,omitempty"`
}

// deviceBase and ifaceBase split a lab's /16: device addresses from .0.1,
// interface addresses from .128.1, so a glance tells which is which.
const (
	deviceBase = 1
	ifaceBase  = 128 << 8
)

// NewPlan lays out a lab for snap in the /16 block with the given ports.
// IPv6 inventory addresses get lab addresses of 127/8 too, after every
// IPv4 one (so IPv4 numbering is what it was before IPv6 was mapped): the
// loopback range has no IPv6 counterpart beyond ::1, and a session to an
// IPv6 neighbor only needs its two ends to be distinct sockets. A lab too
// large for its /16 leaves its last IPv6 addresses unmapped; their
// sessions say so ("no lab address for").
func NewPlan(name string, snap *inventory.Snapshot, block netip.Prefix, ports Ports) (*Plan, error) {
	if !block.Addr().Is4() || block.Bits() != 16 || !netip.MustParsePrefix("127.0.0.0/8").Contains(block.Addr()) {
		return nil, fmt.Errorf("lab %s: block %s is not a 127.x.0.0/16", name, block)
	}
	p := &Plan{Name: name, Block: block.Masked(), Ports: ports, byInv: map[netip.Addr]int{}}
	x := inventory.NewIndex(snap)
	nDev, nIf := 0, 0
	for _, d := range snap.Devices {
		addr, err := nth(p.Block, deviceBase, nDev)
		if err != nil {
			return nil, fmt.Errorf("lab %s: device %s: %w", name, d.Name, err)
		}
		nDev++
		p.Devices = append(p.Devices, DevicePlan{
			Name: d.Name, Site: d.Site, Role: string(d.Role), Platform: d.Platform,
			ASN: d.ASN, Addr: addr, Mgmt: d.Mgmt, Loopback: d.Loopback,
		})
		if d.Mgmt.IsValid() && d.Mgmt.Is4() {
			p.add(AddressMap{Device: d.Name, Interface: "mgmt", Inventory: d.Mgmt, Prefix: 32, Lab: addr})
		}
		for _, f := range d.Interfaces {
			for _, a := range f.Addresses {
				if !a.Addr().Is4() {
					continue
				}
				lab, err := nth(p.Block, ifaceBase, nIf)
				if err != nil {
					return nil, fmt.Errorf("lab %s: device %s interface %s: %w", name, d.Name, f.Name, err)
				}
				nIf++
				p.add(AddressMap{Device: d.Name, Interface: f.Name, Inventory: a.Addr(), Prefix: a.Bits(), Lab: lab})
			}
		}
	}
	links, err := tracedLinks(x, snap)
	if err != nil {
		return nil, fmt.Errorf("lab %s: %w", name, err)
	}
	if err := budgetLoss(snap, links); err != nil {
		return nil, fmt.Errorf("lab %s: optical budgets: %w", name, err)
	}
	p.Links = links
	if nIf, err = p.addTransitPeers(x, nDev, nIf); err != nil {
		return nil, fmt.Errorf("lab %s: %w", name, err)
	}
	if err := p.addSpeakers(snap, nDev+countTransit(p)); err != nil {
		return nil, fmt.Errorf("lab %s: %w", name, err)
	}
	p.addIPv6(snap, nIf)
	// Built now, not on first use: lookups run from many goroutines.
	p.reindex()
	return p, nil
}

// addIPv6 maps every global IPv6 interface address (link-local ones have
// no use as a neighbor address the lab can route), from the nIf-th
// interface address on, until the block is full.
func (p *Plan) addIPv6(snap *inventory.Snapshot, nIf int) {
	for _, d := range snap.Devices {
		for _, f := range d.Interfaces {
			for _, a := range f.Addresses {
				if !a.Addr().Is6() || a.Addr().IsLinkLocalUnicast() {
					continue
				}
				lab, err := nth(p.Block, ifaceBase, nIf)
				if err != nil {
					return
				}
				nIf++
				p.add(AddressMap{Device: d.Name, Interface: f.Name, Inventory: a.Addr(), Prefix: a.Bits(), Lab: lab})
			}
		}
	}
}

// countTransit is the number of transit peers the lab added.
func countTransit(p *Plan) int {
	n := 0
	for _, d := range p.Devices {
		if d.Transit != nil {
			n++
		}
	}
	return n
}

// addSpeakers gives each IPv4 speaker a device address after every device
// and transit peer (so that no existing address moves), mapped from its
// listen address; an IPv6 listen address has no lab counterpart yet.
func (p *Plan) addSpeakers(snap *inventory.Snapshot, nDev int) error {
	for _, sp := range snap.Speakers {
		if !sp.Listen.Is4() {
			continue
		}
		addr, err := nth(p.Block, deviceBase, nDev)
		if err != nil {
			return fmt.Errorf("speaker %s: %w", sp.Name, err)
		}
		nDev++
		p.Speakers = append(p.Speakers, SpeakerPlan{Name: sp.Name, Site: sp.Site, Addr: addr, Listen: sp.Listen})
	}
	return nil
}

// Speaker returns the lab placement of the named speaker.
func (p *Plan) Speaker(name string) (SpeakerPlan, bool) {
	for _, s := range p.Speakers {
		if s.Name == name {
			return s, true
		}
	}
	return SpeakerPlan{}, false
}

// speakerAt returns the speaker whose listen address is inv.
func (p *Plan) speakerAt(inv netip.Addr) (SpeakerPlan, bool) {
	for _, s := range p.Speakers {
		if s.Listen == inv {
			return s, true
		}
	}
	return SpeakerPlan{}, false
}

// add records a mapping; an inventory address used twice keeps its first
// owner, as validation already reported the duplicate.
func (p *Plan) add(m AddressMap) {
	if _, dup := p.byInv[m.Inventory]; dup {
		return
	}
	p.byInv[m.Inventory] = len(p.Mapping)
	p.Mapping = append(p.Mapping, m)
}

// reindex rebuilds lookups after the plan was read from a state file.
func (p *Plan) reindex() {
	p.byInv = make(map[netip.Addr]int, len(p.Mapping))
	p.byLab = make(map[netip.Addr]int, len(p.Mapping))
	for i, m := range p.Mapping {
		if _, dup := p.byInv[m.Inventory]; !dup {
			p.byInv[m.Inventory] = i
		}
		if _, dup := p.byLab[m.Lab]; !dup {
			p.byLab[m.Lab] = i
		}
	}
}

// Reverse returns the inventory address a lab address stands for.
func (p *Plan) Reverse(lab netip.Addr) (AddressMap, bool) {
	if p.byLab == nil {
		p.reindex()
	}
	i, ok := p.byLab[lab]
	if !ok {
		return AddressMap{}, false
	}
	return p.Mapping[i], true
}

// Translate returns the lab address standing for an inventory address and
// who owns it.
func (p *Plan) Translate(inv netip.Addr) (AddressMap, bool) {
	if p.byInv == nil {
		p.reindex()
	}
	i, ok := p.byInv[inv]
	if !ok {
		return AddressMap{}, false
	}
	return p.Mapping[i], true
}

// Device returns the planned device with that name.
func (p *Plan) Device(name string) (DevicePlan, bool) {
	for _, d := range p.Devices {
		if d.Name == name {
			return d, true
		}
	}
	return DevicePlan{}, false
}

// nth returns the n-th address from base (a multiple of 256) in block,
// skipping the .0 and .255 host bytes that read like network and broadcast
// addresses.
func nth(block netip.Prefix, base, n int) (netip.Addr, error) {
	third := base>>8 + n/254
	if third > 255 {
		return netip.Addr{}, fmt.Errorf("more addresses than block %s holds", block)
	}
	b := block.Addr().As4()
	b[2] = byte(third)
	b[3] = byte(1 + n%254)
	return netip.AddrFrom4(b), nil
}

// tracedLinks finds every routed link by tracing each device interface's
// cables; each link is found from both ends and kept once.
func tracedLinks(x *inventory.Index, snap *inventory.Snapshot) ([]Link, error) {
	seen := map[string]bool{}
	var links []Link
	for _, d := range snap.Devices {
		for _, f := range d.Interfaces {
			if c, _ := x.CableAt(inventory.PortKey{Kind: inventory.TermInterface, Holder: d.Name, Port: f.Name}); c == nil {
				continue
			}
			path, err := x.Trace(d.Name, f.Name)
			if err != nil {
				return nil, fmt.Errorf("device %s interface %s: %w", d.Name, f.Name, err)
			}
			if !path.Complete {
				continue
			}
			a := Endpoint{Device: d.Name, Interface: f.Name, Transceiver: f.Transceiver}
			var b Endpoint
			speed := int64(f.Speed)
			switch path.To.Kind() {
			case inventory.TermInterface:
				b = Endpoint{Device: path.To.Device, Interface: path.To.Interface}
				if fi := x.Interface(b.Device, b.Interface); fi != nil {
					b.Transceiver = fi.Transceiver
					speed = minSpeed(speed, int64(fi.Speed))
				}
			case inventory.TermCircuit:
				// The provider hands off with an optic matching ours.
				b = Endpoint{Circuit: path.To.Circuit, Transceiver: f.Transceiver}
				if c := x.Circuit(b.Circuit); c != nil {
					speed = minSpeed(speed, int64(c.Bandwidth))
				}
			}
			if b.Circuit == "" && b.String() < a.String() {
				a, b = b, a
			}
			id := a.String() + "--" + b.String()
			if seen[id] {
				continue
			}
			seen[id] = true
			l := Link{ID: id, A: a, B: b, SpeedMbps: speed}
			srlg := map[string]bool{}
			for _, c := range path.Cables {
				l.Cables = append(l.Cables, c.Label)
				l.LengthM += c.Length.Meters
				l.Splices += c.Splices
				if l.Fiber == "" {
					l.Fiber = string(c.Type)
				}
				for _, s := range c.SRLGs {
					if !srlg[s] {
						srlg[s] = true
						l.SRLGs = append(l.SRLGs, s)
					}
				}
			}
			links = append(links, l)
		}
	}
	slices.SortFunc(links, func(a, b Link) int { return cmp.Compare(a.ID, b.ID) })
	return links, nil
}

// minSpeed is the lower of two speeds, a zero standing for unknown.
func minSpeed(a, b int64) int64 {
	if a == 0 || (b != 0 && b < a) {
		return b
	}
	return a
}

// LinksOnCable returns the links riding a cable.
func (p *Plan) LinksOnCable(label string) []Link {
	var out []Link
	for _, l := range p.Links {
		if slices.Contains(l.Cables, label) {
			out = append(out, l)
		}
	}
	return out
}

// LinksInSRLG returns the links riding any cable of a shared-risk group.
func (p *Plan) LinksInSRLG(srlg string) []Link {
	var out []Link
	for _, l := range p.Links {
		if slices.Contains(l.SRLGs, srlg) {
			out = append(out, l)
		}
	}
	return out
}

// LinkAt returns the link on a device interface.
func (p *Plan) LinkAt(device, iface string) (Link, bool) {
	for _, l := range p.Links {
		if (l.A.Device == device && l.A.Interface == iface) || (l.B.Device == device && l.B.Interface == iface) {
			return l, true
		}
	}
	return Link{}, false
}

// describe is a one-line summary for logs.
func (p *Plan) describe() string {
	var b strings.Builder
	fmt.Fprintf(&b, "lab %s: %d devices in %s, %d links, ssh :%d, gnmi :%d, bgp :%d",
		p.Name, len(p.Devices), p.Block, len(p.Links), p.Ports.SSH, p.Ports.GNMI, p.Ports.BGP)
	return b.String()
}

func mustAddr(s string) netip.Addr {
	a, _ := netip.ParseAddr(s)
	return a
}
