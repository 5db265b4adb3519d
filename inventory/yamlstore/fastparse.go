package yamlstore

import (
	"strings"
	"unicode/utf8"
)

// fastParse parses the plain block-style YAML that inventories are made of
// (mappings, sequences, plain and quoted scalars, one-line flow collections,
// comments) about ten times faster than yaml.v3, which spends most of a
// 10,000-device load building tokens. It returns ok=false as soon as it
// meets anything outside that subset (anchors, tags, block scalars,
// multi-line scalars, tabs, several documents...) and the caller then uses
// yaml.v3, so the subset only changes speed, never meaning: a differential
// test and fuzz target hold it to yaml.v3's node tree, positions included.
func fastParse(data []byte) (root *node, ok bool) {
	p := &fastParser{}
	if !p.split(string(data)) {
		return nil, false
	}
	if len(p.lines) == 0 || p.lines[0].indent != 0 {
		return nil, false
	}
	n, ok := p.block(0, 0)
	if !ok || p.pos != len(p.lines) {
		p.gaveUp()
		return nil, false
	}
	return n, true
}

// gaveUp records why the parse stopped, from the line it stopped at.
func (p *fastParser) gaveUp() {
	if len(p.lines) == 0 || p.why.line != 0 {
		return // none, or already said where
	}
	l := p.lines[min(p.pos, len(p.lines)-1)]
	p.why = fallback{l.num, outsideSubset(l.text)}
}

// outsideSubset names what a line has that the fast subset leaves to
// yaml.v3, as well as one line can tell.
func outsideSubset(text string) string {
	_, rest, isKey := splitKey(text)
	if !isKey {
		rest = strings.TrimLeft(strings.TrimPrefix(text, "-"), " ")
	}
	switch {
	case rest == "|" || rest == ">" || strings.HasPrefix(rest, "|") || strings.HasPrefix(rest, ">"):
		return "a block scalar (| or >)"
	case strings.HasPrefix(rest, "&") || strings.HasPrefix(rest, "*") || strings.Contains(text, " &") || strings.Contains(text, " *"):
		return "an anchor or alias"
	case strings.HasPrefix(rest, "!"):
		return "a tag (!)"
	case strings.Contains(text, "\\") && strings.Contains(text, "\""):
		return "an escape in a double-quoted string"
	case strings.HasPrefix(text, "<<"):
		return "a merge key (<<)"
	case strings.Contains(text, "\t"):
		return "a tab where the fast reader does not take one"
	case rest == "" && isKey:
		return "a key with no value"
	}
	return "YAML outside the fast subset (multi-line scalar, complex key, nested one-line sequence...)"
}

// fline is one line of a file; a 10k-site inventory has 1.2 million, so
// the numbers are 32 bits, as in node.
type fline struct {
	num    int32  // 1-based line number
	indent int32  // column of the first character of text, 0-based
	text   string // content without indentation, comment or trailing blanks
}

type fastParser struct {
	lines []fline
	pos   int
	// why is set when the parser gives up: the line and what is there.
	why fallback
	// Nodes come from slabs, and children lists from ptrs: a large
	// inventory has millions of both. reset hands the same slabs out again.
	slab   []node
	slabs  [][]node
	nslabs int
	ptrs   []*node
	pslabs [][]*node
	npslab int
	// stack collects a collection's children before they are copied, at
	// their exact size, into ptrs: no slice grows element by element.
	stack []*node
}

// reset readies the parser for other lines, reusing the memory of every
// node it returned so far: those nodes must no longer be in use.
func (p *fastParser) reset(lines []fline) {
	p.lines, p.pos, p.why = lines, 0, fallback{}
	p.slab, p.nslabs = nil, 0
	p.ptrs, p.npslab = nil, 0
	clear(p.stack) // left over when a parse gave up half way
	p.stack = p.stack[:0]
}

func (p *fastParser) children(base int) []*node {
	n := len(p.stack) - base
	if n == 0 {
		return nil
	}
	if len(p.ptrs) < n {
		if p.npslab < len(p.pslabs) && len(p.pslabs[p.npslab]) >= n {
			p.ptrs = p.pslabs[p.npslab]
		} else {
			p.ptrs = make([]*node, max(n, 8192))
			if p.npslab < len(p.pslabs) {
				p.pslabs[p.npslab] = p.ptrs
			} else {
				p.pslabs = append(p.pslabs, p.ptrs)
			}
		}
		p.npslab++
	}
	c := p.ptrs[:n:n]
	p.ptrs = p.ptrs[n:]
	copy(c, p.stack[base:])
	clear(p.stack[base:])
	p.stack = p.stack[:base]
	return c
}

func (p *fastParser) node() *node {
	if len(p.slab) == 0 {
		if p.nslabs == len(p.slabs) {
			p.slabs = append(p.slabs, make([]node, 4096))
		}
		p.slab = p.slabs[p.nslabs]
		p.nslabs++
	}
	n := &p.slab[0]
	p.slab = p.slab[1:]
	return n
}

// block parses the block node starting at the current line, at indent.
func (p *fastParser) block(depth, indent int) (*node, bool) {
	if depth > 100 || p.pos >= len(p.lines) {
		return nil, false
	}
	l := p.lines[p.pos]
	if int(l.indent) != indent {
		return nil, false
	}
	if l.text == "-" || strings.HasPrefix(l.text, "- ") {
		return p.sequence(depth, indent)
	}
	if _, _, ok := splitKey(l.text); ok {
		return p.mapping(depth, indent)
	}
	return nil, false
}

func splitKey(s string) (key, rest string, ok bool) {
	switch s[0] {
	case '"', '\'', '[', '{', '?', '&', '*', '!', '|', '>', '%', '@', '`', '-':
		return "", "", false
	}
	i := keyColon(s)
	if i < 0 {
		return "", "", false
	}
	key = s[:i]
	if hasAny(key, &keySpecial) || strings.HasSuffix(key, " ") || strings.HasSuffix(key, "\t") {
		return "", "", false
	}
	rest = strings.TrimLeft(s[i+1:], " \t")
	return key, rest, true
}

// keyColon returns the index of the first ':' followed by a blank (space
// or tab, both separate a key from its value in YAML) or ending s, or -1.
func keyColon(s string) int {
	for i := 0; i < len(s); i++ {
		if s[i] == ':' && (i+1 == len(s) || s[i+1] == ' ' || s[i+1] == '\t') {
			return i
		}
	}
	return -1
}

func (p *fastParser) mapping(depth, indent int) (*node, bool) {
	m := p.node()
	first := p.lines[p.pos]
	*m = node{kind: mappingNode, line: first.num, col: int32(indent + 1)}
	base := len(p.stack)
	defer func() { m.content = p.children(base) }()
	for p.pos < len(p.lines) {
		l := p.lines[p.pos]
		if int(l.indent) < indent {
			break
		}
		if int(l.indent) > indent {
			return nil, false
		}
		key, rest, ok := splitKey(l.text)
		if !ok {
			return nil, false
		}
		k := p.node()
		*k = node{kind: scalarNode, tag: resolveTag(key), value: key, line: l.num, col: int32(indent + 1)}
		if k.tag != tagStr || key == "<<" {
			return nil, false // keys like "true" or "1": rare, let yaml.v3 decide
		}
		p.pos++
		var v *node
		if rest != "" {
			col := indent + 1 + runes(l.text[:len(l.text)-len(rest)])
			v, ok = p.inline(rest, int(l.num), col)
			if !ok {
				p.why = fallback{l.num, outsideSubset(l.text)}
				return nil, false
			}
		} else if p.pos < len(p.lines) && int(p.lines[p.pos].indent) > indent {
			v, ok = p.block(depth+1, int(p.lines[p.pos].indent))
			if !ok {
				return nil, false
			}
		} else if p.pos < len(p.lines) && int(p.lines[p.pos].indent) == indent && (p.lines[p.pos].text == "-" || strings.HasPrefix(p.lines[p.pos].text, "- ")) {
			// A sequence may sit at its key's indentation.
			v, ok = p.sequence(depth+1, indent)
			if !ok {
				return nil, false
			}
		} else {
			return nil, false // "key:" with nothing: yaml.v3 places the null oddly
		}
		p.stack = append(p.stack, k, v)
	}
	return m, true
}

func (p *fastParser) sequence(depth, indent int) (*node, bool) {
	s := p.node()
	first := p.lines[p.pos]
	*s = node{kind: sequenceNode, line: first.num, col: int32(indent + 1)}
	base := len(p.stack)
	defer func() { s.content = p.children(base) }()
	for p.pos < len(p.lines) {
		l := p.lines[p.pos]
		if int(l.indent) < indent {
			break
		}
		if int(l.indent) > indent || !(l.text == "-" || strings.HasPrefix(l.text, "- ")) {
			if int(l.indent) == indent {
				break // a key at the same indent: the sequence was a mapping value
			}
			return nil, false
		}
		if l.text == "-" {
			return nil, false
		}
		rest := strings.TrimLeft(l.text[1:], " ")
		if rest[0] == '\t' {
			return nil, false // "- <tab>": rare, and yaml.v3's columns there are its own
		}
		col := indent + len(l.text) - len(rest) // "- " and spaces: bytes are columns
		if _, _, isKey := splitKey(rest); isKey {
			// "- key: value": the item is a mapping whose keys sit at col.
			p.lines[p.pos] = fline{num: l.num, indent: int32(col), text: rest}
			item, ok := p.mapping(depth+1, col)
			if !ok {
				return nil, false
			}
			p.stack = append(p.stack, item)
			continue
		}
		if rest == "-" || strings.HasPrefix(rest, "- ") {
			return nil, false
		}
		item, ok := p.inline(rest, int(l.num), col+1)
		if !ok {
			p.why = fallback{l.num, outsideSubset(l.text)}
			return nil, false
		}
		p.pos++
		p.stack = append(p.stack, item)
	}
	return s, true
}

// inline parses a value written on one line: a scalar or a flow collection.
func (p *fastParser) inline(s string, line, col int) (*node, bool) {
	switch s[0] {
	case '[', '{':
		n, used, ok := p.flow(s, line, col, 0)
		if !ok || used != len(s) {
			return nil, false
		}
		return n, true
	}
	v, quoted, used, ok := scalar(s, false)
	if !ok || used != len(s) {
		return nil, false
	}
	n := p.node()
	*n = node{kind: scalarNode, value: v, line: int32(line), col: int32(col)}
	if quoted == 0 {
		n.tag = resolveTag(v)
	}
	return n, true
}

// flow parses [a, b] or {k: v} on one line; it returns the bytes used.
func (p *fastParser) flow(s string, line, col, depth int) (*node, int, bool) {
	if depth > 20 {
		return nil, 0, false
	}
	open := s[0]
	closer := byte(']')
	n := p.node()
	*n = node{kind: sequenceNode, line: int32(line), col: int32(col)}
	if open == '{' {
		closer = '}'
		n.kind = mappingNode
	}
	// Items wait on the stack like a block collection's children.
	base := len(p.stack)
	i := 1
	skip := func() {
		for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
			i++
		}
	}
	item := func(inMapKey bool) (*node, bool) {
		skip()
		if i >= len(s) {
			return nil, false
		}
		if s[i] == '[' || s[i] == '{' {
			if inMapKey {
				return nil, false
			}
			c, used, ok := p.flow(s[i:], line, col+runes(s[:i]), depth+1)
			i += used
			return c, ok
		}
		v, quoted, used, ok := scalar(s[i:], true)
		if !ok || used == 0 {
			return nil, false
		}
		c := p.node()
		*c = node{kind: scalarNode, value: v, line: int32(line), col: int32(col + runes(s[:i]))}
		if quoted == 0 {
			c.tag = resolveTag(v)
		}
		i += used
		return c, true
	}
	skip()
	if i < len(s) && s[i] == closer {
		return n, i + 1, true
	}
	for {
		if open == '{' {
			k, ok := item(true)
			if !ok || k.tag != tagStr {
				return nil, 0, false
			}
			skip()
			if i+1 >= len(s) || s[i] != ':' || (s[i+1] != ' ' && s[i+1] != '\t') {
				return nil, 0, false
			}
			i++
			v, ok := item(false)
			if !ok {
				return nil, 0, false
			}
			p.stack = append(p.stack, k, v)
		} else {
			v, ok := item(false)
			if !ok {
				return nil, 0, false
			}
			p.stack = append(p.stack, v)
		}
		skip()
		if i >= len(s) {
			return nil, 0, false
		}
		switch s[i] {
		case ',':
			i++
			skip()
			if i < len(s) && s[i] == closer {
				return nil, 0, false // trailing comma: let yaml.v3 judge
			}
		case closer:
			n.content = p.children(base)
			return n, i + 1, true
		default:
			return nil, 0, false
		}
	}
}

// scalar reads a plain or quoted scalar at the start of s. In flow context
// a plain scalar stops at , ] } and ": ".
func scalar(s string, inFlow bool) (val string, quoted byte, used int, ok bool) {
	switch s[0] {
	case '\'':
		var b strings.Builder
		for i := 1; i < len(s); i++ {
			if s[i] == '\'' {
				if i+1 < len(s) && s[i+1] == '\'' {
					b.WriteByte('\'')
					i++
					continue
				}
				return b.String(), '\'', i + 1, true
			}
			b.WriteByte(s[i])
		}
		return "", 0, 0, false
	case '"':
		for i := 1; i < len(s); i++ {
			switch s[i] {
			case '\\':
				return "", 0, 0, false // escapes: yaml.v3 knows them all
			case '"':
				return s[1:i], '"', i + 1, true
			}
		}
		return "", 0, 0, false
	case '&', '*', '!', '|', '>', '%', '@', '`', '?', '#', ',', ']', '}', '[', '{':
		return "", 0, 0, false
	case '-':
		if len(s) == 1 || s[1] == ' ' {
			return "", 0, 0, false
		}
	case ':':
		return "", 0, 0, false
	}
	end := len(s)
	if inFlow {
		end = indexAny(s, &flowEnd)
		if end < 0 {
			return "", 0, 0, false
		}
		if k := keyColon(s[:end]); k >= 0 && k+1 < end {
			end = k
		}
		// A colon inside a flow plain scalar (an unquoted IPv6 address)
		// follows rules subtle enough to leave to yaml.v3.
		if hasAny(s[:end], &flowPlainSpecial) {
			return "", 0, 0, false
		}
		v := strings.TrimRight(s[:end], " \t")
		return v, 0, len(v), v != ""
	}
	v := s[:end]
	if keyColon(v) >= 0 || strings.Contains(v, " #") || strings.Contains(v, "\t#") {
		return "", 0, 0, false
	}
	return v, 0, len(v), true
}

// resolveTag gives a plain scalar the tag class yaml.v3 would: null, bool
// or anything else (the decoder parses numbers from the value itself).
func resolveTag(v string) tagClass {
	switch v {
	case "", "~", "null", "Null", "NULL":
		return tagNull
	case "true", "True", "TRUE", "false", "False", "FALSE":
		return tagBool
	}
	return tagStr
}

// runes counts columns the way yaml.v3 does: in characters, not bytes.
func runes(s string) int {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return utf8.RuneCountInString(s)
		}
	}
	return len(s)
}

// byteSet is a set of ASCII bytes. The parser tests every key and flow
// value against a few fixed sets; strings.IndexAny would build its set
// again on each call, a tenth of the parse.
type byteSet [256]bool

func newByteSet(chars string) (b byteSet) {
	for i := 0; i < len(chars); i++ {
		b[chars[i]] = true
	}
	return b
}

var (
	keySpecial       = newByteSet("#{}[],&*!|>'\"%@`")
	flowEnd          = newByteSet(",]}")
	flowPlainSpecial = newByteSet(":[{#")
)

// indexAny returns the index of the first byte of s in set, or -1.
func indexAny(s string, set *byteSet) int {
	for i := 0; i < len(s); i++ {
		if set[s[i]] {
			return i
		}
	}
	return -1
}

func hasAny(s string, set *byteSet) bool { return indexAny(s, set) >= 0 }
