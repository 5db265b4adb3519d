package gnmitarget

import (
	"encoding/binary"
	"fmt"
	"math"
	"slices"

	gpb "github.com/openconfig/gnmi/proto/gnmi"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
)

// A stream's notifications are encoded here straight to protobuf wire
// bytes: each leaf's path was marshaled once when its layout was parsed
// (parsedPath.wire), so a sample appends those bytes and a few for the
// value instead of building and marshaling a Path message per update, the
// biggest cost of a SAMPLE stream. The bytes travel as the unknown fields
// of an empty SubscribeResponse, which protobuf writes out verbatim: on
// the wire it is exactly the message notification() would have built
// (TestWireEncodingMatches compares them).

// Field numbers of gnmi.proto (v0.14.1).
const (
	fRespUpdate     = 1 // SubscribeResponse.update
	fNoteTimestamp  = 1 // Notification.timestamp
	fNotePrefix     = 2
	fNoteUpdate     = 4
	fNoteDelete     = 5
	fUpdatePath     = 1 // Update.path
	fUpdateVal      = 3
	fTVString       = 1 // TypedValue oneof
	fTVInt          = 2
	fTVUint         = 3
	fTVBool         = 4
	fTVJSON         = 10
	fTVJSONIETF     = 11
	fTVDouble       = 14
	wireBytesPerLen = 4 // room for a tag and a length, most of the time
)

// wireHead is the room kept before a notification's bytes for the
// response's tag and length (one byte and a varint of at most 5).
const wireHead = 1 + binary.MaxVarintLen32

// wireResponse encodes one update notification with full leaf paths under
// prefix (nil for none), into scratch's room. The response holds the
// bytes: scratch may only be reused once the response is sent (gRPC's
// SendMsg encodes, copying them, before it returns). It returns scratch,
// grown, for the next one.
func wireResponse(scratch []byte, ts int64, prefix *gpb.Path, leaves []parsedLeaf, dels []*gpb.Path, enc gpb.Encoding) (*gpb.SubscribeResponse, []byte, error) {
	size := 16 + wireHead
	for _, l := range leaves {
		size += len(l.wire) + 3*wireBytesPerLen + 12
	}
	b := slices.Grow(scratch[:0], size)[:wireHead]
	if ts != 0 {
		b = protowire.AppendTag(b, fNoteTimestamp, protowire.VarintType)
		b = protowire.AppendVarint(b, uint64(ts))
	}
	if prefix != nil {
		pb, err := proto.MarshalOptions{Deterministic: true}.Marshal(prefix)
		if err != nil {
			return nil, scratch, err
		}
		b = protowire.AppendTag(b, fNotePrefix, protowire.BytesType)
		b = protowire.AppendBytes(b, pb)
	}
	var val []byte
	for _, l := range leaves {
		var err error
		if val, err = appendTypedValue(val[:0], l.value, enc); err != nil {
			return nil, scratch, err
		}
		n := protowire.SizeTag(fUpdatePath) + protowire.SizeBytes(len(l.wire)) + protowire.SizeTag(fUpdateVal) + protowire.SizeBytes(len(val))
		b = protowire.AppendTag(b, fNoteUpdate, protowire.BytesType)
		b = protowire.AppendVarint(b, uint64(n))
		b = protowire.AppendTag(b, fUpdatePath, protowire.BytesType)
		b = protowire.AppendBytes(b, l.wire)
		b = protowire.AppendTag(b, fUpdateVal, protowire.BytesType)
		b = protowire.AppendBytes(b, val)
	}
	for _, d := range dels {
		db, err := proto.MarshalOptions{Deterministic: true}.Marshal(d)
		if err != nil {
			return nil, scratch, err
		}
		b = protowire.AppendTag(b, fNoteDelete, protowire.BytesType)
		b = protowire.AppendBytes(b, db)
	}
	// The response's field header goes right before the notification, in
	// the room kept for it: no second buffer and copy.
	body := len(b) - wireHead
	h := protowire.SizeTag(fRespUpdate) + protowire.SizeVarint(uint64(body))
	hdr := protowire.AppendTag(b[wireHead-h:wireHead-h], fRespUpdate, protowire.BytesType)
	protowire.AppendVarint(hdr, uint64(body)) // fills the room up to the body, in place
	r := &gpb.SubscribeResponse{}
	r.ProtoReflect().SetUnknown(b[wireHead-h:])
	return r, b, nil
}

// appendTypedValue appends the TypedValue typedValue(v, enc) would build,
// encoded.
func appendTypedValue(b []byte, v any, enc gpb.Encoding) ([]byte, error) {
	switch enc {
	case gpb.Encoding_JSON, gpb.Encoding_JSON_IETF:
		ietf := enc == gpb.Encoding_JSON_IETF
		f := protowire.Number(fTVJSON)
		if ietf {
			f = fTVJSONIETF
		}
		b = protowire.AppendTag(b, f, protowire.BytesType)
		// A scalar's JSON is short: one byte of length is kept for it and
		// the JSON appended after, moved only when it is 128 bytes or more.
		at := len(b)
		var err error
		b, err = appendJSONScalar(append(b, 0), v, ietf)
		if err != nil {
			return nil, err
		}
		n := len(b) - at - 1
		if n < 0x80 {
			b[at] = byte(n)
			return b, nil
		}
		raw := slices.Clone(b[at+1:])
		return protowire.AppendBytes(b[:at], raw), nil
	case gpb.Encoding_PROTO:
	default:
		return nil, checkEncoding(enc)
	}
	varint := func(f protowire.Number, n uint64) []byte {
		b = protowire.AppendTag(b, f, protowire.VarintType)
		return protowire.AppendVarint(b, n)
	}
	switch x := v.(type) {
	case string:
		b = protowire.AppendTag(b, fTVString, protowire.BytesType)
		return protowire.AppendString(b, x), nil
	case bool:
		return varint(fTVBool, protowire.EncodeBool(x)), nil
	case int8:
		return varint(fTVInt, uint64(int64(x))), nil
	case int16:
		return varint(fTVInt, uint64(int64(x))), nil
	case int32:
		return varint(fTVInt, uint64(int64(x))), nil
	case int64:
		return varint(fTVInt, uint64(x)), nil
	case int:
		return varint(fTVInt, uint64(int64(x))), nil
	case uint8:
		return varint(fTVUint, uint64(x)), nil
	case uint16:
		return varint(fTVUint, uint64(x)), nil
	case uint32:
		return varint(fTVUint, uint64(x)), nil
	case uint64:
		return varint(fTVUint, x), nil
	case uint:
		return varint(fTVUint, uint64(x)), nil
	case float32:
		b = protowire.AppendTag(b, fTVDouble, protowire.Fixed64Type)
		return protowire.AppendFixed64(b, math.Float64bits(float64(x))), nil
	case float64:
		b = protowire.AppendTag(b, fTVDouble, protowire.Fixed64Type)
		return protowire.AppendFixed64(b, math.Float64bits(x)), nil
	}
	return nil, fmt.Errorf("leaf value of type %T is not supported", v)
}
