package gnmitarget

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"

	gpb "github.com/openconfig/gnmi/proto/gnmi"
)

// ErrBadValue reports a Set value that cannot be read or does not fit the
// leaf it is for.
var ErrBadValue = errors.New("bad value")

// checkEncoding refuses the encodings this target does not produce.
func checkEncoding(e gpb.Encoding) error {
	switch e {
	case gpb.Encoding_JSON, gpb.Encoding_JSON_IETF, gpb.Encoding_PROTO:
		return nil
	}
	return fmt.Errorf("encoding %s is not supported (JSON, JSON_IETF, PROTO are)", e)
}

// jsonScalar turns a leaf value into what encoding/json should write. ietf
// follows RFC 7951: 64-bit integers and decimal64 are quoted.
func jsonScalar(v any, ietf bool) (any, error) {
	switch x := v.(type) {
	case string, bool, int8, int16, int32, uint8, uint16, uint32:
		return x, nil
	case int:
		return jsonScalar(int64(x), ietf)
	case uint:
		return jsonScalar(uint64(x), ietf)
	case int64:
		if ietf {
			return strconv.FormatInt(x, 10), nil
		}
		return x, nil
	case uint64:
		if ietf {
			return strconv.FormatUint(x, 10), nil
		}
		return x, nil
	case float32:
		return jsonScalar(float64(x), ietf)
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return nil, fmt.Errorf("value %v cannot be encoded", x)
		}
		if ietf {
			return strconv.FormatFloat(x, 'f', -1, 64), nil
		}
		return x, nil
	}
	return nil, fmt.Errorf("leaf value of type %T is not supported", v)
}

// typedValue encodes a leaf value, or for JSON encodings also a tree built
// by buildTree, as a gNMI TypedValue.
func typedValue(v any, enc gpb.Encoding) (*gpb.TypedValue, error) {
	switch enc {
	case gpb.Encoding_JSON, gpb.Encoding_JSON_IETF:
		ietf := enc == gpb.Encoding_JSON_IETF
		j := v
		if _, tree := v.(map[string]any); !tree {
			var err error
			if j, err = jsonScalar(v, ietf); err != nil {
				return nil, err
			}
		}
		b, err := json.Marshal(j)
		if err != nil {
			return nil, err
		}
		if ietf {
			return &gpb.TypedValue{Value: &gpb.TypedValue_JsonIetfVal{JsonIetfVal: b}}, nil
		}
		return &gpb.TypedValue{Value: &gpb.TypedValue_JsonVal{JsonVal: b}}, nil
	case gpb.Encoding_PROTO:
		return protoScalar(v)
	}
	return nil, checkEncoding(enc)
}

func protoScalar(v any) (*gpb.TypedValue, error) {
	switch x := v.(type) {
	case string:
		return &gpb.TypedValue{Value: &gpb.TypedValue_StringVal{StringVal: x}}, nil
	case bool:
		return &gpb.TypedValue{Value: &gpb.TypedValue_BoolVal{BoolVal: x}}, nil
	case int8:
		return intVal(int64(x)), nil
	case int16:
		return intVal(int64(x)), nil
	case int32:
		return intVal(int64(x)), nil
	case int64:
		return intVal(x), nil
	case int:
		return intVal(int64(x)), nil
	case uint8:
		return uintVal(uint64(x)), nil
	case uint16:
		return uintVal(uint64(x)), nil
	case uint32:
		return uintVal(uint64(x)), nil
	case uint64:
		return uintVal(x), nil
	case uint:
		return uintVal(uint64(x)), nil
	case float32:
		return &gpb.TypedValue{Value: &gpb.TypedValue_DoubleVal{DoubleVal: float64(x)}}, nil
	case float64:
		return &gpb.TypedValue{Value: &gpb.TypedValue_DoubleVal{DoubleVal: x}}, nil
	}
	return nil, fmt.Errorf("leaf value of type %T is not supported", v)
}

func intVal(n int64) *gpb.TypedValue {
	return &gpb.TypedValue{Value: &gpb.TypedValue_IntVal{IntVal: n}}
}

func uintVal(n uint64) *gpb.TypedValue {
	return &gpb.TypedValue{Value: &gpb.TypedValue_UintVal{UintVal: n}}
}

// flatLeaf is one scalar of a Set value at its full path. v is string,
// bool, int64, uint64 or numberString, to be checked by the schema.
type flatLeaf struct {
	path Path
	v    any
}

// flatten reads a Set value given at base into scalar leaves. JSON and
// JSON_IETF objects are walked (module prefixes dropped, list entries read
// from arrays by their keys); typed scalars stand for the leaf at base.
func (s *schema) flatten(base Path, tv *gpb.TypedValue) ([]flatLeaf, error) {
	var raw []byte
	switch v := tv.GetValue().(type) {
	case *gpb.TypedValue_JsonIetfVal:
		raw = v.JsonIetfVal
	case *gpb.TypedValue_JsonVal:
		raw = v.JsonVal
	case *gpb.TypedValue_StringVal:
		return []flatLeaf{{base, v.StringVal}}, nil
	case *gpb.TypedValue_AsciiVal:
		return []flatLeaf{{base, v.AsciiVal}}, nil
	case *gpb.TypedValue_BoolVal:
		return []flatLeaf{{base, v.BoolVal}}, nil
	case *gpb.TypedValue_UintVal:
		return []flatLeaf{{base, v.UintVal}}, nil
	case *gpb.TypedValue_IntVal:
		return []flatLeaf{{base, v.IntVal}}, nil
	case nil:
		return nil, fmt.Errorf("path %s: no value: %w", base, ErrBadValue)
	default:
		return nil, fmt.Errorf("path %s: value type %T is not supported: %w", base, v, ErrBadValue)
	}
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	var j any
	if err := d.Decode(&j); err != nil {
		return nil, fmt.Errorf("path %s: %v: %w", base, err, ErrBadValue)
	}
	if d.More() {
		return nil, fmt.Errorf("path %s: trailing data after JSON value: %w", base, ErrBadValue)
	}
	var out []flatLeaf
	if arr, ok := j.([]any); ok && len(base) > 0 && len(base[len(base)-1].Keys) == 0 {
		// An array given at a list's own path: its entries.
		err := s.walkList(base[:len(base)-1], base[len(base)-1].Name, arr, &out, 0)
		return out, err
	}
	err := s.walk(base, j, &out, 0)
	return out, err
}

const maxDepth = 32

func (s *schema) walk(p Path, j any, out *[]flatLeaf, depth int) error {
	if depth > maxDepth {
		return fmt.Errorf("path %s: value nested too deep: %w", p, ErrBadValue)
	}
	switch x := j.(type) {
	case map[string]any:
		names := make([]string, 0, len(x))
		for k := range x {
			names = append(names, k)
		}
		sort.Strings(names)
		for _, k := range names {
			name := stripModule(k)
			if name == "" {
				return fmt.Errorf("path %s: empty member name: %w", p, ErrBadValue)
			}
			if arr, ok := x[k].([]any); ok {
				if err := s.walkList(p, name, arr, out, depth+1); err != nil {
					return err
				}
				continue
			}
			if err := s.walk(p.join(Path{{Name: name}}), x[k], out, depth+1); err != nil {
				return err
			}
		}
		return nil
	case []any:
		return fmt.Errorf("path %s: unexpected array: %w", p, ErrBadValue)
	case json.Number:
		*out = append(*out, flatLeaf{p, numberString(x)})
		return nil
	case string, bool:
		*out = append(*out, flatLeaf{p, x})
		return nil
	case nil:
		return fmt.Errorf("path %s: null is not a value here: %w", p, ErrBadValue)
	}
	return fmt.Errorf("path %s: unexpected JSON %T: %w", p, j, ErrBadValue)
}

func (s *schema) walkList(p Path, name string, arr []any, out *[]flatLeaf, depth int) error {
	keys, ok := s.listKeys[name]
	if !ok {
		return fmt.Errorf("path %s: %s is not a list this target writes: %w", p, name, ErrBadValue)
	}
	for i, e := range arr {
		obj, ok := e.(map[string]any)
		if !ok {
			return fmt.Errorf("path %s: %s entry %d is not an object: %w", p, name, i, ErrBadValue)
		}
		el := Elem{Name: name, Keys: map[string]string{}}
		for _, k := range keys {
			v, ok := memberAny(obj, k)
			if !ok {
				return fmt.Errorf("path %s: %s entry %d has no key %s: %w", p, name, i, k, ErrBadValue)
			}
			switch kv := v.(type) {
			case string:
				el.Keys[k] = normalizeKey(k, kv)
			case json.Number:
				el.Keys[k] = kv.String()
			default:
				return fmt.Errorf("path %s: %s entry %d: key %s is a %T: %w", p, name, i, k, v, ErrBadValue)
			}
		}
		if err := s.walk(p.join(Path{el}), obj, out, depth+1); err != nil {
			return err
		}
	}
	return nil
}

// memberAny finds a JSON member by name with or without a module prefix.
func memberAny(obj map[string]any, name string) (any, bool) {
	if v, ok := obj[name]; ok {
		return v, true
	}
	for k, v := range obj {
		if stripModule(k) == name {
			return v, true
		}
	}
	return nil, false
}
