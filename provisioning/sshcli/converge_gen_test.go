package sshcli

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
)

// convergeModel is a random FRR config: the renderer's config of a core
// router with parts of it removed or changed, plus generated parts the
// renderer does not make (peer-groups, community lists, more prefix-list
// entries and route-map clauses, a VRF instance, EVPN VNIs), written in
// FRR's own display form so that a device on it shows exactly it.
type convergeModel struct {
	dropNbr  map[string]bool   // rendered neighbors left out
	descr    map[string]string // interface description overrides
	addr     map[string]string // interface -> extra address
	shutdown map[string]bool
	pls      map[string]map[int]string // prefix-list -> seq -> prefix
	cls      map[string]map[int]int    // community list -> seq -> value
	rms      map[string]map[int]rmClause
	pgs      map[string]int // peer-group -> remote-as
	nbrs     map[string]*genNeighbor
	vrf      bool
	vnis     map[int]bool
	ifaces   []string // interfaces the router has
	nextAddr int
}

type rmClause struct {
	pl, cl string
	lp     int
}

type genNeighbor struct {
	as          int
	group, desc string
	rmOut       string
}

func newConvergeModel(ifaces []string) *convergeModel {
	return &convergeModel{dropNbr: map[string]bool{}, descr: map[string]string{}, addr: map[string]string{}, shutdown: map[string]bool{},
		pls: map[string]map[int]string{}, cls: map[string]map[int]int{}, rms: map[string]map[int]rmClause{},
		pgs: map[string]int{}, nbrs: map[string]*genNeighbor{}, vnis: map[int]bool{}, ifaces: ifaces}
}

func pick[K comparable, V any](r *rand.Rand, m map[K]V) (K, bool) {
	var zero K
	if len(m) == 0 {
		return zero, false
	}
	keys := make([]string, 0, len(m))
	byS := map[string]K{}
	for k := range m {
		s := fmt.Sprint(k)
		keys = append(keys, s)
		byS[s] = k
	}
	sort.Strings(keys)
	return byS[keys[r.IntN(len(keys))]], true
}

// mutate makes one random change, of the kinds an operator makes.
func (m *convergeModel) mutate(r *rand.Rand, baseNbrs []string) string {
	switch r.IntN(16) {
	case 0:
		n := baseNbrs[r.IntN(len(baseNbrs))]
		m.dropNbr[n] = !m.dropNbr[n]
		return "toggle rendered neighbor " + n
	case 1:
		i := m.ifaces[r.IntN(len(m.ifaces))]
		m.descr[i] = fmt.Sprintf("changed %d", r.IntN(1000))
		return "describe " + i
	case 2:
		i := m.ifaces[r.IntN(len(m.ifaces))]
		if _, ok := m.addr[i]; ok {
			delete(m.addr, i)
			return "unaddress " + i
		}
		m.nextAddr++
		m.addr[i] = fmt.Sprintf("10.77.%d.1/24", m.nextAddr%250)
		return "address " + i
	case 3:
		i := m.ifaces[r.IntN(len(m.ifaces))]
		m.shutdown[i] = !m.shutdown[i]
		return "shutdown toggle " + i
	case 4, 5:
		name := fmt.Sprintf("PL-GEN-%d", r.IntN(3))
		if m.pls[name] == nil {
			m.pls[name] = map[int]string{}
		}
		seq := 5 * (1 + r.IntN(6))
		if _, ok := m.pls[name][seq]; ok && r.IntN(2) == 0 && len(m.pls[name]) > 1 {
			delete(m.pls[name], seq)
			return "prefix-list entry removed"
		}
		m.pls[name][seq] = fmt.Sprintf("10.%d.%d.0/24", 100+r.IntN(50), r.IntN(250))
		return "prefix-list entry set (new or renumbered)"
	case 6:
		name, ok := pick(r, m.pls)
		if ok && !m.plUsed(name) {
			delete(m.pls, name)
			return "prefix-list removed"
		}
		return "nothing"
	case 7:
		name := fmt.Sprintf("CL-GEN-%d", r.IntN(2))
		if m.cls[name] == nil {
			m.cls[name] = map[int]int{}
		}
		v := 1 + r.IntN(40)
		if _, ok := m.cls[name][v*5]; ok && len(m.cls[name]) > 1 {
			delete(m.cls[name], v*5)
			return "community entry removed"
		}
		m.cls[name][v*5] = v
		return "community entry added"
	case 8, 9:
		name := fmt.Sprintf("RM-GEN-%d", r.IntN(3))
		if m.rms[name] == nil {
			m.rms[name] = map[int]rmClause{}
		}
		seq := 10 * (1 + r.IntN(3))
		if _, ok := m.rms[name][seq]; ok && r.IntN(2) == 0 && len(m.rms[name]) > 1 {
			delete(m.rms[name], seq)
			return "route-map clause removed"
		}
		c := rmClause{lp: 100 + r.IntN(100)}
		if pl, ok := pick(r, m.pls); ok {
			c.pl = pl
		}
		if cl, ok := pick(r, m.cls); ok && r.IntN(2) == 0 {
			c.cl = cl
		}
		m.rms[name][seq] = c
		return "route-map clause set"
	case 10:
		if name, ok := pick(r, m.rms); ok && !m.rmUsed(name) {
			delete(m.rms, name)
			return "route-map removed"
		}
		return "nothing"
	case 11:
		pg := fmt.Sprintf("PG-GEN-%d", r.IntN(2))
		if _, ok := m.pgs[pg]; ok && r.IntN(2) == 0 {
			delete(m.pgs, pg)
			for _, n := range m.nbrs {
				if n.group == pg {
					n.group = ""
				}
			}
			return "peer-group removed"
		}
		m.pgs[pg] = 65100 + r.IntN(3)
		return "peer-group set"
	case 12, 13:
		addr := fmt.Sprintf("10.99.0.%d", 1+r.IntN(12))
		if _, ok := m.nbrs[addr]; ok && r.IntN(3) == 0 {
			delete(m.nbrs, addr)
			return "neighbor removed"
		}
		n := &genNeighbor{as: 65200 + r.IntN(3), desc: fmt.Sprintf("gen %d", r.IntN(100))}
		if pg, ok := pick(r, m.pgs); ok && r.IntN(2) == 0 {
			n.group = pg
		}
		if rm, ok := pick(r, m.rms); ok && r.IntN(2) == 0 {
			n.rmOut = rm
		}
		m.nbrs[addr] = n
		return "neighbor set (group " + n.group + ")"
	case 14:
		m.vrf = !m.vrf
		return "vrf instance toggle"
	default:
		v := 10 + r.IntN(3)
		m.vnis[v] = !m.vnis[v]
		return "evpn vni toggle"
	}
}

func (m *convergeModel) plUsed(name string) bool {
	for _, rm := range m.rms {
		for _, c := range rm {
			if c.pl == name {
				return true
			}
		}
	}
	return false
}

func (m *convergeModel) rmUsed(name string) bool {
	for _, n := range m.nbrs {
		if n.rmOut == name {
			return true
		}
	}
	return false
}

func sortedKeys[K int | string, V any](m map[K]V) []K {
	out := make([]K, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// render writes the config: the base with its changes, then the
// generated parts as FRR shows them.
func (m *convergeModel) render(base string) string {
	var out []string
	var iface string
	for _, l := range strings.Split(strings.TrimRight(base, "\n"), "\n") {
		f := strings.Fields(l)
		if len(f) >= 2 && (f[0] == "neighbor" && m.dropNbr[f[1]]) {
			continue
		}
		if strings.HasPrefix(l, "interface ") {
			iface = strings.TrimPrefix(l, "interface ")
		}
		if iface != "" && strings.HasPrefix(l, " description ") {
			if d, ok := m.descr[iface]; ok {
				l = " description " + d
			}
		}
		if iface != "" && l == "exit" {
			if a, ok := m.addr[iface]; ok {
				out = append(out, " ip address "+a)
			}
			if m.shutdown[iface] {
				out = append(out, " shutdown")
			}
			iface = ""
		}
		if l == "end" {
			continue
		}
		out = append(out, l)
	}
	for _, name := range sortedKeys(m.pls) {
		for _, seq := range sortedKeys(m.pls[name]) {
			out = append(out, fmt.Sprintf("ip prefix-list %s seq %d permit %s", name, seq, m.pls[name][seq]))
		}
	}
	for _, name := range sortedKeys(m.cls) {
		for _, seq := range sortedKeys(m.cls[name]) {
			out = append(out, fmt.Sprintf("bgp community-list standard %s seq %d permit 65000:%d", name, seq, m.cls[name][seq]))
		}
	}
	for _, name := range sortedKeys(m.rms) {
		for _, seq := range sortedKeys(m.rms[name]) {
			c := m.rms[name][seq]
			out = append(out, fmt.Sprintf("route-map %s permit %d", name, seq))
			if c.cl != "" {
				out = append(out, " match community "+c.cl)
			}
			if c.pl != "" {
				out = append(out, " match ip address prefix-list "+c.pl)
			}
			out = append(out, fmt.Sprintf(" set local-preference %d", c.lp), "exit")
		}
	}
	out = append(out, "router bgp 65000")
	for _, pg := range sortedKeys(m.pgs) {
		out = append(out, " neighbor "+pg+" peer-group", fmt.Sprintf(" neighbor %s remote-as %d", pg, m.pgs[pg]))
	}
	for _, a := range sortedKeys(m.nbrs) {
		n := m.nbrs[a]
		if n.group != "" {
			out = append(out, " neighbor "+a+" peer-group "+n.group)
		} else {
			out = append(out, fmt.Sprintf(" neighbor %s remote-as %d", a, n.as))
		}
		out = append(out, " neighbor "+a+" description "+n.desc)
	}
	out = append(out, " address-family ipv4 unicast")
	for _, pg := range sortedKeys(m.pgs) {
		out = append(out, "  neighbor "+pg+" activate")
	}
	for _, a := range sortedKeys(m.nbrs) {
		n := m.nbrs[a]
		if n.group == "" {
			out = append(out, "  neighbor "+a+" activate")
		}
		if n.rmOut != "" {
			out = append(out, "  neighbor "+a+" route-map "+n.rmOut+" out")
		}
	}
	out = append(out, " exit-address-family")
	if len(m.vnis) > 0 {
		var vnis []string
		for _, v := range sortedKeys(m.vnis) {
			if m.vnis[v] {
				vnis = append(vnis, fmt.Sprintf("  vni %d", v), fmt.Sprintf("   rd 65000:%d", v), fmt.Sprintf("   route-target import 65000:%d", 9000+v), "  exit-vni")
			}
		}
		if len(vnis) > 0 {
			out = append(out, " address-family l2vpn evpn", "  advertise-all-vni")
			out = append(out, vnis...)
			out = append(out, " exit-address-family")
		}
	}
	out = append(out, "exit")
	if m.vrf {
		out = append(out, "router bgp 65000 vrf RED", " bgp router-id 10.255.0.1", " neighbor 10.200.0.1 remote-as 65300", "exit")
	}
	return strings.Join(out, "\n") + "\n"
}

// handTyped is brownfield config typed straight into vtysh, as a person
// would: tuyau must remove it in the right order (members before their
// group, binds before the route-map and prefix-list they name).
func handTyped(r *rand.Rand) []string {
	n := r.IntN(100)
	cmds := []string{
		fmt.Sprintf("ip prefix-list PL-HAND seq 5 permit 10.250.%d.0/24", n),
		"ip prefix-list PL-HAND seq 10 permit 10.251.0.0/24",
		"bgp community-list standard CL-HAND seq 5 permit 65000:777",
		"route-map RM-HAND permit 10", " match ip address prefix-list PL-HAND", " match community CL-HAND", "exit",
		"router bgp 65000",
		" neighbor PG-HAND peer-group", " neighbor PG-HAND remote-as 65400",
		" neighbor 10.98.0.1 peer-group PG-HAND", " neighbor 10.98.0.2 peer-group PG-HAND",
		" neighbor 10.98.0.3 remote-as 65401",
		" address-family ipv4 unicast", "  neighbor PG-HAND activate", "  neighbor 10.98.0.3 activate",
		"  neighbor 10.98.0.3 route-map RM-HAND out", " exit-address-family",
		"exit",
	}
	if r.IntN(2) == 0 {
		cmds = append(cmds, "router bgp 65000 vrf BLUE", " neighbor 10.201.0.1 remote-as 65301", "exit")
	}
	return cmds
}
