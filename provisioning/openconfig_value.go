package provisioning

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
)

// identityModules are the YANG modules whose identities appear as values
// or keys in the OpenConfig subtrees tuyau renders and reads: RFC 7951
// writes an identityref as "module:IDENTITY". Only these prefixes are taken
// off when comparing, so that "to r2: eth1", "note:ALL" or 2001:db8::1
// keep every character.
var identityModules = map[string]bool{
	"openconfig-policy-types":           true, // protocol identifier BGP, OSPF, STATIC
	"openconfig-bgp-types":              true, // afi-safi-name, community types
	"openconfig-ospf-types":             true, // network-type
	"openconfig-local-routing":          true, // next-hop DROP, LOCAL_LINK
	"openconfig-network-instance-types": true, // network-instance type DEFAULT_INSTANCE
	"openconfig-routing-policy":         true, // policy-result, match-set-options
	"openconfig-types":                  true, // ADDRESS_FAMILY, IPV4, IPV6
	"openconfig-if-types":               true, // aggregation type
	"openconfig-interfaces":             true,
	"openconfig-if-ip":                  true,
	"openconfig-bgp":                    true,
	"openconfig-bgp-policy":             true,
	"openconfig-network-instance":       true,
	"openconfig-system":                 true,
	"openconfig-system-logging":         true, // syslog facility and severity
	"openconfig-aaa-types":              true,
	"openconfig-platform-types":         true,
	"openconfig-transport-types":        true,
	"openconfig-vlan-types":             true,
	"openconfig-isis-types":             true,
	"openconfig-mpls-types":             true,
	"openconfig-aft-types":              true,
	"iana-if-type":                      true, // interface type ethernetCsmacd
	"ietf-interfaces":                   true,
}

// identity splits an RFC 7951 identityref value of a known module into its
// identity name; ok is false for anything else.
func identity(s string) (name string, ok bool) {
	mod, name, found := strings.Cut(s, ":")
	if !found || !identityModules[mod] || !yangIdentifier(name) {
		return "", false
	}
	return name, true
}

// yangIdentifier reports whether s is a YANG identifier (RFC 7950 6.2).
func yangIdentifier(s string) bool {
	if s == "" {
		return false
	}
	for i, c := range s {
		switch {
		case c == '_', 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z':
		case i > 0 && (c == '-' || c == '.' || '0' <= c && c <= '9'):
		default:
			return false
		}
	}
	return true
}

// keyIdentity is a list key value as it goes in a path: identityrefs of a
// known module lose the prefix, every other value is kept whole.
func keyIdentity(v string) string {
	if name, ok := identity(v); ok {
		return name
	}
	return v
}

// stripModuleName drops the module of an RFC 7951 member name or path
// element name ("openconfig-interfaces:interfaces"). Names cannot hold a
// colon otherwise, unlike values.
func stripModuleName(s string) string {
	if i := strings.LastIndexByte(s, ':'); i >= 0 {
		return s[i+1:]
	}
	return s
}

// encodeJSON writes v as compact JSON without HTML escapes, so that
// "<", ">" and "&" in a description read as themselves in a plan.
func encodeJSON(v any) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return "null" // unreachable for decoded JSON values
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// sameValue reports whether two leaf values (JSON text) mean the same to
// the device: numbers whatever their JSON spelling (RFC 7951 quotes 64-bit
// integers; some targets quote all), and identities with or without their
// module. Strings are otherwise compared byte for byte.
func sameValue(a, b string) bool {
	if a == b {
		return true
	}
	ca, oka := canonical(a)
	cb, okb := canonical(b)
	return oka && okb && ca == cb
}

// canonical is a comparison key for a JSON leaf value.
func canonical(raw string) (string, bool) {
	dec := json.NewDecoder(strings.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return "", false
	}
	var b strings.Builder
	writeCanonical(&b, v)
	return b.String(), true
}

func writeCanonical(b *strings.Builder, v any) {
	switch t := v.(type) {
	case json.Number:
		b.WriteString("n:" + canonicalNumber(t.String()))
	case string:
		switch n, isNum := integerString(t); {
		case isNum:
			b.WriteString("n:" + n)
		default:
			if name, ok := identity(t); ok {
				t = name
			}
			b.WriteString("s:" + strconv.Quote(t))
		}
	case []any:
		b.WriteString("[")
		for _, e := range t {
			writeCanonical(b, e)
			b.WriteString(",")
		}
		b.WriteString("]")
	default:
		b.WriteString(encodeJSON(t))
	}
}

// integerString reports whether s is an integer in canonical decimal form
// (no sign but "-", no leading zero), as RFC 7951 writes 64-bit integers.
// "0012" is text, not 12.
func integerString(s string) (string, bool) {
	if u, err := strconv.ParseUint(s, 10, 64); err == nil && strconv.FormatUint(u, 10) == s {
		return s, true
	}
	if i, err := strconv.ParseInt(s, 10, 64); err == nil && strconv.FormatInt(i, 10) == s {
		return s, true
	}
	return "", false
}

func canonicalNumber(s string) string {
	if n, ok := integerString(s); ok {
		return n
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		return strconv.FormatFloat(f, 'g', -1, 64)
	}
	return s
}
