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
// partial snapshot; a *MissingError when values tuyau needs are neither in
// its custom fields nor inferable from NetBox's own data.
func (s *Store) Load(ctx context.Context) (*inventory.Snapshot, error) {
	snap, _, err := s.LoadReport(ctx)
	return snap, err
}

// LoadReport is Load with the report of what was inferred, skipped and
// missing. On a *MissingError the report is returned too.
func (s *Store) LoadReport(ctx context.Context) (*inventory.Snapshot, *Report, error) {
	st, err := s.fetchState(ctx)
	if err != nil {
		return nil, nil, err
	}
	rep := newReport()
	rep.Version = st.version
	snap, err := st.snapshot(s.c.base, s.mapping, rep)
	if err != nil {
		return nil, rep, fmt.Errorf("netbox %s: %w", s.c.base, err)
	}
	s.addOptics(snap, rep)
	rep.sort()
	if len(rep.Missing) > 0 {
		return nil, rep, &MissingError{URL: s.c.base, Missing: rep.Missing}
	}
	return snap, rep, nil
}

func src(base, path string, id int) inventory.Source {
	return inventory.Source{File: base + "/api/" + path + strconv.Itoa(id) + "/"}
}

// snapshot turns what NetBox holds into the inventory model; docs/netbox.md
// describes the mapping.
func (st *state) snapshot(base string, m Mapping, rep *Report) (*inventory.Snapshot, error) {
	snap := &inventory.Snapshot{}
	r := newReader(st, base, m, rep)
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
		site := inventory.Site{Slug: x.Slug, Name: x.Name, Role: r.siteRole(x),
			Facility: x.Facility, Address: x.PhysicalAddress, Src: src(base, "dcim/sites/", x.ID)}
		if x.Region != nil {
			site.Region = x.Region.Slug
		}
		// A site without coordinates stays without: 0,0 would put it in
		// the Gulf of Guinea (inventory.Site.HasCoordinates).
		if x.Latitude != nil && x.Longitude != nil {
			site.Latitude, site.Longitude = *x.Latitude, *x.Longitude
		} else {
			rep.unknown("sites without coordinates")
		}
		site.Locations = locs[x.ID]
		snap.Sites = append(snap.Sites, site)
	}
	if err := r.loadDevices(snap); err != nil {
		return nil, err
	}
	if err := r.loadCables(snap); err != nil {
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
		if site := siteOf(p.Site, p.ScopeType, p.Scope); site != nil {
			out.Site = site.Slug
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
			if site := siteOf(t.Site, t.TerminationType, t.Termination); site != nil {
				e.Site = site.Slug
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
