package netboxsim

import (
	"fmt"
	"strconv"
)

// fieldKind is how a stored field is written and rendered.
type fieldKind int

const (
	fStr    fieldKind = iota // string
	fInt                     // integer, null when unset
	fNum                     // decimal number, null when unset
	fBool                    // boolean
	fChoice                  // stored as the value, rendered {value, label}, null when blank
	fPlain                   // a choice NetBox renders as a plain string (cable type, term_side)
	fRef                     // foreign key: written as an id, rendered as the brief object
	fRefs                    // list of foreign keys
	fJSON                    // any JSON value
	fStrs                    // list of strings
	fTerms                   // cable terminations
	fCustom                  // custom_fields
)

type choice struct {
	value string
	label string
}

// field is one writable field of an object kind.
type field struct {
	name     string
	kind     fieldKind
	ref      string // endpoint of the referenced kind (fRef, fRefs)
	required bool
	choices  []choice
	def      any // stored value when the client sends nothing
	lim      *limit
}

// kind describes one endpoint: what can be written and how it renders.
type kind struct {
	path       string // "dcim/devices"
	objectType string // "dcim.device", as in custom field object_types
	fields     []field
	brief      []string // NetBox 4.0 brief_fields
	display    func(s *Server, o object) string
	unique     [][]string // field tuples that must be unique, like NetBox's constraints
	// cabled endpoints (interfaces, ports, circuit terminations) render cable,
	// cable_end, link_peers and _occupied.
	cabled bool
}

func (k *kind) field(name string) *field {
	for i := range k.fields {
		if k.fields[i].name == name {
			return &k.fields[i]
		}
	}
	return nil
}

func choices(pairs ...string) []choice {
	out := make([]choice, 0, len(pairs)/2)
	for i := 0; i+1 < len(pairs); i += 2 {
		out = append(out, choice{pairs[i], pairs[i+1]})
	}
	return out
}

var (
	// statusSite is also LocationStatusChoices: NetBox 4.0 gives both the same five.
	statusSite      = choices("planned", "Planned", "staging", "Staging", "active", "Active", "decommissioning", "Decommissioning", "retired", "Retired")
	statusDevice    = choices("offline", "Offline", "active", "Active", "planned", "Planned", "staged", "Staged", "failed", "Failed", "inventory", "Inventory", "decommissioning", "Decommissioning")
	statusCable     = choices("connected", "Connected", "planned", "Planned", "decommissioning", "Decommissioning")
	statusCircuit   = choices("planned", "Planned", "provisioning", "Provisioning", "active", "Active", "offline", "Offline", "deprovisioning", "Deprovisioning", "decommissioned", "Decommissioned")
	statusIP        = choices("active", "Active", "reserved", "Reserved", "deprecated", "Deprecated", "dhcp", "DHCP", "slaac", "SLAAC")
	statusPrefix    = choices("container", "Container", "active", "Active", "reserved", "Reserved", "deprecated", "Deprecated")
	roleIP          = choices("loopback", "Loopback", "secondary", "Secondary", "anycast", "Anycast", "vip", "VIP", "vrrp", "VRRP", "hsrp", "HSRP", "glbp", "GLBP", "carp", "CARP")
	lengthUnits     = choices("km", "Kilometers", "m", "Meters", "cm", "Centimeters", "mi", "Miles", "ft", "Feet", "in", "Inches")
	cableTypes      = choices("cat3", "CAT3", "cat5", "CAT5", "cat5e", "CAT5e", "cat6", "CAT6", "cat6a", "CAT6a", "cat7", "CAT7", "cat7a", "CAT7a", "cat8", "CAT8", "dac-active", "Direct Attach Copper (Active)", "dac-passive", "Direct Attach Copper (Passive)", "coaxial", "Coaxial", "mmf", "Multimode Fiber", "mmf-om1", "Multimode Fiber (OM1)", "mmf-om2", "Multimode Fiber (OM2)", "mmf-om3", "Multimode Fiber (OM3)", "mmf-om4", "Multimode Fiber (OM4)", "mmf-om5", "Multimode Fiber (OM5)", "smf", "Singlemode Fiber", "smf-os1", "Singlemode Fiber (OS1)", "smf-os2", "Singlemode Fiber (OS2)", "aoc", "Active Optical Cabling (AOC)", "power", "Power")
	termSides       = choices("A", "A", "Z", "Z")
	customFieldType = choices("text", "Text", "longtext", "Text (long)", "integer", "Integer", "decimal", "Decimal", "boolean", "Boolean (true/false)", "date", "Date", "datetime", "Date & time", "url", "URL", "json", "JSON", "select", "Selection", "multiselect", "Multiple selection", "object", "Object", "multiobject", "Multiple objects")
	filterLogic     = choices("disabled", "Disabled", "loose", "Loose", "exact", "Exact")
	uiVisible       = choices("always", "Always", "if-set", "If set", "hidden", "Hidden")
	uiEditable      = choices("yes", "Yes", "no", "No", "hidden", "Hidden")
	// Port and interface types: the subset tuyau writes plus common ones;
	// the schema test checks every value against NetBox's enum.
	interfaceTypes = choices("virtual", "Virtual", "bridge", "Bridge", "lag", "Link Aggregation Group (LAG)",
		"100base-tx", "100BASE-TX (10/100ME)", "1000base-t", "1000BASE-T (1GE)", "1000base-x-sfp", "SFP (1GE)",
		"10gbase-t", "10GBASE-T (10GE)", "10gbase-x-sfpp", "SFP+ (10GE)", "25gbase-x-sfp28", "SFP28 (25GE)",
		"40gbase-x-qsfpp", "QSFP+ (40GE)", "100gbase-x-qsfp28", "QSFP28 (100GE)", "400gbase-x-qsfpdd", "QSFP-DD (400GE)", "other", "Other")
	portTypes = choices("lc", "LC", "lc-apc", "LC/APC", "lc-upc", "LC/UPC", "sc", "SC", "sc-apc", "SC/APC", "sc-upc", "SC/UPC", "mpo", "MPO", "st", "ST", "splice", "Splice", "other", "Other")
)

func nameDisplay(_ *Server, o object) string { return str(o["name"]) }

func str(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case nil:
		return ""
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	}
	return fmt.Sprint(v)
}

var orgFields = []field{
	{name: "name", kind: fStr, required: true},
	{name: "slug", kind: fStr, required: true},
	{name: "description", kind: fStr, def: ""},
}

func with(base []field, more ...field) []field {
	return append(append([]field(nil), base...), more...)
}

// kinds returns the endpoints the simulator serves, in dependency order.
func kinds() []*kind {
	cf := field{name: "custom_fields", kind: fCustom}
	early, late := moreKinds()
	all := []*kind{
		{path: "dcim/regions", objectType: "dcim.region", display: nameDisplay,
			fields: with(orgFields, field{name: "parent", kind: fRef, ref: "dcim/regions"}, cf),
			brief:  []string{"name", "slug", "description", "site_count", "_depth"}, unique: [][]string{{"name"}, {"slug"}}},
		{path: "dcim/sites", objectType: "dcim.site", display: nameDisplay,
			fields: with(orgFields,
				field{name: "status", kind: fChoice, choices: statusSite, def: "active"},
				field{name: "region", kind: fRef, ref: "dcim/regions"},
				field{name: "facility", kind: fStr, def: ""},
				field{name: "physical_address", kind: fStr, def: ""},
				field{name: "latitude", kind: fNum},
				field{name: "longitude", kind: fNum},
				field{name: "group", kind: fRef, ref: "dcim/site-groups"},
				field{name: "tenant", kind: fRef, ref: "tenancy/tenants"},
				field{name: "asns", kind: fRefs, ref: "ipam/asns"},
				field{name: "comments", kind: fStr, def: ""}, cf),
			brief: []string{"name", "description", "slug"}, unique: [][]string{{"name"}, {"slug"}}},
		{path: "dcim/locations", objectType: "dcim.location", display: nameDisplay,
			fields: with(orgFields,
				field{name: "site", kind: fRef, ref: "dcim/sites", required: true},
				field{name: "parent", kind: fRef, ref: "dcim/locations"},
				field{name: "status", kind: fChoice, choices: statusSite, def: "active"},
				field{name: "facility", kind: fStr, def: ""}, cf),
			// NetBox's constraints; the ones for locations at the top of a
			// site (parent null) are checked in checkObject.
			brief: []string{"name", "slug", "description", "rack_count", "_depth"}, unique: [][]string{{"site", "parent", "name"}, {"site", "parent", "slug"}}},
		{path: "dcim/manufacturers", objectType: "dcim.manufacturer", display: nameDisplay,
			fields: with(orgFields, cf), brief: []string{"name", "slug", "description", "devicetype_count"}, unique: [][]string{{"name"}, {"slug"}}},
		{path: "dcim/device-types", objectType: "dcim.devicetype", display: func(_ *Server, o object) string { return str(o["model"]) },
			fields: []field{{name: "manufacturer", kind: fRef, ref: "dcim/manufacturers", required: true},
				{name: "model", kind: fStr, required: true}, {name: "slug", kind: fStr, required: true},
				{name: "u_height", kind: fNum, def: 1.0}, {name: "description", kind: fStr, def: ""}, cf},
			brief: []string{"manufacturer", "model", "slug", "description", "device_count"}, unique: [][]string{{"manufacturer", "model"}, {"manufacturer", "slug"}}},
		{path: "dcim/device-roles", objectType: "dcim.devicerole", display: nameDisplay,
			fields: with(orgFields, field{name: "color", kind: fStr, def: "9e9e9e"}, field{name: "vm_role", kind: fBool, def: true}, cf),
			brief:  []string{"name", "slug", "description", "device_count", "virtualmachine_count"}, unique: [][]string{{"name"}, {"slug"}}},
		{path: "dcim/platforms", objectType: "dcim.platform", display: nameDisplay,
			fields: with(orgFields, field{name: "manufacturer", kind: fRef, ref: "dcim/manufacturers"}, cf),
			brief:  []string{"name", "slug", "description", "device_count", "virtualmachine_count"}, unique: [][]string{{"name"}, {"slug"}}},
		{path: "dcim/devices", objectType: "dcim.device", display: nameDisplay,
			fields: []field{{name: "name", kind: fStr},
				{name: "device_type", kind: fRef, ref: "dcim/device-types", required: true},
				{name: "role", kind: fRef, ref: "dcim/device-roles", required: true},
				{name: "platform", kind: fRef, ref: "dcim/platforms"},
				{name: "site", kind: fRef, ref: "dcim/sites", required: true},
				{name: "location", kind: fRef, ref: "dcim/locations"},
				{name: "status", kind: fChoice, choices: statusDevice, def: "active"},
				{name: "primary_ip4", kind: fRef, ref: "ipam/ip-addresses"},
				{name: "primary_ip6", kind: fRef, ref: "ipam/ip-addresses"},
				{name: "description", kind: fStr, def: ""}, {name: "comments", kind: fStr, def: ""},
				{name: "local_context_data", kind: fJSON}, cf},
			brief: []string{"name", "description"}, unique: [][]string{{"site", "name"}}},
		{path: "dcim/interfaces", objectType: "dcim.interface", display: nameDisplay, cabled: true,
			fields: []field{{name: "device", kind: fRef, ref: "dcim/devices", required: true},
				{name: "name", kind: fStr, required: true},
				{name: "type", kind: fChoice, choices: interfaceTypes, required: true},
				{name: "enabled", kind: fBool, def: true}, {name: "mtu", kind: fInt}, {name: "speed", kind: fInt},
				{name: "mgmt_only", kind: fBool, def: false}, {name: "description", kind: fStr, def: ""}, cf},
			brief: []string{"device", "name", "description", "cable", "_occupied"}, unique: [][]string{{"device", "name"}}},
		{path: "dcim/rear-ports", objectType: "dcim.rearport", display: nameDisplay, cabled: true,
			fields: []field{{name: "device", kind: fRef, ref: "dcim/devices", required: true},
				{name: "name", kind: fStr, required: true},
				{name: "type", kind: fChoice, choices: portTypes, required: true},
				{name: "positions", kind: fInt, def: 1.0}, {name: "color", kind: fStr, def: ""},
				{name: "description", kind: fStr, def: ""}, cf},
			brief: []string{"device", "name", "description", "cable", "_occupied"}, unique: [][]string{{"device", "name"}}},
		{path: "dcim/front-ports", objectType: "dcim.frontport", display: nameDisplay, cabled: true,
			fields: []field{{name: "device", kind: fRef, ref: "dcim/devices", required: true},
				{name: "name", kind: fStr, required: true},
				{name: "type", kind: fChoice, choices: portTypes, required: true},
				{name: "rear_port", kind: fRef, ref: "dcim/rear-ports", required: true},
				{name: "rear_port_position", kind: fInt, def: 1.0}, {name: "color", kind: fStr, def: ""},
				{name: "description", kind: fStr, def: ""}, cf},
			brief: []string{"device", "name", "description", "cable", "_occupied"}, unique: [][]string{{"device", "name"}}},
		{path: "circuits/providers", objectType: "circuits.provider", display: nameDisplay,
			fields: with(orgFields, field{name: "comments", kind: fStr, def: ""}, cf),
			brief:  []string{"name", "slug", "description", "circuit_count"}, unique: [][]string{{"name"}, {"slug"}}},
		{path: "circuits/circuit-types", objectType: "circuits.circuittype", display: nameDisplay,
			fields: with(orgFields, field{name: "color", kind: fStr, def: ""}, cf),
			brief:  []string{"name", "slug", "description", "circuit_count"}, unique: [][]string{{"name"}, {"slug"}}},
		{path: "circuits/circuits", objectType: "circuits.circuit", display: func(_ *Server, o object) string { return str(o["cid"]) },
			fields: []field{{name: "cid", kind: fStr, required: true},
				{name: "provider", kind: fRef, ref: "circuits/providers", required: true},
				{name: "type", kind: fRef, ref: "circuits/circuit-types", required: true},
				{name: "status", kind: fChoice, choices: statusCircuit, def: "active"},
				{name: "commit_rate", kind: fInt}, {name: "description", kind: fStr, def: ""},
				{name: "comments", kind: fStr, def: ""}, cf},
			brief: []string{"cid", "description"}, unique: [][]string{{"provider", "cid"}}},
		{path: "circuits/circuit-terminations", objectType: "circuits.circuittermination", cabled: true,
			display: func(s *Server, o object) string {
				return fmt.Sprintf("%s: Termination %s", s.displayOf("circuits/circuits", o["circuit"]), str(o["term_side"]))
			},
			fields: []field{{name: "circuit", kind: fRef, ref: "circuits/circuits", required: true},
				{name: "term_side", kind: fPlain, choices: termSides, required: true},
				{name: "site", kind: fRef, ref: "dcim/sites"},
				{name: "port_speed", kind: fInt}, {name: "xconnect_id", kind: fStr, def: ""},
				{name: "description", kind: fStr, def: ""}, cf},
			brief: []string{"circuit", "term_side", "description", "cable", "_occupied"}, unique: [][]string{{"circuit", "term_side"}}},
		{path: "ipam/rirs", objectType: "ipam.rir", display: nameDisplay,
			fields: with(orgFields, field{name: "is_private", kind: fBool, def: false}, cf),
			brief:  []string{"name", "slug", "description", "aggregate_count"}, unique: [][]string{{"name"}, {"slug"}}},
		{path: "ipam/roles", objectType: "ipam.role", display: nameDisplay,
			fields: with(orgFields, field{name: "weight", kind: fInt, def: 1000.0}, cf),
			brief:  []string{"name", "slug", "description", "prefix_count", "vlan_count"}, unique: [][]string{{"name"}, {"slug"}}},
		{path: "ipam/asns", objectType: "ipam.asn", display: func(_ *Server, o object) string { return "AS" + str(o["asn"]) },
			fields: []field{{name: "asn", kind: fInt, required: true},
				{name: "rir", kind: fRef, ref: "ipam/rirs", required: true},
				{name: "description", kind: fStr, def: ""}, {name: "comments", kind: fStr, def: ""}, cf},
			brief: []string{"asn", "description"}, unique: [][]string{{"asn"}}},
		{path: "ipam/prefixes", objectType: "ipam.prefix", display: func(_ *Server, o object) string { return str(o["prefix"]) },
			fields: []field{{name: "prefix", kind: fStr, required: true},
				{name: "site", kind: fRef, ref: "dcim/sites"},
				{name: "status", kind: fChoice, choices: statusPrefix, def: "active"},
				{name: "role", kind: fRef, ref: "ipam/roles"},
				{name: "is_pool", kind: fBool, def: false}, {name: "mark_utilized", kind: fBool, def: false},
				{name: "description", kind: fStr, def: ""}, {name: "comments", kind: fStr, def: ""}, cf},
			brief: []string{"family", "prefix", "description", "_depth"}},
		{path: "ipam/ip-addresses", objectType: "ipam.ipaddress", display: func(_ *Server, o object) string { return str(o["address"]) },
			fields: []field{{name: "address", kind: fStr, required: true},
				{name: "status", kind: fChoice, choices: statusIP, def: "active"},
				{name: "role", kind: fChoice, choices: roleIP, def: ""},
				{name: "assigned_object_type", kind: fStr},
				{name: "assigned_object_id", kind: fInt},
				{name: "dns_name", kind: fStr, def: ""},
				{name: "description", kind: fStr, def: ""}, {name: "comments", kind: fStr, def: ""}, cf},
			brief: []string{"family", "address", "description"}},
		{path: "dcim/cables", objectType: "dcim.cable",
			display: func(_ *Server, o object) string {
				if l := str(o["label"]); l != "" {
					return l
				}
				return "#" + str(o["id"])
			},
			fields: []field{{name: "type", kind: fPlain, choices: cableTypes, def: ""},
				{name: "a_terminations", kind: fTerms}, {name: "b_terminations", kind: fTerms},
				{name: "status", kind: fChoice, choices: statusCable, def: "connected"},
				{name: "label", kind: fStr, def: ""}, {name: "color", kind: fStr, def: ""},
				{name: "length", kind: fNum}, {name: "length_unit", kind: fChoice, choices: lengthUnits, def: ""},
				{name: "description", kind: fStr, def: ""}, {name: "comments", kind: fStr, def: ""}, cf},
			brief: []string{"label", "description"}},
		{path: "extras/custom-fields", objectType: "extras.customfield", display: func(_ *Server, o object) string {
			if l := str(o["label"]); l != "" {
				return l
			}
			return str(o["name"])
		},
			fields: []field{{name: "object_types", kind: fStrs, required: true},
				{name: "type", kind: fChoice, choices: customFieldType, required: true},
				{name: "name", kind: fStr, required: true}, {name: "label", kind: fStr, def: ""},
				{name: "group_name", kind: fStr, def: ""}, {name: "description", kind: fStr, def: ""},
				{name: "required", kind: fBool, def: false}, {name: "default", kind: fJSON},
				{name: "weight", kind: fInt, def: 100.0}, {name: "search_weight", kind: fInt, def: 1000.0},
				{name: "filter_logic", kind: fChoice, choices: filterLogic, def: "loose"},
				{name: "ui_visible", kind: fChoice, choices: uiVisible, def: "always"},
				{name: "ui_editable", kind: fChoice, choices: uiEditable, def: "yes"},
				{name: "is_cloneable", kind: fBool, def: false}, {name: "comments", kind: fStr, def: ""}},
			brief: []string{"name", "description"}, unique: [][]string{{"name"}}},
		{path: "extras/config-contexts", objectType: "extras.configcontext", display: nameDisplay,
			fields: []field{{name: "name", kind: fStr, required: true},
				{name: "weight", kind: fInt, def: 1000.0}, {name: "description", kind: fStr, def: ""},
				{name: "is_active", kind: fBool, def: true},
				{name: "regions", kind: fRefs, ref: "dcim/regions"}, {name: "sites", kind: fRefs, ref: "dcim/sites"},
				{name: "roles", kind: fRefs, ref: "dcim/device-roles"}, {name: "platforms", kind: fRefs, ref: "dcim/platforms"},
				{name: "tags", kind: fStrs}, {name: "data", kind: fJSON, required: true}},
			brief: []string{"name", "description"}, unique: [][]string{{"name"}}},
	}
	all = append(append(early, all...), late...)
	for _, k := range all {
		if taggable[k.path] {
			k.fields = append(k.fields, field{name: "tags", kind: fRefs, ref: "extras/tags"})
		}
	}
	return all
}
