package gnmitarget

import (
	"context"
	"time"
)

// Sessions on one target that sample on the same grid (WithSampleOffset)
// share the read of each sample slot: the first session due at a slot
// reads the device, the others due at that slot take the same leaves and
// timestamp. A router's counters are read once per poll of its hardware,
// whoever subscribes; two collectors of one device each reading it was
// half of a load lab's device reads (perf, 200 devices at 1 s).

// sharedRead is one read of the device for a sample slot.
type sharedRead struct {
	slot  time.Time // the grid instant the read serves
	buf   readBuf
	state []parsedLeaf
	lay   *layout
	at    time.Time
	ver   uint64 // VersionedBackend's version before the read
	verOK bool
	refs  int // sessions using it, plus one while it is the current read
}

// maxFreeReads bounds the reads kept for reuse: one being used while the
// next is read, and a spare.
const maxFreeReads = 2

// WithSampleOffset puts every SAMPLE and heartbeat timer of the server's
// streams on a grid: for a period P, the instants frac·P after each
// multiple of P since the Unix epoch (frac in [0, 1)). Streams of the same
// period then sample at the same instants and share each read of the
// device. A lab gives its devices offsets spread over [0, 1) so that they
// do not all sample at once. Without it a stream's grid starts when it
// subscribes.
func WithSampleOffset(frac float64) Option {
	return func(s *Server) {
		if frac >= 0 && frac < 1 {
			s.aligned, s.offset = true, frac
		}
	}
}

// firstDeadline is the first instant of a period's grid strictly after
// now: on the server's aligned grid, or now plus the period.
func (s *Server) firstDeadline(now time.Time, period time.Duration) time.Time {
	if !s.aligned || period <= 0 {
		return now.Add(period)
	}
	p := int64(period)
	off := (now.UnixNano() - int64(s.offset*float64(p))) % p
	if off < 0 {
		off += p
	}
	return now.Add(time.Duration(p - off))
}

// slotRead returns the read for slot, reading the device if no session
// has yet. The caller releases it after its tick.
func (s *Server) slotRead(ctx context.Context, slot time.Time) (*sharedRead, error) {
	s.readMu.Lock()
	defer s.readMu.Unlock()
	// The wall clock's instant: sessions reach a grid point from different
	// monotonic readings, which a slewed clock sets apart by nanoseconds.
	if r := s.cur; r != nil && r.slot.UnixNano() == slot.UnixNano() {
		r.refs++
		return r, nil
	}
	var r *sharedRead
	if n := len(s.free); n > 0 {
		r, s.free = s.free[n-1], s.free[:n-1]
	} else {
		r = &sharedRead{}
	}
	state, lay, at, ver, versioned, err := s.versionedRead(ctx, &r.buf)
	if err != nil {
		s.putRead(r)
		return nil, err
	}
	r.slot, r.state, r.lay, r.at, r.ver, r.verOK = slot, state, lay, at, ver, versioned
	if s.cur != nil {
		s.unrefRead(s.cur)
	}
	r.refs = 2 // the caller and s.cur
	s.cur = r
	return r, nil
}

func (s *Server) releaseRead(r *sharedRead) {
	s.readMu.Lock()
	s.unrefRead(r)
	s.readMu.Unlock()
}

// unrefRead drops one use of r; s.readMu is held.
func (s *Server) unrefRead(r *sharedRead) {
	if r.refs--; r.refs == 0 {
		s.putRead(r)
	}
}

func (s *Server) putRead(r *sharedRead) {
	if len(s.free) < maxFreeReads {
		r.state, r.lay = nil, nil
		s.free = append(s.free, r)
	}
}
