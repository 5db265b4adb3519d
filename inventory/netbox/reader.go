package netbox

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/tuyau-net/tuyau/inventory"
)

// reader turns NetBox's devices and cables into the inventory. Where a
// tuyau custom field is set it wins; where it is not, the value is
// inferred from what NetBox already says (device roles, IP roles, loopback
// interfaces, the site's ASNs, slugs through the Mapping), and what cannot
// be is reported as missing with what would fix it.
type reader struct {
	st   *state
	base string
	m    Mapping
	rep  *Report
	// class is each device's place in the inventory, by NetBox id.
	class map[int]devClass
	// mgmtOnly are the ids of mgmt_only interfaces.
	mgmtOnly map[int]bool
	addrs    map[int][]IPAddress
	ifaces   map[int][]Interface
	haveCF   map[string]bool
	// siteRouterRole is the highest tuyau role among each site's routers,
	// by NetBox site id: built once, not by scanning every device per site
	// (28% of a 3,000-site brownfield read's CPU did that).
	siteRouterRole map[int]inventory.DeviceRole
}

// routerRank orders device roles for a site's role: its highest router.
var routerRank = map[inventory.DeviceRole]int{inventory.RoleMember: 1, inventory.RoleAggregation: 2, inventory.RoleCore: 3, inventory.RoleEdge: 3}

type devClass struct {
	kind int // devSkip, devRouter, devPanel
	role inventory.DeviceRole
}

const (
	devSkip = iota
	devRouter
	devPanel
)

func newReader(st *state, base string, m Mapping, rep *Report) *reader {
	r := &reader{st: st, base: base, m: m, rep: rep, class: map[int]devClass{}, mgmtOnly: map[int]bool{},
		addrs: map[int][]IPAddress{}, ifaces: map[int][]Interface{}, haveCF: map[string]bool{}}
	for _, f := range st.customFields {
		r.haveCF[f.Name] = true
	}
	for _, i := range st.interfaces {
		r.ifaces[i.Device.ID] = append(r.ifaces[i.Device.ID], i)
		if i.MgmtOnly {
			r.mgmtOnly[i.ID] = true
		}
	}
	for _, ip := range st.ips {
		if ip.AssignedObjectType != nil && *ip.AssignedObjectType == "dcim.interface" && ip.AssignedObjectID != nil {
			r.addrs[*ip.AssignedObjectID] = append(r.addrs[*ip.AssignedObjectID], ip)
		}
	}
	r.siteRouterRole = map[int]inventory.DeviceRole{}
	for _, d := range st.devices {
		c := r.classify(d)
		r.class[d.ID] = c
		if c.kind == devRouter && routerRank[c.role] > routerRank[r.siteRouterRole[d.Site.ID]] {
			r.siteRouterRole[d.Site.ID] = c.role
		}
	}
	return r
}

// classify says whether a device is a router, a patch panel, or something
// tuyau does not model (a PDU, a console server, a server).
func (r *reader) classify(d Device) devClass {
	if slices.Contains(r.m.PanelRoles, d.Role.Slug) {
		return devClass{kind: devPanel}
	}
	if role, ok := r.m.DeviceRoles[d.Role.Slug]; ok {
		return devClass{kind: devRouter, role: role}
	}
	if d.Platform != nil && r.m.Platforms[d.Platform.Slug] != "" && !slices.Contains(r.m.SkipRoles, d.Role.Slug) {
		// A router by its OS, in a role nobody mapped: say so rather
		// than drop it.
		r.rep.missing(Missing{Object: "device " + deviceName(d), Kind: "dcim.device", ID: d.ID, Path: apiPath("dcim/devices/", d.ID),
			What: "tuyau device role",
			Fix:  fmt.Sprintf("map NetBox device role %q in tuyau.yaml under netbox.mapping.device_roles (to core, aggregation, member or edge)", d.Role.Slug)})
		return devClass{kind: devRouter}
	}
	r.rep.skip(fmt.Sprintf("devices with role %s (not a router or patch panel)", d.Role.Slug))
	return devClass{kind: devSkip}
}

// fix names the custom field that would give a value, and the command that
// creates it when NetBox lacks it.
func (r *reader) fix(cf, object, or string) string {
	s := "set custom field " + cf + " on the " + object
	if !r.haveCF[cf] {
		s = "run `tuyau netbox bootstrap` (creates custom field " + cf + "), then set it on the " + object
	}
	if or != "" {
		s += ", or " + or
	}
	return s
}

// siteRole is the custom field, else the highest role among the site's
// routers: a site with a core router is a core site.
func (r *reader) siteRole(x Site) inventory.SiteRole {
	if v := x.Custom.text(cfSiteRole); v != "" {
		return inventory.SiteRole(v)
	}
	best := r.siteRouterRole[x.ID]
	role := map[inventory.DeviceRole]inventory.SiteRole{inventory.RoleMember: inventory.SiteMember,
		inventory.RoleAggregation: inventory.SiteAggregation, inventory.RoleCore: inventory.SiteCore, inventory.RoleEdge: inventory.SiteCore}[best]
	if role == "" {
		r.rep.missing(Missing{Object: "site " + x.Slug, Kind: "dcim.site", ID: x.ID, Path: apiPath("dcim/sites/", x.ID), What: "site role",
			Fix: r.fix(cfSiteRole, "site (core, aggregation or member)",
				"give the site a router whose NetBox device role maps to a tuyau role (tuyau.yaml netbox.mapping.device_roles)")})
		return ""
	}
	r.rep.infer("site roles from their routers' device roles")
	return role
}

func (r *reader) loadDevices(snap *inventory.Snapshot) error {
	st := r.st
	fronts, rears := map[int][]FrontPort{}, map[int][]RearPort{}
	rearName := map[int]string{}
	for _, p := range st.rearPorts {
		rearName[p.ID] = p.Name
	}
	for i := range st.frontPorts {
		p := &st.frontPorts[i]
		if st.portMappings() {
			if err := fromMapping(p, rearName, r.base, st.version); err != nil {
				return err
			}
		}
		fronts[p.Device.ID] = append(fronts[p.Device.ID], *p)
	}
	for _, p := range st.rearPorts {
		rears[p.Device.ID] = append(rears[p.Device.ID], p)
	}
	sites := map[int]*Site{}
	for i := range st.sites {
		sites[st.sites[i].ID] = &st.sites[i]
	}
	for _, d := range st.devices {
		name := deviceName(d)
		c := r.class[d.ID]
		switch c.kind {
		case devSkip:
			continue
		case devPanel:
			p := inventory.PatchPanel{Name: name, Site: d.Site.Slug, Src: src(r.base, "dcim/devices/", d.ID)}
			if d.Location != nil {
				p.Location = d.Location.Slug
			}
			for _, rp := range sortByID(rears[d.ID], func(r RearPort) int { return r.ID }) {
				out := inventory.RearPort{Name: rp.Name, Src: src(r.base, "dcim/rear-ports/", rp.ID)}
				if rp.Positions != 1 {
					out.Positions = rp.Positions
				}
				p.RearPorts = append(p.RearPorts, out)
			}
			for _, f := range sortByID(fronts[d.ID], func(f FrontPort) int { return f.ID }) {
				fp := inventory.FrontPort{Name: f.Name, RearPort: f.RearPort.Name, Src: src(r.base, "dcim/front-ports/", f.ID)}
				if f.RearPortPosition != 1 {
					fp.RearPosition = f.RearPortPosition
				}
				p.FrontPorts = append(p.FrontPorts, fp)
			}
			snap.PatchPanels = append(snap.PatchPanels, p)
			continue
		}
		dev, err := r.device(d, c.role, sites[d.Site.ID])
		if err != nil {
			return err
		}
		snap.Devices = append(snap.Devices, dev)
	}
	return nil
}

func (r *reader) device(d Device, role inventory.DeviceRole, site *Site) (inventory.Device, error) {
	name := deviceName(d)
	path := apiPath("dcim/devices/", d.ID)
	miss := func(what, fix string) {
		r.rep.missing(Missing{Object: "device " + name, Kind: "dcim.device", ID: d.ID, Path: path, What: what, Fix: fix})
	}
	dev := inventory.Device{Name: name, Site: d.Site.Slug, Role: role,
		Src: src(r.base, "dcim/devices/", d.ID), RouteReflector: d.Custom.boolean(cfRouteReflector)}
	switch {
	case d.Platform == nil:
		miss("platform", "set the device's platform in NetBox (a platform whose slug tuyau.yaml netbox.mapping.platforms maps to "+strings.Join(inventory.Platforms, ", ")+")")
	case r.m.Platforms[d.Platform.Slug] == "":
		miss("platform", fmt.Sprintf("map NetBox platform %q in tuyau.yaml under netbox.mapping.platforms (to %s)", d.Platform.Slug, strings.Join(inventory.Platforms, ", ")))
	default:
		dev.Platform = r.m.Platforms[d.Platform.Slug]
		if dev.Platform != d.Platform.Slug {
			r.rep.infer("platforms through the mapping (" + d.Platform.Slug + " → " + dev.Platform + ")")
		}
	}
	if role != "" && d.Role.Slug != string(role) {
		r.rep.infer("device roles through the mapping (" + d.Role.Slug + " → " + string(role) + ")")
	}
	if d.Location != nil {
		dev.Location = d.Location.Slug
	}
	var err error
	if d.PrimaryIP4 != nil {
		dev.Mgmt, err = addrOf(d.PrimaryIP4.Address)
	} else if d.PrimaryIP6 != nil {
		dev.Mgmt, err = addrOf(d.PrimaryIP6.Address)
	}
	if err != nil {
		return dev, fmt.Errorf("device %s: primary IP: %w", name, err)
	}
	ifaces := sortByID(r.ifaces[d.ID], func(i Interface) int { return i.ID })
	if !dev.Mgmt.IsValid() {
		// No primary IP: the one address of its out-of-band interface.
		var mg []netip.Addr
		for _, i := range ifaces {
			for _, ip := range r.addrs[i.ID] {
				if a, err := addrOf(ip.Address); i.MgmtOnly && err == nil {
					mg = append(mg, a)
				}
			}
		}
		if len(mg) == 1 {
			dev.Mgmt = mg[0]
			r.rep.infer("management addresses from the mgmt_only interface")
		}
	}
	if n, ok := d.Custom.integer(cfASN); ok {
		dev.ASN = uint32(n)
	} else if site != nil && len(site.ASNs) == 1 {
		dev.ASN = uint32(site.ASNs[0].ASN)
		r.rep.infer("device ASNs from their site's ASN")
	} else if site != nil && len(site.ASNs) > 1 {
		var list []string
		for _, a := range site.ASNs {
			list = append(list, strconv.FormatInt(a.ASN, 10))
		}
		miss("ASN", r.fix(cfASN, "device", "")+"; its site has several ASNs ("+strings.Join(list, ", ")+")")
	} else {
		r.rep.unknown("routers without an ASN (no tuyau_asn, no ASN on the site)")
	}
	for _, f := range []struct {
		name string
		dst  *netip.Addr
	}{{cfLoopback, &dev.Loopback}, {cfLoopback6, &dev.Loopback6}} {
		if v := d.Custom.text(f.name); v != "" {
			if *f.dst, err = netip.ParseAddr(v); err != nil {
				return dev, fmt.Errorf("device %s: custom field %s: %w", name, f.name, err)
			}
		}
	}
	r.inferLoopbacks(&dev, ifaces)
	if raw := d.Custom[cfTransports]; len(raw) > 0 && string(raw) != "null" {
		if err := json.Unmarshal(raw, &dev.Transports); err != nil {
			return dev, fmt.Errorf("device %s: custom field %s: want a JSON list of strings: %w", name, cfTransports, err)
		}
	}
	if len(d.LocalContextData) > 0 && string(d.LocalContextData) != "null" {
		var lc map[string]json.RawMessage
		if err := json.Unmarshal(d.LocalContextData, &lc); err != nil {
			return dev, fmt.Errorf("device %s: local config context: %w", name, err)
		}
		if raw, ok := lc[localBGPKey]; ok {
			if err := json.Unmarshal(raw, &dev.BGPSessions); err != nil {
				return dev, fmt.Errorf("device %s: local config context %s: %w", name, localBGPKey, err)
			}
		}
	}
	for _, i := range ifaces {
		if i.MgmtOnly {
			continue
		}
		iface := inventory.Interface{Name: i.Name, Description: i.Description,
			Transceiver: i.Custom.text(cfTransceiver), Src: src(r.base, "dcim/interfaces/", i.ID)}
		if i.Speed != nil {
			iface.Speed = inventory.Speed(*i.Speed / 1000)
		} else if sp := speedOfType(valueOf(i.Type)); sp > 0 {
			iface.Speed = sp
			r.rep.infer("interface speeds from their type")
		}
		if i.MTU != nil {
			iface.MTU = *i.MTU
		}
		if !i.Enabled {
			iface.Enabled = new(bool)
		}
		for _, ip := range sortByID(r.addrs[i.ID], func(ip IPAddress) int { return ip.ID }) {
			p, err := netip.ParsePrefix(ip.Address)
			if err != nil {
				return dev, fmt.Errorf("device %s interface %s: address %q: %w", name, i.Name, ip.Address, err)
			}
			iface.Addresses = append(iface.Addresses, p)
		}
		dev.Interfaces = append(dev.Interfaces, iface)
	}
	if !dev.Loopback.IsValid() {
		r.rep.unknown("routers without an IPv4 loopback")
	}
	return dev, nil
}

// inferLoopbacks fills unset loopbacks from an address with NetBox IP role
// "loopback", else from a loopback interface (lo, lo0, Loopback0, or type
// virtual) holding a host route (/32, /128).
func (r *reader) inferLoopbacks(dev *inventory.Device, ifaces []Interface) {
	pick := func(byRole bool) {
		for _, i := range ifaces {
			if i.MgmtOnly || !byRole && !isLoopbackInterface(i) {
				continue
			}
			for _, ip := range sortByID(r.addrs[i.ID], func(ip IPAddress) int { return ip.ID }) {
				p, err := netip.ParsePrefix(ip.Address)
				if err != nil || byRole && valueOf(ip.Role) != "loopback" || !byRole && p.Bits() != p.Addr().BitLen() {
					continue
				}
				how := "loopbacks from a loopback interface's host address"
				if byRole {
					how = "loopbacks from IP addresses with role loopback"
				}
				if p.Addr().Is4() && !dev.Loopback.IsValid() {
					dev.Loopback = p.Addr()
					r.rep.infer(how)
				} else if p.Addr().Is6() && !dev.Loopback6.IsValid() {
					dev.Loopback6 = p.Addr()
					r.rep.infer(how)
				}
			}
		}
	}
	pick(true)
	pick(false)
}

func isLoopbackInterface(i Interface) bool {
	n := strings.ToLower(i.Name)
	return valueOf(i.Type) == "virtual" || n == "lo" || strings.HasPrefix(n, "lo0") || strings.HasPrefix(n, "loopback")
}

// speedOfType reads the speed a NetBox interface type names, in Mbit/s.
func speedOfType(t string) inventory.Speed {
	for _, x := range []struct {
		prefix string
		speed  inventory.Speed
	}{{"400gbase", 400000}, {"200gbase", 200000}, {"100gbase", 100000}, {"50gbase", 50000}, {"40gbase", 40000},
		{"25gbase", 25000}, {"10gbase", 10000}, {"5gbase", 5000}, {"2.5gbase", 2500}, {"1000base", 1000}, {"100base", 100}} {
		if strings.HasPrefix(t, x.prefix) {
			return x.speed
		}
	}
	return 0
}

func (r *reader) loadCables(snap *inventory.Snapshot) error {
	for _, c := range r.st.cables {
		label := c.Label
		if label == "" {
			label = "netbox-cable-" + strconv.Itoa(c.ID)
		}
		cable := inventory.Cable{Label: label, Status: inventory.CableStatus(valueOf(c.Status)),
			Color: c.Color, Src: src(r.base, "dcim/cables/", c.ID)}
		var why string
		var err error
		if cable.A, why, err = r.termination(c.ATerminations); err != nil {
			return fmt.Errorf("cable %s end A: %w", label, err)
		}
		if why == "" {
			if cable.B, why, err = r.termination(c.BTerminations); err != nil {
				return fmt.Errorf("cable %s end B: %w", label, err)
			}
		}
		if why != "" {
			r.rep.skip(why)
			continue
		}
		if c.Type != "" {
			t, ok := r.m.CableTypes[c.Type]
			if !ok {
				r.rep.missing(Missing{Object: "cable " + label, Kind: "dcim.cable", ID: c.ID, Path: apiPath("dcim/cables/", c.ID), What: "cable type",
					Fix: fmt.Sprintf("map NetBox cable type %q in tuyau.yaml under netbox.mapping.cable_types (to smf, mmf or cat6)", c.Type)})
			}
			if ok && string(t) != c.Type {
				r.rep.infer("cable types by family (" + c.Type + " → " + string(t) + ")")
			}
			cable.Type = t
		}
		if c.Length != nil {
			unit := valueOf(c.LengthUnit)
			if unit == "" {
				unit = "m"
			}
			if cable.Length, err = inventory.NewLength(*c.Length, unit); err != nil {
				return fmt.Errorf("cable %s: %w", label, err)
			}
		}
		if n, ok := c.Custom.integer(cfStrands); ok {
			cable.Strands = int(n)
		}
		if n, ok := c.Custom.integer(cfSplices); ok {
			cable.Splices = int(n)
		}
		if n, ok := c.Custom.integer(cfConnectors); ok {
			cable.ConnectorPairs = int(n)
		}
		if x, ok := c.Custom.decimal(cfAttenuator); ok {
			cable.AttenuatorDB = x
		}
		if raw := c.Custom[cfSRLGs]; len(raw) > 0 && string(raw) != "null" {
			if err := json.Unmarshal(raw, &cable.SRLGs); err != nil {
				return fmt.Errorf("cable %s: custom field %s: want a JSON list of strings: %w", label, cfSRLGs, err)
			}
		}
		snap.Cables = append(snap.Cables, cable)
	}
	return nil
}

// termination reads one cable end. tuyau models one termination per end
// on an interface, a patch panel port or a circuit; a cable that ends
// elsewhere is skipped, with why.
func (r *reader) termination(ts []CableTermination) (inventory.Termination, string, error) {
	if len(ts) != 1 {
		return inventory.Termination{}, fmt.Sprintf("cables with %d terminations on one end (tuyau models one)", len(ts)), nil
	}
	t := ts[0]
	switch t.ObjectType {
	case "dcim.interface", "dcim.frontport", "dcim.rearport":
		var p BriefPort
		if err := decodeJSON(t.Object, &p); err != nil {
			return inventory.Termination{}, "", fmt.Errorf("%s %d: %w", t.ObjectType, t.ObjectID, err)
		}
		if c, ok := r.class[p.Device.ID]; ok && c.kind == devSkip {
			return inventory.Termination{}, "cables to devices tuyau does not model", nil
		}
		dev := p.Device.Name
		if dev == "" {
			dev = "netbox-device-" + strconv.Itoa(p.Device.ID)
		}
		switch t.ObjectType {
		case "dcim.interface":
			if r.mgmtOnly[t.ObjectID] {
				return inventory.Termination{}, "out-of-band cables (to a mgmt_only interface)", nil
			}
			return inventory.Termination{Device: dev, Interface: p.Name}, "", nil
		case "dcim.frontport":
			return inventory.Termination{Panel: dev, Front: p.Name}, "", nil
		}
		return inventory.Termination{Panel: dev, Rear: p.Name}, "", nil
	case "circuits.circuittermination":
		var ct BriefCircuitTermination
		if err := decodeJSON(t.Object, &ct); err != nil {
			return inventory.Termination{}, "", fmt.Errorf("%s %d: %w", t.ObjectType, t.ObjectID, err)
		}
		return inventory.Termination{Circuit: ct.Circuit.CID, Side: ct.TermSide}, "", nil
	}
	return inventory.Termination{}, "cables to a " + t.ObjectType, nil
}
