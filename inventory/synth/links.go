package synth

import (
	"cmp"
	"fmt"
	"math"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/tuyau-net/tuyau/inventory"
)

// link is a routed point-to-point link between two devices.
type link struct {
	a, b         int // device indexes
	aAddr, bAddr netip.Addr
}

// The rooms of a core datacenter site.
const (
	routerRoom = "salle-a"
	panelRoom  = "salle-b"
)

func (g *gen) addSite(slug, name, region string, role inventory.SiteRole, facility string, lat, lon float64, devRole inventory.DeviceRole) int {
	g.s.Sites = append(g.s.Sites, inventory.Site{Slug: slug, Name: name, Region: region, Role: role,
		Facility: facility, Latitude: round(lat, 5), Longitude: round(lon, 5)})
	if role == inventory.SiteCore {
		// A core datacenter has two rooms: the router in one, the optical
		// frame in the other, as the patch cords between them show.
		g.s.Sites[len(g.s.Sites)-1].Locations = []inventory.Location{
			{Slug: routerRoom, Name: "Salle A"}, {Slug: panelRoom, Name: "Salle B"}}
	}
	n := len(g.s.Devices) + 1
	d := inventory.Device{
		Name:       slug + "-r1",
		Site:       slug,
		Role:       devRole,
		Platform:   "frr",
		Mgmt:       netip.AddrFrom4([4]byte{10, 250, byte(n >> 8), byte(n)}),
		ASN:        NetworkASN,
		Loopback:   netip.AddrFrom4([4]byte{10, 255, byte(n >> 8), byte(n)}),
		Transports: []string{"ssh", "gnmi"},
	}
	if devRole == inventory.RoleMember {
		d.ASN = 4200000000 + uint32(len(g.members)+1)
	} else {
		d.Loopback6 = netip.MustParseAddr(fmt.Sprintf("2001:db8:ffff::%x", n))
	}
	d.RouteReflector = devRole == inventory.RoleCore
	if role == inventory.SiteCore {
		d.Location = routerRoom
	}
	lo := inventory.Interface{Name: "lo", Description: "loopback", Addresses: []netip.Prefix{netip.PrefixFrom(d.Loopback, 32)}}
	if d.Loopback6.IsValid() {
		lo.Addresses = append(lo.Addresses, netip.PrefixFrom(d.Loopback6, 128))
	}
	d.Interfaces = []inventory.Interface{lo}
	g.s.Devices = append(g.s.Devices, d)
	g.devSite = append(g.devSite, len(g.s.Sites)-1)
	return len(g.s.Devices) - 1
}

func (g *gen) site(dev int) *inventory.Site { return &g.s.Sites[g.devSite[dev]] }

// km is the fiber route length between two devices' sites: the great-circle
// distance times a routing factor, since ducts follow roads.
func (g *gen) km(a, b int, factor float64) float64 {
	sa, sb := g.site(a), g.site(b)
	return round(haversine(sa.Latitude, sa.Longitude, sb.Latitude, sb.Longitude)*factor+0.3, 2)
}

func haversine(lat1, lon1, lat2, lon2 float64) float64 {
	const r = 6371.0
	p1, p2 := lat1*math.Pi/180, lat2*math.Pi/180
	dp, dl := p2-p1, (lon2-lon1)*math.Pi/180
	h := math.Sin(dp/2)*math.Sin(dp/2) + math.Cos(p1)*math.Cos(p2)*math.Sin(dl/2)*math.Sin(dl/2)
	return 2 * r * math.Asin(math.Sqrt(h))
}

// exitDuct names the duct a cable uses to leave a site towards another:
// cables leaving in the same quarter of the compass share it, as they share
// the trench down the same road.
func (g *gen) exitDuct(from, to int) string {
	sa, sb := g.site(from), g.site(to)
	dy, dx := sb.Latitude-sa.Latitude, (sb.Longitude-sa.Longitude)*math.Cos(sa.Latitude*math.Pi/180)
	q := "n"
	switch {
	case math.Abs(dx) > math.Abs(dy) && dx > 0:
		q = "e"
	case math.Abs(dx) > math.Abs(dy):
		q = "w"
	case dy < 0:
		q = "s"
	}
	return "duct-" + sa.Slug + "-" + q
}

type linkSpec struct {
	speed inventory.Speed
	mtu   int
	km    float64
	srlgs []string
}

func (g *gen) nextIface(dev int) string {
	return "eth" + strconv.Itoa(len(g.s.Devices[dev].Interfaces))
}

// planOptic is what a planner knows of a pluggable when choosing one: the
// figures topology budgets with (its built-in table, IEEE 802.3 cl. 38 and
// 52 and vendor ZX/ZR data sheets), or, for a vendor module the built-in
// table lacks, the row the generator adds to the inventory's optics:.
// Topology, not the generator, is the judge.
type planOptic struct {
	name                             string
	nm                               int
	txMin, txMax, sens, overload, km float64
	// source is set on vendor modules only: the data sheet the row is read
	// from, written to the inventory's optics table with the row.
	source string
}

// The 1310 nm 10, 20 and 40 km SFP+ modules fill the gap the standard
// types leave on short metro spans: 10GBASE-LR closes only about 3 km with
// a 3 dB margin through patch panels, and 10GBASE-ER and -ZR saturate
// their receivers below about 30 and 65 km of new fiber. Their PIN
// receivers take +0.5 dBm, so a span needs no (10 km), 2.5 (20 km) or
// 3.5 dB (40 km) of best-case loss.
const hdvSource = "HDV Fiber 10G SFP+ dual-fiber SM data sheet (SFP+-10G-L10/L20/L40 table: average output power, PIN receiver sensitivity and overload), https://hdv-fiber.com/10g-sfp-dual-fiber-sm-1310nm-10km-10g-lr-optical-transceiver-module-compatible-with-cisco-switch.html"

// planOptics lists each speed's optics cheapest first.
var planOptics = map[inventory.Speed][]planOptic{
	10000: {
		{"10GBASE-LR", 1310, -8.2, 0.5, -14.4, 0.5, 10, ""},
		{"SFP+-10G-L10", 1310, -6, 0, -14, 0.5, 10, hdvSource},
		{"SFP+-10G-L20", 1310, -2, 3, -14.4, 0.5, 20, hdvSource},
		{"SFP+-10G-L40", 1310, 1, 4, -17, 0.5, 40, hdvSource},
		{"10GBASE-ER", 1550, -4.7, 4.0, -15.8, -1.0, 40, ""},
		{"10GBASE-ZR", 1550, 0, 4.0, -24, -7, 80, ""},
	},
	1000: {
		{"1000BASE-LX", 1310, -11.0, -3, -19, -3, 5, ""},
		{"1000BASE-ZX", 1550, 0, 5, -23, -3, 70, ""},
	},
}

// planMarginDB is the margin topology budget asks by default.
const planMarginDB = 3

// fit is how an optic fares on a span under topology budget's rules, with
// an inline attenuator of att dB: the margin at the worst-case launch
// power over the typical loss (0.4/0.2 dB/km, 0.15 dB per splice, 0.5 dB
// per connector pair, the attenuator), whether the strongest launch over
// the best-case loss (0.30/0.17 dB/km, perfect splices and connectors,
// the attenuator) stays at or below the receiver's overload, and whether
// the span is within the rated reach.
func (o planOptic) fit(km float64, splices, pairs int, att float64) (margin float64, overload, inReach bool) {
	return o.txMin - o.loss(km, splices, pairs) - att - o.sens, o.overshoot(km, att) > 0, km <= o.km
}

func (o planOptic) loss(km float64, splices, pairs int) float64 {
	att := 0.4
	if o.nm > 1400 {
		att = 0.2
	}
	return km*att + float64(splices)*0.15 + float64(pairs)*0.5
}

// overshoot is how far above its overload the receiver gets at the
// strongest launch over the best-case loss.
func (o planOptic) overshoot(km, att float64) float64 {
	best := 0.30
	if o.nm > 1400 {
		best = 0.17
	}
	return o.txMax - km*best - att - o.overload
}

// transceiver picks what an engineer would order for a span, and the
// fixed attenuator (whole dB, 0 for none) that goes with it: the cheapest
// optic whose budget closes with the margin at typical loss, that does not
// overload its receiver at best-case loss, within its rated reach. Else
// the cheapest that closes with the margin within reach once an
// attenuator of the whole dB above its overshoot (what topology budget
// asks: a short ZR span) brings the receiver under its overload. Else
// the cheapest that closes with the margin within reach, else the
// cheapest that closes at all, else the longest-reach one (the budget
// then says the span needs an amplifier).
func transceiver(speed inventory.Speed, km float64, splices, pairs int) (planOptic, float64) {
	opts := planOptics[speed]
	for _, o := range opts {
		if m, over, in := o.fit(km, splices, pairs, 0); m >= planMarginDB && !over && in {
			return o, 0
		}
	}
	for _, o := range opts {
		// 0.05 dB above the overshoot: the span's length as the file
		// rounds it and its patch cords stay under the overload too.
		att := math.Ceil(o.overshoot(km, 0) + 0.05)
		if m, over, in := o.fit(km, splices, pairs, att); att > 0 && m >= planMarginDB && !over && in {
			return o, att
		}
	}
	for _, o := range opts {
		if m, _, in := o.fit(km, splices, pairs, 0); m >= planMarginDB && in {
			return o, 0
		}
	}
	for _, o := range opts {
		if m, _, _ := o.fit(km, splices, pairs, 0); m >= 0 {
			return o, 0
		}
	}
	return opts[len(opts)-1], 0
}

// useOptic records that a link uses an optic: a vendor module goes into
// the inventory's optics table the first time.
func (g *gen) useOptic(o planOptic) string {
	if o.source == "" {
		return o.name
	}
	for _, have := range g.s.Optics {
		if have.Type == o.name {
			return o.name
		}
	}
	g.s.Optics = append(g.s.Optics, inventory.Optic{Type: o.name, Wavelength: o.nm, Fiber: inventory.FiberSMF,
		TxMinDBm: o.txMin, TxMaxDBm: o.txMax, RxSensDBm: o.sens, RxMaxDBm: o.overload, ReachKm: o.km, Source: o.source})
	slices.SortFunc(g.s.Optics, func(a, b inventory.Optic) int { return strings.Compare(a.Type, b.Type) })
	return o.name
}

func (g *gen) link(a, b int, sp linkSpec) link {
	aAddr := g.link4
	bAddr := aAddr.Next()
	g.link4 = bAddr.Next()
	an, bn := g.nextIface(a), g.nextIface(b)
	da, db := &g.s.Devices[a], &g.s.Devices[b]
	splices := int(math.Ceil(sp.km/4)) + 2
	pairs := 3 // patch cord, trunk, patch cord
	if g.o.NoPanels {
		pairs = 1
	}
	optic, att := transceiver(sp.speed, sp.km, splices, pairs)
	tr := g.useOptic(optic)
	da.Interfaces = append(da.Interfaces, inventory.Interface{Name: an, Description: "to " + db.Name + " " + bn,
		Speed: sp.speed, MTU: sp.mtu, Addresses: []netip.Prefix{netip.PrefixFrom(aAddr, 31)}, Transceiver: tr})
	db.Interfaces = append(db.Interfaces, inventory.Interface{Name: bn, Description: "to " + da.Name + " " + an,
		Speed: sp.speed, MTU: sp.mtu, Addresses: []netip.Prefix{netip.PrefixFrom(bAddr, 31)}, Transceiver: tr})
	ta := inventory.Termination{Device: da.Name, Interface: an}
	tb := inventory.Termination{Device: db.Name, Interface: bn}
	trunk := inventory.Cable{Type: inventory.FiberSMF, Strands: strands(sp.speed), Status: inventory.CableConnected,
		Length: km(sp.km), SRLGs: sp.srlgs, Splices: splices, ConnectorPairs: 1, AttenuatorDB: att}
	if g.o.NoPanels {
		trunk.A, trunk.B = ta, tb
		g.cable("FO", trunk)
	} else {
		fa, ra := g.panelPort(a)
		fb, rb := g.panelPort(b)
		pa, pb := g.s.Devices[a].Site+"-odf1", g.s.Devices[b].Site+"-odf1"
		g.cable("PC", patchCord(ta, inventory.Termination{Panel: pa, Front: fa}))
		trunk.A, trunk.B = inventory.Termination{Panel: pa, Rear: ra}, inventory.Termination{Panel: pb, Rear: rb}
		g.cable("FO", trunk)
		g.cable("PC", patchCord(inventory.Termination{Panel: pb, Front: fb}, tb))
	}
	return link{a, b, aAddr, bAddr}
}

func strands(speed inventory.Speed) int {
	if speed >= 10000 {
		return 48
	}
	return 12
}

func km(v float64) inventory.Length {
	l, _ := inventory.NewLength(v, "km")
	return l
}

func patchCord(a, b inventory.Termination) inventory.Cable {
	l, _ := inventory.NewLength(3, "m")
	return inventory.Cable{A: a, B: b, Type: inventory.FiberSMF, Strands: 2, Length: l, Status: inventory.CableConnected, ConnectorPairs: 1}
}

func (g *gen) cable(prefix string, c inventory.Cable) {
	g.nCables++
	c.Label = fmt.Sprintf("%s-%06d", prefix, g.nCables)
	g.s.Cables = append(g.s.Cables, c)
}

// panelPort adds a front/rear port pair to the site's patch panel.
func (g *gen) panelPort(dev int) (front, rear string) {
	site := g.s.Devices[dev].Site
	i, ok := g.panels[site]
	if !ok {
		p := inventory.PatchPanel{Name: site + "-odf1", Site: site}
		if len(g.s.Sites[g.devSite[dev]].Locations) > 0 {
			p.Location = panelRoom
		}
		g.s.PatchPanels = append(g.s.PatchPanels, p)
		i = len(g.s.PatchPanels) - 1
		g.panels[site] = i
	}
	p := &g.s.PatchPanels[i]
	n := strconv.Itoa(len(p.RearPorts) + 1)
	p.RearPorts = append(p.RearPorts, inventory.RearPort{Name: "R" + n})
	p.FrontPorts = append(p.FrontPorts, inventory.FrontPort{Name: "F" + n, RearPort: "R" + n})
	return "F" + n, "R" + n
}

// coreLinks joins the two core sites at 10G over two fiber routes that share
// no duct: one along the coast, one inland.
func (g *gen) coreLinks() {
	a, b := g.cores[0], g.cores[1]
	sa, sb := g.site(a).Slug, g.site(b).Slug
	for _, route := range []struct {
		name   string
		factor float64
	}{{"inland", 1.3}, {"coast", 1.7}} {
		k := g.km(a, b, route.factor)
		l := g.link(a, b, linkSpec{speed: 10000, mtu: 9216, km: k, srlgs: []string{fmt.Sprintf("duct-%s-%s-%s", sa, sb, route.name)}})
		g.links = append(g.links, l)
	}
}

// popChains strings the POPs, by bearing around the network's centre, into
// chains of up to five, each closed on the nearer core at one end and the
// other core at the other, plus one chord between neighbouring chains.
func (g *gen) popChains() {
	var clat, clon float64
	for _, s := range g.s.Sites {
		clat += s.Latitude
		clon += s.Longitude
	}
	clat /= float64(len(g.s.Sites))
	clon /= float64(len(g.s.Sites))
	pops := slices.Clone(g.pops)
	angle := func(d int) float64 {
		s := g.site(d)
		return math.Atan2(s.Latitude-clat, s.Longitude-clon)
	}
	slices.SortStableFunc(pops, func(x, y int) int { return cmp.Compare(angle(x), angle(y)) })
	const chainLen = 5
	var chains [][]int
	for i := 0; i < len(pops); i += chainLen {
		chains = append(chains, pops[i:min(i+chainLen, len(pops))])
	}
	for _, ch := range chains {
		// Each end of a chain closes on the core nearer to it: both ends on
		// different cores when geography allows, else a loop on one core
		// (the core-to-core links then carry its POPs to the other).
		prev := g.nearestCore(ch[0])
		for _, p := range ch {
			g.aggLink(prev, p)
			prev = p
		}
		g.aggLink(prev, g.nearestCore(prev))
	}
	if len(chains) < 2 {
		return
	}
	for i := range chains {
		if len(chains) == 2 && i == 1 {
			break
		}
		x, y := chains[i], chains[(i+1)%len(chains)]
		best, ba, bb := math.Inf(1), -1, -1
		for _, p := range x {
			for _, q := range y {
				if d := g.km(p, q, 1); d < best {
					best, ba, bb = d, p, q
				}
			}
		}
		g.aggLink(ba, bb)
	}
}

func (g *gen) nearestCore(d int) int {
	if g.km(d, g.cores[1], 1) < g.km(d, g.cores[0], 1) {
		return g.cores[1]
	}
	return g.cores[0]
}

func (g *gen) aggLink(a, b int) {
	k := g.km(a, b, 1.35)
	l := g.link(a, b, linkSpec{speed: 10000, mtu: 9216, km: k,
		srlgs: []string{g.exitDuct(a, b), g.exitDuct(b, a)}})
	g.links = append(g.links, l)
}

// memberLinks homes each member on its nearest POP and, for the dual-homed
// share, on the second nearest too.
func (g *gen) memberLinks() {
	for _, m := range g.members {
		best := [2]int{-1, -1}
		bd := [2]float64{math.Inf(1), math.Inf(1)}
		sm := g.site(m)
		for _, p := range g.pops {
			sp := g.site(p)
			// An equirectangular distance is enough to rank neighbours.
			dy, dx := sp.Latitude-sm.Latitude, (sp.Longitude-sm.Longitude)*0.65
			d := dy*dy + dx*dx
			switch {
			case d < bd[0]:
				best[1], bd[1] = best[0], bd[0]
				best[0], bd[0] = p, d
			case d < bd[1]:
				best[1], bd[1] = p, d
			}
		}
		ups := []int{best[0]}
		if best[1] >= 0 && g.rng.Float64() < g.o.DualHomed {
			ups = append(ups, best[1])
		}
		for _, p := range ups {
			k := g.km(m, p, 1.35)
			l := g.link(p, m, linkSpec{speed: 10000, mtu: 1500, km: k,
				srlgs: []string{g.exitDuct(p, m), g.exitDuct(m, p)}})
			g.links = append(g.links, l)
		}
	}
}

func round(v float64, digits int) float64 {
	p := math.Pow10(digits)
	return math.Round(v*p) / p
}
