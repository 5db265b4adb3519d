package redis

import (
	"math"

	"github.com/tuyau-net/tuyau/telemetry"
)

// fmemo is a float's last formatting. Formatting a float (the shortest
// digits) costs some ten times copying its bytes, and much of what the
// sink formats repeats: a link's budget, expected power and baseline
// from one sample to the next, an interface's rates in its history and
// again in its link's. The bits are compared, so a memo shared or stale
// never writes another value's digits.
type fmemo struct {
	bits uint64
	n    uint8 // bytes in b; 0: empty
	b    [23]byte
}

// get returns the bytes memoized for f, or nil.
func (m *fmemo) get(f float64) []byte {
	if m.n == 0 || m.bits != math.Float64bits(f) {
		return nil
	}
	return m.b[:m.n]
}

// set memoizes b as f's formatting; a longer one is not kept.
func (m *fmemo) set(f float64, b []byte) {
	if len(b) == 0 || len(b) > len(m.b) {
		m.n = 0
		return
	}
	m.bits, m.n = math.Float64bits(f), uint8(len(b))
	copy(m.b[:], b)
}

// ftoaMemo is ftoa through m (nil: none).
func (o *op) ftoaMemo(f float64, m *fmemo) string {
	if m == nil {
		return o.ftoa(f)
	}
	if b := m.get(f); b != nil {
		return o.bytes(b)
	}
	n := len(o.buf)
	s := o.ftoa(f)
	m.set(f, o.buf[n:])
	return s
}

// floatMemo is float through m (nil: none).
func (j *jsonBuf) floatMemo(k string, f float64, m *fmemo) {
	if m == nil {
		j.float(k, f)
		return
	}
	if b := m.get(f); b != nil {
		j.key(k)
		j.b = append(j.b, b...)
		return
	}
	j.key(k)
	n, bad := len(j.b), j.bad
	j.floatVal(f)
	if j.bad && !bad {
		m.n = 0
		return
	}
	m.set(f, j.b[n:])
}

// linkEntry holds the formatting of a link's figures last written: its
// document's floats, in linkJSON's order, and the flat fields' (margin,
// measured Rx, drift: 'g').
type linkEntry struct {
	json                    [12]fmemo
	margin, measured, drift fmemo
	key, histKey            string // its hash and history stream ("": not yet known)
	// a is the entry of its A end's interface, and its names: its history
	// writes that interface's rates as the interface's own history did.
	a struct {
		dev, ifc string
		e        *fieldEntry
	}
}

// aEntry is the entry of the link's A end: one map look-up per link saved
// at every sample.
func (le *linkEntry) aEntry(c *fieldCache, e *telemetry.LinkEnd) *fieldEntry {
	if a := &le.a; a.e == nil || a.dev != e.Device || a.ifc != e.Interface {
		a.dev, a.ifc, a.e = e.Device, e.Interface, c.entry(e.Device, e.Interface)
	}
	return le.a.e
}

func (c *fieldCache) link(id string) *linkEntry {
	if e := c.links[id]; e != nil {
		return e
	}
	if c.links == nil || len(c.links) >= maxCachedKeys {
		c.links = map[string]*linkEntry{}
	}
	e := &linkEntry{}
	c.links[id] = e
	return e
}
