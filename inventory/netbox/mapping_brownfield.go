package netbox

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/tuyau-net/tuyau/inventory"
)

// Mapping translates what a NetBox filled by hand says into tuyau's terms:
// its device role, platform and cable type slugs. tuyau.yaml's
// netbox.mapping section adds to (and overrides) DefaultMapping.
type Mapping struct {
	// DeviceRoles maps a NetBox device role slug to a tuyau device role
	// (core, aggregation, member, edge). A device whose role maps to
	// nothing, and whose platform is not a network OS tuyau knows, is
	// skipped (a PDU, a console server, a server).
	DeviceRoles map[string]inventory.DeviceRole `yaml:"device_roles" json:"device_roles,omitempty"`
	// Platforms maps a NetBox platform slug to a tuyau platform (frr, eos, iosxe, junos, srlinux).
	Platforms map[string]string `yaml:"platforms" json:"platforms,omitempty"`
	// CableTypes maps a NetBox cable type to a tuyau one (smf, mmf, cat6).
	CableTypes map[string]inventory.FiberType `yaml:"cable_types" json:"cable_types,omitempty"`
	// PanelRoles are the device role slugs of patch panels.
	PanelRoles []string `yaml:"panel_roles" json:"panel_roles,omitempty"`
	// SkipRoles are device roles tuyau does not model (PDUs, console
	// servers, out-of-band switches), skipped even when their platform is
	// a network OS.
	SkipRoles []string `yaml:"skip_roles" json:"skip_roles,omitempty"`
}

// DefaultMapping holds the slugs NetBox users commonly choose.
func DefaultMapping() Mapping {
	m := Mapping{DeviceRoles: map[string]inventory.DeviceRole{}, Platforms: map[string]string{},
		CableTypes: map[string]inventory.FiberType{}, PanelRoles: []string{panelRole, "patch_panel", "patchpanel", "odf", "fiber-panel", "fibre-panel"},
		SkipRoles: []string{"pdu", "power", "console-server", "terminal-server", "oob-switch", "mgmt-switch", "management-switch",
			"server", "hypervisor", "firewall", "ups", "kvm", "access-point", "camera", "phone"}}
	for role, slugs := range map[inventory.DeviceRole][]string{
		inventory.RoleCore:        {"core", "core-router", "p", "p-router", "backbone", "backbone-router", "spine"},
		inventory.RoleAggregation: {"aggregation", "aggregation-router", "agg", "distribution", "pe", "pe-router", "pop-router"},
		inventory.RoleMember:      {"member", "cpe", "ce", "ce-router", "access", "access-router", "customer-edge", "router"},
		inventory.RoleEdge:        {"edge", "edge-router", "border", "border-router", "peering", "transit", "internet-edge"},
	} {
		for _, s := range slugs {
			m.DeviceRoles[s] = role
		}
	}
	for platform, slugs := range map[string][]string{
		"frr":     {"frr", "frrouting", "linux-frr"},
		"eos":     {"eos", "arista-eos", "arista_eos"},
		"iosxe":   {"iosxe", "ios-xe", "cisco-ios-xe", "cisco_iosxe", "cisco-iosxe", "cisco_ios_xe"},
		"junos":   {"junos", "juniper-junos", "juniper_junos"},
		"srlinux": {"srlinux", "sr-linux", "nokia-srlinux", "nokia_srl", "nokia-sr-linux"},
	} {
		for _, s := range slugs {
			m.Platforms[s] = platform
		}
	}
	for typ, slugs := range map[inventory.FiberType][]string{
		inventory.FiberSMF:    {"smf", "smf-os1", "smf-os2"},
		inventory.FiberMMF:    {"mmf", "mmf-om1", "mmf-om2", "mmf-om3", "mmf-om4", "mmf-om5"},
		inventory.CableCopper: {"cat3", "cat5", "cat5e", "cat6", "cat6a", "cat7", "cat7a", "cat8", "dac-active", "dac-passive"},
	} {
		for _, s := range slugs {
			m.CableTypes[s] = typ
		}
	}
	return m
}

// With returns m with user's entries added and taking precedence.
func (m Mapping) With(user Mapping) Mapping {
	out := Mapping{DeviceRoles: maps.Clone(m.DeviceRoles), Platforms: maps.Clone(m.Platforms),
		CableTypes: maps.Clone(m.CableTypes), PanelRoles: slices.Clone(m.PanelRoles), SkipRoles: slices.Clone(m.SkipRoles)}
	maps.Copy(out.DeviceRoles, user.DeviceRoles)
	maps.Copy(out.Platforms, user.Platforms)
	maps.Copy(out.CableTypes, user.CableTypes)
	for _, r := range user.PanelRoles {
		if !slices.Contains(out.PanelRoles, r) {
			out.PanelRoles = append(out.PanelRoles, r)
		}
	}
	for _, r := range user.SkipRoles {
		if !slices.Contains(out.SkipRoles, r) {
			out.SkipRoles = append(out.SkipRoles, r)
		}
	}
	// A role the user maps is no longer skipped.
	out.SkipRoles = slices.DeleteFunc(out.SkipRoles, func(r string) bool { _, ok := user.DeviceRoles[r]; return ok })
	return out
}

// Check refuses a mapping to values tuyau does not know, naming the key.
func (m Mapping) Check() error {
	var bad []string
	for k, v := range m.DeviceRoles {
		if !slices.Contains(inventory.DeviceRoles, v) {
			bad = append(bad, fmt.Sprintf("device_roles.%s: %q is not one of %v", k, v, inventory.DeviceRoles))
		}
	}
	for k, v := range m.Platforms {
		if !slices.Contains(inventory.Platforms, v) {
			bad = append(bad, fmt.Sprintf("platforms.%s: %q is not one of %v", k, v, inventory.Platforms))
		}
	}
	for k, v := range m.CableTypes {
		if !slices.Contains(inventory.CableTypes, v) {
			bad = append(bad, fmt.Sprintf("cable_types.%s: %q is not one of %v", k, v, inventory.CableTypes))
		}
	}
	if len(bad) > 0 {
		slices.Sort(bad)
		return fmt.Errorf("netbox mapping: %s", strings.Join(bad, "; "))
	}
	return nil
}

// Filter selects the network's part of a larger NetBox: the sites with
// any of the tags, in any of the regions (and their children), site groups
// or tenants (slugs). Criteria of different kinds must all hold. Only
// those sites and what is in them are read.
type Filter struct {
	Tags       []string `yaml:"tags" json:"tags,omitempty"`
	Regions    []string `yaml:"regions" json:"regions,omitempty"`
	SiteGroups []string `yaml:"site_groups" json:"site_groups,omitempty"`
	Tenants    []string `yaml:"tenants" json:"tenants,omitempty"`
}

// IsZero reports whether the filter selects everything.
func (f Filter) IsZero() bool {
	return len(f.Tags) == 0 && len(f.Regions) == 0 && len(f.SiteGroups) == 0 && len(f.Tenants) == 0
}

// ParseFilter reads "tag=rrm,region=morbihan,site_group=x,tenant=y".
func ParseFilter(s string) (Filter, error) {
	var f Filter
	for part := range strings.SplitSeq(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		k, v, ok := strings.Cut(part, "=")
		if !ok || v == "" {
			return f, fmt.Errorf("filter %q: want KEY=SLUG with KEY one of tag, region, site_group, tenant", part)
		}
		switch strings.TrimSpace(k) {
		case "tag":
			f.Tags = append(f.Tags, v)
		case "region":
			f.Regions = append(f.Regions, v)
		case "site_group", "group":
			f.SiteGroups = append(f.SiteGroups, v)
		case "tenant":
			f.Tenants = append(f.Tenants, v)
		default:
			return f, fmt.Errorf("filter %q: unknown key %q (tag, region, site_group, tenant)", part, k)
		}
	}
	return f, nil
}

// query is the filter as NetBox site list parameters.
func (f Filter) query() string {
	var q []string
	for _, x := range []struct {
		key  string
		vals []string
	}{{"tag", f.Tags}, {"region", f.Regions}, {"group", f.SiteGroups}, {"tenant", f.Tenants}} {
		for _, v := range x.vals {
			q = append(q, x.key+"="+v)
		}
	}
	return strings.Join(q, "&")
}

// WithMapping adds to the default mapping of NetBox slugs.
func WithMapping(m Mapping) Option {
	return func(s *Store) error {
		merged := DefaultMapping().With(m)
		if err := merged.Check(); err != nil {
			return err
		}
		s.mapping = merged
		return nil
	}
}

// WithFilter reads only the sites the filter selects and what they hold.
func WithFilter(f Filter) Option {
	return func(s *Store) error { s.filter = f; return nil }
}
