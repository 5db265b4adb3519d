package telemetry

import (
	"bytes"
	"encoding/json"
	"math"
	"strconv"
	"time"

	"github.com/openconfig/gnmi/proto/gnmi"
)

type valueKind uint8

const (
	kindNone valueKind = iota
	kindUint
	kindInt
	kindFloat
	kindString
	kindBool
)

// scalar is a leaf value as read from a TypedValue.
type scalar struct {
	kind valueKind
	u    uint64
	i    int64
	f    float64
	s    string
}

// uint reads a counter: unsigned, a non-negative integer, or a string of
// digits (RFC 7951 writes 64-bit integers as strings).
func (v scalar) uint() (uint64, bool) {
	switch v.kind {
	case kindUint:
		return v.u, true
	case kindInt:
		return uint64(v.i), v.i >= 0
	case kindString:
		n, err := strconv.ParseUint(v.s, 10, 64)
		return n, err == nil
	case kindFloat:
		if v.f >= 0 && v.f < math.MaxUint64 && v.f == math.Trunc(v.f) {
			return uint64(v.f), true
		}
	}
	return 0, false
}

// float reads a power in dBm: decimal64, double, an integer, or a string
// (RFC 7951 writes decimal64 as a string).
func (v scalar) float() (float64, bool) {
	switch v.kind {
	case kindFloat:
		return v.f, !math.IsNaN(v.f) && !math.IsInf(v.f, 0)
	case kindUint:
		return float64(v.u), true
	case kindInt:
		return float64(v.i), true
	case kindString:
		f, err := strconv.ParseFloat(v.s, 64)
		return f, err == nil && !math.IsNaN(f) && !math.IsInf(f, 0)
	}
	return 0, false
}

// scalarOf reads a TypedValue that holds one leaf.
func scalarOf(tv *gnmi.TypedValue) scalar {
	switch x := tv.GetValue().(type) {
	case *gnmi.TypedValue_UintVal:
		return scalar{kind: kindUint, u: x.UintVal}
	case *gnmi.TypedValue_IntVal:
		return scalar{kind: kindInt, i: x.IntVal}
	case *gnmi.TypedValue_StringVal:
		return scalar{kind: kindString, s: x.StringVal}
	case *gnmi.TypedValue_AsciiVal:
		return scalar{kind: kindString, s: x.AsciiVal}
	case *gnmi.TypedValue_DoubleVal:
		return scalar{kind: kindFloat, f: x.DoubleVal}
	case *gnmi.TypedValue_FloatVal: //nolint:staticcheck // deprecated, still sent
		return scalar{kind: kindFloat, f: float64(x.FloatVal)}
	case *gnmi.TypedValue_DecimalVal: //nolint:staticcheck // deprecated, still sent
		return scalar{kind: kindFloat, f: decimal(x.DecimalVal.GetDigits(), x.DecimalVal.GetPrecision())}
	case *gnmi.TypedValue_BoolVal:
		return scalar{kind: kindBool}
	case *gnmi.TypedValue_JsonIetfVal:
		return jsonScalar(x.JsonIetfVal)
	case *gnmi.TypedValue_JsonVal:
		return jsonScalar(x.JsonVal)
	}
	return scalar{}
}

func decimal(digits int64, precision uint32) float64 {
	if precision > 18 {
		return float64(digits) / math.Pow(10, float64(precision))
	}
	return float64(digits) / pow10[precision]
}

var pow10 = [...]float64{1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18}

func jsonBytes(tv *gnmi.TypedValue) []byte {
	switch x := tv.GetValue().(type) {
	case *gnmi.TypedValue_JsonIetfVal:
		return x.JsonIetfVal
	case *gnmi.TypedValue_JsonVal:
		return x.JsonVal
	}
	return nil
}

func isObject(b []byte) bool {
	b = bytes.TrimLeft(b, " \t\r\n")
	return len(b) > 0 && b[0] == '{'
}

// jsonScalar reads a JSON scalar without encoding/json on the common
// forms: a string without escapes, an unsigned integer.
func jsonScalar(b []byte) scalar { return jsonScalarOf(b, false) }

// jsonScalarOf is jsonScalar; with views, a string without escapes is a
// view of b rather than a copy (the wire decoder's, whose strings are
// copied only when kept: RFC 7951 writes every 64-bit counter as a
// string, and a copy each was most of the decoder's allocations).
func jsonScalarOf(b []byte, views bool) scalar {
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return scalar{}
	}
	switch c := b[0]; {
	case c == '"':
		if len(b) >= 2 && b[len(b)-1] == '"' && bytes.IndexByte(b[1:len(b)-1], '\\') < 0 && bytes.IndexByte(b[1:len(b)-1], '"') < 0 {
			if views {
				return scalar{kind: kindString, s: view(b[1 : len(b)-1])}
			}
			return scalar{kind: kindString, s: string(b[1 : len(b)-1])}
		}
		var s string
		if json.Unmarshal(b, &s) != nil {
			return scalar{}
		}
		return scalar{kind: kindString, s: s}
	case c >= '0' && c <= '9':
		if n, ok := parseUint(b); ok {
			return scalar{kind: kindUint, u: n}
		}
		fallthrough
	case c == '-':
		f, err := strconv.ParseFloat(string(b), 64)
		if err != nil {
			return scalar{}
		}
		if i, err := strconv.ParseInt(string(b), 10, 64); err == nil {
			return scalar{kind: kindInt, i: i}
		}
		return scalar{kind: kindFloat, f: f}
	case c == 't' || c == 'f':
		return scalar{kind: kindBool}
	}
	return scalar{}
}

func parseUint(b []byte) (uint64, bool) {
	if len(b) == 0 || len(b) > 20 {
		return 0, false
	}
	var n uint64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		d := uint64(c - '0')
		if n > (math.MaxUint64-d)/10 {
			return 0, false
		}
		n = n*10 + d
	}
	return n, true
}

// listKeys are the key leaves of the lists the collector reads, to name
// entries of a JSON subtree (RFC 7951 §5.4 carries keys as members).
var listKeys = map[string][]string{
	"interface":        {"name"},
	"component":        {"name"},
	"channel":          {"index"},
	"network-instance": {"name"},
	"protocol":         {"identifier", "name"},
	"neighbor":         {"neighbor-address"},
}

// tree decodes a JSON subtree sent at a container (some targets answer
// /interfaces/interface[name=x]/state/counters with one object): each
// scalar member is classified at its full path. This path allocates; the
// lab and most routers send leaves.
func (d *Decoder) tree(p pathView, j []byte, ts, received time.Time, out []Update) []Update {
	dec := json.NewDecoder(bytes.NewReader(j))
	dec.UseNumber()
	var v any
	if dec.Decode(&v) != nil {
		d.Skipped++
		return out
	}
	base := make([]*gnmi.PathElem, 0, p.len()+8)
	for i := 0; i < p.len(); i++ {
		base = append(base, p.at(i))
	}
	return d.walk(base, v, ts, received, out, 0)
}

func (d *Decoder) walk(at []*gnmi.PathElem, v any, ts, received time.Time, out []Update, depth int) []Update {
	if depth > 32 {
		d.Skipped++
		return out
	}
	switch x := v.(type) {
	case map[string]any:
		for k, m := range x {
			name := local(k)
			if list, ok := m.([]any); ok {
				for _, e := range list {
					entry, ok := e.(map[string]any)
					if !ok {
						d.Skipped++
						continue
					}
					pe := &gnmi.PathElem{Name: name, Key: map[string]string{}}
					for _, kn := range listKeys[name] {
						pe.Key[kn] = jsonText(entry[kn], kn == "identifier")
					}
					out = d.walk(append(at[:len(at):len(at)], pe), entry, ts, received, out, depth+1)
				}
				continue
			}
			out = d.walk(append(at[:len(at):len(at)], &gnmi.PathElem{Name: name}), m, ts, received, out, depth+1)
		}
		return out
	case json.Number:
		return d.leaf(pathView{b: at}, jsonScalar([]byte(x)), ts, received, out)
	case string:
		return d.leaf(pathView{b: at}, scalar{kind: kindString, s: x}, ts, received, out)
	case bool:
		return d.leaf(pathView{b: at}, scalar{kind: kindBool}, ts, received, out)
	}
	d.Skipped++
	return out
}

// jsonText is a key member as a path key value.
// An identityref key (protocol identifier) loses its module; an address
// keeps its colons.
func jsonText(v any, identity bool) string {
	switch x := v.(type) {
	case string:
		if identity {
			return local(x)
		}
		return x
	case json.Number:
		return x.String()
	}
	return ""
}
