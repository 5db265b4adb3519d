package provisioning

import (
	"slices"
	"strings"
)

// frrSingle lists commands that hold one value in their context: adding
// the new line replaces the old one, and removing it takes the "no" form of
// the first n words (FRR refuses "no description SOME TEXT").
var frrSingle = []struct {
	pat string
	n   int
}{
	{"hostname", 1},
	{"log syslog", 2},
	{"description", 1},
	{"ip ospf area", 3},
	{"ip ospf network", 3},
	{"ip ospf cost", 3},
	{"bgp router-id", 2},
	{"ospf router-id", 2},
	{"neighbor * remote-as", 3},
	{"neighbor * description", 3},
	{"neighbor * update-source", 3},
	// A new password, GTSM hop count, timers or cap replaces the old one:
	// "no" of the old line after the new one would clear it.
	{"neighbor * password", 3},
	{"neighbor * ttl-security", 3},
	{"neighbor * timers", 3},
	{"neighbor * maximum-prefix", 3},
	{"match ip address prefix-list", 4},
	{"match ipv6 address prefix-list", 4},
	{"match community", 2},
	{"match large-community", 2},
	{"match as-path", 2},
	{"match ip address", 3},
	{"match ipv6 address", 3},
	{"set as-path prepend", 3},
	{"set local-preference", 2},
	{"set metric", 2},
	{"set weight", 2},
	{"set origin", 2},
	{"set community", 2},
	{"rd", 1},
}

// singleKey returns the value-less key of a single-valued command, or "".
func singleKey(line string) string {
	f := strings.Fields(line)
	// neighbor X route-map NAME in|out: one map per direction.
	if len(f) == 5 && f[0] == "neighbor" && (f[2] == "route-map" || f[2] == "prefix-list") {
		return strings.Join([]string{f[0], f[1], f[2], f[4]}, " ")
	}
	// A prefix-list entry is its sequence number: "ip prefix-list L seq 5
	// permit B" replaces seq 5 in place, the list is never emptied.
	if len(f) >= 6 && (f[0] == "ip" || f[0] == "ipv6") && f[1] == "prefix-list" && f[3] == "seq" {
		return strings.Join(f[:5], " ")
	}
	for _, s := range frrSingle {
		p := strings.Fields(s.pat)
		if len(f) <= len(p) {
			continue
		}
		ok := true
		for i, w := range p {
			if w != "*" && w != f[i] {
				ok = false
				break
			}
		}
		if ok {
			return strings.Join(f[:s.n], " ")
		}
	}
	return ""
}

// frrNo returns the command that removes line.
func frrNo(line string) string {
	f := strings.Fields(line)
	switch {
	case f[0] == "no":
		return strings.Join(f[1:], " ")
	case len(f) >= 3 && f[0] == "neighbor" && f[2] == "remote-as":
		return "no neighbor " + f[1]
	case len(f) == 5 && f[0] == "neighbor" && (f[2] == "route-map" || f[2] == "prefix-list"):
		return "no " + line
	case len(f) >= 2 && (f[0] == "ip" || f[0] == "ipv6") && f[1] == "prefix-list":
		return "no " + line // the whole entry: FRR matches it exactly
	}
	if k := singleKey(line); k != "" {
		return "no " + k
	}
	return "no " + line
}

// frrDeletable says whether a whole block goes away with "no HEADER".
func frrDeletable(header string) bool {
	return strings.HasPrefix(header, "router ") || strings.HasPrefix(header, "route-map ") ||
		strings.HasPrefix(header, "key chain ") || strings.HasPrefix(header, "pbr-map ") ||
		strings.HasPrefix(header, "vni ")
}

// isDefinition says whether a top-level block defines something others
// bind to by name (a route-map clause): it is added before the binds and
// removed after the unbinds.
func isDefinition(path []string) bool {
	return len(path) > 0 && strings.HasPrefix(path[0], "route-map ")
}

// bgpNeighbors is who a "router bgp" block defines: neighbors with their
// peer-group, and peer-groups.
type bgpNeighbors struct {
	defined map[string]bool   // neighbor or peer-group name
	group   map[string]string // member -> its peer-group
	isGroup map[string]bool
}

func neighborsOf(c *frrConfig, top string) bgpNeighbors {
	n := bgpNeighbors{defined: map[string]bool{}, group: map[string]string{}, isGroup: map[string]bool{}}
	b, ok := c.blocks[top]
	if !ok {
		return n
	}
	for _, l := range b.lines {
		f := strings.Fields(l)
		switch {
		case len(f) == 3 && f[0] == "neighbor" && f[2] == "peer-group":
			n.defined[f[1]], n.isGroup[f[1]] = true, true
		case len(f) == 4 && f[0] == "neighbor" && f[2] == "peer-group":
			n.defined[f[1]], n.group[f[1]] = true, f[3]
		case len(f) >= 4 && f[0] == "neighbor" && (f[2] == "remote-as" || f[2] == "interface"):
			n.defined[f[1]] = true
		}
	}
	return n
}

// neighborOf returns the neighbor (or peer-group) a BGP line is about.
func neighborOf(line string) string {
	f := strings.Fields(line)
	if len(f) >= 2 && f[0] == "neighbor" {
		return f[1]
	}
	if len(f) >= 3 && f[0] == "no" && f[1] == "neighbor" {
		return f[2]
	}
	return ""
}

// frrDelta is the state of one delta computation.
type frrDelta struct {
	have, want *frrConfig
	// goneNbr are neighbors and peer-groups removed whole ("no neighbor
	// X"), recreated the ones removed and added again because their
	// peer-group changes (FRR refuses to move a member between groups),
	// per top-level router key.
	goneNbr, recreated map[string]map[string]bool
	// goneTop are top-level blocks removed with "no HEADER"; redo are the
	// ones removed first and added whole (a BGP default instance whose AS
	// changes: FRR runs one).
	goneTop, redo map[string]bool
	e             frrEmitter
}

// frrCommands computes the vtysh configuration commands that turn have
// into want, in an order FRR accepts and that never leaves a name bound to
// nothing: definitions (prefix-lists, community lists, route-map clauses)
// are added before what binds them and removed after it is unbound; a
// prefix-list keeps its sequence numbers (new entries, then replaced ones,
// then removals); peer-group members leave their group before it goes.
func frrCommands(have, want *frrConfig) []string {
	d := &frrDelta{have: have, want: want, goneNbr: map[string]map[string]bool{}, recreated: map[string]map[string]bool{},
		goneTop: map[string]bool{}, redo: map[string]bool{}}
	d.classify()
	// 0. What must go before anything is added.
	d.removeFirst()
	// 1. Definitions.
	d.addRoot()
	for _, k := range want.childKeys(nil, nil) {
		if isDefinition(want.blocks[k].path) {
			d.addBlock(k)
		}
	}
	// 2. Everything else, in the intent's order.
	for _, k := range want.childKeys(nil, nil) {
		if b := want.blocks[k]; len(b.path) > 0 && !isDefinition(b.path) {
			d.addBlock(k)
		}
	}
	// 3. Unbinds and removals outside definitions, then whole blocks.
	for _, k := range have.childKeys(nil, nil) {
		if b := have.blocks[k]; len(b.path) > 0 && !isDefinition(b.path) && !d.goneTop[k] {
			d.removeIn(k)
		}
	}
	d.removeTops(func(path []string) bool { return !isDefinition(path) })
	// 4. Definitions no longer bound.
	for _, k := range have.childKeys(nil, nil) {
		if b := have.blocks[k]; isDefinition(b.path) && !d.goneTop[k] {
			d.removeIn(k)
		}
	}
	d.removeTops(isDefinition)
	d.removeRoot()
	return d.e.done()
}

func (d *frrDelta) classify() {
	defaultAS := func(c *frrConfig) string {
		for _, k := range c.order {
			if b := c.blocks[k]; len(b.path) == 1 && strings.HasPrefix(b.path[0], "router bgp ") && !strings.Contains(b.path[0], " vrf ") {
				return k
			}
		}
		return ""
	}
	hd, wd := defaultAS(d.have), defaultAS(d.want)
	for _, k := range d.have.order {
		hb := d.have.blocks[k]
		if len(hb.path) != 1 {
			continue
		}
		_, inWant := d.want.blocks[k]
		if !inWant && frrDeletable(hb.path[0]) {
			d.goneTop[k] = true
			if k == hd && wd != "" {
				d.redo[k] = true // another AS: FRR has one default instance
			}
		}
		if !strings.HasPrefix(hb.path[0], "router bgp") || d.goneTop[k] {
			continue
		}
		hn, wn := neighborsOf(d.have, k), neighborsOf(d.want, k)
		gone, re := map[string]bool{}, map[string]bool{}
		for n := range hn.defined {
			switch {
			case !wn.defined[n]:
				gone[n] = true
			case hn.isGroup[n] != wn.isGroup[n] || hn.group[n] != wn.group[n]:
				re[n] = true
			}
		}
		d.goneNbr[k], d.recreated[k] = gone, re
	}
	// Instances of a VRF depend on the default one: when it goes, they go.
	if hd != "" && d.redo[hd] {
		for _, k := range d.have.order {
			if b := d.have.blocks[k]; len(b.path) == 1 && strings.HasPrefix(b.path[0], "router bgp ") && strings.Contains(b.path[0], " vrf ") {
				d.goneTop[k], d.redo[k] = true, true
			}
		}
	}
}

// skipped says whether a have line needs no removal of its own: its
// neighbor is removed whole, or its block is.
func (d *frrDelta) skipped(path []string, line string) bool {
	if len(path) == 0 {
		return false
	}
	if d.goneTop[path[0]] {
		return true
	}
	n := neighborOf(line)
	return n != "" && (d.goneNbr[path[0]][n] || d.recreated[path[0]][n])
}

// fresh says whether a want line must be sent although have shows it:
// its neighbor or block was removed to be added again.
func (d *frrDelta) fresh(path []string, line string) bool {
	if len(path) == 0 {
		return false
	}
	if d.redo[path[0]] {
		return true
	}
	n := neighborOf(line)
	return n != "" && d.recreated[path[0]][n]
}

func (d *frrDelta) removeFirst() {
	// VRF instances before the default one.
	var keys []string
	for _, k := range d.have.order {
		if d.redo[k] {
			keys = append(keys, k)
		}
	}
	slices.SortStableFunc(keys, func(a, b string) int {
		return boolRank(!strings.Contains(a, " vrf ")) - boolRank(!strings.Contains(b, " vrf "))
	})
	for _, k := range keys {
		d.e.at(nil)
		d.e.cmd("no " + d.have.blocks[k].path[0])
	}
	for _, k := range d.have.order {
		re := d.recreated[k]
		if len(re) == 0 {
			continue
		}
		var names []string
		for _, l := range d.have.blocks[k].lines {
			if n := neighborOf(l); re[n] && !slices.Contains(names, n) {
				names = append(names, n)
			}
		}
		// Members before groups.
		hn := neighborsOf(d.have, k)
		slices.SortStableFunc(names, func(a, b string) int { return boolRank(hn.isGroup[a]) - boolRank(hn.isGroup[b]) })
		for _, n := range names {
			d.e.at(d.have.blocks[k].path)
			if hn.isGroup[n] {
				d.e.cmd("no neighbor " + n + " peer-group")
			} else {
				d.e.cmd("no neighbor " + n)
			}
		}
	}
}

func boolRank(b bool) int {
	if b {
		return 1
	}
	return 0
}

// addRoot adds root lines: new prefix-list sequence numbers before
// replaced ones, so a list is never shorter mid-apply.
func (d *frrDelta) addRoot() {
	hb, wb := d.have.blocks[""], d.want.blocks[""]
	var fresh, replace []string
	for _, l := range wb.lines {
		if hb.set[l] {
			continue
		}
		if k := singleKey(l); k != "" && hasKey(hb, k) {
			replace = append(replace, l)
		} else {
			fresh = append(fresh, l)
		}
	}
	d.e.at(nil)
	for _, l := range append(fresh, replace...) {
		d.e.cmd(l)
	}
}

func (d *frrDelta) removeRoot() {
	hb, wb := d.have.blocks[""], d.want.blocks[""]
	d.e.at(nil)
	for _, l := range hb.lines {
		if wb.set[l] {
			continue
		}
		if k := singleKey(l); k != "" && hasKey(wb, k) {
			continue
		}
		d.e.cmd(frrNo(l))
	}
}

// addBlock adds a block's missing lines, then its sub-blocks'.
func (d *frrDelta) addBlock(k string) {
	wb := d.want.blocks[k]
	hb, exists := d.have.blocks[k]
	var lines []string
	for _, l := range wb.lines {
		if !exists || !hb.set[l] || d.fresh(wb.path, l) {
			lines = append(lines, l)
		}
	}
	if strings.HasPrefix(wb.path[0], "router bgp") {
		lines = bgpAddOrder(lines, neighborsOf(d.want, wb.path[0]))
	}
	if len(lines) > 0 || !exists || d.redo[wb.path[0]] {
		d.e.at(wb.path)
		for _, l := range lines {
			d.e.cmd(l)
		}
	}
	for _, ck := range d.want.childKeys(wb.path, nil) {
		d.addBlock(ck)
	}
}

// bgpAddOrder sorts the lines added to a router bgp block so each name is
// defined before it is used: instance settings, peer-groups, their
// settings, neighbors (remote-as or group), the rest.
func bgpAddOrder(lines []string, wn bgpNeighbors) []string {
	rank := func(l string) int {
		f := strings.Fields(l)
		switch {
		case len(f) > 0 && (f[0] == "bgp" || f[0] == "no" && len(f) > 1 && f[1] == "bgp"):
			return 0
		case len(f) == 3 && f[0] == "neighbor" && f[2] == "peer-group":
			return 1
		case len(f) >= 3 && f[0] == "neighbor" && wn.isGroup[f[1]]:
			return 2
		case len(f) >= 3 && f[0] == "neighbor" && (f[2] == "remote-as" || f[2] == "peer-group" || f[2] == "interface"):
			return 3
		}
		return 4
	}
	out := slices.Clone(lines)
	slices.SortStableFunc(out, func(a, b string) int { return rank(a) - rank(b) })
	return out
}

// removeIn removes a kept block's extra lines: its sub-blocks first (a
// neighbor's address-family lines before the neighbor), then its own
// lines, neighbors removed whole after their other lines and peer-group
// members before their group.
func (d *frrDelta) removeIn(k string) {
	hb := d.have.blocks[k]
	for _, ck := range d.have.childKeys(hb.path, nil) {
		if _, inWant := d.want.blocks[ck]; !inWant && frrDeletable(d.have.blocks[ck].path[len(hb.path)]) {
			d.e.at(hb.path)
			d.e.cmd("no " + d.have.blocks[ck].path[len(hb.path)])
			continue
		}
		d.removeIn(ck)
	}
	wb := d.want.blocks[k]
	var lines, whole, groups []string
	for _, l := range hb.lines {
		if wb != nil && wb.set[l] {
			continue
		}
		if d.skipped(hb.path, l) && !d.isGoneDefinition(hb.path, l) {
			continue
		}
		if sk := singleKey(l); sk != "" && wb != nil && hasKey(wb, sk) {
			continue // replaced by the new value
		}
		if d.isGoneDefinition(hb.path, l) {
			f := strings.Fields(l)
			switch {
			case groupsOf(d.have, hb.path)[f[1]]:
				if c := "no neighbor " + f[1] + " peer-group"; !slices.Contains(groups, c) {
					groups = append(groups, c)
				}
			case !slices.Contains(whole, "no neighbor "+f[1]):
				whole = append(whole, "no neighbor "+f[1])
			}
			continue
		}
		lines = append(lines, frrNo(l))
	}
	if len(lines)+len(whole)+len(groups) == 0 {
		return
	}
	d.e.at(hb.path)
	for _, l := range append(append(lines, whole...), groups...) {
		d.e.cmd(l)
	}
}

// groupsOf lists the peer-groups of the router a path is in.
func groupsOf(c *frrConfig, path []string) map[string]bool {
	return neighborsOf(c, path[0]).isGroup
}

// isGoneDefinition says whether a have line defines a neighbor or
// peer-group that goes (its removal is "no neighbor X").
func (d *frrDelta) isGoneDefinition(path []string, line string) bool {
	if len(path) != 1 {
		return false
	}
	f := strings.Fields(line)
	if len(f) < 3 || f[0] != "neighbor" || !d.goneNbr[path[0]][f[1]] {
		return false
	}
	return f[2] == "remote-as" || f[2] == "peer-group" || f[2] == "interface"
}

// removeTops removes the gone top-level blocks that match: VRF BGP
// instances before the default one.
func (d *frrDelta) removeTops(match func([]string) bool) {
	var keys []string
	for _, k := range d.have.order {
		if d.goneTop[k] && !d.redo[k] && match(d.have.blocks[k].path) {
			keys = append(keys, k)
		}
	}
	slices.SortStableFunc(keys, func(a, b string) int {
		return boolRank(!strings.Contains(a, " vrf ")) - boolRank(!strings.Contains(b, " vrf "))
	})
	for _, k := range keys {
		d.e.at(nil)
		d.e.cmd("no " + d.have.blocks[k].path[0])
	}
}

func hasKey(b *frrBlock, key string) bool {
	for _, l := range b.lines {
		if singleKey(l) == key {
			return true
		}
	}
	return false
}

// frrEmitter writes commands in their contexts, entering and leaving
// contexts only when the next command needs another one.
type frrEmitter struct {
	cur []string
	out []string
}

// at moves to the context path: out of the levels it does not share with
// the current one, into the others.
func (e *frrEmitter) at(path []string) {
	n := 0
	for n < len(e.cur) && n < len(path) && e.cur[n] == path[n] {
		n++
	}
	for len(e.cur) > n {
		depth := len(e.cur) - 1
		e.out = append(e.out, exitOf(e.cur[depth], depth))
		e.cur = e.cur[:depth]
	}
	for _, p := range path[n:] {
		e.out = append(e.out, p)
		e.cur = append(e.cur, p)
	}
}

func (e *frrEmitter) cmd(c string) { e.out = append(e.out, c) }

func (e *frrEmitter) done() []string {
	e.at(nil)
	return e.out
}
