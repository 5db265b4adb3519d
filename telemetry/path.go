package telemetry

import (
	"fmt"
	"slices"
	"strings"

	"github.com/openconfig/gnmi/proto/gnmi"
)

// ParsePath reads a gNMI string path (/a/b[k=v][k2=v2]/c): a "/" inside a
// key value belongs to it (ge-0/0/0), "\]" and "\\" escape.
func ParsePath(s string) (*gnmi.Path, error) {
	p := &gnmi.Path{}
	elems, err := splitElems(s)
	if err != nil {
		return nil, fmt.Errorf("path %q: %w", s, err)
	}
	for _, e := range elems {
		pe, err := parseElem(e)
		if err != nil {
			return nil, fmt.Errorf("path %q: %w", s, err)
		}
		p.Elem = append(p.Elem, pe)
	}
	return p, nil
}

// splitElems cuts a path at the slashes outside brackets.
func splitElems(s string) ([]string, error) {
	s = strings.TrimPrefix(s, "/")
	if s == "" {
		return nil, nil
	}
	var out []string
	in, start := false, 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\' && in:
			i++
		case c == '[':
			if in {
				return nil, fmt.Errorf("nested [ at %d", i)
			}
			in = true
		case c == ']':
			in = false
		case c == '/' && !in:
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	if in {
		return nil, fmt.Errorf("unclosed [")
	}
	return append(out, s[start:]), nil
}

// parseElem reads name[k=v]... into a PathElem.
func parseElem(e string) (*gnmi.PathElem, error) {
	name, rest, _ := strings.Cut(e, "[")
	if name == "" {
		return nil, fmt.Errorf("empty element in %q", e)
	}
	pe := &gnmi.PathElem{Name: name}
	if rest == "" {
		return pe, nil
	}
	rest = "[" + rest
	for len(rest) > 0 {
		if rest[0] != '[' {
			return nil, fmt.Errorf("element %q: text after a key", e)
		}
		var k strings.Builder
		var v strings.Builder
		i, inValue, closed := 1, false, false
		for ; i < len(rest); i++ {
			c := rest[i]
			if c == '\\' && i+1 < len(rest) {
				i++
				c = rest[i]
			} else if c == ']' {
				closed = true
				i++
				break
			} else if c == '=' && !inValue {
				inValue = true
				continue
			}
			if inValue {
				v.WriteByte(c)
			} else {
				k.WriteByte(c)
			}
		}
		if !closed || !inValue || k.Len() == 0 {
			return nil, fmt.Errorf("element %q: want [key=value]", e)
		}
		if pe.Key == nil {
			pe.Key = map[string]string{}
		}
		pe.Key[k.String()] = v.String()
		rest = rest[i:]
	}
	return pe, nil
}

// PathString writes a path back as a string, keys sorted: for logs and
// error messages.
func PathString(p *gnmi.Path) string {
	var b strings.Builder
	for _, e := range p.GetElem() {
		b.WriteString("/" + e.GetName())
		keys := make([]string, 0, len(e.GetKey()))
		for k := range e.GetKey() {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			b.WriteString("[" + k + "=" + escapeKey(e.GetKey()[k]) + "]")
		}
	}
	if b.Len() == 0 {
		return "/"
	}
	return b.String()
}

// elemsOf turns the deprecated string elements of gNMI 0.3 (still sent by
// some targets, openconfig's fake agent among them: "interface[name=eth1]")
// into PathElems.
func elemsOf(element []string) []*gnmi.PathElem {
	out := make([]*gnmi.PathElem, 0, len(element))
	for _, s := range element {
		pe, err := parseElem(s)
		if err != nil {
			pe = &gnmi.PathElem{Name: s} // kept as a plain name: it then matches nothing
		}
		out = append(out, pe)
	}
	return out
}
