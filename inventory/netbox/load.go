package netbox

import (
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/tuyau-net/tuyau/inventory"
)

// Load reads the whole network from NetBox. It returns an error, never a
// partial snapshot.
func (s *Store) Load(ctx context.Context) (*inventory.Snapshot, error) {
	st, err := s.fetchState(ctx)
	if err != nil {
		return nil, err
	}
	snap, err := st.snapshot(s.c.base)
	if err != nil {
		return nil, fmt.Errorf("netbox %s: %w", s.c.base, err)
	}
	return snap, nil
}

func src(base, path string, id int) inventory.Source {
	return inventory.Source{File: base + "/api/" + path + strconv.Itoa(id) + "/"}
}

// snapshot turns what NetBox holds into the inventory model; docs/netbox.md
// describes the mapping.
func (st *state) snapshot(base string) (*inventory.Snapshot, error) {
	snap := &inventory.Snapshot{}
	for _, c := range st.contexts {
		switch {
		case c.Name == networkContext:
			var data struct {
				Network inventory.Network `json:"tuyau_network"`
			}
			if err := json.Unmarshal(c.Data, &data); err != nil {
				return nil, fmt.Errorf("config context %s: %w", c.Name, err)
			}
			snap.Network = data.Network
			snap.Network.Src = src(base, "extras/config-contexts/", c.ID)
		case strings.HasPrefix(c.Name, servicePrefix):
			name := strings.TrimPrefix(c.Name, servicePrefix)
			var data struct {
				Services map[string]inventory.HostingService `json:"tuyau_services"`
			}
			if err := json.Unmarshal(c.Data, &data); err != nil {
				return nil, fmt.Errorf("config context %s: %w", c.Name, err)
			}
			h, ok := data.Services[name]
			if !ok {
				return nil, fmt.Errorf("config context %s: no %s.%s in its data", c.Name, servicesKey, name)
			}
			h.Name = name
			h.Src = src(base, "extras/config-contexts/", c.ID)
			snap.Services = append(snap.Services, h)
		}
	}
	for _, r := range st.regions {
		reg := inventory.Region{Slug: r.Slug, Name: r.Name, Src: src(base, "dcim/regions/", r.ID)}
		if r.Parent != nil {
			reg.Parent = r.Parent.Slug
		}
		snap.Regions = append(snap.Regions, reg)
	}
	locs := map[int][]inventory.Location{}
	for _, l := range sortByID(st.locations, func(l Location) int { return l.ID }) {
		loc := inventory.Location{Slug: l.Slug, Name: l.Name, Src: src(base, "dcim/locations/", l.ID)}
		if l.Parent != nil {
			loc.Parent = l.Parent.Slug
		}
		locs[l.Site.ID] = append(locs[l.Site.ID], loc)
	}
	for _, x := range st.sites {
		site := inventory.Site{Slug: x.Slug, Name: x.Name, Role: inventory.SiteRole(x.Custom.text(cfSiteRole)),
			Facility: x.Facility, Address: x.PhysicalAddress, Src: src(base, "dcim/sites/", x.ID)}
		if x.Region != nil {
			site.Region = x.Region.Slug
		}
		if x.Latitude != nil {
			site.Latitude = *x.Latitude
		}
		if x.Longitude != nil {
			site.Longitude = *x.Longitude
		}
		site.Locations = locs[x.ID]
		snap.Sites = append(snap.Sites, site)
	}
	if err := st.loadDevices(base, snap); err != nil {
		return nil, err
	}
	if err := st.loadCables(base, snap); err != nil {
		return nil, err
	}
	st.loadCircuits(base, snap)
	for _, p := range st.prefixes {
		pfx, err := netip.ParsePrefix(p.Prefix)
		if err != nil {
			return nil, fmt.Errorf("prefix %d %q: %w", p.ID, p.Prefix, err)
		}
		out := inventory.Prefix{Prefix: pfx, Description: p.Description, Src: src(base, "ipam/prefixes/", p.ID)}
		if p.Role != nil {
			out.Role = p.Role.Slug
		}
		if p.Site != nil {
			out.Site = p.Site.Slug
		}
		snap.Prefixes = append(snap.Prefixes, out)
	}
	for _, a := range st.asns {
		if a.ASN < 1 || a.ASN > 1<<32-1 {
			return nil, fmt.Errorf("asn %d: %d is not a 32-bit AS number", a.ID, a.ASN)
		}
		snap.ASNs = append(snap.ASNs, inventory.ASN{ASN: uint32(a.ASN), Name: a.Custom.text(cfASNName),
			Description: a.Description, Src: src(base, "ipam/asns/", a.ID)})
	}
	return snap, nil
}

func deviceName(d Device) string {
	if d.Name != nil && *d.Name != "" {
		return *d.Name
	}
	// An unnamed device cannot be keyed by name; give it a stable one.
	return "netbox-device-" + strconv.Itoa(d.ID)
}

func (st *state) loadDevices(base string, snap *inventory.Snapshot) error {
	ifaces := map[int][]Interface{}
	for _, i := range st.interfaces {
		ifaces[i.Device.ID] = append(ifaces[i.Device.ID], i)
	}
	addrs := map[int][]IPAddress{}
	for _, ip := range st.ips {
		if ip.AssignedObjectType != nil && *ip.AssignedObjectType == "dcim.interface" && ip.AssignedObjectID != nil {
			addrs[*ip.AssignedObjectID] = append(addrs[*ip.AssignedObjectID], ip)
		}
	}
	fronts, rears := map[int][]FrontPort{}, map[int][]RearPort{}
	for _, p := range st.frontPorts {
		fronts[p.Device.ID] = append(fronts[p.Device.ID], p)
	}
	for _, p := range st.rearPorts {
		rears[p.Device.ID] = append(rears[p.Device.ID], p)
	}
	for _, d := range st.devices {
		name := deviceName(d)
		if d.Role.Slug == panelRole {
			p := inventory.PatchPanel{Name: name, Site: d.Site.Slug, Src: src(base, "dcim/devices/", d.ID)}
			if d.Location != nil {
				p.Location = d.Location.Slug
			}
			for _, r := range sortByID(rears[d.ID], func(r RearPort) int { return r.ID }) {
				rp := inventory.RearPort{Name: r.Name, Src: src(base, "dcim/rear-ports/", r.ID)}
				if r.Positions != 1 {
					rp.Positions = r.Positions
				}
				p.RearPorts = append(p.RearPorts, rp)
			}
			for _, f := range sortByID(fronts[d.ID], func(f FrontPort) int { return f.ID }) {
				fp := inventory.FrontPort{Name: f.Name, RearPort: f.RearPort.Name, Src: src(base, "dcim/front-ports/", f.ID)}
				if f.RearPortPosition != 1 {
					fp.RearPosition = f.RearPortPosition
				}
				p.FrontPorts = append(p.FrontPorts, fp)
			}
			snap.PatchPanels = append(snap.PatchPanels, p)
			continue
		}
		dev := inventory.Device{Name: name, Site: d.Site.Slug, Role: inventory.DeviceRole(d.Role.Slug),
			Src: src(base, "dcim/devices/", d.ID), RouteReflector: d.Custom.boolean(cfRouteReflector)}
		if d.Platform != nil {
			dev.Platform = d.Platform.Slug
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
			return fmt.Errorf("device %s: primary IP: %w", name, err)
		}
		if n, ok := d.Custom.integer(cfASN); ok {
			dev.ASN = uint32(n)
		}
		for _, f := range []struct {
			name string
			dst  *netip.Addr
		}{{cfLoopback, &dev.Loopback}, {cfLoopback6, &dev.Loopback6}} {
			if v := d.Custom.text(f.name); v != "" {
				if *f.dst, err = netip.ParseAddr(v); err != nil {
					return fmt.Errorf("device %s: custom field %s: %w", name, f.name, err)
				}
			}
		}
		if raw := d.Custom[cfTransports]; len(raw) > 0 && string(raw) != "null" {
			if err := json.Unmarshal(raw, &dev.Transports); err != nil {
				return fmt.Errorf("device %s: custom field %s: want a JSON list of strings: %w", name, cfTransports, err)
			}
		}
		if len(d.LocalContextData) > 0 && string(d.LocalContextData) != "null" {
			var lc map[string]json.RawMessage
			if err := json.Unmarshal(d.LocalContextData, &lc); err != nil {
				return fmt.Errorf("device %s: local config context: %w", name, err)
			}
			if raw, ok := lc[localBGPKey]; ok {
				if err := json.Unmarshal(raw, &dev.BGPSessions); err != nil {
					return fmt.Errorf("device %s: local config context %s: %w", name, localBGPKey, err)
				}
			}
		}
		for _, i := range sortByID(ifaces[d.ID], func(i Interface) int { return i.ID }) {
			if i.MgmtOnly {
				continue
			}
			iface := inventory.Interface{Name: i.Name, Description: i.Description,
				Transceiver: i.Custom.text(cfTransceiver), Src: src(base, "dcim/interfaces/", i.ID)}
			if i.Speed != nil {
				iface.Speed = inventory.Speed(*i.Speed / 1000)
			}
			if i.MTU != nil {
				iface.MTU = *i.MTU
			}
			if !i.Enabled {
				iface.Enabled = new(bool)
			}
			for _, ip := range sortByID(addrs[i.ID], func(ip IPAddress) int { return ip.ID }) {
				p, err := netip.ParsePrefix(ip.Address)
				if err != nil {
					return fmt.Errorf("device %s interface %s: address %q: %w", name, i.Name, ip.Address, err)
				}
				iface.Addresses = append(iface.Addresses, p)
			}
			dev.Interfaces = append(dev.Interfaces, iface)
		}
		snap.Devices = append(snap.Devices, dev)
	}
	return nil
}

func addrOf(cidr string) (netip.Addr, error) {
	p, err := netip.ParsePrefix(cidr)
	if err != nil {
		return netip.Addr{}, err
	}
	return p.Addr(), nil
}

// sortByID orders objects by id: the order they were created in, which is
// the order tuyau wrote them, whatever ordering the server lists them in.
func sortByID[T any](list []T, id func(T) int) []T {
	slices.SortFunc(list, func(a, b T) int { return id(a) - id(b) })
	return list
}

func (st *state) loadCables(base string, snap *inventory.Snapshot) error {
	for _, c := range st.cables {
		label := c.Label
		if label == "" {
			label = "netbox-cable-" + strconv.Itoa(c.ID)
		}
		cable := inventory.Cable{Label: label, Type: inventory.FiberType(c.Type), Status: inventory.CableStatus(valueOf(c.Status)),
			Color: c.Color, Src: src(base, "dcim/cables/", c.ID)}
		var err error
		if cable.A, err = termination(c.ATerminations); err != nil {
			return fmt.Errorf("cable %s end A: %w", label, err)
		}
		if cable.B, err = termination(c.BTerminations); err != nil {
			return fmt.Errorf("cable %s end B: %w", label, err)
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
			cable.Connectors = int(n)
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

// termination reads one cable end. tuyau models one termination per end,
// as fiber patching is; NetBox allows several.
func termination(ts []CableTermination) (inventory.Termination, error) {
	if len(ts) != 1 {
		return inventory.Termination{}, fmt.Errorf("%d terminations; tuyau models exactly one per end", len(ts))
	}
	t := ts[0]
	switch t.ObjectType {
	case "dcim.interface", "dcim.frontport", "dcim.rearport":
		var p BriefPort
		if err := json.Unmarshal(t.Object, &p); err != nil {
			return inventory.Termination{}, fmt.Errorf("%s %d: %w", t.ObjectType, t.ObjectID, err)
		}
		dev := p.Device.Name
		if dev == "" {
			dev = "netbox-device-" + strconv.Itoa(p.Device.ID)
		}
		switch t.ObjectType {
		case "dcim.interface":
			return inventory.Termination{Device: dev, Interface: p.Name}, nil
		case "dcim.frontport":
			return inventory.Termination{Panel: dev, Front: p.Name}, nil
		}
		return inventory.Termination{Panel: dev, Rear: p.Name}, nil
	case "circuits.circuittermination":
		var ct BriefCircuitTermination
		if err := json.Unmarshal(t.Object, &ct); err != nil {
			return inventory.Termination{}, fmt.Errorf("%s %d: %w", t.ObjectType, t.ObjectID, err)
		}
		return inventory.Termination{Circuit: ct.Circuit.CID, Side: ct.TermSide}, nil
	}
	return inventory.Termination{}, fmt.Errorf("%s %d: tuyau does not model cables to a %s", t.ObjectType, t.ObjectID, t.ObjectType)
}

func (st *state) loadCircuits(base string, snap *inventory.Snapshot) {
	ends := map[int][]CircuitTermination{}
	for _, t := range st.terminations {
		ends[t.Circuit.ID] = append(ends[t.Circuit.ID], t)
	}
	for _, c := range st.circuits {
		out := inventory.Circuit{ID: c.CID, Provider: c.Provider.Name, Type: c.Type.Slug, Status: valueOf(c.Status),
			Src: src(base, "circuits/circuits/", c.ID)}
		if out.Type == circuitTypeNone {
			out.Type = ""
		}
		if c.CommitRate != nil {
			out.Bandwidth = inventory.Speed(*c.CommitRate / 1000)
		}
		for _, t := range ends[c.ID] {
			e := inventory.CircuitEnd{Device: t.Custom.text(cfCircuitDevice), Interface: t.Custom.text(cfCircuitIface),
				Src: src(base, "circuits/circuit-terminations/", t.ID)}
			if t.Site != nil {
				e.Site = t.Site.Slug
			}
			if t.TermSide == "Z" {
				out.Z = e
			} else {
				out.A = e
			}
		}
		snap.Circuits = append(snap.Circuits, out)
	}
}
