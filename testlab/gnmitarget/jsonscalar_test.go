package gnmitarget

import (
	"bytes"
	"encoding/json"
	"math"
	"math/rand/v2"
	"testing"
)

// TestAppendJSONScalarMatches checks the fast JSON encoder writes exactly
// what json.Marshal(jsonScalar(v)) does, for both encodings, on edge
// values and on random ones of every type, and fails where jsonScalar
// fails.
func TestAppendJSONScalarMatches(t *testing.T) {
	values := []any{
		"", "UP", "eth1", "a\"b", `back\slash`, "<script>", "R&D", "tab\there", "\x00", "é", "\u2028", "\xff bad utf-8", "~",
		true, false,
		int8(math.MinInt8), int8(math.MaxInt8), int16(-300), int32(math.MinInt32), uint8(255), uint16(9216), uint32(math.MaxUint32),
		0, -1, math.MaxInt64, int64(math.MinInt64), uint(0), uint64(math.MaxUint64),
		0.0, math.Copysign(0, -1), -7.25, 1e-7, -1e-7, 1e-6, 1e20, 1e21, 123456789.125, math.SmallestNonzeroFloat64, math.MaxFloat64,
		float32(1.5), float32(-40.1), float32(1e-7),
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 2000 {
		values = append(values, r.Uint64(), int64(r.Uint64()), uint32(r.Uint32()), r.NormFloat64()*30, math.Float64frombits(r.Uint64()), float32(r.NormFloat64()))
		s := make([]byte, r.IntN(12))
		for i := range s {
			s[i] = byte(r.IntN(256))
		}
		values = append(values, string(s))
	}
	for _, ietf := range []bool{false, true} {
		for _, v := range values {
			want, werr := func() ([]byte, error) {
				j, err := jsonScalar(v, ietf)
				if err != nil {
					return nil, err
				}
				return json.Marshal(j)
			}()
			got, gerr := appendJSONScalar([]byte("prefix"), v, ietf)
			if (werr != nil) != (gerr != nil) {
				t.Errorf("%T %#v ietf=%v: error %v, want %v", v, v, ietf, gerr, werr)
				continue
			}
			if werr == nil && !bytes.Equal(got, append([]byte("prefix"), want...)) {
				t.Errorf("%T %#v ietf=%v: wrote %q, want %q", v, v, ietf, got, want)
			}
		}
	}
	for _, v := range []any{struct{}{}, []int{1}, nil} {
		if _, err := appendJSONScalar(nil, v, true); err == nil {
			t.Errorf("%T was encoded", v)
		}
	}
}
