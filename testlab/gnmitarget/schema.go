package gnmitarget

import (
	"fmt"
	"net/netip"
	"strconv"
)

// kind is the YANG type of a writable leaf, which fixes its Go type.
type kind int

const (
	kString kind = iota + 1
	kBool
	kUint8
	kUint16
	kUint32
)

func (k kind) String() string {
	return [...]string{"?", "string", "boolean", "uint8", "uint16", "uint32"}[k]
}

type leafSchema struct {
	pattern Path
	kind    kind
	max     uint64 // 0: the type's own range
}

type listSchema struct {
	pattern   Path // ends at the list entry
	creatable bool
	keyCheck  func(keys map[string]string) error
}

// writable is the writable subset: each leaf with its YANG type.
var writable = []struct {
	path string
	kind kind
}{
	{"/interfaces/interface[name=*]/config/description", kString},
	{"/interfaces/interface[name=*]/config/mtu", kUint16},
	{"/interfaces/interface[name=*]/config/enabled", kBool},
	{"/interfaces/interface[name=*]/subinterfaces/subinterface[index=*]/ipv4/addresses/address[ip=*]/config/prefix-length", kUint8},
	{"/interfaces/interface[name=*]/subinterfaces/subinterface[index=*]/ipv6/addresses/address[ip=*]/config/prefix-length", kUint8},
	{bgpPrefix + "/neighbors/neighbor[neighbor-address=*]/config/peer-as", kUint32},
	{bgpPrefix + "/neighbors/neighbor[neighbor-address=*]/config/description", kString},
	{bgpPrefix + "/neighbors/neighbor[neighbor-address=*]/config/enabled", kBool},
}

const (
	subinterfaceList = "/interfaces/interface[name=*]/subinterfaces/subinterface[index=*]"
	addressList      = subinterfaceList + "/ipv4/addresses/address[ip=*]"
	address6List     = subinterfaceList + "/ipv6/addresses/address[ip=*]"
	neighborList     = bgpPrefix + "/neighbors/neighbor[neighbor-address=*]"
)

// WritablePaths are the leaves a Set may change, "*" standing for a key.
// The server does not read this slice: changing it changes nothing.
var WritablePaths = func() []string {
	out := make([]string, len(writable))
	for i, w := range writable {
		out[i] = w.path
	}
	return out
}()

// CreatableLists are the list entries a Set may create (by setting a leaf
// under them) and delete whole. The server does not read this slice.
var CreatableLists = []string{subinterfaceList, addressList, address6List, neighborList}

// schema is the compiled writable subset, built once per Server.
type schema struct {
	leaves []leafSchema
	lists  []listSchema
	// listKeys names the keys of each list, to read list entries out of
	// JSON arrays.
	listKeys map[string][]string
}

func newSchema() *schema {
	s := &schema{listKeys: map[string][]string{
		"interface":        {"name"},
		"subinterface":     {"index"},
		"address":          {"ip"},
		"network-instance": {"name"},
		"protocol":         {"identifier", "name"},
		"neighbor":         {"neighbor-address"},
	}}
	for _, w := range writable {
		ls := leafSchema{pattern: MustParsePath(w.path), kind: w.kind}
		if w.kind == kUint8 {
			ls.max = 32 // IPv4 prefix length
			if hasElem(ls.pattern, "ipv6") {
				ls.max = 128
			}
		}
		s.leaves = append(s.leaves, ls)
	}
	s.lists = []listSchema{
		{pattern: MustParsePath("/interfaces/interface[name=*]"), keyCheck: nonEmpty("name")},
		{pattern: MustParsePath(subinterfaceList), creatable: true, keyCheck: uintKey("index")},
		{pattern: MustParsePath(addressList), creatable: true, keyCheck: ipv4Key("ip")},
		{pattern: MustParsePath(address6List), creatable: true, keyCheck: ipv6Key("ip")},
		{pattern: MustParsePath("/network-instances/network-instance[name=default]")},
		{pattern: MustParsePath("/network-instances/network-instance[name=default]/protocols/protocol[identifier=BGP][name=BGP]")},
		{pattern: MustParsePath(neighborList), creatable: true, keyCheck: ipKey("neighbor-address")},
	}
	return s
}

// leaf returns the schema of the writable leaf at concrete path p.
func (s *schema) leaf(p Path) (leafSchema, bool) {
	for _, l := range s.leaves {
		if l.pattern.MatchExact(p) {
			return l, true
		}
	}
	return leafSchema{}, false
}

// list returns the schema of the list entry at concrete path p.
func (s *schema) list(p Path) (listSchema, bool) {
	for _, l := range s.lists {
		if l.pattern.MatchExact(p) {
			return l, true
		}
	}
	return listSchema{}, false
}

// covers reports whether some writable leaf lies at or below p, so that a
// delete or replace of p means something.
func (s *schema) covers(p Path) bool {
	for _, l := range s.leaves {
		if prefixOfPattern(p, l.pattern) {
			return true
		}
	}
	return false
}

// concrete checks that p names one node: no wildcards, and every list
// element carries exactly its keys.
func (s *schema) concrete(p Path) error {
	if p.HasWildcard() {
		return fmt.Errorf("path %s: wildcards are not allowed here: %w", p, ErrBadPath)
	}
	for _, e := range p {
		want, isList := s.listKeys[e.Name]
		if !isList {
			continue // not writable anyway; the caller says so
		}
		if len(e.Keys) != len(want) {
			return fmt.Errorf("path %s: list %s needs keys %v: %w", p, e.Name, want, ErrBadPath)
		}
		for _, k := range want {
			if _, ok := e.Keys[k]; !ok {
				return fmt.Errorf("path %s: list %s needs key %s: %w", p, e.Name, k, ErrBadPath)
			}
		}
	}
	return nil
}

// prefixOfPattern reports whether concrete p is an instance of the first
// len(p) elements of pattern.
func prefixOfPattern(p, pattern Path) bool {
	if len(p) > len(pattern) {
		return false
	}
	return pattern[:len(p)].MatchExact(p)
}

// keyEcho reports whether p is a leaf repeating a list key, either at
// entry level (neighbor[neighbor-address=X]/neighbor-address) or in its
// config container (.../config/neighbor-address), and returns the key
// value it must equal.
func (s *schema) keyEcho(p Path) (string, bool) {
	n := len(p)
	if n < 2 {
		return "", false
	}
	leaf := p[n-1]
	if len(leaf.Keys) > 0 {
		return "", false
	}
	entry := p[n-2]
	if entry.Name == "config" && n >= 3 {
		entry = p[n-3]
	}
	v, ok := entry.Keys[leaf.Name]
	if !ok {
		return "", false
	}
	if _, known := s.listKeys[entry.Name]; !known {
		return "", false
	}
	return v, true
}

// decode converts a JSON or typed scalar to the Go type of l, checking its
// range.
func (l leafSchema) decode(v any) (any, error) {
	switch l.kind {
	case kString:
		s, ok := v.(string)
		if !ok {
			return nil, fmt.Errorf("want a string, got %T", v)
		}
		if len(s) > 1024 {
			return nil, fmt.Errorf("string of %d bytes is too long (max 1024)", len(s))
		}
		return s, nil
	case kBool:
		b, ok := v.(bool)
		if !ok {
			return nil, fmt.Errorf("want a boolean, got %T", v)
		}
		return b, nil
	}
	var n uint64
	switch x := v.(type) {
	case uint64:
		n = x
	case uint32:
		n = uint64(x)
	case uint16:
		n = uint64(x)
	case uint8:
		n = uint64(x)
	case int64:
		if x < 0 {
			return nil, fmt.Errorf("%d is negative", x)
		}
		n = uint64(x)
	case numberString:
		u, err := strconv.ParseUint(string(x), 10, 64)
		if err != nil {
			return nil, fmt.Errorf("want an unsigned integer, got %s", x)
		}
		n = u
	case string: // RFC 7951 quotes 64-bit integers; accept any quoted one
		u, err := strconv.ParseUint(x, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("want an unsigned integer, got %q", x)
		}
		n = u
	default:
		return nil, fmt.Errorf("want an unsigned integer, got %T", v)
	}
	limit := map[kind]uint64{kUint8: 255, kUint16: 65535, kUint32: 1<<32 - 1}[l.kind]
	if l.max > 0 {
		limit = l.max
	}
	if n > limit {
		return nil, fmt.Errorf("%d is out of range (max %d)", n, limit)
	}
	switch l.kind {
	case kUint8:
		return uint8(n), nil
	case kUint16:
		return uint16(n), nil
	default:
		return uint32(n), nil
	}
}

// numberString is a JSON number, or a quoted one (RFC 7951 quotes 64-bit
// integers), kept as text until the schema says what it is.
type numberString string

func nonEmpty(key string) func(map[string]string) error {
	return func(k map[string]string) error {
		if k[key] == "" {
			return fmt.Errorf("empty %s", key)
		}
		return nil
	}
}

func uintKey(key string) func(map[string]string) error {
	return func(k map[string]string) error {
		if _, err := strconv.ParseUint(k[key], 10, 32); err != nil {
			return fmt.Errorf("%s %q is not a uint32", key, k[key])
		}
		return nil
	}
}

func ipv4Key(key string) func(map[string]string) error {
	return func(k map[string]string) error {
		a, err := netip.ParseAddr(k[key])
		if err != nil || !a.Is4() || a.String() != k[key] {
			return fmt.Errorf("%s %q is not an IPv4 address", key, k[key])
		}
		return nil
	}
}

func ipv6Key(key string) func(map[string]string) error {
	return func(k map[string]string) error {
		a, err := netip.ParseAddr(k[key])
		if err != nil || !a.Is6() || a.Is4In6() || a.Zone() != "" || a.String() != k[key] {
			return fmt.Errorf("%s %q is not an IPv6 address in canonical form (RFC 5952)", key, k[key])
		}
		return nil
	}
}

func hasElem(p Path, name string) bool {
	for _, e := range p {
		if e.Name == name {
			return true
		}
	}
	return false
}

func ipKey(key string) func(map[string]string) error {
	return func(k map[string]string) error {
		a, err := netip.ParseAddr(k[key])
		if err != nil || a.Zone() != "" || a.String() != k[key] {
			return fmt.Errorf("%s %q is not an IP address in canonical form", key, k[key])
		}
		return nil
	}
}

// check validates a Change against the writable schema, as a backend
// receiving it may, and returns its parsed path.
func (s *schema) check(c Change) (Path, error) {
	p, err := ParsePath(c.Path)
	if err != nil {
		return nil, err
	}
	switch c.Op {
	case OpSet:
		ls, ok := s.leaf(p)
		if !ok {
			return nil, fmt.Errorf("set %s: not a writable leaf", c.Path)
		}
		if v, err := ls.decode(c.Value); err != nil || fmt.Sprintf("%T", v) != fmt.Sprintf("%T", c.Value) {
			return nil, fmt.Errorf("set %s: value %v (%T) is not a %s", c.Path, c.Value, c.Value, ls.kind)
		}
	case OpDelete:
		_, leaf := s.leaf(p)
		ls, list := s.list(p)
		if !leaf && !(list && ls.creatable) {
			return nil, fmt.Errorf("delete %s: not a writable leaf or creatable entry", c.Path)
		}
	default:
		return nil, fmt.Errorf("change %s: unknown op %v", c.Path, c.Op)
	}
	return p, nil
}
