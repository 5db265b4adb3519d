package gnmitarget

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	gpb "github.com/openconfig/gnmi/proto/gnmi"
)

// Elem is one element of a schema path: a node name and, for a list entry,
// its keys. A name of "*" matches any one element and "..." any number of
// elements; a key value of "*", or a key left out, matches any value.
type Elem struct {
	Name string
	Keys map[string]string
}

// Path is a parsed gNMI path. Leaves reported by a Backend are concrete
// paths; request paths may hold wildcards.
type Path []Elem

// ErrBadPath reports a path that cannot be parsed or is not allowed where it
// is used.
var ErrBadPath = errors.New("bad path")

// ParsePath parses the gNMI path string syntax: "/a/b[k=v][k2=v2]/c". In a
// key value, `\]` and `\\` escape the bracket and the backslash; a "/"
// inside brackets is part of the value (interface names like "xe-0/0/1").
// Module prefixes on names ("openconfig-interfaces:interfaces") are dropped.
func ParsePath(s string) (Path, error) {
	var p Path
	i := 0
	if strings.HasPrefix(s, "/") {
		i = 1
	}
	for i < len(s) {
		start := i
		for i < len(s) && s[i] != '/' && s[i] != '[' {
			i++
		}
		name := s[start:i]
		if strings.ContainsAny(name, "]=") {
			return nil, fmt.Errorf("path %q: bad element name %q: %w", s, name, ErrBadPath)
		}
		if name == "" {
			return nil, fmt.Errorf("path %q: empty element at offset %d: %w", s, start, ErrBadPath)
		}
		e := Elem{Name: stripModule(name)}
		if e.Name == "" {
			return nil, fmt.Errorf("path %q: element %q has a module prefix and no name: %w", s, name, ErrBadPath)
		}
		for i < len(s) && s[i] == '[' {
			i++
			eq := strings.IndexByte(s[i:], '=')
			if eq <= 0 {
				return nil, fmt.Errorf("path %q: key without name at offset %d: %w", s, i, ErrBadPath)
			}
			k := s[i : i+eq]
			if strings.ContainsAny(k, "[]/") {
				return nil, fmt.Errorf("path %q: bad key name %q: %w", s, k, ErrBadPath)
			}
			i += eq + 1
			var v strings.Builder
			closed := false
			for i < len(s) {
				c := s[i]
				if c == '\\' && i+1 < len(s) {
					v.WriteByte(s[i+1])
					i += 2
					continue
				}
				if c == ']' {
					closed = true
					i++
					break
				}
				v.WriteByte(c)
				i++
			}
			if !closed {
				return nil, fmt.Errorf("path %q: unterminated key %q: %w", s, k, ErrBadPath)
			}
			if e.Keys == nil {
				e.Keys = map[string]string{}
			}
			if _, dup := e.Keys[k]; dup {
				return nil, fmt.Errorf("path %q: key %q given twice: %w", s, k, ErrBadPath)
			}
			e.Keys[k] = normalizeKey(k, v.String())
		}
		p = append(p, e)
		if i < len(s) {
			if s[i] != '/' {
				return nil, fmt.Errorf("path %q: unexpected %q at offset %d: %w", s, s[i], i, ErrBadPath)
			}
			i++
			if i == len(s) {
				return nil, fmt.Errorf("path %q: trailing slash: %w", s, ErrBadPath)
			}
		}
	}
	return p, nil
}

// MustParsePath is ParsePath for constant paths in code; it panics on error.
func MustParsePath(s string) Path {
	p, err := ParsePath(s)
	if err != nil {
		panic(err)
	}
	return p
}

// String renders p in the syntax ParsePath reads, keys sorted by name, so
// that equal paths have equal strings.
func (p Path) String() string {
	if len(p) == 0 {
		return "/"
	}
	var b strings.Builder
	for _, e := range p {
		b.WriteByte('/')
		b.WriteString(e.Name)
		for _, k := range sortedKeys(e.Keys) {
			b.WriteByte('[')
			b.WriteString(k)
			b.WriteByte('=')
			for _, c := range []byte(e.Keys[k]) {
				if c == ']' || c == '\\' {
					b.WriteByte('\\')
				}
				b.WriteByte(c)
			}
			b.WriteByte(']')
		}
	}
	return b.String()
}

// Match reports whether the concrete path c lies at or below pattern p
// (gNMI subscription semantics: a path selects its whole subtree).
func (p Path) Match(c Path) bool { return match(p, c, false) }

// MatchExact is Match without the subtree: c must be exactly the node p
// names.
func (p Path) MatchExact(c Path) bool { return match(p, c, true) }

func match(p, c Path, exact bool) bool {
	for i, e := range p {
		if e.Name == "..." {
			rest := p[i+1:]
			for j := i; j <= len(c); j++ {
				if match(rest, c[j:], exact) {
					return true
				}
			}
			return false
		}
		if i >= len(c) {
			return false
		}
		if !elemMatch(e, c[i]) {
			return false
		}
	}
	return !exact || len(c) == len(p)
}

func elemMatch(p, c Elem) bool {
	if p.Name != "*" && p.Name != c.Name {
		return false
	}
	for k, v := range p.Keys {
		if v == "*" {
			continue
		}
		cv, ok := c.Keys[k]
		if !ok || cv != v {
			return false
		}
	}
	return true
}

// HasWildcard reports whether p names more than one node.
func (p Path) HasWildcard() bool {
	for _, e := range p {
		if e.Name == "*" || e.Name == "..." {
			return true
		}
		for _, v := range e.Keys {
			if v == "*" {
				return true
			}
		}
	}
	return false
}

// Keys returns the keys of the first element of p named list, or nil.
func (p Path) Keys(list string) map[string]string {
	for _, e := range p {
		if e.Name == list {
			return e.Keys
		}
	}
	return nil
}

func (p Path) clone() Path {
	out := make(Path, len(p))
	for i, e := range p {
		out[i] = Elem{Name: e.Name}
		if len(e.Keys) > 0 {
			out[i].Keys = make(map[string]string, len(e.Keys))
			for k, v := range e.Keys {
				out[i].Keys[k] = v
			}
		}
	}
	return out
}

func (p Path) join(q Path) Path {
	out := make(Path, 0, len(p)+len(q))
	return append(append(out, p...), q...)
}

// hasPrefix reports whether q is a concrete prefix of p (equal elements).
func (p Path) hasPrefix(q Path) bool {
	if len(q) > len(p) {
		return false
	}
	for i := range q {
		if p[i].Name != q[i].Name || !sameKeys(p[i].Keys, q[i].Keys) {
			return false
		}
	}
	return true
}

func sameKeys(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func sortedKeys(m map[string]string) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// stripModule drops a YANG module prefix: openconfig-interfaces:interfaces.
func stripModule(name string) string {
	if i := strings.LastIndexByte(name, ':'); i >= 0 {
		return name[i+1:]
	}
	return name
}

// normalizeKey drops the module prefix of identityref keys, the only keys
// in our schema whose values carry one (protocol identifier
// openconfig-policy-types:BGP, afi-safi-name openconfig-bgp-types:IPV4_UNICAST).
// Other key values, such as IPv6 neighbor addresses, keep their colons.
func normalizeKey(k, v string) string {
	if k == "identifier" || k == "afi-safi-name" {
		return stripModule(v)
	}
	return v
}

// fromProto converts a gNMI path, refusing origins other than OpenConfig's.
func fromProto(gp *gpb.Path) (Path, error) {
	if gp == nil {
		return nil, nil
	}
	switch gp.GetOrigin() {
	case "", "openconfig":
	default:
		return nil, fmt.Errorf("path origin %q: only openconfig is served: %w", gp.GetOrigin(), ErrBadPath)
	}
	if len(gp.GetElem()) == 0 && len(gp.GetElement()) > 0 {
		// The deprecated string form, still sent alone by old clients;
		// when both are set (gnmi_cli's query mode) elem wins.
		return ParsePath("/" + strings.Join(gp.GetElement(), "/"))
	}
	p := make(Path, 0, len(gp.GetElem()))
	for _, e := range gp.GetElem() {
		if e.GetName() == "" {
			return nil, fmt.Errorf("path %v: empty element name: %w", gp, ErrBadPath)
		}
		el := Elem{Name: stripModule(e.GetName())}
		if el.Name == "" {
			return nil, fmt.Errorf("path %v: element %q has no name: %w", gp, e.GetName(), ErrBadPath)
		}
		if len(e.GetKey()) > 0 {
			el.Keys = make(map[string]string, len(e.GetKey()))
			for k, v := range e.GetKey() {
				el.Keys[k] = normalizeKey(k, v)
			}
		}
		p = append(p, el)
	}
	return p, nil
}

func (p Path) proto() *gpb.Path {
	gp := &gpb.Path{Elem: make([]*gpb.PathElem, len(p))}
	for i, e := range p {
		pe := &gpb.PathElem{Name: e.Name}
		if len(e.Keys) > 0 {
			pe.Key = make(map[string]string, len(e.Keys))
			for k, v := range e.Keys {
				pe.Key[k] = v
			}
		}
		gp.Elem[i] = pe
	}
	return gp
}
