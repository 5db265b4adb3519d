package vtysh

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"
)

// LineError is a configuration line FRR would refuse.
type LineError struct {
	Line int
	Text string
	Msg  string
}

func (e *LineError) Error() string {
	return fmt.Sprintf("line %d: %q: %s", e.Line, e.Text, e.Msg)
}

// Parse reads a whole configuration (frr.conf, or "show running-config"
// output) the way FRR loads one: every line goes through the same command
// interpreter as the CLI, starting in configuration mode. It returns the
// configuration with every line it applied, and the refused lines joined
// as *LineError values.
func Parse(text string) (*Config, error) { return NewGrammar().Parse(text) }

// Parse is the package's Parse with this grammar, built once for many files.
func (g *Grammar) Parse(text string) (*Config, error) {
	cfg := &Config{Defaults: "traditional"}
	s := NewSession(NewRunning(g, cfg, nil), noHost{})
	s.node = NodeConfig
	var errs []error
	sc := bufio.NewScanner(strings.NewReader(text))
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		switch line {
		case "Building configuration...", "Current configuration:":
			continue
		case "end":
			// The last line of every saved config; later lines, if any,
			// are configuration again, as in a vtysh -f file.
			s.node = NodeConfig
			continue
		}
		out := s.Exec(context.Background(), line)
		if isError(out) {
			errs = append(errs, &LineError{Line: n, Text: line, Msg: strings.TrimSpace(out)})
		}
		if s.node == NodeEnable {
			s.node = NodeConfig
		}
	}
	if err := sc.Err(); err != nil {
		errs = append(errs, err)
	}
	return s.run.cfg, errors.Join(errs...)
}

// noHost answers show commands while a file is loaded: there is no
// operational state yet.
type noHost struct{}

func (noHost) BGPSummary(context.Context, string, bool) string        { return "" }
func (noHost) BGPRoutes(context.Context, string) string               { return "" }
func (noHost) InterfaceBrief(context.Context) string                  { return "" }
func (noHost) InterfaceJSON(context.Context) string                   { return "{}\n" }
func (noHost) BGPPrefix(context.Context, string, netip.Prefix) string { return "" }
func (noHost) WriteMemory(context.Context, *Config) error             { return nil }
