package netboxsim

// The kinds below are what a NetBox filled by hand holds besides what tuyau
// writes: tags, tenants and site groups that scope a network inside a
// larger NetBox, and the console and power ports whose cables tuyau does
// not model but must read past.

var (
	consolePortTypes = choices("de-9", "DE-9", "db-25", "DB-25", "rj-11", "RJ11", "rj-12", "RJ12", "rj-45", "RJ-45",
		"mini-din-8", "Mini-DIN 8", "usb-a", "USB Type A", "usb-b", "USB Type B", "usb-c", "USB Type C", "usb-micro-b", "USB Micro B", "other", "Other")
	powerPortTypes = choices("iec-60320-c6", "C6", "iec-60320-c8", "C8", "iec-60320-c14", "C14", "iec-60320-c16", "C16",
		"iec-60320-c20", "C20", "cee-7-7", "CEE 7/7", "dc-terminal", "DC Terminal", "other", "Other")
	powerOutletTypes = choices("iec-60320-c5", "C5", "iec-60320-c7", "C7", "iec-60320-c13", "C13", "iec-60320-c15", "C15",
		"iec-60320-c19", "C19", "dc-terminal", "DC Terminal", "other", "Other")
)

// taggable are the endpoints whose objects carry tags in NetBox 4.0.
var taggable = map[string]bool{"dcim/regions": true, "dcim/sites": true, "dcim/locations": true, "dcim/devices": true,
	"dcim/interfaces": true, "dcim/front-ports": true, "dcim/rear-ports": true, "dcim/cables": true,
	"circuits/providers": true, "circuits/circuits": true, "circuits/circuit-terminations": true,
	"ipam/ip-addresses": true, "ipam/prefixes": true, "ipam/asns": true, "dcim/site-groups": true,
	"dcim/console-ports": true, "dcim/console-server-ports": true, "dcim/power-ports": true, "dcim/power-outlets": true,
	"tenancy/tenants": true}

func portKind(path, objectType string, types []choice) *kind {
	return &kind{path: path, objectType: objectType, display: nameDisplay, cabled: true,
		fields: []field{{name: "device", kind: fRef, ref: "dcim/devices", required: true},
			{name: "name", kind: fStr, required: true},
			{name: "type", kind: fChoice, choices: types, def: ""},
			{name: "label", kind: fStr, def: ""},
			{name: "description", kind: fStr, def: ""}, {name: "custom_fields", kind: fCustom}},
		brief: []string{"device", "name", "description", "cable", "_occupied"}, unique: [][]string{{"device", "name"}}}
}

// moreKinds are served besides the kinds tuyau writes. They come before
// the kinds that refer to them.
func moreKinds() (early, late []*kind) {
	cf := field{name: "custom_fields", kind: fCustom}
	early = []*kind{
		{path: "extras/tags", objectType: "extras.tag", display: nameDisplay,
			fields: []field{{name: "name", kind: fStr, required: true}, {name: "slug", kind: fStr, required: true},
				{name: "color", kind: fStr, def: "9e9e9e"}, {name: "description", kind: fStr, def: ""}},
			brief: []string{"name", "slug", "color", "description"}, unique: [][]string{{"name"}, {"slug"}}},
		{path: "tenancy/tenants", objectType: "tenancy.tenant", display: nameDisplay,
			fields: with(orgFields, field{name: "comments", kind: fStr, def: ""}, cf),
			brief:  []string{"name", "slug", "description"}, unique: [][]string{{"name"}, {"slug"}}},
		{path: "dcim/site-groups", objectType: "dcim.sitegroup", display: nameDisplay,
			fields: with(orgFields, field{name: "parent", kind: fRef, ref: "dcim/site-groups"}, cf),
			brief:  []string{"name", "slug", "description", "site_count", "_depth"}, unique: [][]string{{"name"}, {"slug"}}},
	}
	late = []*kind{
		portKind("dcim/console-ports", "dcim.consoleport", consolePortTypes),
		portKind("dcim/console-server-ports", "dcim.consoleserverport", consolePortTypes),
		portKind("dcim/power-ports", "dcim.powerport", powerPortTypes),
		portKind("dcim/power-outlets", "dcim.poweroutlet", powerOutletTypes),
	}
	return early, late
}
