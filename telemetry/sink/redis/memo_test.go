package redis

import (
	"encoding/json"
	"math"
	"strconv"
	"testing"
)

// TestFloatMemo: through a memo, hit, stale or refused, a float writes
// what strconv ('g') and encoding/json write without one.
func TestFloatMemo(t *testing.T) {
	seq := []float64{-7.31, -7.31, 1.25e9 + 0.37, 1.25e9 + 0.37, 0, math.Copysign(0, -1), 0,
		-1.2345678901234567e-300, -1.2345678901234567e-300, 1e-7, 1e21, 12345678.125, 12345678.125, -7.31}
	var g, f fmemo
	for i, v := range seq {
		var o op
		if got, want := o.ftoaMemo(v, &g), strconv.FormatFloat(v, 'g', -1, 64); got != want {
			t.Errorf("%d: ftoaMemo(%v) = %q, want %q", i, v, got, want)
		}
		j := jsonBuf{b: []byte{'{'}}
		j.floatMemo("v", v, &f)
		want, err := json.Marshal(map[string]float64{"v": v})
		if err != nil {
			t.Fatal(err)
		}
		if got := string(append(j.b, '}')); got != string(want) {
			t.Errorf("%d: floatMemo(%v) = %s, want %s", i, v, got, want)
		}
	}
	// NaN is refused by encoding/json: marked bad, never memoized.
	j := jsonBuf{b: []byte{'{'}}
	j.floatMemo("v", math.NaN(), &f)
	if !j.bad || f.get(math.NaN()) != nil {
		t.Errorf("NaN: bad %v, memo %q; want bad and no memo", j.bad, f.get(math.NaN()))
	}
}
