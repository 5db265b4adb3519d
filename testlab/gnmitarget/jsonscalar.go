package gnmitarget

import (
	"encoding/json"
	"math"
	"strconv"
)

// appendJSONScalar appends what json.Marshal(jsonScalar(v, ietf)) writes,
// without its reflection and allocations: a JSON_IETF stream encodes every
// leaf of every sample so, and json.Marshal with the boxing and the
// quoted string it needed was most of a load lab's encoding and much of
// its garbage. What the fast paths do not cover exactly (strings that need
// escaping, floats JSON writes with an exponent) goes through json.Marshal,
// so the bytes are always the same (TestAppendJSONScalarMatches).
func appendJSONScalar(b []byte, v any, ietf bool) ([]byte, error) {
	switch x := v.(type) {
	case string:
		if !plainJSON(x) {
			return marshalAppend(b, x)
		}
		b = append(b, '"')
		b = append(b, x...)
		return append(b, '"'), nil
	case bool:
		return strconv.AppendBool(b, x), nil
	case int8:
		return strconv.AppendInt(b, int64(x), 10), nil
	case int16:
		return strconv.AppendInt(b, int64(x), 10), nil
	case int32:
		return strconv.AppendInt(b, int64(x), 10), nil
	case uint8:
		return strconv.AppendUint(b, uint64(x), 10), nil
	case uint16:
		return strconv.AppendUint(b, uint64(x), 10), nil
	case uint32:
		return strconv.AppendUint(b, uint64(x), 10), nil
	case int:
		return appendJSONInt(b, int64(x), ietf), nil
	case int64:
		return appendJSONInt(b, x, ietf), nil
	case uint:
		return appendJSONUint(b, uint64(x), ietf), nil
	case uint64:
		return appendJSONUint(b, x, ietf), nil
	case float32:
		return appendJSONFloat(b, float64(x), ietf)
	case float64:
		return appendJSONFloat(b, x, ietf)
	}
	j, err := jsonScalar(v, ietf) // the error it gives for other types
	if err != nil {
		return nil, err
	}
	return marshalAppend(b, j)
}

func appendJSONInt(b []byte, x int64, ietf bool) []byte {
	if !ietf {
		return strconv.AppendInt(b, x, 10)
	}
	b = append(b, '"')
	return append(strconv.AppendInt(b, x, 10), '"')
}

func appendJSONUint(b []byte, x uint64, ietf bool) []byte {
	if !ietf {
		return strconv.AppendUint(b, x, 10)
	}
	b = append(b, '"')
	return append(strconv.AppendUint(b, x, 10), '"')
}

func appendJSONFloat(b []byte, x float64, ietf bool) ([]byte, error) {
	if ietf {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return jsonScalarErr(b, x)
		}
		// RFC 7951 decimal64: a string of the 'f' form, nothing to escape.
		b = append(b, '"')
		return append(strconv.AppendFloat(b, x, 'f', -1, 64), '"'), nil
	}
	if a := math.Abs(x); math.IsNaN(x) || math.IsInf(x, 0) || (a != 0 && (a < 1e-6 || a >= 1e21)) {
		// encoding/json writes these with an exponent, in its own form.
		return jsonScalarErr(b, x)
	}
	return strconv.AppendFloat(b, x, 'f', -1, 64), nil
}

// jsonScalarErr is the slow path of a float: jsonScalar's error for what
// cannot be encoded, json.Marshal's bytes otherwise.
func jsonScalarErr(b []byte, x float64) ([]byte, error) {
	j, err := jsonScalar(x, false)
	if err != nil {
		return nil, err
	}
	return marshalAppend(b, j)
}

func marshalAppend(b []byte, v any) ([]byte, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return append(b, raw...), nil
}

// plainJSON reports whether s can be written between quotes as it is:
// printable ASCII that encoding/json neither escapes nor, by default,
// makes HTML-safe.
func plainJSON(s string) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c < 0x20 || c > 0x7e, c == '"', c == '\\', c == '<', c == '>', c == '&':
			return false
		}
	}
	return true
}
