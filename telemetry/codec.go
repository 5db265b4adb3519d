package telemetry

import (
	"fmt"

	"google.golang.org/grpc/encoding"
	"google.golang.org/grpc/mem"
)

// frame is a response's protobuf bytes as they came off the stream, for
// the wire decoder (Decoder.Wire); the buffer is reused message after
// message.
type frame struct{ b []byte }

// shrink lets go of a buffer an unusually large message grew.
func (f *frame) shrink() {
	if cap(f.b) > 4<<20 && len(f.b) < 1<<20 {
		f.b = nil
	}
}

// frameCodec is gRPC's proto codec, except that a *frame receives the
// message's bytes rather than a decoded message: a session's stream reads
// its responses with Decoder.Wire, and everything else (the request, any
// other message) goes through the proto codec as usual. Its name keeps the
// content subtype proto (application/grpc+proto, as the gRPC protocol
// allows for protobuf).
type frameCodec struct{}

func (frameCodec) Name() string { return "proto" }

func (frameCodec) Marshal(v any) (mem.BufferSlice, error) {
	c := encoding.GetCodecV2("proto")
	if c == nil {
		return nil, fmt.Errorf("gnmi: no proto codec registered to marshal %T", v)
	}
	return c.Marshal(v)
}

func (frameCodec) Unmarshal(data mem.BufferSlice, v any) error {
	f, ok := v.(*frame)
	if !ok {
		c := encoding.GetCodecV2("proto")
		if c == nil {
			return fmt.Errorf("gnmi: no proto codec registered to unmarshal %T", v)
		}
		return c.Unmarshal(data, v)
	}
	n := data.Len()
	if cap(f.b) < n {
		f.b = make([]byte, n, n+n/4)
	}
	f.b = f.b[:n]
	data.CopyTo(f.b)
	return nil
}
