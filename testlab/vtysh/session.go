package vtysh

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"sync"
)

// Node is a vtysh command mode.
type Node int

const (
	NodeEnable Node = iota
	NodeConfig
	NodeInterface
	NodeBGP
	NodeBGPAF
	NodeRouteMap
	NodeOSPF
)

var prompts = map[Node]string{
	NodeEnable:    "%s# ",
	NodeConfig:    "%s(config)# ",
	NodeInterface: "%s(config-if)# ",
	NodeBGP:       "%s(config-router)# ",
	NodeBGPAF:     "%s(config-router-af)# ",
	NodeRouteMap:  "%s(config-route-map)# ",
	NodeOSPF:      "%s(config-router)# ",
}

// parent is the node a command falls back to when the current node does not
// know it, as FRR does: typing "router bgp 1" inside an interface works.
var parent = map[Node]Node{
	NodeInterface: NodeConfig,
	NodeBGP:       NodeConfig,
	NodeBGPAF:     NodeBGP,
	NodeRouteMap:  NodeConfig,
	NodeOSPF:      NodeConfig,
}

// Host gives a session what lives outside the configuration: operational
// state for show commands and a place to save the configuration. The
// virtual device implements it.
type Host interface {
	// BGPSummary renders "show bgp summary", as FRR's table or its JSON:
	// one family's, or every family's for family "".
	BGPSummary(ctx context.Context, family string, json bool) string
	// BGPRoutes renders "show bgp ipv4 unicast".
	BGPRoutes(ctx context.Context, family string) string
	// BGPPrefix renders "show bgp ipv4 unicast PREFIX": one table entry.
	BGPPrefix(ctx context.Context, family string, prefix netip.Prefix) string
	// InterfaceBrief renders "show interface brief".
	InterfaceBrief(ctx context.Context) string
	// InterfaceJSON renders "show interface json": the host's view of
	// each interface, its MTU among them (FRR cannot set it).
	InterfaceJSON(ctx context.Context) string
	// WriteMemory saves the configuration as the startup configuration.
	WriteMemory(ctx context.Context, cfg *Config) error
}

// Running is a device's running configuration, shared by all its sessions
// like FRR's daemons share theirs: each command changes it at once.
type Running struct {
	grammar *Grammar
	mu      sync.Mutex
	cfg     *Config
	// changed is called after every successful change, outside the lock.
	changed func(*Config)
}

// NewRunning holds cfg as the running configuration, changed by commands
// of g; changed (may be nil) receives a copy after each change.
func NewRunning(g *Grammar, cfg *Config, changed func(*Config)) *Running {
	return &Running{grammar: g, cfg: cfg, changed: changed}
}

// Config returns a copy of the running configuration.
func (r *Running) Config() *Config {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.cfg.Clone()
}

// Replace swaps the whole configuration, as a reload does.
func (r *Running) Replace(cfg *Config) {
	r.mu.Lock()
	r.cfg = cfg.Clone()
	r.mu.Unlock()
	if r.changed != nil {
		r.changed(cfg.Clone())
	}
}

// Edit applies fn to a copy of the configuration and swaps the copy in
// only if fn succeeds: a gNMI Set lands whole or not at all, and CLI
// sessions see either the old or the new configuration.
func (r *Running) Edit(fn func(c *Config) error) error {
	r.mu.Lock()
	next := r.cfg.Clone()
	if err := fn(next); err != nil {
		r.mu.Unlock()
		return err
	}
	r.cfg = next
	cp := next.Clone()
	r.mu.Unlock()
	if r.changed != nil {
		r.changed(cp)
	}
	return nil
}

// update runs fn on the configuration; fn returns the message to print and
// whether it changed anything.
func (r *Running) update(fn func(c *Config) (string, bool)) string {
	r.mu.Lock()
	out, changed := fn(r.cfg)
	var cp *Config
	if changed && r.changed != nil {
		cp = r.cfg.Clone()
	}
	r.mu.Unlock()
	if cp != nil {
		r.changed(cp)
	}
	return out
}

// Session is one vtysh session: a mode stack over a shared running config.
type Session struct {
	run  *Running
	host Host
	node Node
	// the object the current node edits
	iface    string
	family   string
	routeMap *RouteMap
	closed   bool
	// termLength is kept for "show terminal"-like fidelity; output is never paged.
	termLength int
}

// NewSession starts a session in enable mode, where vtysh starts.
func NewSession(run *Running, host Host) *Session {
	return &Session{run: run, host: host, node: NodeEnable}
}

// Node returns the current mode.
func (s *Session) Node() Node { return s.node }

// Closed reports whether the user left the session (exit from enable mode).
func (s *Session) Closed() bool { return s.closed }

// Prompt returns the prompt vtysh prints for the current mode.
func (s *Session) Prompt() string {
	s.run.mu.Lock()
	h := s.run.cfg.Hostname
	s.run.mu.Unlock()
	return fmt.Sprintf(prompts[s.node], h)
}

// Exec runs one command line and returns what vtysh prints for it, errors
// included (they are text to the user, as on the real CLI).
func (s *Session) Exec(ctx context.Context, line string) string {
	line = strings.TrimSpace(line)
	if line == "" || strings.HasPrefix(line, "!") || strings.HasPrefix(line, "#") {
		return ""
	}
	in := strings.Fields(line)
	if s.node != NodeEnable && in[0] == "do" && len(in) > 1 {
		saved := s.node
		s.node = NodeEnable
		out := s.execIn(ctx, in[1:], line)
		s.node = saved
		return out
	}
	return s.execIn(ctx, in, line)
}

func (s *Session) execIn(ctx context.Context, in []string, line string) string {
	try, from := s.node, s.node
	for {
		c, args, res := lookup(s.run.grammar.nodes[try], in)
		switch res {
		case matchOK:
			// Found in a parent node: the session moves there, unless the
			// command fails, as FRR's cmd_execute does.
			s.node = try
			out := c.run(ctx, s, args)
			if try != from && isError(out) {
				s.node = from
			}
			return out
		case matchIncomplete:
			return "% Command incomplete: " + line + "\n"
		case matchAmbiguous:
			return "% Ambiguous command: " + line + "\n"
		}
		p, ok := parent[try]
		if !ok {
			return "% Unknown command: " + line + "\n"
		}
		try = p
	}
}

// isError reports whether a command's output is one of FRR's refusals.
func isError(out string) bool {
	return strings.HasPrefix(out, "%") || strings.HasPrefix(out, "BGP is already running")
}
