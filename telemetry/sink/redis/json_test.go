package redis

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"reflect"
	"strconv"
	"testing"
	"time"

	"github.com/tuyau-net/tuyau/telemetry"
)

// fill sets every field of v (a pointer to a struct) at random, zero
// values included so that omitempty is exercised; a field added to the
// types is filled too, and TestStateJSON then fails until the appenders
// write it.
func fill(r *rand.Rand, v reflect.Value) {
	switch v.Kind() {
	case reflect.Struct:
		if v.Type() == reflect.TypeOf(time.Time{}) {
			switch r.IntN(3) {
			case 0:
				v.Set(reflect.ValueOf(time.Time{}))
			case 1:
				v.Set(reflect.ValueOf(time.Unix(r.Int64N(4e9), r.Int64N(1e9)).UTC()))
			default:
				v.Set(reflect.ValueOf(time.Unix(r.Int64N(4e9), 0).In(time.FixedZone("x", 3600))))
			}
			return
		}
		for i := 0; i < v.NumField(); i++ {
			fill(r, v.Field(i))
		}
	case reflect.String:
		words := []string{"", "eth1", "dc1-r1", "UP", "a", "FO-000047", "duct-saint-lo", "é", `q"uote`, "<b>", "tab\t"}
		v.SetString(words[r.IntN(len(words))])
	case reflect.Bool:
		v.SetBool(r.IntN(2) == 0)
	case reflect.Uint64, reflect.Uint32, reflect.Uint:
		v.SetUint([]uint64{0, 1, r.Uint64(), math.MaxUint64}[r.IntN(4)])
	case reflect.Int64, reflect.Int:
		v.SetInt([]int64{0, 10000, -r.Int64N(1e6), r.Int64()}[r.IntN(4)])
	case reflect.Float64:
		v.SetFloat([]float64{0, -9.53, 1e-7, -3e-9, 1.5e21, 12345678.125, r.Float64() * 1e10, -r.NormFloat64(), 1e20}[r.IntN(9)])
	case reflect.Slice:
		switch r.IntN(3) {
		case 0:
			v.Set(reflect.Zero(v.Type()))
		case 1:
			v.Set(reflect.MakeSlice(v.Type(), 0, 0))
		default:
			s := reflect.MakeSlice(v.Type(), 1+r.IntN(3), 3)
			for i := 0; i < s.Len(); i++ {
				fill(r, s.Index(i))
			}
			v.Set(s)
		}
	default:
		panic("fill: unhandled kind " + v.Kind().String() + " (add it)")
	}
}

// TestStateJSON: the appenders write exactly json.Marshal's bytes, with
// or without the cache of interface fields: a state written again (a
// hit), a changed one under the same name (a stale entry), a link end
// that is an interface written just before.
func TestStateJSON(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var buf []byte
	var fc fieldCache
	for i := 0; i < 3000; i++ {
		var ifc telemetry.InterfaceState
		fill(r, reflect.ValueOf(&ifc).Elem())
		if i%3 == 0 {
			ifc.Device, ifc.Interface = "d", "e" // one name, changing states
		}
		for _, c := range []*fieldCache{nil, &fc, &fc} {
			buf = interfaceJSON(buf, c, &ifc)
			if want := mustJSON(ifc); string(buf) != want {
				t.Fatalf("interface %d (cache %v):\n got %s\nwant %s", i, c != nil, buf, want)
			}
		}
		var l telemetry.LinkState
		fill(r, reflect.ValueOf(&l).Elem())
		if i%2 == 0 {
			l.A.Device, l.A.Interface, l.A.InterfaceState = ifc.Device, ifc.Interface, ifc
		}
		for _, c := range []*fieldCache{nil, &fc, &fc} {
			buf = linkJSON(buf, c, &l)
			if want := mustJSON(docOf(&l)); string(buf) != want {
				t.Fatalf("link %d (cache %v):\n got %s\nwant %s", i, c != nil, buf, want)
			}
		}
	}
	// What encoding/json refuses comes out as mustJSON's error object,
	// and is not cached.
	l := telemetry.LinkState{ID: "x", Utilization: math.NaN()}
	if got, want := string(linkJSON(nil, nil, &l)), mustJSON(docOf(&l)); got != want {
		t.Errorf("NaN: got %s, want %s", got, want)
	}
	ifc := telemetry.InterfaceState{Device: "d", Interface: "nan", InBps: math.NaN()}
	for range 2 {
		if got, want := string(interfaceJSON(nil, &fc, &ifc)), mustJSON(ifc); got != want {
			t.Errorf("NaN interface: got %s, want %s", got, want)
		}
	}
	// 0 and -0 are one value to ==, two to encoding/json.
	ifc = telemetry.InterfaceState{Device: "d", Interface: "zero"}
	_ = interfaceJSON(nil, &fc, &ifc)
	ifc.InBps = math.Copysign(0, -1)
	if got, want := string(interfaceJSON(nil, &fc, &ifc)), mustJSON(ifc); got != want {
		t.Errorf("-0 after 0: got %s, want %s", got, want)
	}
}

func benchLink() telemetry.LinkState {
	at := time.Unix(1_780_000_000, 123_456_789).UTC()
	end := func(dev string) telemetry.LinkEnd {
		return telemetry.LinkEnd{Device: dev, Interface: "eth12", Site: "pop-0012", InterfaceState: telemetry.InterfaceState{
			Device: dev, Interface: "eth12", Oper: "UP", InOctets: 123456789012, OutOctets: 98765432109, InPkts: 1234567, OutPkts: 7654321,
			HasCounters: true, InBps: 1.25e9, OutBps: 2.5e8, RxDBm: -7.31, TxDBm: -2.1, HasOptics: true, Updated: at, Rated: true, RxSamples: 42}}
	}
	return telemetry.LinkState{ID: "AC-pop-0012-r1-eth12", Oper: "up", A: end("pop-0012-r1"), SpeedMbps: 10000, Utilization: 0.125,
		ExpectedRxDBm: -6.5, SensitivityDBm: -14.4, MeasuredRxDBm: -7.31, HasRx: true, DeviationDB: -0.81, MarginDB: 7.09,
		BaselineDBm: -7.3, DriftDB: -0.01, Cables: []string{"AC-000123"}, Ducts: []string{}, External: true, Updated: at,
		RxEnd: "a", BudgetMarginDB: 7.9, ExcessLossDB: 0.8, WorstCaseMarginDB: 7.1, HasBudget: true}
}

// BenchmarkStateJSON: encoding/json against the appenders on a link
// state and its interface, the two objects written per interface sample.
//
//	go test ./telemetry/sink/redis -run '^$' -bench StateJSON -benchmem
func BenchmarkStateJSON(b *testing.B) {
	l := benchLink()
	b.Run("encoding-json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = mustJSON(l)
			_ = mustJSON(l.A.InterfaceState)
		}
	})
	b.Run("appenders", func(b *testing.B) {
		b.ReportAllocs()
		var buf []byte
		for b.Loop() {
			buf = linkJSON(buf, nil, &l)
			_ = string(buf)
			buf = interfaceJSON(buf, nil, &l.A.InterfaceState)
			_ = string(buf)
		}
	})
}

// BenchmarkEncode: what Write costs the collector for one 48-port
// device's sample (48 interface states and their 48 links), Redis aside.
//
//	go test ./telemetry/sink/redis -run '^$' -bench Encode -benchmem
func BenchmarkEncode(b *testing.B) {
	s := &Sink{keys: NewKeys("bench")}
	s.kc.k = s.keys
	s.opts.defaults()
	var batch telemetry.Batch
	for i := 0; i < 48; i++ {
		l := benchLink()
		l.ID += string(rune('a' + i%26))
		l.A.Interface = l.ID
		batch.Interfaces = append(batch.Interfaces, l.A.InterfaceState)
		batch.Links = append(batch.Links, l)
	}
	b.ReportAllocs()
	for b.Loop() {
		e := s.encode(batch)
		for _, o := range e.ops { // as a flush does once they are written
			s.ops.put(o)
		}
	}
}

// TestFloatFastPath: the integral shortcut writes what strconv ('g', the
// flat fields and history) and encoding/json (the documents) write.
func TestFloatFastPath(t *testing.T) {
	vals := []float64{0, math.Copysign(0, -1), 1, -1, 7, 42, 999999, 1e6, -1e6, 1234567, 1.25e9, 1e15 - 1, 1e15,
		1e20, 1e21, 0.5, -3.25, 1e-7, 123456.789, 2.5e8, -7.31, float64(1 << 53)}
	for _, f := range vals {
		var o op
		if got, want := o.ftoa(f), strconv.FormatFloat(f, 'g', -1, 64); got != want {
			t.Errorf("ftoa(%v) = %q, want %q", f, got, want)
		}
		j := jsonBuf{b: []byte{'{'}}
		j.float("v", f)
		want, err := json.Marshal(map[string]float64{"v": f})
		if err != nil {
			t.Fatal(err)
		}
		if got := string(append(j.b, '}')); got != string(want) {
			t.Errorf("float(%v) = %s, want %s", f, got, want)
		}
	}
}
