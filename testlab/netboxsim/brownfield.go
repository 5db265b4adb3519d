package netboxsim

import (
	"fmt"
	"math"
	"strconv"
)

// Brownfield fills the simulator with a network the way an operator keeps
// it in a NetBox filled by hand over years, never touched by tuyau: plain
// NetBox 4.0 objects, no tuyau custom fields, NetBox's own role, platform
// and cable type slugs, console and power cabling, out-of-band management
// cables, sites without coordinates, ASNs assigned to sites. It is
// generated, not recorded from a real NetBox: every object goes through
// the simulator's validation as a POST would.
//
// The network is Morbihan-like: 2 core datacenters, 4 aggregation POPs and
// members sites (town halls, schools, hospitals), 28 sites for members = 22.
// Another tenant's campus shares the NetBox, so that a filter has
// something to leave out. It returns the number of sites of the network.
type BrownfieldOptions struct {
	// Members is the number of member sites (22 gives the 28-site network).
	Members int
}

// Brownfield loads the fixture described on BrownfieldOptions.
func (s *Server) Brownfield(o BrownfieldOptions) error {
	if o.Members <= 0 {
		o.Members = 22
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	b := &filler{s: s}
	b.fill(o)
	return b.err
}

type filler struct {
	s   *Server
	err error
}

// add creates one object through the simulator's validation and returns
// its id; once one fails, the others are not written.
func (b *filler) add(path string, in map[string]any) int {
	if b.err != nil {
		return 0
	}
	k := b.s.byPath[path]
	if k == nil {
		b.err = fmt.Errorf("brownfield: no endpoint %s", path)
		return 0
	}
	// The filler writes numbers the way JSON decodes them.
	for key, v := range in {
		if n, ok := v.(int); ok {
			in[key] = float64(n)
		}
		if list, ok := v.([]int); ok {
			out := make([]any, len(list))
			for i, n := range list {
				out[i] = float64(n)
			}
			in[key] = out
		}
	}
	id, e := b.s.write(k, 0, in, false)
	if len(e) > 0 {
		b.err = fmt.Errorf("brownfield: create %s %v: %v", path, in["name"], e)
	}
	return id
}

// ensure returns the object with this slug, creating it when missing, so
// that the fixture can share a NetBox with other data.
func (b *filler) ensure(path string, in map[string]any) int {
	t := b.s.tables[path]
	for _, id := range t.order {
		if t.objs[id]["slug"] == in["slug"] {
			return id
		}
	}
	return b.add(path, in)
}

var morbihanPOPs = []struct {
	slug, name string
	lat, lon   any
}{
	{"vannes-pop", "POP Vannes Tohannic", 47.6625, -2.7559},
	{"lorient-pop", "POP Lorient Keryado", 47.7574, -3.3807},
	{"pontivy-pop", "POP Pontivy", nil, nil}, // coordinates never entered
	{"ploermel-pop", "POP Ploërmel", 47.9318, -2.3979},
}

var morbihanTowns = []string{"auray", "hennebont", "lanester", "ploemeur", "questembert", "josselin",
	"muzillac", "sarzeau", "locmine", "baud", "guidel", "quiberon", "elven", "grandchamp", "plescop",
	"theix", "sene", "arradon", "carnac", "gourin", "le-faouet", "malestroit", "rohan", "la-gacilly"}

var memberKinds = []struct{ suffix, facility, name string }{
	{"mairie", "town-hall", "Mairie"}, {"college", "school", "Collège"}, {"hopital", "hospital", "Hôpital"},
}

func (b *filler) fill(o BrownfieldOptions) {
	tag := b.add("extras/tags", map[string]any{"name": "Réseau Morbihan", "slug": "rrm", "color": "2196f3"})
	b.add("extras/tags", map[string]any{"name": "Legacy", "slug": "legacy"})
	tenant := b.add("tenancy/tenants", map[string]any{"name": "Syndicat Morbihan Numérique", "slug": "morbihan-numerique"})
	other := b.add("tenancy/tenants", map[string]any{"name": "Campus Ifremer", "slug": "ifremer"})
	group := b.add("dcim/site-groups", map[string]any{"name": "Réseau public", "slug": "reseau-public"})
	bzh := b.add("dcim/regions", map[string]any{"name": "Bretagne", "slug": "bretagne"})
	r56 := b.add("dcim/regions", map[string]any{"name": "Morbihan", "slug": "morbihan", "parent": bzh})
	r29 := b.add("dcim/regions", map[string]any{"name": "Finistère", "slug": "finistere", "parent": bzh})

	rir := b.add("ipam/rirs", map[string]any{"name": "RFC 6996", "slug": "rfc-6996", "is_private": true})
	coreASN := b.add("ipam/asns", map[string]any{"asn": 65056, "rir": rir, "description": "Morbihan core"})

	mfr := map[string]int{}
	for _, m := range []string{"juniper", "arista", "cisco", "opengear", "apc", "generic"} {
		mfr[m] = b.ensure("dcim/manufacturers", map[string]any{"name": m, "slug": m})
	}
	dt := map[string]int{}
	for _, t := range []struct{ m, model string }{{"juniper", "MX204"}, {"arista", "DCS-7280SR3"}, {"cisco", "C8200-1N-4T"},
		{"opengear", "CM8100"}, {"apc", "AP8959"}, {"generic", "ODF 24 LC"}, {"cisco", "C9200L-24T"}} {
		dt[t.model] = b.ensure("dcim/device-types", map[string]any{"manufacturer": mfr[t.m], "model": t.model, "slug": slug(t.model)})
	}
	role := map[string]int{}
	for _, r := range []string{"core-router", "pe", "router", "patch-panel", "console-server", "pdu", "oob-switch"} {
		role[r] = b.ensure("dcim/device-roles", map[string]any{"name": r, "slug": r})
	}
	plat := map[string]int{}
	for _, p := range []struct{ slug, m string }{{"juniper-junos", "juniper"}, {"arista-eos", "arista"}, {"cisco-ios-xe", "cisco"}} {
		plat[p.slug] = b.ensure("dcim/platforms", map[string]any{"name": p.slug, "slug": p.slug, "manufacturer": mfr[p.m]})
	}
	ipv4 := func(dev int, ifname, addr, role string) {
		iface := b.ifaceID(dev, ifname)
		in := map[string]any{"address": addr, "assigned_object_type": "dcim.interface", "assigned_object_id": iface}
		if role != "" {
			in["role"] = role
		}
		b.add("ipam/ip-addresses", in)
	}
	site := func(slug, name, facility string, region int, lat, lon any, asns []int) int {
		in := map[string]any{"name": name, "slug": slug, "status": "active", "region": region, "facility": facility,
			"group": group, "tenant": tenant, "tags": []any{map[string]any{"slug": "rrm"}}, "latitude": lat, "longitude": lon}
		if asns != nil {
			in["asns"] = asns
		}
		return b.add("dcim/sites", in)
	}
	router := func(name string, site, role, platform int, model string) int {
		return b.add("dcim/devices", map[string]any{"name": name, "site": site, "role": role, "platform": platform,
			"device_type": dt[model], "status": "active", "tags": []int{tag}})
	}
	iface := func(dev int, name, typ string, extra map[string]any) int {
		in := map[string]any{"device": dev, "name": name, "type": typ}
		for k, v := range extra {
			in[k] = v
		}
		return b.add("dcim/interfaces", in)
	}
	cable := func(typ string, length any, unit string, a, bEnd [2]any) {
		in := map[string]any{"type": typ, "status": "connected",
			"a_terminations": []any{map[string]any{"object_type": a[0], "object_id": float64(a[1].(int))}},
			"b_terminations": []any{map[string]any{"object_type": bEnd[0], "object_id": float64(bEnd[1].(int))}}}
		if length != nil {
			in["length"], in["length_unit"] = length, unit
		}
		b.add("dcim/cables", in)
	}
	term := func(ot string, id int) [2]any { return [2]any{ot, id} }

	// Core: two datacenters, each with a router, a console server, a PDU
	// and an out-of-band switch, cabled the way they are in real racks.
	cores := []int{}
	coreSites := []struct {
		slug, name string
		lat, lon   float64
	}{{"vannes-dc1", "Vannes DC1", 47.6582, -2.7608}, {"lorient-dc1", "Lorient DC1", 47.7482, -3.3702}}
	for i, cs := range coreSites {
		sid := site(cs.slug, cs.name, "datacenter", r56, cs.lat, cs.lon, []int{coreASN})
		r := router(cs.slug+"-r1", sid, role["core-router"], plat["juniper-junos"], "MX204")
		iface(r, "lo0", "virtual", nil)
		ipv4(r, "lo0", fmt.Sprintf("10.56.255.%d/32", i+1), "loopback")
		mg := iface(r, "fxp0", "1000base-t", map[string]any{"mgmt_only": true})
		ipv4(r, "fxp0", fmt.Sprintf("10.56.254.%d/24", i+1), "")
		for p := 0; p <= len(morbihanPOPs); p++ {
			iface(r, fmt.Sprintf("xe-0/1/%d", p), "10gbase-x-sfpp", nil)
		}
		cores = append(cores, r)
		cons := b.add("dcim/devices", map[string]any{"name": cs.slug + "-cons1", "site": sid, "role": role["console-server"],
			"device_type": dt["CM8100"]})
		pdu := b.add("dcim/devices", map[string]any{"name": cs.slug + "-pdu1", "site": sid, "role": role["pdu"], "device_type": dt["AP8959"]})
		oob := b.add("dcim/devices", map[string]any{"name": cs.slug + "-oob1", "site": sid, "role": role["oob-switch"],
			"device_type": dt["C9200L-24T"], "platform": plat["cisco-ios-xe"]})
		oobPort := iface(oob, "GigabitEthernet1/0/1", "1000base-t", nil)
		cable("cat6", 3, "m", term("dcim.interface", mg), term("dcim.interface", oobPort))
		cp := b.add("dcim/console-ports", map[string]any{"device": r, "name": "con0", "type": "rj-45"})
		csp := b.add("dcim/console-server-ports", map[string]any{"device": cons, "name": "port1", "type": "rj-45"})
		cable("cat6", 2, "m", term("dcim.consoleport", cp), term("dcim.consoleserverport", csp))
		for ps := 0; ps < 2; ps++ {
			pp := b.add("dcim/power-ports", map[string]any{"device": r, "name": "PSU" + strconv.Itoa(ps), "type": "iec-60320-c14"})
			po := b.add("dcim/power-outlets", map[string]any{"device": pdu, "name": "outlet" + strconv.Itoa(ps+1), "type": "iec-60320-c13"})
			cable("power", nil, "", term("dcim.powerport", pp), term("dcim.poweroutlet", po))
		}
	}
	// Core ring between the datacenters, through a patch panel at each end.
	panels := [2][2]int{}
	for i, c := range coreSites {
		sid := b.siteID(c.slug)
		p := b.add("dcim/devices", map[string]any{"name": c.slug + "-odf1", "site": sid, "role": role["patch-panel"], "device_type": dt["ODF 24 LC"]})
		rear := b.add("dcim/rear-ports", map[string]any{"device": p, "name": "R1", "type": "lc", "positions": 1})
		fb := map[string]any{"device": p, "name": "F1", "type": "lc", "rear_port": rear, "rear_port_position": 1}
		if b.s.rel.portMappings() {
			fb = map[string]any{"device": p, "name": "F1", "type": "lc", "rear_ports": []any{map[string]any{"position": 1, "rear_port": rear, "rear_port_position": 1}}}
		}
		front := b.add("dcim/front-ports", fb)
		panels[i] = [2]int{rear, front}
		cable("smf-os2", 5, "m", term("dcim.interface", b.ifaceID(cores[i], "xe-0/1/0")), term("dcim.frontport", front))
	}
	cable("smf-os2", 52.4, "km", term("dcim.rearport", panels[0][0]), term("dcim.rearport", panels[1][0]))

	// Aggregation POPs, each dual-homed to both cores.
	pops := []int{}
	for i, p := range morbihanPOPs {
		asn := b.add("ipam/asns", map[string]any{"asn": 4200056000 + i + 1, "rir": rir})
		sid := site(p.slug, p.name, "pop", r56, p.lat, p.lon, []int{asn})
		r := router(p.slug+"-r1", sid, role["pe"], plat["arista-eos"], "DCS-7280SR3")
		iface(r, "Loopback0", "virtual", nil)
		ipv4(r, "Loopback0", fmt.Sprintf("10.56.253.%d/32", i+1), "")
		iface(r, "Management1", "1000base-t", map[string]any{"mgmt_only": true})
		for e := 1; e <= 2+o.Members/len(morbihanPOPs)+1; e++ {
			typ := "10gbase-x-sfpp"
			if e > 2 {
				typ = "1000base-x-sfp" // member access ports
			}
			iface(r, "Ethernet"+strconv.Itoa(e), typ, map[string]any{"mtu": 9214})
		}
		pops = append(pops, r)
		for c := 0; c < 2; c++ {
			cable("smf-os2", 10.5+float64(i*3+c), "km", term("dcim.interface", b.ifaceID(cores[c], fmt.Sprintf("xe-0/1/%d", i+1))),
				term("dcim.interface", b.ifaceID(r, "Ethernet"+strconv.Itoa(c+1))))
		}
	}
	// Member sites, each behind one POP.
	for m := 0; m < o.Members; m++ {
		town, kind := morbihanTowns[m%len(morbihanTowns)], memberKinds[m%len(memberKinds)]
		slugName, name := town+"-"+kind.suffix, kind.name+" "+town
		if m >= len(morbihanTowns) {
			// Bigger networks (the benchmark's): towns come round again.
			n := strconv.Itoa(m/len(morbihanTowns) + 1)
			slugName, name = slugName+"-"+n, name+" "+n
		}
		asn := b.add("ipam/asns", map[string]any{"asn": 4200056100 + m, "rir": rir})
		// Rounded as NetBox stores them (6 decimals): -3.2+3*0.12 is
		// -2.8400000000000003 in float64, which NetBox refuses.
		var lat, lon any = math.Round((47.5+float64(m%10)*0.05)*1e6) / 1e6, math.Round((-3.2+float64(m%7)*0.12)*1e6) / 1e6
		if m%9 == 4 {
			lat, lon = nil, nil
		}
		sid := site(slugName, name, kind.facility, r56, lat, lon, []int{asn})
		r := router(slugName+"-r1", sid, role["router"], plat["cisco-ios-xe"], "C8200-1N-4T")
		iface(r, "Loopback0", "virtual", nil)
		ipv4(r, "Loopback0", fmt.Sprintf("10.56.%d.%d/32", 100+m/250, m%250+1), "loopback")
		up := iface(r, "GigabitEthernet0/0/0", "1000base-x-sfp", nil)
		pop := pops[m%len(pops)]
		popPort := b.ifaceID(pop, "Ethernet"+strconv.Itoa(3+m/len(pops)))
		typ := "smf"
		if m%5 == 3 {
			typ = "smf-os1"
		}
		cable(typ, 2.5+float64(m%13)*0.75, "km", term("dcim.interface", up), term("dcim.interface", popPort))
	}
	// Another tenant's campus in the same NetBox, out of the network.
	camp := b.add("dcim/sites", map[string]any{"name": "Ifremer Brest", "slug": "ifremer-brest", "region": r29, "tenant": other,
		"tags": []any{map[string]any{"slug": "legacy"}}})
	// Its switches, cabling, addresses, a location and a prefix are
	// there so that a filtered read is seen leaving them out, whether it
	// reads by site_id or whole lists it then keeps the network's part of.
	campSw := []int{
		b.add("dcim/devices", map[string]any{"name": "ifremer-brest-sw1", "site": camp, "role": role["oob-switch"], "device_type": dt["C9200L-24T"]}),
		b.add("dcim/devices", map[string]any{"name": "ifremer-brest-sw2", "site": camp, "role": role["oob-switch"], "device_type": dt["C9200L-24T"]}),
	}
	up1 := iface(campSw[0], "Gi1/0/24", "1000base-t", nil)
	up2 := iface(campSw[1], "Gi1/0/24", "1000base-t", nil)
	cable("cat6", 3, "m", term("dcim.interface", up1), term("dcim.interface", up2))
	ipv4(campSw[0], "Gi1/0/24", "10.29.0.1/30", "")
	b.add("dcim/locations", map[string]any{"name": "Bâtiment A", "slug": "batiment-a", "site": camp})
	b.add("ipam/prefixes", map[string]any{"prefix": "10.29.0.0/24", "site": camp})
}

func slug(s string) string {
	out := []byte{}
	for _, r := range []byte(s) {
		switch {
		case r >= 'A' && r <= 'Z':
			out = append(out, r+'a'-'A')
		case r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
			out = append(out, r)
		default:
			out = append(out, '-')
		}
	}
	return string(out)
}

func (b *filler) ifaceID(dev int, name string) int {
	t := b.s.tables["dcim/interfaces"]
	for _, id := range t.order {
		if o := t.objs[id]; o["device"] == dev && o["name"] == name {
			return id
		}
	}
	if b.err == nil {
		b.err = fmt.Errorf("brownfield: device %d has no interface %s", dev, name)
	}
	return 0
}

func (b *filler) siteID(slug string) int {
	t := b.s.tables["dcim/sites"]
	for _, id := range t.order {
		if t.objs[id]["slug"] == slug {
			return id
		}
	}
	return 0
}
