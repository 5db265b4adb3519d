package vtysh

import (
	"context"
	"net/netip"
	"strconv"
	"strings"
)

// A grammar is a list of commands per node. Each command is a pattern of
// tokens, matched the way FRR's command graph matches them: keywords may be
// abbreviated to any unique prefix, variables accept a typed value, and an
// exact keyword beats a partial one when two commands both match.

// tokenKind is the type of one pattern token.
type tokenKind int

const (
	tkKeyword    tokenKind = iota
	tkWord                 // WORD: any single token
	tkLine                 // LINE: the rest of the input, at least one token
	tkIPv4                 // A.B.C.D
	tkIPv4Prefix           // A.B.C.D/M
	tkIPv6                 // X:X::X:X
	tkIPv6Prefix           // X:X::X:X/M
	tkRange                // (lo-hi)
)

type token struct {
	kind   tokenKind
	word   string // keyword text
	lo, hi uint64 // range bounds
}

// command is one pattern and what it does.
type command struct {
	pattern []token
	run     handler
}

// handler runs a matched command; args are the input tokens with keywords
// expanded to their full text. It returns what to print, FRR's error
// messages included.
type handler func(ctx context.Context, s *Session, args []string) string

// compile turns "neighbor A.B.C.D remote-as (1-4294967295)" into tokens.
// Alternatives are written as separate commands by the grammar tables.
func compile(pattern string) []token {
	var toks []token
	for _, f := range strings.Fields(pattern) {
		switch {
		case f == "WORD" || f == "IFNAME" || f == "PEER":
			toks = append(toks, token{kind: tkWord})
		case f == "LINE":
			toks = append(toks, token{kind: tkLine})
		case f == "A.B.C.D":
			toks = append(toks, token{kind: tkIPv4})
		case f == "A.B.C.D/M":
			toks = append(toks, token{kind: tkIPv4Prefix})
		case f == "X:X::X:X":
			toks = append(toks, token{kind: tkIPv6})
		case f == "X:X::X:X/M":
			toks = append(toks, token{kind: tkIPv6Prefix})
		case strings.HasPrefix(f, "(") && strings.HasSuffix(f, ")"):
			lo, hi, _ := strings.Cut(f[1:len(f)-1], "-")
			l, _ := strconv.ParseUint(lo, 10, 64)
			h, _ := strconv.ParseUint(hi, 10, 64)
			toks = append(toks, token{kind: tkRange, lo: l, hi: h})
		default:
			toks = append(toks, token{kind: tkKeyword, word: f})
		}
	}
	return toks
}

// match scores of one input token against one pattern token; 0 is no match.
// The order follows FRR's precedence: exact keyword, typed values, partial
// keyword, then any word.
const (
	scoreNone    = 0
	scoreWord    = 1
	scorePartial = 2
	scoreTyped   = 3
	scoreExact   = 4
)

func (t token) match(in string) int {
	switch t.kind {
	case tkKeyword:
		if in == t.word {
			return scoreExact
		}
		if strings.HasPrefix(t.word, in) {
			return scorePartial
		}
	case tkWord, tkLine:
		return scoreWord
	case tkIPv4:
		if a, err := netip.ParseAddr(in); err == nil && a.Is4() {
			return scoreTyped
		}
	case tkIPv6:
		if a, err := netip.ParseAddr(in); err == nil && a.Is6() {
			return scoreTyped
		}
	case tkIPv4Prefix:
		if p, err := netip.ParsePrefix(in); err == nil && p.Addr().Is4() {
			return scoreTyped
		}
	case tkIPv6Prefix:
		if p, err := netip.ParsePrefix(in); err == nil && p.Addr().Is6() {
			return scoreTyped
		}
	case tkRange:
		if n, err := strconv.ParseUint(in, 10, 64); err == nil && n >= t.lo && n <= t.hi {
			return scoreTyped
		}
	}
	return scoreNone
}

// matchResult is what matching a line against a node's commands found.
type matchResult int

const (
	matchOK matchResult = iota
	matchUnknown
	matchIncomplete
	matchAmbiguous
)

// lookup finds the command for the input tokens among cmds. args has the
// keywords expanded and a LINE token joined back into one argument.
func lookup(cmds []command, in []string) (*command, []string, matchResult) {
	var best *command
	var bestArgs []string
	bestScore, ties := -1, 0
	incomplete := false
	for i := range cmds {
		c := &cmds[i]
		score, args, res := c.matchInput(in)
		switch res {
		case matchIncomplete:
			incomplete = true
			continue
		case matchUnknown:
			continue
		}
		switch {
		case score > bestScore:
			best, bestArgs, bestScore, ties = c, args, score, 0
		case score == bestScore:
			ties++
		}
	}
	switch {
	case best != nil && ties == 0:
		return best, bestArgs, matchOK
	case best != nil:
		return nil, nil, matchAmbiguous
	case incomplete:
		return nil, nil, matchIncomplete
	}
	return nil, nil, matchUnknown
}

// matchInput scores a whole line against one command. The score compares
// token by token, left first, so an exact keyword early wins.
func (c *command) matchInput(in []string) (int, []string, matchResult) {
	args := make([]string, 0, len(in))
	score := 0
	for i, t := range c.pattern {
		if i >= len(in) {
			return 0, nil, matchIncomplete
		}
		if t.kind == tkLine {
			args = append(args, strings.Join(in[i:], " "))
			return score*8 + scoreWord, args, matchOK
		}
		m := t.match(in[i])
		if m == scoreNone {
			return 0, nil, matchUnknown
		}
		score = score*8 + m
		switch t.kind {
		case tkKeyword:
			args = append(args, t.word)
		case tkIPv6, tkIPv6Prefix:
			// FRR keeps IPv6 in its canonical form (RFC 5952): a neighbor
			// typed "2001:DB8:0::1" is "2001:db8::1" in the running config
			// and in every later command that names it.
			args = append(args, canonIPv6(in[i]))
		default:
			args = append(args, in[i])
		}
	}
	if len(in) > len(c.pattern) {
		return 0, nil, matchUnknown
	}
	return score, args, matchOK
}

// canonIPv6 writes an IPv6 address or prefix as FRR prints it.
func canonIPv6(s string) string {
	if p, err := netip.ParsePrefix(s); err == nil {
		return p.String()
	}
	if a, err := netip.ParseAddr(s); err == nil {
		return a.String()
	}
	return s
}
