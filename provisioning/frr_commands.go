package provisioning

import (
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
	{"match ip address prefix-list", 4},
	{"match ipv6 address prefix-list", 4},
	{"set as-path prepend", 3},
	{"set local-preference", 2},
}

// singleKey returns the value-less key of a single-valued command, or "".
func singleKey(line string) string {
	f := strings.Fields(line)
	// neighbor X route-map NAME in|out: one map per direction.
	if len(f) == 5 && f[0] == "neighbor" && (f[2] == "route-map" || f[2] == "prefix-list") {
		return strings.Join([]string{f[0], f[1], f[2], f[4]}, " ")
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
	}
	if k := singleKey(line); k != "" {
		return "no " + k
	}
	return "no " + line
}

// frrDeletable says whether a whole block goes away with "no HEADER".
func frrDeletable(header string) bool {
	return strings.HasPrefix(header, "router ") || strings.HasPrefix(header, "route-map ") ||
		strings.HasPrefix(header, "key chain ") || strings.HasPrefix(header, "pbr-map ")
}

// frrCommands computes the vtysh configuration commands that turn have into want.
func frrCommands(have, want *frrConfig) []string {
	var dels, adds []string
	emit := func(out *[]string, path []string, lines []string, force bool) {
		if len(lines) == 0 && !force {
			return
		}
		*out = append(*out, path...)
		*out = append(*out, lines...)
		switch len(path) {
		case 2:
			*out = append(*out, "exit-address-family", "exit")
		case 1:
			*out = append(*out, "exit")
		}
	}

	// Neighbors removed with "no neighbor X" take all their lines with them,
	// as does a router removed with "no router ...".
	goneNeighbor := map[string]bool{} // "router bgp N\nX"
	goneRouter := map[string]bool{}
	for _, k := range have.order {
		hb := have.blocks[k]
		wb, inWant := want.blocks[k]
		if len(hb.path) == 1 && !inWant && frrDeletable(hb.path[0]) {
			goneRouter[hb.path[0]] = true
			continue
		}
		if len(hb.path) != 1 || !strings.HasPrefix(hb.path[0], "router bgp") {
			continue
		}
		for _, l := range hb.lines {
			f := strings.Fields(l)
			if len(f) >= 4 && f[0] == "neighbor" && f[2] == "remote-as" && (wb == nil || !hasNeighbor(wb, f[1])) {
				goneNeighbor[hb.path[0]+"\n"+f[1]] = true
			}
		}
	}

	for _, k := range have.order {
		hb := have.blocks[k]
		if len(hb.path) > 0 && goneRouter[hb.path[0]] {
			if len(hb.path) == 1 {
				dels = append(dels, "no "+hb.path[0])
			}
			continue
		}
		wb := want.blocks[k]
		var lines []string
		for _, l := range hb.lines {
			if wb != nil && wb.set[l] {
				continue
			}
			if sk := singleKey(l); sk != "" && wb != nil && hasKey(wb, sk) {
				continue // replaced by the new value below
			}
			if f := strings.Fields(l); len(hb.path) > 0 && f[0] == "neighbor" && len(f) > 2 && f[2] != "remote-as" &&
				goneNeighbor[hb.path[0]+"\n"+f[1]] {
				continue
			}
			lines = append(lines, frrNo(l))
		}
		if len(hb.path) == 1 && wb == nil && frrDeletable(hb.path[0]) {
			dels = append(dels, "no "+hb.path[0])
			continue
		}
		emit(&dels, hb.path, lines, false)
	}
	for _, k := range want.order {
		wb := want.blocks[k]
		hb := have.blocks[k]
		var lines []string
		for _, l := range wb.lines {
			if hb == nil || !hb.set[l] || (len(wb.path) > 0 && goneRouter[wb.path[0]]) {
				lines = append(lines, l)
			}
		}
		emit(&adds, wb.path, lines, hb == nil && len(wb.path) > 0)
	}
	return mergeReentries(append(dels, adds...))
}

// mergeReentries drops an "exit" immediately followed by re-entering the
// context it left (router bgp, then its address family): same effect, two
// round trips fewer, a plan that reads like the config.
func mergeReentries(cmds []string) []string {
	out := make([]string, 0, len(cmds))
	var top string // the top-level context we are in, "" at the root
	for i := 0; i < len(cmds); i++ {
		c := cmds[i]
		if c == "exit" && top != "" && i+1 < len(cmds) && cmds[i+1] == top {
			i++ // skip the exit and the re-entry
			continue
		}
		switch {
		case c == "exit":
			top = ""
		case top == "" && isContext(c):
			top = c
		}
		out = append(out, c)
	}
	return out
}

func hasNeighbor(b *frrBlock, addr string) bool {
	for _, l := range b.lines {
		if f := strings.Fields(l); len(f) >= 4 && f[0] == "neighbor" && f[1] == addr && f[2] == "remote-as" {
			return true
		}
	}
	return false
}

func hasKey(b *frrBlock, key string) bool {
	for _, l := range b.lines {
		if singleKey(l) == key {
			return true
		}
	}
	return false
}
