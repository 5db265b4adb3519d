package telemetry

import (
	"fmt"
	"testing"
	"time"

	"github.com/openconfig/gnmi/proto/gnmi"
	"google.golang.org/protobuf/proto"
)

// sampleWire is one SAMPLE tick of a 48-interface device as the lab sends
// it: every counter of every interface in one notification, PROTO values.
func sampleWire(b testing.TB, ifaces int, enc gnmi.Encoding) ([]byte, int) {
	n := &gnmi.Notification{Timestamp: time.Now().UnixNano()}
	leaves := []string{LeafInOctets, LeafOutOctets, LeafInErrors, LeafOutErrors, LeafInDiscards, LeafOutDiscards}
	for i := range ifaces {
		for j, l := range leaves {
			v := uintV(uint64(i*1000 + j))
			if enc == gnmi.Encoding_JSON_IETF {
				v = ietfV(fmt.Sprintf(`"%d"`, i*1000+j))
			}
			n.Update = append(n.Update, upd(b, fmt.Sprintf("/interfaces/interface[name=eth%d]/state/counters/%s", i, l), v))
		}
	}
	wire, err := proto.Marshal(&gnmi.SubscribeResponse{Response: &gnmi.SubscribeResponse_Update{Update: n}})
	if err != nil {
		b.Fatal(err)
	}
	return wire, len(n.Update)
}

// BenchmarkDecode measures the collector's hot path per update: the
// protobuf unmarshal gRPC does, then Decoder (and, with the engine, its
// Observe: see collector_bench_test.go).
func BenchmarkDecode(b *testing.B) {
	for _, enc := range []gnmi.Encoding{gnmi.Encoding_PROTO, gnmi.Encoding_JSON_IETF} {
		b.Run(enc.String(), func(b *testing.B) {
			wire, per := sampleWire(b, 48, enc)
			d := NewDecoder(Target{Name: "r1"})
			var r gnmi.SubscribeResponse
			var out []Update
			now := time.Now()
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				if err := proto.Unmarshal(wire, &r); err != nil {
					b.Fatal(err)
				}
				out, _ = d.Response(&r, now, out[:0])
				if len(out) != per {
					b.Fatalf("%d updates, want %d", len(out), per)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*per), "ns/update")
		})
	}
}

// BenchmarkDecodeOnly is the decoder alone, on an unmarshalled message.
func BenchmarkDecodeOnly(b *testing.B) {
	wire, per := sampleWire(b, 48, gnmi.Encoding_PROTO)
	var r gnmi.SubscribeResponse
	if err := proto.Unmarshal(wire, &r); err != nil {
		b.Fatal(err)
	}
	d := NewDecoder(Target{Name: "r1"})
	var out []Update
	now := time.Now()
	b.ReportAllocs()
	for b.Loop() {
		out, _ = d.Response(&r, now, out[:0])
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*per), "ns/update")
}

// BenchmarkDecodeWire is the decoder's path for a session's stream
// (Decoder.Wire on the message's bytes, no proto.Unmarshal). JSON_IETF
// carries every 64-bit counter as a string (RFC 7951): the decoder reads
// those in place, with no allocation per value.
func BenchmarkDecodeWire(b *testing.B) {
	for _, enc := range []gnmi.Encoding{gnmi.Encoding_PROTO, gnmi.Encoding_JSON_IETF} {
		b.Run(enc.String(), func(b *testing.B) {
			wire, per := sampleWire(b, 48, enc)
			d := NewDecoder(Target{Name: "r1"})
			var out []Update
			now := time.Now()
			b.ReportAllocs()
			for b.Loop() {
				var ok bool
				out, _, ok = d.Wire(wire, now, out[:0])
				if !ok || len(out) != per {
					b.Fatalf("ok %v, %d updates, want %d", ok, len(out), per)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*per), "ns/update")
		})
	}
}
