package gnmitarget

import (
	"fmt"
	"net/netip"
	"time"
)

// DeviceView is a device's state in the terms of the served models, for
// a Backend whose device keeps its own structs (a running config, a link
// model): fill one in State and return its Leaves.
type DeviceView struct {
	Interfaces []InterfaceView
	// BGP is nil on a device without BGP: then no neighbor can be set.
	BGP *BGPView
}

// InterfaceView is one interface.
type InterfaceView struct {
	Name        string
	Description string
	Enabled     bool // admin state: "shutdown" in FRR is Enabled false
	OperUp      bool
	MTU         uint16 // 0 reports nothing
	Loopback    bool   // type softwareLoopback rather than ethernetCsmacd
	LastChange  time.Time
	// Addresses are the IPv4 and IPv6 addresses of subinterface 0, which
	// is the interface itself on FRR.
	Addresses []netip.Prefix
	Counters  Counters
	// Transceiver is nil for copper ports and loopbacks.
	Transceiver *TransceiverView
}

// Counters are the interface counters the models define.
type Counters struct {
	InOctets, OutOctets, InPkts, OutPkts         uint64
	InErrors, OutErrors, InDiscards, OutDiscards uint64
}

// TransceiverView is the optic of an interface, a component of its own.
type TransceiverView struct {
	// Component names the component; empty means the interface name.
	Component  string
	FormFactor string  // like "SFP_PLUS", "QSFP28"; empty reports nothing
	InputDBm   float64 // received power
	OutputDBm  float64 // launched power
}

// BGPView is the BGP instance of the default network instance.
type BGPView struct {
	AS        uint32
	RouterID  string
	Neighbors []NeighborView
}

// NeighborView is one BGP neighbor.
type NeighborView struct {
	Address     string // as configured, the list key
	PeerAS      uint32
	Description string
	Enabled     bool // false for "neighbor X shutdown"
	// SessionState is the FSM state in OpenConfig's spelling: IDLE,
	// CONNECT, ACTIVE, OPENSENT, OPENCONFIRM, ESTABLISHED. FRR's and
	// GoBGP's names upper-cased are these.
	SessionState           string
	LastEstablished        time.Time
	EstablishedTransitions uint64
	PrefixesReceived       uint32
	PrefixesSent           uint32
}

func upDown(up bool) string {
	if up {
		return "UP"
	}
	return "DOWN"
}

// EditKind says what an Edit changes.
type EditKind int

// The edits a Set can make, one per writable leaf or deletable entry.
const (
	EditInterfaceDescription EditKind = iota + 1 // String; Delete clears it
	EditInterfaceMTU                             // Uint; Delete restores the default
	EditInterfaceEnabled                         // Bool; Delete restores enabled
	EditAddress                                  // Address (with its length); Delete removes it
	EditSubinterface                             // Delete only: every address of Subinterface goes
	EditNeighborPeerAS                           // Uint; creates the neighbor if new
	EditNeighborDescription                      // String; Delete clears it
	EditNeighborEnabled                          // Bool; Delete restores enabled
	EditNeighbor                                 // Delete only: the whole neighbor goes
)

// Edit is a Change decoded into the device's terms.
type Edit struct {
	Kind         EditKind
	Delete       bool
	Interface    string       // interface and address edits
	Subinterface uint32       // address and subinterface edits; 0 is the interface itself
	Address      netip.Prefix // EditAddress; on Delete its length is 0
	Neighbor     string       // neighbor edits
	String       string
	Uint         uint32
	Bool         bool
}

// DecodeChange turns a Change from Apply into an Edit. It fails only on
// changes outside the writable schema, which the server never sends.
func DecodeChange(c Change) (Edit, error) {
	p, err := newSchema().check(c)
	if err != nil {
		return Edit{}, err
	}
	del := c.Op == OpDelete
	e := Edit{Delete: del}
	if k := p.Keys("interface"); k != nil {
		e.Interface = k["name"]
	}
	if k := p.Keys("subinterface"); k != nil {
		var n uint32
		if _, err := fmt.Sscan(k["index"], &n); err != nil {
			return Edit{}, fmt.Errorf("change %s: subinterface index: %w", c.Path, err)
		}
		e.Subinterface = n
	}
	if k := p.Keys("neighbor"); k != nil {
		e.Neighbor = k["neighbor-address"]
	}
	last := p[len(p)-1].Name
	switch {
	case e.Neighbor != "" && last == "neighbor":
		e.Kind = EditNeighbor
	case e.Neighbor != "":
		e.Kind = map[string]EditKind{"peer-as": EditNeighborPeerAS, "description": EditNeighborDescription, "enabled": EditNeighborEnabled}[last]
	case p.Keys("address") != nil:
		a, err := netip.ParseAddr(p.Keys("address")["ip"])
		if err != nil {
			return Edit{}, fmt.Errorf("change %s: %w", c.Path, err)
		}
		e.Kind, e.Address = EditAddress, netip.PrefixFrom(a, 0)
		if !del {
			n, _ := c.Value.(uint8)
			e.Address = netip.PrefixFrom(a, int(n))
		}
	case last == "subinterface":
		e.Kind = EditSubinterface
	case e.Interface != "":
		e.Kind = map[string]EditKind{"description": EditInterfaceDescription, "mtu": EditInterfaceMTU, "enabled": EditInterfaceEnabled}[last]
	}
	if e.Kind == 0 || (!del && (e.Kind == EditNeighbor || e.Kind == EditSubinterface)) {
		return Edit{}, fmt.Errorf("change %s %s: not a writable path", c.Op, c.Path)
	}
	if !del {
		switch v := c.Value.(type) {
		case string:
			e.String = v
		case bool:
			e.Bool = v
		case uint16:
			e.Uint = uint32(v)
		case uint32:
			e.Uint = v
		case uint8:
			e.Uint = uint32(v)
		default:
			return Edit{}, fmt.Errorf("change %s: value of type %T", c.Path, c.Value)
		}
	}
	return e, nil
}
