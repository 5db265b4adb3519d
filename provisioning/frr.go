package provisioning

import (
	"fmt"
	"strings"
)

// FRR renders FRRouting configs and computes the vtysh commands that move
// a running FRR to them, in the manner of frr-reload.py: removals first,
// each in its context with the "no" form, then additions.
type FRR struct{}

// Name implements Platform.
func (FRR) Name() string { return "frr" }

// Render implements Platform.
func (FRR) Render(in Intent) ([]byte, error) { return renderTemplate("frr", in) }

// Delta implements Platform.
func (FRR) Delta(running, want []byte) (Delta, error) {
	if err := FRRReadError(string(running)); err != nil {
		return Delta{}, fmt.Errorf("running config: %w", err)
	}
	if err := FRRReadError(string(want)); err != nil {
		return Delta{}, fmt.Errorf("target config: %w", err)
	}
	have, w := parseFRR(string(running)), parseFRR(string(want))
	if down := frrDaemonsDown(string(running), w); len(down) > 0 {
		return Delta{}, fmt.Errorf("running config: %w: %s not running, so %s part is missing from the read",
			ErrDaemonDown, strings.Join(down, ", "), pluralIts(len(down)))
	}
	d := Delta{Want: w.text(nil), Have: have.text(w)}
	d.Commands = frrCommands(have, w)
	return d, nil
}

// frrConfig is a config split into contexts, as vtysh sees it: the root
// (single-line commands), and blocks such as "interface eth1" or
// "router bgp 65000" / "address-family ipv4 unicast".
type frrConfig struct {
	order  []string // block keys in first-seen order; "" is the root
	blocks map[string]*frrBlock
}

type frrBlock struct {
	path  []string
	lines []string
	set   map[string]bool
}

func blockKey(path []string) string { return strings.Join(path, "\n") }

func (c *frrConfig) block(path []string) *frrBlock {
	k := blockKey(path)
	if b, ok := c.blocks[k]; ok {
		return b
	}
	b := &frrBlock{path: append([]string(nil), path...), set: map[string]bool{}}
	c.blocks[k] = b
	c.order = append(c.order, k)
	return b
}

func (b *frrBlock) add(line string) {
	if !b.set[line] {
		b.set[line] = true
		b.lines = append(b.lines, line)
	}
}

// frrNoise are lines of "show running-config" that carry no intent, or
// that tuyau leaves to the host (vtysh users come from vtysh.conf, written
// by whoever set up SSH access: removing them would lock us out).
var frrNoise = []string{"Building configuration", "Current configuration", "frr version ", "frr defaults ",
	"service integrated-vtysh-config", "username "}

var frrContexts = []string{"interface ", "router ", "route-map ", "line vty", "key chain ", "vrf ",
	"bfd", "segment-routing", "mpls ldp", "rpki", "nexthop-group ", "pbr-map "}

// parseFRR reads vtysh config text (rendered or "show running-config").
func parseFRR(text string) *frrConfig {
	c := &frrConfig{blocks: map[string]*frrBlock{}}
	c.block(nil)
	var cur []string
	for _, raw := range strings.Split(text, "\n") {
		raw = strings.TrimRight(raw, " \t\r")
		trimmed := strings.TrimLeft(raw, " ")
		indent := len(raw) - len(trimmed)
		line := strings.Join(strings.Fields(trimmed), " ")
		switch {
		case line == "" || strings.HasPrefix(line, "!"):
			continue
		case line == "exit-address-family" || line == "exit-vrf" || line == "exit-vni":
			if len(cur) > 1 {
				cur = cur[:1]
			}
			continue
		case line == "exit" || line == "end":
			cur = nil
			continue
		case isNoise(line):
			continue
		}
		if indent == 0 {
			cur = nil
			if isContext(line) {
				cur = []string{line}
				c.block(cur)
				continue
			}
			c.block(nil).add(line)
			continue
		}
		if cur == nil {
			c.block(nil).add(line)
			continue
		}
		if strings.HasPrefix(cur[0], "router bgp") && (strings.HasPrefix(line, "address-family ") || strings.HasPrefix(line, "vni ")) {
			cur = []string{cur[0], line}
			c.block(cur)
			continue
		}
		if len(cur) > 1 && indent == 1 {
			// An address family closed without exit-address-family.
			cur = cur[:1]
		}
		c.block(cur).add(line)
	}
	return c
}

func isNoise(line string) bool {
	for _, n := range frrNoise {
		if strings.HasPrefix(line, n) {
			return true
		}
	}
	return false
}

func isContext(line string) bool {
	for _, p := range frrContexts {
		if strings.HasPrefix(line, p) || line == strings.TrimSpace(p) {
			return true
		}
	}
	return false
}

// text writes the config back in a canonical form; with ref, blocks and
// lines follow ref's order first so a diff against ref is minimal. Address
// families always follow their router bgp block.
func (c *frrConfig) text(ref *frrConfig) string {
	var sb strings.Builder
	for _, k := range c.orderedKeys(ref) {
		b := c.blocks[k]
		lines := b.lines
		if ref != nil {
			if rb, ok := ref.blocks[k]; ok {
				lines = orderLike(b.lines, rb.lines)
			}
		}
		ind := strings.Repeat(" ", len(b.path))
		if len(b.path) > 0 {
			sb.WriteString(ind[1:] + b.path[len(b.path)-1] + "\n")
		}
		for _, l := range lines {
			sb.WriteString(ind + l + "\n")
		}
		for _, ck := range c.children(k, ref) {
			cb := c.blocks[ck]
			sb.WriteString(" " + cb.path[1] + "\n")
			clines := cb.lines
			if ref != nil {
				if rb, ok := ref.blocks[ck]; ok {
					clines = orderLike(cb.lines, rb.lines)
				}
			}
			for _, l := range clines {
				sb.WriteString("  " + l + "\n")
			}
			sb.WriteString(" exit-address-family\n")
		}
		if len(b.path) > 0 {
			sb.WriteString("exit\n")
		}
	}
	return sb.String()
}

// orderedKeys lists the top-level keys (root first), ref's order first.
func (c *frrConfig) orderedKeys(ref *frrConfig) []string {
	var keys []string
	seen := map[string]bool{}
	add := func(order []string) {
		for _, k := range order {
			if b, ok := c.blocks[k]; ok && len(b.path) <= 1 && !seen[k] {
				keys, seen[k] = append(keys, k), true
			}
		}
	}
	if ref != nil {
		add(ref.order)
	}
	add(c.order)
	return keys
}

// children lists the address-family blocks under a top-level block.
func (c *frrConfig) children(parent string, ref *frrConfig) []string {
	var out []string
	seen := map[string]bool{}
	add := func(order []string) {
		for _, k := range order {
			if b, ok := c.blocks[k]; ok && len(b.path) == 2 && blockKey(b.path[:1]) == parent && !seen[k] {
				out, seen[k] = append(out, k), true
			}
		}
	}
	if ref != nil {
		add(ref.order)
	}
	add(c.order)
	return out
}

// orderLike returns lines ordered as in ref, extra lines last in their order.
func orderLike(lines, ref []string) []string {
	in := map[string]bool{}
	for _, l := range lines {
		in[l] = true
	}
	out := make([]string, 0, len(lines))
	used := map[string]bool{}
	for _, l := range ref {
		if in[l] {
			out, used[l] = append(out, l), true
		}
	}
	for _, l := range lines {
		if !used[l] {
			out = append(out, l)
		}
	}
	return out
}

func pluralIts(n int) string {
	if n == 1 {
		return "its"
	}
	return "their"
}
