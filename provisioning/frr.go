package provisioning

import (
	"fmt"
	"strings"
)

// FRR renders FRRouting configs and computes the vtysh commands that move
// a running FRR to them: an ordered, hierarchy-aware delta (see
// frr_commands.go) made on contexts as vtysh nests them.
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
	have.profileDefaults(string(running))
	// want is a device read too when the saved config is compared with the
	// running one (checkSaved) or a recorded config is restored: both sides
	// get the profile's hidden lines back, or every datacenter router looks
	// unsaved by "no bgp log-neighbor-changes" and each no-change apply
	// saves all of them. A rendered intent states its profile
	// (traditional), so this leaves intents alone.
	w.profileDefaults(string(want))
	if down := frrDaemonsDown(string(running), w); len(down) > 0 {
		return Delta{}, fmt.Errorf("running config: %w: %s not running, so %s part is missing from the read",
			ErrDaemonDown, strings.Join(down, ", "), pluralIts(len(down)))
	}
	d := Delta{Want: w.text(nil), Have: have.text(w)}
	d.Commands = frrCommands(have, w)
	if d.Changed() {
		text := string(running)
		d.diff = func(a, b string) string { return frrDeviceDiff(a, b, text, have, w) }
	}
	return d, nil
}

func pluralIts(n int) string {
	if n == 1 {
		return "its"
	}
	return "their"
}

// frrConfig is a config split into contexts, as vtysh sees it: the root
// (single-line commands), and blocks such as "interface eth1",
// "router bgp 65000" > "address-family l2vpn evpn" > "vni 10".
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

// frrImplicit are lines the intent states that FRR never shows when they
// hold: "show running-config" prints "no ip forwarding" when forwarding is
// off and nothing when it is on. They are verified by the absence of
// their "no" form, which the delta removes.
var frrImplicit = map[string]bool{"ip forwarding": true, "ipv6 forwarding": true}

var frrContexts = []string{"interface ", "router ", "route-map ", "line vty", "key chain ", "vrf ",
	"bfd", "segment-routing", "mpls ldp", "rpki", "nexthop-group ", "pbr-map "}

// frrExits close a context of each kind; "exit" closes the others.
var frrExits = map[string]string{"address-family ": "exit-address-family", "vni ": "exit-vni", "link-params": "exit-link-params"}

// opensSub reports whether line opens a context inside the context path:
// address families under "router bgp", EVPN "vni N" under
// "address-family l2vpn evpn" (a "vni" line under "vrf X" is a value),
// "link-params" under an interface.
func opensSub(path []string, line string) bool {
	if len(path) == 0 {
		return false
	}
	top, last := path[0], path[len(path)-1]
	switch {
	case strings.HasPrefix(line, "address-family "):
		return len(path) == 1 && strings.HasPrefix(top, "router bgp")
	case strings.HasPrefix(line, "vni "):
		return len(path) == 2 && last == "address-family l2vpn evpn"
	case line == "link-params":
		return len(path) == 1 && strings.HasPrefix(top, "interface ")
	}
	return false
}

// exitOf is the command that leaves the context opened by header.
func exitOf(header string, depth int) string {
	if depth > 0 {
		for p, e := range frrExits {
			if strings.HasPrefix(header, p) {
				return e
			}
		}
	}
	return "exit"
}

// frrEvent is what one line of config text is to the parser.
type frrEvent int

const (
	evSkip   frrEvent = iota // blank, "!", noise: no intent
	evLine                   // a config line of the context path
	evHeader                 // opens the context path
	evExit                   // closes a context
)

// scanFRR walks vtysh config text (rendered or "show running-config")
// line by line and says what each line is and in which context. Contexts
// nest by the one-space indentation vtysh prints and by their exit
// commands; a line less indented than its context closes it.
func scanFRR(text string, fn func(i int, raw string, ev frrEvent, path []string, line string)) {
	var cur []string
	for i, raw := range strings.Split(text, "\n") {
		raw = strings.TrimRight(raw, " \t\r")
		trimmed := strings.TrimLeft(raw, " ")
		indent := len(raw) - len(trimmed)
		line := strings.Join(strings.Fields(trimmed), " ")
		switch {
		case line == "" || strings.HasPrefix(line, "!") || isNoise(line):
			fn(i, raw, evSkip, cur, line)
			continue
		case line == "exit-address-family" || line == "exit-vni" || line == "exit-link-params":
			fn(i, raw, evExit, cur, line)
			if len(cur) > 1 {
				cur = cur[:len(cur)-1]
			}
			continue
		case line == "exit-vrf":
			fn(i, raw, evExit, cur, line)
			if len(cur) > 1 {
				cur = cur[:1]
			}
			continue
		case line == "exit" || line == "end":
			fn(i, raw, evExit, cur, line)
			cur = nil
			continue
		}
		if indent == 0 {
			cur = nil
			if isContext(line) {
				cur = []string{line}
				fn(i, raw, evHeader, cur, line)
				continue
			}
			fn(i, raw, evLine, nil, line)
			continue
		}
		if cur == nil {
			fn(i, raw, evLine, nil, line)
			continue
		}
		// A sub-context closed without its exit: the indentation says so.
		for len(cur) > 1 && indent < len(cur) {
			cur = cur[:len(cur)-1]
		}
		if opensSub(cur, line) {
			cur = append(cur, line)
			fn(i, raw, evHeader, cur, line)
			continue
		}
		fn(i, raw, evLine, cur, line)
	}
}

// parseFRR reads vtysh config text into its contexts.
func parseFRR(text string) *frrConfig {
	c := &frrConfig{blocks: map[string]*frrBlock{}}
	c.block(nil)
	scanFRR(text, func(_ int, _ string, ev frrEvent, path []string, line string) {
		switch ev {
		case evHeader:
			c.block(path)
		case evLine:
			if len(path) == 0 && frrImplicit[line] {
				return
			}
			c.block(path).add(line)
		}
	})
	return c
}

// frrDatacenterDefaults are the lines the "datacenter" profile turns on
// and "show running-config" then leaves out, by the context kind they
// belong to (the "traditional" profile shows them when set).
var frrDatacenterDefaults = map[string][]string{"router bgp": {"bgp log-neighbor-changes"}}

// profileDefaults puts back the lines running's profile leaves out, unless
// their "no" form is there, so an intent stating them is not a change.
func (c *frrConfig) profileDefaults(running string) {
	if !strings.Contains(running, "\nfrr defaults datacenter\n") && !strings.HasPrefix(running, "frr defaults datacenter\n") {
		return
	}
	for _, k := range c.order {
		b := c.blocks[k]
		if len(b.path) != 1 {
			continue
		}
		for kind, lines := range frrDatacenterDefaults {
			if !strings.HasPrefix(b.path[0], kind) {
				continue
			}
			for _, l := range lines {
				if !b.set["no "+l] {
					b.add(l)
				}
			}
		}
	}
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
// lines follow ref's order first. Sub-contexts follow their parent's lines.
func (c *frrConfig) text(ref *frrConfig) string {
	var sb strings.Builder
	for _, k := range c.childKeys(nil, ref) {
		c.writeBlock(&sb, k, ref)
	}
	return sb.String()
}

func (c *frrConfig) writeBlock(sb *strings.Builder, k string, ref *frrConfig) {
	b := c.blocks[k]
	lines := b.lines
	if ref != nil {
		if rb, ok := ref.blocks[k]; ok {
			lines = orderLike(b.lines, rb.lines)
		}
	}
	depth := len(b.path)
	if depth > 0 {
		sb.WriteString(strings.Repeat(" ", depth-1) + b.path[depth-1] + "\n")
	}
	ind := strings.Repeat(" ", depth)
	for _, l := range lines {
		sb.WriteString(ind + l + "\n")
	}
	if depth == 0 {
		return
	}
	for _, ck := range c.childKeys(b.path, ref) {
		c.writeBlock(sb, ck, ref)
	}
	sb.WriteString(strings.Repeat(" ", depth-1) + exitOf(b.path[depth-1], depth-1) + "\n")
}

// childKeys lists the blocks directly under parent (the root's lines and
// top-level contexts when parent is nil), ref's order first.
func (c *frrConfig) childKeys(parent []string, ref *frrConfig) []string {
	var out []string
	seen := map[string]bool{}
	pk := blockKey(parent)
	add := func(order []string) {
		for _, k := range order {
			b, ok := c.blocks[k]
			if !ok || seen[k] {
				continue
			}
			if parent == nil && len(b.path) <= 1 || parent != nil && len(b.path) == len(parent)+1 && blockKey(b.path[:len(parent)]) == pk {
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
