package inventory

import "net/netip"

// Snapshot is the whole network as one value: every domain package reads it,
// none of them mutates it. Slices keep the order of the source so that output
// is stable; use Index for lookups.
type Snapshot struct {
	Network     Network          `json:"network" yaml:"network,omitempty"`
	Regions     []Region         `json:"regions" yaml:"regions,omitempty"`
	Sites       []Site           `json:"sites" yaml:"sites,omitempty"`
	Devices     []Device         `json:"devices" yaml:"devices,omitempty"`
	PatchPanels []PatchPanel     `json:"patch_panels" yaml:"patch_panels,omitempty"`
	Cables      []Cable          `json:"cables" yaml:"cables,omitempty"`
	Circuits    []Circuit        `json:"circuits" yaml:"circuits,omitempty"`
	Prefixes    []Prefix         `json:"prefixes" yaml:"prefixes,omitempty"`
	ASNs        []ASN            `json:"asns" yaml:"asns,omitempty"`
	Services    []HostingService `json:"services" yaml:"services,omitempty"`
	// Speakers are tuyau's own BGP speakers, one per core site (speaker.go).
	Speakers []Speaker `json:"speakers,omitempty" yaml:"speakers,omitempty"`
	// Optics adds transceiver types to the built-in table (BiDi, CWDM and
	// DWDM, 400G, vendor modules), with their optical figures.
	Optics []Optic `json:"optics,omitempty" yaml:"optics,omitempty"`
	// Warnings are what the loader found legal but questionable (a
	// deprecated field): a snapshot with errors is never returned.
	Warnings Problems `json:"-" yaml:"-"`
}

// Network names the network the snapshot describes.
type Network struct {
	Name        string `json:"name" yaml:"name,omitempty"`
	Description string `json:"description,omitempty" yaml:"description,omitempty"`
	// ASN is the public body's own autonomous system (core and aggregation).
	ASN uint32 `json:"asn,omitempty" yaml:"asn,omitempty"`
	Src Source `json:"-" yaml:"-"`
}

// Region groups sites (a département inside a région, for instance).
type Region struct {
	Slug   string `json:"slug" yaml:"slug"`
	Name   string `json:"name,omitempty" yaml:"name,omitempty"`
	Parent string `json:"parent,omitempty" yaml:"parent,omitempty"`
	Src    Source `json:"-" yaml:"-"`
}

// SiteRole says what a site is for in the network.
type SiteRole string

const (
	SiteCore        SiteRole = "core"        // a core datacenter room
	SiteAggregation SiteRole = "aggregation" // an aggregation point of presence
	SiteMember      SiteRole = "member"      // a member's premises: town hall, school, hospital...
)

// SiteRoles lists the valid site roles.
var SiteRoles = []SiteRole{SiteCore, SiteAggregation, SiteMember}

// Site is a place with equipment: a datacenter room, a POP, a member's building.
type Site struct {
	Slug   string   `json:"slug" yaml:"slug"`
	Name   string   `json:"name,omitempty" yaml:"name,omitempty"`
	Region string   `json:"region,omitempty" yaml:"region,omitempty"`
	Role   SiteRole `json:"role" yaml:"role"`
	// Facility is the kind of building: datacenter, pop, town-hall, school, hospital...
	Facility  string  `json:"facility,omitempty" yaml:"facility,omitempty"`
	Latitude  float64 `json:"latitude" yaml:"latitude"`
	Longitude float64 `json:"longitude" yaml:"longitude"`
	Address   string  `json:"address,omitempty" yaml:"address,omitempty"`
	// Locations are the rooms or buildings inside the site (NetBox
	// dcim/locations), so that two datacenter rooms of one site stay apart.
	Locations []Location `json:"locations,omitempty" yaml:"locations,omitempty"`
	Src       Source     `json:"-" yaml:"-"`
}

// HasCoordinates reports whether the site's position is known. A site
// without latitude and longitude (YAML omits them, NetBox has null) is at
// 0,0 in the struct, a point in the Gulf of Guinea no site of tuyau's
// networks is at: views leave such a site off maps.
func (s Site) HasCoordinates() bool { return s.Latitude != 0 || s.Longitude != 0 }

// Location is a room, floor or building inside a site. Parent names another
// location of the same site (a room inside a building), or is empty.
type Location struct {
	Slug   string `json:"slug" yaml:"slug"`
	Name   string `json:"name,omitempty" yaml:"name,omitempty"`
	Parent string `json:"parent,omitempty" yaml:"parent,omitempty"`
	Src    Source `json:"-" yaml:"-"`
}

// DeviceRole says what a router does.
type DeviceRole string

const (
	RoleCore        DeviceRole = "core"        // core router, route reflector
	RoleAggregation DeviceRole = "aggregation" // aggregation router in a POP
	RoleMember      DeviceRole = "member"      // customer edge at a member site
	RoleEdge        DeviceRole = "edge"        // border router facing transit
)

// DeviceRoles lists the valid device roles.
var DeviceRoles = []DeviceRole{RoleCore, RoleAggregation, RoleMember, RoleEdge}

// Platforms lists the network operating systems tuyau knows.
var Platforms = []string{"frr", "eos", "iosxe", "junos", "srlinux"}

// Transports lists the management transports a device may speak.
var Transports = []string{"ssh", "gnmi", "netconf"}

// Device is a router or switch. Patch panels are not devices here: they
// carry no config, see PatchPanel.
type Device struct {
	Name string `json:"name" yaml:"name"`
	Site string `json:"site" yaml:"site"`
	// Location is the slug of a location of Site, or empty for the site as a whole.
	Location string     `json:"location,omitempty" yaml:"location,omitempty"`
	Role     DeviceRole `json:"role" yaml:"role"`
	Platform string     `json:"platform" yaml:"platform"`
	// Mgmt is the out-of-band management address tuyau connects to.
	Mgmt       netip.Addr `json:"mgmt,omitzero" yaml:"mgmt,omitempty"`
	ASN        uint32     `json:"asn,omitempty" yaml:"asn,omitempty"`
	Loopback   netip.Addr `json:"loopback,omitzero" yaml:"loopback,omitempty"`
	Loopback6  netip.Addr `json:"loopback6,omitzero" yaml:"loopback6,omitempty"`
	Transports []string   `json:"transports,omitempty" yaml:"transports,flow,omitempty"`
	// RouteReflector marks the iBGP route reflectors (one per core site).
	RouteReflector bool         `json:"route_reflector,omitempty" yaml:"route_reflector,omitempty"`
	Interfaces     []Interface  `json:"interfaces,omitempty" yaml:"interfaces,omitempty"`
	BGPSessions    []BGPSession `json:"bgp_sessions,omitempty" yaml:"bgp_sessions,omitempty"`
	Src            Source       `json:"-" yaml:"-"`
}

// Interface is a port of a device.
type Interface struct {
	Name        string `json:"name" yaml:"name"`
	Description string `json:"description,omitempty" yaml:"description,omitempty"`
	// Speed in Mbit/s; YAML accepts "10G", "1G", "100M" or a number of Mbit/s.
	Speed   Speed `json:"speed_mbps,omitempty" yaml:"speed,omitempty"`
	MTU     int   `json:"mtu,omitempty" yaml:"mtu,omitempty"`
	Enabled *bool `json:"enabled,omitempty" yaml:"enabled,omitempty"`
	// Addresses hold the interface address with its prefix length (10.0.0.1/31).
	Addresses   []netip.Prefix `json:"addresses,omitempty" yaml:"addresses,flow,omitempty"`
	Transceiver string         `json:"transceiver,omitempty" yaml:"transceiver,omitempty"`
	Src         Source         `json:"-" yaml:"-"`
}

// IsEnabled reports whether the interface is administratively up (the default).
func (i Interface) IsEnabled() bool { return i.Enabled == nil || *i.Enabled }

// SessionOn returns the device's BGP session of the given role whose peer
// sits on the interface's subnet, and the interface's address there: a
// transit provider's router is found from the circuit's port this way.
func (d *Device) SessionOn(ifc *Interface, role BGPRole) (BGPSession, netip.Prefix, bool) {
	for _, n := range d.BGPSessions {
		if n.Role != role {
			continue
		}
		for _, a := range ifc.Addresses {
			if a.Contains(n.PeerAddress) && a.Addr() != n.PeerAddress {
				return n, a, true
			}
		}
	}
	return BGPSession{}, netip.Prefix{}, false
}

// PatchPanel is an optical distribution frame: front ports face the room,
// rear ports face the outside plant. Front port N maps to a position of a
// rear port, as in NetBox.
type PatchPanel struct {
	Name string `json:"name" yaml:"name"`
	Site string `json:"site" yaml:"site"`
	// Location is the slug of a location of Site, or empty.
	Location   string      `json:"location,omitempty" yaml:"location,omitempty"`
	FrontPorts []FrontPort `json:"front_ports" yaml:"front_ports"`
	RearPorts  []RearPort  `json:"rear_ports" yaml:"rear_ports"`
	Src        Source      `json:"-" yaml:"-"`
}

// FrontPort is a front connector of a patch panel, mapped to one position of a rear port.
type FrontPort struct {
	Name         string `json:"name" yaml:"name"`
	RearPort     string `json:"rear_port" yaml:"rear_port"`
	RearPosition int    `json:"rear_position,omitempty" yaml:"rear_position,omitempty"`
	Src          Source `json:"-" yaml:"-"`
}

// RearPort is a rear connector of a patch panel; Positions is the number of
// front ports (fibers) it carries, 1 by default.
type RearPort struct {
	Name      string `json:"name" yaml:"name"`
	Positions int    `json:"positions,omitempty" yaml:"positions,omitempty"`
	Src       Source `json:"-" yaml:"-"`
}

// TerminationKind tells which kind of object a cable end is attached to.
type TerminationKind string

const (
	TermInterface TerminationKind = "interface"
	TermFrontPort TerminationKind = "front-port"
	TermRearPort  TerminationKind = "rear-port"
	TermCircuit   TerminationKind = "circuit"
)

// Termination is one end of a cable: a device interface, a patch panel port
// or a circuit termination. Exactly one of the three forms is set.
type Termination struct {
	Device    string `json:"device,omitempty" yaml:"device,omitempty"`
	Interface string `json:"interface,omitempty" yaml:"interface,omitempty"`
	Panel     string `json:"panel,omitempty" yaml:"panel,omitempty"`
	Front     string `json:"front,omitempty" yaml:"front,omitempty"`
	Rear      string `json:"rear,omitempty" yaml:"rear,omitempty"`
	Circuit   string `json:"circuit,omitempty" yaml:"circuit,omitempty"`
	// Side is the circuit side, A or Z.
	Side string `json:"side,omitempty" yaml:"side,omitempty"`
	Src  Source `json:"-" yaml:"-"`
}

// Kind returns what the termination is attached to, or "" when it is malformed.
func (t Termination) Kind() TerminationKind {
	switch {
	case t.Device != "" && t.Interface != "" && t.Panel == "" && t.Circuit == "":
		return TermInterface
	case t.Panel != "" && t.Front != "" && t.Rear == "" && t.Device == "" && t.Circuit == "":
		return TermFrontPort
	case t.Panel != "" && t.Rear != "" && t.Front == "" && t.Device == "" && t.Circuit == "":
		return TermRearPort
	case t.Circuit != "" && t.Device == "" && t.Panel == "":
		return TermCircuit
	}
	return ""
}

// String names the termination the way an engineer reads it: dev:eth1, odf1[F3], circuit:TR-1/A.
func (t Termination) String() string {
	switch t.Kind() {
	case TermInterface:
		return t.Device + ":" + t.Interface
	case TermFrontPort:
		return t.Panel + "[front " + t.Front + "]"
	case TermRearPort:
		return t.Panel + "[rear " + t.Rear + "]"
	case TermCircuit:
		side := t.Side
		if side == "" {
			side = "A"
		}
		return "circuit " + t.Circuit + "/" + side
	}
	return "malformed termination"
}

// FiberType is single-mode or multi-mode.
type FiberType string

const (
	FiberSMF    FiberType = "smf"
	FiberMMF    FiberType = "mmf"
	CableCopper FiberType = "cat6"
)

// CableTypes lists the cable types accepted.
var CableTypes = []FiberType{FiberSMF, FiberMMF, CableCopper}

// CableStatus follows NetBox's cable statuses.
type CableStatus string

const (
	CableConnected      CableStatus = "connected"
	CablePlanned        CableStatus = "planned"
	CableDecommissioned CableStatus = "decommissioning"
)

// CableStatuses lists the valid cable statuses.
var CableStatuses = []CableStatus{CableConnected, CablePlanned, CableDecommissioned}

// Cable is a fiber (or copper) cable between two terminations: a patch cord
// inside a room or kilometres of outside plant.
type Cable struct {
	Label   string      `json:"label" yaml:"label"`
	A       Termination `json:"a" yaml:"a,flow"`
	B       Termination `json:"b" yaml:"b,flow"`
	Type    FiberType   `json:"type,omitempty" yaml:"type,omitempty"`
	Strands int         `json:"strands,omitempty" yaml:"strands,omitempty"`
	// Length is normalized to metres on load; the unit written in the source is kept for display.
	Length Length      `json:"length" yaml:"length,omitempty"`
	Status CableStatus `json:"status,omitempty" yaml:"status,omitempty"`
	// SRLGs are the shared-risk groups the cable runs in: duct, trench or bridge ids.
	SRLGs   []string `json:"srlgs,omitempty" yaml:"srlgs,flow,omitempty"`
	Splices int      `json:"splices,omitempty" yaml:"splices,omitempty"`
	// ConnectorPairs is the number of mated connector pairs the cable adds
	// to the loss of a link over it; 0 means unset, which budgets count as
	// one (see docs/inventory.md).
	ConnectorPairs int `json:"connector_pairs,omitempty" yaml:"connector_pairs,omitempty"`
	// Connectors is the deprecated field connector_pairs replaces. It
	// counted single connectors, of which budgets charged half, rounded
	// up; it is read that way when ConnectorPairs is unset.
	Connectors int `json:"connectors,omitempty" yaml:"connectors,omitempty"`
	// AttenuatorDB is a fixed inline attenuator on the cable, in dB (an
	// LC attenuator at the patch panel or the optic): a short span with a
	// long-reach optic (ZR, ER) overloads its receiver without one.
	// Budgets charge it in both the planning and the best-case loss.
	AttenuatorDB float64 `json:"attenuator_db,omitempty" yaml:"attenuator_db,omitempty"`
	Color        string  `json:"color,omitempty" yaml:"color,omitempty"`
	Src          Source  `json:"-" yaml:"-"`
}

// Circuit is a service bought from a provider: IP transit, leased fiber.
type Circuit struct {
	ID        string `json:"id" yaml:"id"`
	Provider  string `json:"provider" yaml:"provider"`
	Type      string `json:"type,omitempty" yaml:"type,omitempty"`
	Bandwidth Speed  `json:"bandwidth_mbps,omitempty" yaml:"bandwidth,omitempty"`
	Status    string `json:"status,omitempty" yaml:"status,omitempty"`
	// A and Z are the sites where the circuit is handed over; Z is empty for transit.
	A   CircuitEnd `json:"a" yaml:"a"`
	Z   CircuitEnd `json:"z,omitzero" yaml:"z,omitempty"`
	Src Source     `json:"-" yaml:"-"`
}

// CircuitEnd is where a circuit is handed over: a site and, when known, the
// interface it lands on.
type CircuitEnd struct {
	Site      string `json:"site,omitempty" yaml:"site,omitempty"`
	Device    string `json:"device,omitempty" yaml:"device,omitempty"`
	Interface string `json:"interface,omitempty" yaml:"interface,omitempty"`
	Src       Source `json:"-" yaml:"-"`
}

// IsZero reports whether the end is unset.
func (e CircuitEnd) IsZero() bool { return e.Site == "" && e.Device == "" && e.Interface == "" }

// Prefix is an IP prefix the network uses: loopbacks, link nets, member LANs, hosting.
type Prefix struct {
	Prefix      netip.Prefix `json:"prefix" yaml:"prefix"`
	Role        string       `json:"role,omitempty" yaml:"role,omitempty"`
	Site        string       `json:"site,omitempty" yaml:"site,omitempty"`
	Description string       `json:"description,omitempty" yaml:"description,omitempty"`
	Src         Source       `json:"-" yaml:"-"`
}

// ASN is an autonomous system the network knows: its own, its members', its transits'.
type ASN struct {
	ASN         uint32 `json:"asn" yaml:"asn"`
	Name        string `json:"name,omitempty" yaml:"name,omitempty"`
	Description string `json:"description,omitempty" yaml:"description,omitempty"`
	Src         Source `json:"-" yaml:"-"`
}

// BGPRole says why a session exists.
type BGPRole string

const (
	BGPiBGP    BGPRole = "ibgp"    // iBGP towards a route reflector (or from one, to a client)
	BGPTransit BGPRole = "transit" // eBGP to an IP transit provider
	BGPMember  BGPRole = "member"  // eBGP between the network and a member site
)

// BGPRoles lists the valid BGP session roles.
var BGPRoles = []BGPRole{BGPiBGP, BGPTransit, BGPMember}

// AddressFamilies lists the address families a session may carry.
var AddressFamilies = []string{"ipv4-unicast", "ipv6-unicast"}

// BGPSession is one BGP neighbor configured on a device.
type BGPSession struct {
	PeerAddress netip.Addr `json:"peer_address" yaml:"peer_address"`
	PeerASN     uint32     `json:"peer_asn" yaml:"peer_asn"`
	Role        BGPRole    `json:"role" yaml:"role"`
	// PeerDevice names the device at the other end when it is in the inventory.
	PeerDevice  string   `json:"peer_device,omitempty" yaml:"peer_device,omitempty"`
	Families    []string `json:"families,omitempty" yaml:"families,flow,omitempty"`
	Description string   `json:"description,omitempty" yaml:"description,omitempty"`
	// RRClient marks the peer as a route-reflector client of this device.
	RRClient bool `json:"rr_client,omitempty" yaml:"rr_client,omitempty"`
	// PasswordSecret names a key of the secrets file (bgp.passwords)
	// holding the session's TCP MD5 password; the inventory never holds
	// the password itself.
	PasswordSecret string `json:"password_secret,omitempty" yaml:"password_secret,omitempty"`
	// MaxPrefix overrides the session's maximum-prefix (per address
	// family); 0 keeps the default (docs/provisioning.md).
	MaxPrefix int `json:"max_prefix,omitempty" yaml:"max_prefix,omitempty"`
	// Disable turns off safeguards the renderer applies by default, by
	// name (one of SessionSafeguards), for this session only.
	Disable []string `json:"disable,omitempty" yaml:"disable,flow,omitempty"`
	Src     Source   `json:"-" yaml:"-"`
}

// Safeguards a BGP session can turn off with disable.
const (
	SafeMaxPrefix       = "max-prefix"
	SafeGTSM            = "gtsm"
	SafeBFD             = "bfd"
	SafeBogons          = "bogons"
	SafeGracefulRestart = "graceful-restart"
)

// SessionSafeguards are the names disable accepts.
var SessionSafeguards = []string{SafeMaxPrefix, SafeGTSM, SafeBFD, SafeBogons, SafeGracefulRestart}

// Disabled reports whether the session turns the safeguard off.
func (b BGPSession) Disabled(safeguard string) bool {
	for _, d := range b.Disable {
		if d == safeguard {
			return true
		}
	}
	return false
}

// HostingService is a shared-hosting service whose prefixes are announced
// from the core sites, in order of preference (first is primary).
type HostingService struct {
	Name     string         `json:"name" yaml:"name"`
	Prefixes []netip.Prefix `json:"prefixes" yaml:"prefixes,flow"`
	Sites    []string       `json:"sites" yaml:"sites,flow"`
	Src      Source         `json:"-" yaml:"-"`
}

// Pairs returns the mated connector pairs the inventory gives a cable:
// ConnectorPairs, else the deprecated Connectors halved and rounded up,
// else 0 (unset; budgets then count one).
func (c *Cable) Pairs() int {
	if c.ConnectorPairs == 0 && c.Connectors > 0 {
		return (c.Connectors + 1) / 2
	}
	return c.ConnectorPairs
}
