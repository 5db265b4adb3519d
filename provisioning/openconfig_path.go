package provisioning

import (
	"fmt"
	"sort"
	"strings"

	gpb "github.com/openconfig/gnmi/proto/gnmi"
	gnmicpath "github.com/openconfig/gnmic/pkg/api/path"
)

// ParsePath reads a gNMI string path ("/a/b[k=v][k2=v2]/c") with gnmic's
// parser, which keeps "/" and ":" inside key values (xe-0/0/1,
// 2001:db8::1) and reads `\[` and `\]` as brackets in a value.
func ParsePath(s string) (*gpb.Path, error) {
	if !strings.HasPrefix(s, "/") {
		// Without the slash gnmic would read "a:/b" as origin a.
		return nil, fmt.Errorf("path %q: want an absolute path starting with /", s)
	}
	p, err := gnmicpath.ParsePath(s)
	if err != nil {
		return nil, fmt.Errorf("path %q: %w", s, err)
	}
	return p, nil
}

// FormatPath writes prefix+path in the syntax ParsePath reads, keys sorted
// by name so that equal paths have equal strings. Identityref key values
// lose a known module prefix (protocol[identifier=BGP] whether the target
// said BGP or openconfig-policy-types:BGP), as ygot writes them.
func FormatPath(prefix, p *gpb.Path) string {
	var b strings.Builder
	for _, pp := range []*gpb.Path{prefix, p} {
		for _, e := range pp.GetElem() {
			writeElem(&b, stripModuleName(e.GetName()), e.GetKey())
		}
	}
	return b.String()
}

func writeElem(b *strings.Builder, name string, keys map[string]string) {
	b.WriteByte('/')
	b.WriteString(name)
	names := make([]string, 0, len(keys))
	for k := range keys {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		b.WriteByte('[')
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(escapeKey(keyIdentity(keys[k])))
		b.WriteByte(']')
	}
}

// escapeKey escapes the brackets of a key value, which both gnmic's
// parser and the lab target's read back.
var escapeKey = strings.NewReplacer("[", `\[`, "]", `\]`).Replace

// SplitPath splits a gNMI string path on "/" outside of key brackets.
func SplitPath(p string) []string {
	var out []string
	inKey, start := false, 0
	p = strings.TrimPrefix(p, "/")
	for i := 0; i < len(p); i++ {
		switch c := p[i]; {
		case c == '\\' && inKey:
			i++ // an escaped character is part of the value
		case c == '[':
			inKey = true
		case c == ']':
			inKey = false
		case c == '/' && !inKey:
			out = append(out, p[start:i])
			start = i + 1
		}
	}
	if start < len(p) {
		out = append(out, p[start:])
	}
	return out
}

// pathEnd returns the length of the path at the start of s: up to the
// first space outside key brackets, since key values may hold spaces
// (a policy named "RM OUT").
func pathEnd(s string) int {
	inKey := false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\' && inKey:
			i++
		case c == '[':
			inKey = true
		case c == ']':
			inKey = false
		case c == ' ' && !inKey:
			return i
		}
	}
	return len(s)
}

// ParseCommand splits a gNMI delta command: "delete PATH" or
// "replace PATH JSON".
func ParseCommand(cmd string) (op, path, value string, err error) {
	op, rest, _ := strings.Cut(cmd, " ")
	n := pathEnd(rest)
	path, value = rest[:n], strings.TrimPrefix(rest[n:], " ")
	switch {
	case op == "delete" && value == "" && path != "":
	case op == "replace" && value != "" && path != "":
	default:
		return "", "", "", fmt.Errorf("command %q: want \"delete PATH\" or \"replace PATH JSON\"", cmd)
	}
	return op, path, value, nil
}

// cutFlatLine splits a "PATH = VALUE" line of the flat form.
func cutFlatLine(l string) (path, value string, ok bool) {
	n := pathEnd(l)
	path, rest := l[:n], l[n:]
	value, ok = strings.CutPrefix(rest, " = ")
	return path, value, ok && path != ""
}
