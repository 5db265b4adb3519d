package inventory

import (
	"fmt"
	"math"
	"net/netip"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
)

// Validate checks a snapshot for everything that would make it lie about the
// network, and returns every problem found (nil when clean), sorted by
// position. It never stops at the first one: an engineer fixing an
// inventory wants the whole list.
func Validate(s *Snapshot) Problems {
	x := NewIndex(s)
	// The checks only read the snapshot. Each task collects its own
	// problems and they are joined in task order, so the result does not
	// depend on which core ran what. cables and links, the longest checks,
	// are cut into parts so that the tasks spread evenly over the cores.
	tasks := []func(v *validator){
		(*validator).names,
		(*validator).sites,
		(*validator).locations,
		(*validator).devices,
		(*validator).panels,
		(*validator).circuits,
		(*validator).bgp,
		(*validator).services,
		(*validator).speakers,
		(*validator).deprecated,
		(*validator).optics,
	}
	const parts = 4
	for k := range parts {
		from, to := len(s.Cables)*k/parts, len(s.Cables)*(k+1)/parts
		tasks = append(tasks, func(v *validator) { v.cables(from, to) })
	}
	for k := range parts {
		from, to := len(s.Devices)*k/parts, len(s.Devices)*(k+1)/parts
		tasks = append(tasks, func(v *validator) { v.links(from, to) })
	}
	tasks = append(tasks, (*validator).addresses)
	vs := make([]*validator, len(tasks))
	for i := range vs {
		vs[i] = &validator{s: s, x: x}
	}
	var next atomic.Int32
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(tasks)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				n := int(next.Add(1)) - 1
				if n >= len(tasks) {
					return
				}
				tasks[n](vs[n])
			}
		}()
	}
	wg.Wait()
	var ps Problems
	for _, v := range vs {
		ps = append(ps, v.l.ps...)
	}
	ps.Sort()
	if len(ps) == 0 {
		return nil
	}
	return ps
}

type validator struct {
	s *Snapshot
	x *Index
	l problemList
}

func (v *validator) add(src Source, object, format string, args ...any) {
	v.l.add(src, object, format, args...)
}

// dupCheck reports a name seen twice, pointing at the second and naming the first.
type dupCheck map[string]Source

func (d dupCheck) seen(v *validator, kind, name string, src Source) bool {
	if name == "" {
		v.add(src, kind, "has no name")
		return true
	}
	if first, ok := d[name]; ok {
		v.add(src, kind+" "+name, "duplicate %s name (first defined at %s)", kind, first)
		return true
	}
	d[name] = src
	return false
}

// seenIn checks a name unique within its holder (an interface in a device).
func (d dupCheck) seenIn(v *validator, kind, holder, name string, src Source) {
	if name == "" {
		v.noNameIn(kind, holder, src)
		return
	}
	if first, ok := d[name]; ok {
		v.dupIn(kind, holder, name, src, first)
		return
	}
	d[name] = src
}

func (v *validator) noNameIn(kind, holder string, src Source) {
	v.add(src, kind+" "+holder+":", "has no name")
}

func (v *validator) dupIn(kind, holder, name string, src, first Source) {
	v.add(src, kind+" "+holder+":"+name, "duplicate %s name on %s (first defined at %s)", kind, holder, first)
}

func (v *validator) names() {
	regions := dupCheck{}
	for _, r := range v.s.Regions {
		regions.seen(v, "region", r.Slug, r.Src)
		if r.Parent != "" && v.x.Region(r.Parent) == nil {
			v.add(r.Src, "region "+r.Slug, "parent region %q is not defined", r.Parent)
		}
	}
	sites := make(dupCheck, len(v.s.Sites))
	for _, s := range v.s.Sites {
		sites.seen(v, "site", s.Slug, s.Src)
	}
	devices := make(dupCheck, len(v.s.Devices))
	for n := range v.s.Devices {
		d := &v.s.Devices[n]
		devices.seen(v, "device", d.Name, d.Src)
		v.interfaceNames(d)
	}
	panels := dupCheck{}
	for _, p := range v.s.PatchPanels {
		panels.seen(v, "patch panel", p.Name, p.Src)
		if v.x.Device(p.Name) != nil {
			v.add(p.Src, "patch panel "+p.Name, "has the name of a device; names are shared by devices and panels")
		}
	}
	cables := make(dupCheck, len(v.s.Cables))
	for _, c := range v.s.Cables {
		cables.seen(v, "cable", c.Label, c.Src)
	}
	circuits := dupCheck{}
	for _, c := range v.s.Circuits {
		circuits.seen(v, "circuit", c.ID, c.Src)
	}
	services := dupCheck{}
	for _, h := range v.s.Services {
		services.seen(v, "service", h.Name, h.Src)
	}
	asns := dupCheck{}
	for _, a := range v.s.ASNs {
		asns.seen(v, "asn", strconv.FormatUint(uint64(a.ASN), 10), a.Src)
		v.checkASN(a.Src, func() string { return "asn " + strconv.FormatUint(uint64(a.ASN), 10) }, a.ASN)
	}
	prefixes := dupCheck{}
	for _, p := range v.s.Prefixes {
		if !p.Prefix.IsValid() {
			v.add(p.Src, "prefix", "has no prefix")
			continue
		}
		prefixes.seen(v, "prefix", p.Prefix.String(), p.Src)
		if p.Prefix != p.Prefix.Masked() {
			v.add(p.Src, "prefix "+p.Prefix.String(), "has host bits set (did you mean %s?)", p.Prefix.Masked())
		}
		if p.Site != "" && v.x.Site(p.Site) == nil {
			v.add(p.Src, "prefix "+p.Prefix.String(), "site %q is not defined", p.Site)
		}
	}
}

// interfaceNames checks interface names unique within a device. A device
// has a handful of interfaces, a few hundred at most: a scan costs less
// than a map per device and finds the same first definition.
func (v *validator) interfaceNames(d *Device) {
	for k, i := range d.Interfaces {
		if i.Name == "" {
			v.noNameIn("interface", d.Name, i.Src)
			continue
		}
		for _, first := range d.Interfaces[:k] {
			if first.Name == i.Name {
				v.dupIn("interface", d.Name, i.Name, i.Src, first.Src)
				break
			}
		}
	}
}

func (v *validator) sites() {
	for _, s := range v.s.Sites {
		obj := func() string { return "site " + s.Slug }
		if !slices.Contains(SiteRoles, s.Role) {
			v.add(s.Src, obj(), "role %q is not one of %v", s.Role, SiteRoles)
		}
		if s.Region != "" && v.x.Region(s.Region) == nil {
			v.add(s.Src, obj(), "region %q is not defined", s.Region)
		}
		if s.Latitude < -90 || s.Latitude > 90 || math.IsNaN(s.Latitude) {
			v.add(s.Src, obj(), "latitude %v is outside -90..90", s.Latitude)
		}
		if s.Longitude < -180 || s.Longitude > 180 || math.IsNaN(s.Longitude) {
			v.add(s.Src, obj(), "longitude %v is outside -180..180", s.Longitude)
		}
	}
}

func (v *validator) devices() {
	for _, d := range v.s.Devices {
		obj := func() string { return "device " + d.Name }
		if d.Site == "" {
			v.add(d.Src, obj(), "has no site")
		} else if v.x.Site(d.Site) == nil {
			v.add(d.Src, obj(), "site %q is not defined", d.Site)
		}
		if !slices.Contains(DeviceRoles, d.Role) {
			v.add(d.Src, obj(), "role %q is not one of %v", d.Role, DeviceRoles)
		}
		if !slices.Contains(Platforms, d.Platform) {
			v.add(d.Src, obj(), "platform %q is not one of %v", d.Platform, Platforms)
		}
		for _, t := range d.Transports {
			if !slices.Contains(Transports, t) {
				v.add(d.Src, obj(), "transport %q is not one of %v", t, Transports)
			}
		}
		if d.ASN != 0 || len(d.BGPSessions) > 0 {
			v.checkASN(d.Src, obj, d.ASN)
		}
		if d.Loopback.IsValid() && !d.Loopback.Is4() {
			v.add(d.Src, obj(), "loopback %s is not IPv4 (use loopback6)", d.Loopback)
		}
		if d.Loopback6.IsValid() && !d.Loopback6.Is6() {
			v.add(d.Src, obj(), "loopback6 %s is not IPv6", d.Loopback6)
		}
		for _, i := range d.Interfaces {
			iobj := func() string { return "interface " + d.Name + ":" + i.Name }
			if i.MTU != 0 && (i.MTU < 576 || i.MTU > 16000) {
				v.add(i.Src, iobj(), "mtu %d is outside 576..16000", i.MTU)
			}
			if i.Speed < 0 {
				v.add(i.Src, iobj(), "speed %d is negative", i.Speed)
			}
			if i.Transceiver != "" && !v.s.KnownTransceiver(i.Transceiver) {
				v.add(i.Src, iobj(), "unknown transceiver type %q (known: %v, or add it under optics:)", i.Transceiver, Transceivers)
			}
			for _, a := range i.Addresses {
				if a.Bits() < a.Addr().BitLen()-1 && a.Addr() == a.Masked().Addr() {
					v.add(i.Src, iobj(), "address %s is the network address of its subnet", a)
				}
				if a.Addr().Is4() && a.Bits() < 31 && a.Addr() == lastAddr(a) {
					v.add(i.Src, iobj(), "address %s is the broadcast address of its subnet", a)
				}
			}
		}
	}
}

// checkASN refuses 0, AS_TRANS and the reserved ranges a router rejects.
// obj names the object, built only for a message.
func (v *validator) checkASN(src Source, obj func() string, asn uint32) {
	switch {
	case asn == 0:
		v.add(src, obj(), "ASN is missing or 0 (valid: 1..4294967294)")
	case asn == 23456:
		v.add(src, obj(), "ASN 23456 is AS_TRANS and cannot be used")
	case asn == 65535 || asn == math.MaxUint32:
		v.add(src, obj(), "ASN %d is reserved", asn)
	}
}

func lastAddr(p netip.Prefix) netip.Addr {
	a := p.Masked().Addr().As4()
	host := uint32(1)<<(32-p.Bits()) - 1
	n := uint32(a[0])<<24 | uint32(a[1])<<16 | uint32(a[2])<<8 | uint32(a[3])
	n |= host
	return netip.AddrFrom4([4]byte{byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)})
}

func (v *validator) panels() {
	for _, p := range v.s.PatchPanels {
		obj := func() string { return "patch panel " + p.Name }
		if p.Site == "" {
			v.add(p.Src, obj(), "has no site")
		} else if v.x.Site(p.Site) == nil {
			v.add(p.Src, obj(), "site %q is not defined", p.Site)
		}
		rears := dupCheck{}
		positions := map[string]int{}
		for _, r := range p.RearPorts {
			rears.seenIn(v, "rear port", p.Name, r.Name, r.Src)
			if r.Positions < 0 || r.Positions > 1024 {
				v.add(r.Src, obj(), "rear port %s has %d positions (want 1..1024)", r.Name, r.Positions)
			}
			positions[r.Name] = max(r.Positions, 1)
		}
		fronts := dupCheck{}
		used := map[rearPos]string{}
		for _, f := range p.FrontPorts {
			fronts.seenIn(v, "front port", p.Name, f.Name, f.Src)
			n, ok := positions[f.RearPort]
			if !ok {
				v.add(f.Src, obj(), "front port %s maps to unknown rear port %q", f.Name, f.RearPort)
				continue
			}
			pos := f.position()
			if pos < 1 || pos > n {
				v.add(f.Src, obj(), "front port %s maps to position %d of rear port %s, which has %d", f.Name, pos, f.RearPort, n)
				continue
			}
			k := rearPos{p.Name, f.RearPort, pos}
			if other, dup := used[k]; dup {
				v.add(f.Src, obj(), "front ports %s and %s both map to rear port %s position %d", other, f.Name, f.RearPort, pos)
			}
			used[k] = f.Name
		}
	}
}

// cables checks cables [from, to). Each end is checked against the index,
// which holds the first cable at every end, so parts need not share state.
func (v *validator) cables(from, to int) {
	for n := from; n < to; n++ {
		c := &v.s.Cables[n]
		// Messages are rare: the object's name is built only for one.
		obj := func() string { return "cable " + c.Label }
		for _, isA := range []bool{true, false} {
			name, t := "a", &c.A
			if !isA {
				name, t = "b", &c.B
			}
			src := t.Src
			if src.Line == 0 {
				src = c.Src
			}
			if !v.checkTermination(src, c, name, t) {
				continue
			}
			// The index keeps the first cable at each end, in file order:
			// an end used before is exactly one whose entry is another
			// cable, or the other end of this one.
			if e := v.x.byEnd[t.Key()]; e.cable != c || e.isA != isA {
				v.add(src, obj(), "end %s: %s is already used by cable %s", name, *t, e.cable.Label)
			}
		}
		if c.A.Kind() != "" && c.A.Key() == c.B.Key() {
			v.add(c.Src, obj(), "both ends are %s", c.A)
		}
		if c.Type != "" && !slices.Contains(CableTypes, c.Type) {
			v.add(c.Src, obj(), "type %q is not one of %v", c.Type, CableTypes)
		}
		if c.Status != "" && !slices.Contains(CableStatuses, c.Status) {
			v.add(c.Src, obj(), "status %q is not one of %v", c.Status, CableStatuses)
		}
		if c.Length.Meters < 0 {
			v.add(c.Src, obj(), "length %s is negative", c.Length)
		}
		if c.Strands < 0 {
			v.add(c.Src, obj(), "strands %d is negative", c.Strands)
		}
		if c.Splices < 0 {
			v.add(c.Src, obj(), "splices %d is negative", c.Splices)
		}
		if c.Connectors < 0 {
			v.add(c.Src, obj(), "connectors %d is negative", c.Connectors)
		}
		if c.ConnectorPairs < 0 {
			v.add(c.Src, obj(), "connector_pairs %d is negative", c.ConnectorPairs)
		}
		switch {
		case math.IsNaN(c.AttenuatorDB) || c.AttenuatorDB < 0 || c.AttenuatorDB > 30:
			v.add(c.Src, obj(), "attenuator_db %v is outside 0..30 dB", c.AttenuatorDB)
		case c.AttenuatorDB > 0 && c.Type == CableCopper:
			v.add(c.Src, obj(), "attenuator_db %v on a %s cable: an optical attenuator goes on fiber", c.AttenuatorDB, c.Type)
		}
		if c.ConnectorPairs != 0 && c.Connectors != 0 {
			v.add(c.Src, obj(), "sets both connector_pairs and the deprecated connectors: keep connector_pairs only")
		}
		for k, g := range c.SRLGs {
			if g == "" {
				v.add(c.Src, obj(), "has an empty shared-risk group")
			}
			// Cables list a few groups: a scan beats a map.
			if slices.Contains(c.SRLGs[:k], g) {
				v.add(c.Src, obj(), "lists shared-risk group %q twice", g)
			}
		}
	}
}

// checkTermination reports an end that is malformed or names an unknown object.
func (v *validator) checkTermination(src Source, c *Cable, side string, t *Termination) bool {
	obj := func() string { return "cable " + c.Label }
	switch t.Kind() {
	case TermInterface:
		// An interface is indexed only under a known device: one lookup
		// settles the usual case.
		if v.x.Interface(t.Device, t.Interface) != nil {
			return true
		}
		if v.x.Device(t.Device) == nil {
			v.add(src, obj(), "end %s: device %q is not defined", side, t.Device)
			return false
		}
		v.add(src, obj(), "end %s: device %s has no interface %q", side, t.Device, t.Interface)
		return false
	case TermFrontPort, TermRearPort:
		if v.x.PatchPanel(t.Panel) == nil {
			v.add(src, obj(), "end %s: patch panel %q is not defined", side, t.Panel)
			return false
		}
		if t.Kind() == TermFrontPort && v.x.fronts[t.Key()] == nil {
			v.add(src, obj(), "end %s: patch panel %s has no front port %q", side, t.Panel, t.Front)
			return false
		}
		if t.Kind() == TermRearPort && v.x.rears[t.Key()] == nil {
			v.add(src, obj(), "end %s: patch panel %s has no rear port %q", side, t.Panel, t.Rear)
			return false
		}
	case TermCircuit:
		if v.x.Circuit(t.Circuit) == nil {
			v.add(src, obj(), "end %s: circuit %q is not defined", side, t.Circuit)
			return false
		}
		if t.Side != "" && t.Side != "A" && t.Side != "Z" {
			v.add(src, obj(), "end %s: circuit side %q is not A or Z", side, t.Side)
			return false
		}
	default:
		v.add(src, obj(), "end %s must name device+interface, panel+front, panel+rear or circuit (got %+v)", side, termFields(*t))
		return false
	}
	return true
}

func termFields(t Termination) map[string]string {
	m := map[string]string{}
	for k, val := range map[string]string{"device": t.Device, "interface": t.Interface, "panel": t.Panel, "front": t.Front, "rear": t.Rear, "circuit": t.Circuit} {
		if val != "" {
			m[k] = val
		}
	}
	return m
}

// links traces every interface of devices [from, to) and checks that both
// ends of each link agree on subnet, MTU and speed.
func (v *validator) links(from, to int) {
	for n := from; n < to; n++ {
		d := &v.s.Devices[n]
		if v.x.Device(d.Name) != d {
			continue // a duplicate, already reported
		}
		for k := range d.Interfaces {
			i := &d.Interfaces[k]
			p, err := v.x.Trace(d.Name, i.Name)
			if err != nil {
				v.add(i.Src, "interface "+d.Name+":"+i.Name, "%v", err)
				continue
			}
			if !p.Complete || p.To.Kind() != TermInterface {
				continue
			}
			// Check each link once, from its lexically smaller end.
			if p.To.Device < d.Name || (p.To.Device == d.Name && p.To.Interface <= i.Name) {
				continue
			}
			far := v.x.Interface(p.To.Device, p.To.Interface)
			if far == nil {
				continue
			}
			obj := func() string { return "link " + d.Name + ":" + i.Name + " - " + p.To.Device + ":" + p.To.Interface }
			if i.MTU != 0 && far.MTU != 0 && i.MTU != far.MTU {
				v.add(i.Src, obj(), "MTU mismatch: %d here, %d at %s (%s)", i.MTU, far.MTU, p.To, far.Src)
			}
			if i.Speed != 0 && far.Speed != 0 && i.Speed != far.Speed {
				v.add(i.Src, obj(), "speed mismatch: %s here, %s at %s (%s)", i.Speed, far.Speed, p.To, far.Src)
			}
			v.sameSubnet(i, far, obj, p.To)
			for _, x := range i.Addresses {
				for _, y := range far.Addresses {
					if x.Addr().IsLinkLocalUnicast() && x.Addr() == y.Addr() {
						v.add(i.Src, obj(), "both ends use link-local address %s (%s): it must be unique on the link", x.Addr(), far.Src)
					}
				}
			}
		}
	}
}

func (v *validator) sameSubnet(a, b *Interface, obj func() string, far Termination) {
	for _, fam := range []bool{true, false} {
		// Addresses are few and usually shared at once: look before
		// gathering them, which only a message needs.
		shared, inA, inB := false, false, false
		for _, x := range a.Addresses {
			if x.Addr().Is4() != fam {
				continue
			}
			inA = true
			for _, y := range b.Addresses {
				if y.Addr().Is4() == fam && x.Bits() == y.Bits() && x.Masked() == y.Masked() {
					shared = true
				}
			}
		}
		for _, y := range b.Addresses {
			inB = inB || y.Addr().Is4() == fam
		}
		if shared || !inA || !inB {
			continue
		}
		var pa, pb []netip.Prefix
		for _, p := range a.Addresses {
			if p.Addr().Is4() == fam {
				pa = append(pa, p)
			}
		}
		for _, p := range b.Addresses {
			if p.Addr().Is4() == fam {
				pb = append(pb, p)
			}
		}
		v.add(a.Src, obj(), "ends are not in the same subnet: %v here, %v at %s (%s)", pa, pb, far, b.Src)
	}
}

func (v *validator) circuits() {
	for _, c := range v.s.Circuits {
		obj := "circuit " + c.ID
		if c.Provider == "" {
			v.add(c.Src, obj, "has no provider")
		}
		for _, e := range []struct {
			side string
			end  CircuitEnd
		}{{"a", c.A}, {"z", c.Z}} {
			if e.end.IsZero() {
				if e.side == "a" {
					v.add(c.Src, obj, "has no A end")
				}
				continue
			}
			src := e.end.Src
			if src.Line == 0 {
				src = c.Src
			}
			if e.end.Site == "" {
				v.add(src, obj, "end %s has no site", e.side)
			} else if v.x.Site(e.end.Site) == nil {
				v.add(src, obj, "end %s: site %q is not defined", e.side, e.end.Site)
			}
			if e.end.Device == "" && e.end.Interface == "" {
				continue
			}
			d := v.x.Device(e.end.Device)
			switch {
			case d == nil:
				v.add(src, obj, "end %s: device %q is not defined", e.side, e.end.Device)
			case v.x.Interface(e.end.Device, e.end.Interface) == nil:
				v.add(src, obj, "end %s: device %s has no interface %q", e.side, e.end.Device, e.end.Interface)
			case e.end.Site != "" && d.Site != e.end.Site:
				v.add(src, obj, "end %s: device %s is at site %s, not %s", e.side, d.Name, d.Site, e.end.Site)
			}
		}
	}
}

// addresses reports an IP configured twice anywhere in the network.
func (v *validator) addresses() {
	// An owner is named only when a duplicate is reported.
	type owner struct {
		d    *Device
		i    *Interface // nil for the device's own addresses
		what string     // loopback, loopback6 or mgmt
	}
	name := func(o owner) string {
		if o.i != nil {
			return "interface " + o.d.Name + ":" + o.i.Name
		}
		return "device " + o.d.Name + " " + o.what
	}
	src := func(o owner) Source {
		if o.i != nil {
			return o.i.Src
		}
		return o.d.Src
	}
	n := 0
	for _, d := range v.s.Devices {
		n += 3
		for _, i := range d.Interfaces {
			n += len(i.Addresses)
		}
	}
	seen := make(map[netip.Addr]owner, n)
	claim := func(a netip.Addr, o owner) {
		if !a.IsValid() {
			return
		}
		if first, ok := seen[a]; ok {
			v.add(src(o), name(o), "address %s is already used by %s (%s)", a, name(first), src(first))
			return
		}
		seen[a] = o
	}
	for k := range v.s.Devices {
		d := &v.s.Devices[k]
		claim(d.Loopback, owner{d: d, what: "loopback"})
		claim(d.Loopback6, owner{d: d, what: "loopback6"})
		claim(d.Mgmt, owner{d: d, what: "mgmt"})
		for j := range d.Interfaces {
			i := &d.Interfaces[j]
			for _, a := range i.Addresses {
				if a.Addr() == d.Loopback || a.Addr() == d.Loopback6 {
					continue // the loopback interface carries the loopback address
				}
				if a.Addr().IsLinkLocalUnicast() {
					// fe80::1 on every interface is common practice: a
					// link-local address need only be unique on its link,
					// which links() checks.
					continue
				}
				claim(a.Addr(), owner{d: d, i: i})
			}
		}
	}
}

func (v *validator) bgp() {
	for _, d := range v.s.Devices {
		for _, b := range d.BGPSessions {
			src := b.Src
			if src.Line == 0 {
				src = d.Src
			}
			obj := func() string { return "device " + d.Name + " bgp " + b.PeerAddress.String() }
			if !b.PeerAddress.IsValid() {
				v.add(src, "device "+d.Name+" bgp", "session has no peer_address")
				continue
			}
			v.checkASN(src, obj, b.PeerASN)
			if !slices.Contains(BGPRoles, b.Role) {
				v.add(src, obj(), "role %q is not one of %v", b.Role, BGPRoles)
			}
			for _, f := range b.Families {
				if !slices.Contains(AddressFamilies, f) {
					v.add(src, obj(), "address family %q is not one of %v", f, AddressFamilies)
				}
			}
			for _, g := range b.Disable {
				if !slices.Contains(SessionSafeguards, g) {
					v.add(src, obj(), "disable %q is not one of %v", g, SessionSafeguards)
				}
			}
			if b.MaxPrefix < 0 {
				v.add(src, obj(), "max_prefix %d is negative", b.MaxPrefix)
			}
			if b.PasswordSecret != "" && !secretKeyRE.MatchString(b.PasswordSecret) {
				v.add(src, obj(), "password_secret %q is not a secrets file key (%s)", b.PasswordSecret, secretKeyRE)
			}
			if b.Role == BGPiBGP && b.PeerASN != d.ASN && d.ASN != 0 {
				v.add(src, obj(), "iBGP session to AS%d from a device in AS%d", b.PeerASN, d.ASN)
			}
			if (b.Role == BGPTransit || b.Role == BGPMember) && b.PeerASN == d.ASN {
				v.add(src, obj(), "eBGP (%s) session to its own AS%d", b.Role, d.ASN)
			}
			if deviceHasAddr(&d, b.PeerAddress) {
				// FRR refuses it ("Can not configure the local system as
				// neighbor") half-way through a push: say so before.
				v.add(src, obj(), "peer_address %s is the device's own address", b.PeerAddress)
			}
			if b.PeerDevice == "" {
				continue
			}
			peer := v.x.Device(b.PeerDevice)
			if peer == nil {
				v.add(src, obj(), "peer device %q is not defined", b.PeerDevice)
				continue
			}
			if peer.ASN != b.PeerASN {
				v.add(src, obj(), "peer_asn %d but device %s is in AS%d", b.PeerASN, peer.Name, peer.ASN)
			}
			if !deviceHasAddr(peer, b.PeerAddress) {
				v.add(src, obj(), "peer address %s is not configured on device %s", b.PeerAddress, peer.Name)
			}
		}
	}
}

func deviceHasAddr(d *Device, a netip.Addr) bool {
	if d.Loopback == a || d.Loopback6 == a {
		return true
	}
	for _, i := range d.Interfaces {
		for _, p := range i.Addresses {
			if p.Addr() == a {
				return true
			}
		}
	}
	return false
}

func (v *validator) services() {
	for _, h := range v.s.Services {
		obj := "service " + h.Name
		if len(h.Prefixes) == 0 {
			v.add(h.Src, obj, "announces no prefix")
		}
		for _, p := range h.Prefixes {
			if p != p.Masked() {
				v.add(h.Src, obj, "prefix %s has host bits set (did you mean %s?)", p, p.Masked())
			}
		}
		if len(h.Sites) == 0 {
			v.add(h.Src, obj, "is announced from no site")
		}
		for _, slug := range h.Sites {
			s := v.x.Site(slug)
			switch {
			case s == nil:
				v.add(h.Src, obj, "site %q is not defined", slug)
			case s.Role != SiteCore:
				v.add(h.Src, obj, "site %s has role %s; hosting is announced from core sites", slug, s.Role)
			}
		}
	}
}

// deprecated warns, once, about fields that are still read but renamed.
func (v *validator) deprecated() {
	n, first := 0, -1
	for i := range v.s.Cables {
		if c := &v.s.Cables[i]; c.Connectors != 0 && c.ConnectorPairs == 0 {
			if first < 0 {
				first = i
			}
			n++
		}
	}
	if n == 0 {
		return
	}
	c := &v.s.Cables[first]
	v.l.ps = append(v.l.ps, Problem{Src: c.Src, Where: c.Src.String(), Object: "cable " + c.Label, Severity: SeverityWarning,
		Msg: fmt.Sprintf("connectors (here and on %d other cables) is deprecated: it counted single connectors and budgets charged half of them, rounded up (%d here); write connector_pairs: %d (see docs/inventory.md)",
			n-1, c.Pairs(), c.Pairs())})
}

// optics checks the inventory's own transceiver types: figures that make
// a budget, and names that do not shadow a built-in type.
func (v *validator) optics() {
	seen := dupCheck{}
	for _, o := range v.s.Optics {
		if seen.seen(v, "optic", o.Type, o.Src) {
			continue
		}
		obj := "optic " + o.Type
		if slices.Contains(Transceivers, o.Type) {
			v.add(o.Src, obj, "is a built-in type (see tuyau topology optics); give a vendor module its own name, such as %s-ACME", o.Type)
		}
		if o.Fiber != FiberSMF && o.Fiber != FiberMMF {
			v.add(o.Src, obj, "fiber %q is not %s or %s", o.Fiber, FiberSMF, FiberMMF)
		}
		if o.Wavelength < 700 || o.Wavelength > 1700 {
			v.add(o.Src, obj, "wavelength_nm %d is outside 700..1700", o.Wavelength)
		}
		if o.TxMinDBm > o.TxMaxDBm {
			v.add(o.Src, obj, "tx_min_dbm %v is above tx_max_dbm %v", o.TxMinDBm, o.TxMaxDBm)
		}
		if o.RxSensDBm >= o.RxMaxDBm {
			v.add(o.Src, obj, "rx_sensitivity_dbm %v is not below rx_overload_dbm %v", o.RxSensDBm, o.RxMaxDBm)
		}
		for _, p := range []struct {
			name string
			val  float64
		}{{"tx_min_dbm", o.TxMinDBm}, {"tx_max_dbm", o.TxMaxDBm}, {"rx_sensitivity_dbm", o.RxSensDBm}, {"rx_overload_dbm", o.RxMaxDBm}} {
			if p.val < -40 || p.val > 20 || math.IsNaN(p.val) {
				v.add(o.Src, obj, "%s %v is outside -40..20 dBm", p.name, p.val)
			}
		}
		if o.ReachKm <= 0 || math.IsNaN(o.ReachKm) {
			v.add(o.Src, obj, "reach_km %v must be positive", o.ReachKm)
		}
		if o.Source == "" {
			v.add(o.Src, obj, "has no source: name the data sheet or standard the figures come from")
		}
	}
}

// ValidateOptics checks an optics table on its own, as Validate checks an
// inventory's: for a table kept apart from the inventory (the optics file
// of a NetBox, which has no place for it).
func ValidateOptics(optics []Optic) Problems {
	s := &Snapshot{Optics: optics}
	v := &validator{s: s, x: NewIndex(s)}
	v.optics()
	v.l.ps.Sort()
	return v.l.ps
}
