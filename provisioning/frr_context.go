package provisioning

import (
	"errors"
	"fmt"
	"strings"
)

// ErrDaemonDown is returned when vtysh answered a read with a warning
// instead of config: one of FRR's daemons is down or restarting, so its
// part of the config is missing from the text.
var ErrDaemonDown = errors.New("vtysh could not reach every FRR daemon: the config read is incomplete")

// FRRReadError reports whether a "show running-config" output from vtysh
// is not (only) config: a warning about a daemon ("Warning: connecting to
// bgpd...failed!", "bgpd is not running"), an error line ("% ..."). Such a
// read is never taken as config: planned against, it would remove the
// missing daemon's whole config, and a rollback would send "no Warning: ...".
func FRRReadError(out string) error {
	for _, raw := range strings.Split(out, "\n") {
		if strings.HasPrefix(raw, " ") {
			continue // inside a context: config (a description may say anything)
		}
		l := strings.TrimSpace(raw)
		switch {
		case strings.HasPrefix(l, "Warning:"), strings.HasPrefix(l, "Exiting:"),
			strings.HasSuffix(l, " is not running"), strings.HasPrefix(l, "%"):
			if strings.Contains(l, "connecting to") || strings.Contains(l, "not running") || strings.HasPrefix(l, "Exiting") {
				return fmt.Errorf("%w: %q", ErrDaemonDown, l)
			}
			return fmt.Errorf("vtysh answered with %q instead of config", l)
		}
	}
	return nil
}

// frrSubContexts open a context inside a top-level one.
var frrSubContexts = []string{"address-family ", "vni ", "link-params"}

// FRRIndent shows FRR's configuration contexts as vtysh nests them; the
// commands are unchanged apart from their leading spaces.
func FRRIndent(cmds []string) []string {
	out := make([]string, len(cmds))
	var stack []string
	for i, c := range cmds {
		stack = frrStep(stack, c, func(depth int) { out[i] = strings.Repeat(" ", depth) + c })
	}
	return out
}

// FRRContextAt is the context command i of a batch runs in, as
// "router bgp 65000 > address-family ipv4 unicast" ("" at the root).
func FRRContextAt(cmds []string, i int) string {
	var stack []string
	for _, c := range cmds[:i] {
		stack = frrStep(stack, c, func(int) {})
	}
	return strings.Join(stack, " > ")
}

// frrStep moves the context stack over one command; at is called with the
// depth the command itself is shown at.
func frrStep(stack []string, c string, at func(depth int)) []string {
	switch {
	case c == "end":
		at(0)
		return nil
	case c == "exit":
		at(max(len(stack)-1, 0))
		if len(stack) > 0 {
			return stack[:len(stack)-1]
		}
		return stack
	case c == "exit-address-family" || c == "exit-vni" || c == "exit-vrf" || c == "exit-link-params":
		at(max(len(stack)-1, 0))
		if len(stack) > 1 {
			return stack[:len(stack)-1]
		}
		return stack
	}
	at(len(stack))
	switch {
	case len(stack) == 0 && isContext(c):
		return append(stack, c)
	case len(stack) >= 1 && hasPrefixAny(c, frrSubContexts):
		return append(stack, c)
	}
	return stack
}

func hasPrefixAny(s string, prefixes []string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

// FRRDaemonsHeader starts a running config read over vtysh with the
// daemons vtysh was connected to when it printed it ("show daemons"): a
// daemon that is down is silently missing from "show running-config",
// and only this list tells.
const FRRDaemonsHeader = "! tuyau: vtysh daemons:"

// frrDaemonsDown returns the daemons want's config needs that running's
// header does not list; nil when running has no header (a config from
// elsewhere: records, tests).
func frrDaemonsDown(running string, want *frrConfig) []string {
	line, _, _ := strings.Cut(running, "\n")
	rest, ok := strings.CutPrefix(line, FRRDaemonsHeader)
	if !ok {
		return nil
	}
	up := map[string]bool{}
	for _, d := range strings.Fields(rest) {
		up[d] = true
	}
	var down []string
	for _, d := range want.daemons() {
		if !up[d] {
			down = append(down, d)
		}
	}
	return down
}

// daemons lists the FRR daemons that hold a part of the config.
func (c *frrConfig) daemons() []string {
	need := map[string]bool{"zebra": true}
	for _, k := range c.order {
		b := c.blocks[k]
		if len(b.path) > 0 {
			switch {
			case strings.HasPrefix(b.path[0], "router bgp"):
				need["bgpd"] = true
			case strings.HasPrefix(b.path[0], "router ospf"):
				need["ospfd"] = true
			}
		}
		for _, l := range b.lines {
			switch {
			case strings.HasPrefix(l, "ip route ") || strings.HasPrefix(l, "ipv6 route "):
				need["staticd"] = true
			case strings.HasPrefix(l, "ip ospf "):
				need["ospfd"] = true
			}
			// bgpd and ospfd take their bfd lines without bfdd, which
			// then never brings a BFD session up.
			if strings.HasSuffix(l, " bfd") {
				need["bfdd"] = true
			}
		}
	}
	var out []string
	for _, d := range []string{"zebra", "staticd", "ospfd", "bgpd", "bfdd"} {
		if need[d] {
			out = append(out, d)
		}
	}
	return out
}

// IndentCommands shows a plan's commands as the platform nests them: FRR's
// by their context (FRRIndent), the others as they are.
func IndentCommands(platform string, cmds []string) []string {
	if platform != "frr" {
		return cmds
	}
	return FRRIndent(cmds)
}
