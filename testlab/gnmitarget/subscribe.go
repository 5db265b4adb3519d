package gnmitarget

import (
	"context"
	"errors"
	"io"
	"slices"
	"time"

	gpb "github.com/openconfig/gnmi/proto/gnmi"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// DefaultSampleInterval is the sample interval of the counters of
// TARGET_DEFINED subscriptions. A SAMPLE subscription with a
// sample_interval of 0 gets the shortest interval the target accepts
// (WithMinSampleInterval), as gNMI asks.
const DefaultSampleInterval = 10 * time.Second

// sub is one subscription of a stream, as this target runs it.
type sub struct {
	path      Path
	onChange  bool
	interval  time.Duration
	heartbeat time.Duration
	suppress  bool
	filter    func(Path) bool // nil: every matching leaf

	last   map[string]any // what the client has, for ON_CHANGE and suppress_redundant
	next   time.Time      // next sample
	nextHB time.Time      // next heartbeat

	// idx are the positions in the state of layout lay of the leaves the
	// subscription matches: while the device's layout holds, a sample
	// picks them without matching paths again.
	lay *layout
	idx []int
	// volatile: one of the matched leaves moves without the backend's
	// version (VersionedBackend), so an ON_CHANGE subscription must read
	// at every change signal.
	volatile bool
	out      []parsedLeaf // leaves' result, reused
}

func (b *sub) leaves(state []parsedLeaf, lay *layout) []parsedLeaf {
	if lay == nil || lay != b.lay {
		b.idx = b.idx[:0]
		b.volatile = false
		for i, l := range state {
			if b.path.Match(l.path) && (b.filter == nil || b.filter(l.path)) {
				b.idx = append(b.idx, i)
				b.volatile = b.volatile || l.volatile
			}
		}
		b.lay = lay
	}
	// b.out is reused: what a sub's leaves are used for (send, record,
	// changed) is done before its next read.
	out := slices.Grow(b.out[:0], len(b.idx))
	for _, j := range b.idx {
		out = append(out, state[j])
	}
	b.out = out
	return out
}

// isCounter picks the leaves a TARGET_DEFINED subscription samples rather
// than streams on change: they change all the time.
func isCounter(p Path) bool {
	for _, e := range p {
		if e.Name == "counters" {
			return true
		}
	}
	return false
}

// subscribeSession holds what one Subscribe RPC needs to answer.
type subscribeSession struct {
	s       *Server
	stream  gpb.GNMI_SubscribeServer
	gprefix *gpb.Path
	prefix  Path
	enc     gpb.Encoding
	models  modelSet
	subs    []*sub

	// ver is the backend's StateVersion before the last read of the
	// session, verOK whether there was one (VersionedBackend).
	ver   uint64
	verOK bool
	// buf is the session's read scratch: one read at a time, and
	// nothing of a read kept past the tick that made it.
	buf readBuf
	// wire is the bytes of the last response built straight to wire,
	// reused for the next once it is sent.
	wire []byte
}

// Subscribe serves ONCE, POLL and STREAM subscriptions (SAMPLE, ON_CHANGE
// and TARGET_DEFINED, which samples counters and streams the rest on
// change).
func (s *Server) Subscribe(stream gpb.GNMI_SubscribeServer) error {
	req, err := stream.Recv()
	if err != nil {
		return err
	}
	list := req.GetSubscribe()
	if list == nil {
		return status.Error(codes.InvalidArgument, "first SubscribeRequest must hold a SubscriptionList")
	}
	if err := checkEncoding(list.GetEncoding()); err != nil {
		return status.Error(codes.Unimplemented, err.Error())
	}
	models, err := useModels(list.GetUseModels())
	if err != nil {
		return status.Error(codes.Unimplemented, err.Error())
	}
	prefix, err := fromProto(list.GetPrefix())
	if err != nil {
		return status.Error(codes.InvalidArgument, err.Error())
	}
	ss := &subscribeSession{s: s, stream: stream, gprefix: list.GetPrefix(), prefix: prefix, enc: list.GetEncoding(), models: models}
	if len(list.GetSubscription()) == 0 {
		return status.Error(codes.InvalidArgument, "SubscriptionList holds no subscription")
	}
	for _, gs := range list.GetSubscription() {
		p, err := fromProto(gs.GetPath())
		if err != nil {
			return status.Error(codes.InvalidArgument, err.Error())
		}
		full := prefix.join(p)
		if list.GetMode() != gpb.SubscriptionList_STREAM {
			ss.subs = append(ss.subs, &sub{path: full})
			continue
		}
		iv := time.Duration(gs.GetSampleInterval())
		if iv != 0 && iv < s.minSample {
			return status.Errorf(codes.InvalidArgument, "subscription %s: sample_interval %v is below the minimum %v", full, iv, s.minSample)
		}
		if iv == 0 {
			iv = s.minSample // "the lowest interval possible for the target"
		}
		hb := time.Duration(gs.GetHeartbeatInterval())
		if hb != 0 && hb < s.minSample {
			return status.Errorf(codes.InvalidArgument, "subscription %s: heartbeat_interval %v is below the minimum %v", full, hb, s.minSample)
		}
		base := sub{path: full, heartbeat: hb, suppress: gs.GetSuppressRedundant(), interval: iv}
		switch gs.GetMode() {
		case gpb.SubscriptionMode_SAMPLE:
			b := base
			ss.subs = append(ss.subs, &b)
		case gpb.SubscriptionMode_ON_CHANGE:
			b := base
			b.onChange = true
			ss.subs = append(ss.subs, &b)
		case gpb.SubscriptionMode_TARGET_DEFINED:
			sample, change := base, base
			if gs.GetSampleInterval() == 0 {
				sample.interval = DefaultSampleInterval
			}
			sample.filter = isCounter
			change.onChange = true
			change.filter = func(p Path) bool { return !isCounter(p) }
			ss.subs = append(ss.subs, &sample, &change)
		default:
			return status.Errorf(codes.InvalidArgument, "subscription %s: unknown mode %v", full, gs.GetMode())
		}
	}
	ctx, cancel := context.WithCancel(stream.Context())
	defer cancel()
	go func() { // end the stream when the server stops
		select {
		case <-s.serveCtx.Done():
			cancel()
		case <-ctx.Done():
		}
	}()
	var runErr error
	switch list.GetMode() {
	case gpb.SubscriptionList_ONCE:
		runErr = ss.once(ctx, list.GetUpdatesOnly())
	case gpb.SubscriptionList_POLL:
		runErr = ss.poll(ctx, list.GetUpdatesOnly())
	case gpb.SubscriptionList_STREAM:
		runErr = ss.run(ctx, list.GetUpdatesOnly())
	default:
		runErr = status.Errorf(codes.InvalidArgument, "unknown subscription list mode %v", list.GetMode())
	}
	if runErr != nil && s.serveCtx.Err() != nil && stream.Context().Err() == nil {
		return status.Error(codes.Unavailable, "gnmi target shutting down")
	}
	return runErr
}

// readState reads the device, keeping the leaves of the session's models.
func (ss *subscribeSession) readState(ctx context.Context) ([]parsedLeaf, *layout, time.Time, error) {
	state, lay, at, ver, versioned, err := ss.s.versionedRead(ctx, &ss.buf)
	if err != nil {
		return nil, nil, time.Time{}, err
	}
	ss.ver, ss.verOK = ver, versioned
	return inModels(state, ss.models), lay, at, nil
}

// versionedRead is readStateLayout and, for a VersionedBackend, its
// version taken before the read: a change during it is seen at the next
// signal.
func (s *Server) versionedRead(ctx context.Context, buf *readBuf) ([]parsedLeaf, *layout, time.Time, uint64, bool, error) {
	vb, versioned := s.backend.(VersionedBackend)
	var ver uint64
	if versioned {
		ver = vb.StateVersion()
	}
	state, lay, at, err := s.readStateLayout(ctx, buf)
	return state, lay, at, ver, versioned, err
}

// unchanged reports that a tick at now can skip reading: no sample or
// heartbeat is due, the backend's version is the one of the last read,
// and no ON_CHANGE subscription covers a volatile leaf (or has not
// matched any yet).
func (ss *subscribeSession) unchanged(now time.Time) bool {
	if !ss.verOK || ss.s.backend.(VersionedBackend).StateVersion() != ss.ver {
		return false
	}
	for _, b := range ss.subs {
		if (!b.next.IsZero() && !now.Before(b.next)) || (!b.nextHB.IsZero() && !now.Before(b.nextHB)) {
			return false
		}
		if b.onChange && (b.lay == nil || b.volatile) {
			return false
		}
	}
	return true
}

// snapshot sends every subscription's leaves, or with updatesOnly only
// records them, then a sync_response.
func (ss *subscribeSession) snapshot(ctx context.Context, updatesOnly bool) error {
	state, lay, at, err := ss.readState(ctx)
	if err != nil {
		return err
	}
	for _, b := range ss.subs {
		leaves := b.leaves(state, lay)
		b.record(leaves)
		if updatesOnly {
			continue
		}
		if err := ss.send(at, leaves, nil); err != nil {
			return err
		}
	}
	return ss.stream.Send(&gpb.SubscribeResponse{Response: &gpb.SubscribeResponse_SyncResponse{SyncResponse: true}})
}

func (ss *subscribeSession) once(ctx context.Context, updatesOnly bool) error {
	return ss.snapshot(ctx, updatesOnly)
}

func (ss *subscribeSession) poll(ctx context.Context, updatesOnly bool) error {
	if err := ss.snapshot(ctx, updatesOnly); err != nil {
		return err
	}
	reqs, errc := ss.receive(ctx)
	for {
		select {
		case <-ctx.Done():
			return ctxStatus(ctx)
		case err := <-errc:
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		case r := <-reqs:
			if r.GetPoll() == nil {
				return status.Error(codes.InvalidArgument, "a POLL subscription accepts only Poll requests")
			}
			if err := ss.snapshot(ctx, false); err != nil {
				return err
			}
		}
	}
}

// receive reads the client's further requests until the stream ends.
func (ss *subscribeSession) receive(ctx context.Context) (<-chan *gpb.SubscribeRequest, <-chan error) {
	reqs := make(chan *gpb.SubscribeRequest)
	errc := make(chan error, 1)
	go func() {
		for {
			r, err := ss.stream.Recv()
			if err != nil {
				errc <- err
				return
			}
			select {
			case reqs <- r:
			case <-ctx.Done():
				return
			}
		}
	}()
	return reqs, errc
}

func (ss *subscribeSession) run(ctx context.Context, updatesOnly bool) error {
	changes, unwatch := ss.s.watch()
	defer unwatch()
	if err := ss.snapshot(ctx, updatesOnly); err != nil {
		return err
	}
	now := ss.s.now()
	for _, b := range ss.subs {
		if !b.onChange {
			b.next = ss.s.firstDeadline(now, b.interval)
		}
		if b.heartbeat > 0 {
			b.nextHB = ss.s.firstDeadline(now, b.heartbeat)
		}
	}
	_, errc := ss.receive(ctx) // a STREAM client has nothing more to say; watch for its end
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		// Since Go 1.23 Reset and Stop leave no stale tick in timer.C.
		if wait, due := ss.nextDeadline(); due {
			timer.Reset(max(time.Until(wait), 0))
		} else {
			timer.Stop()
		}
		select {
		case <-ctx.Done():
			return ctxStatus(ctx)
		case err := <-errc:
			if errors.Is(err, io.EOF) {
				// Half-closed by the client: keep streaming.
				errc = nil
				continue
			}
			return err
		case <-changes:
		case <-timer.C:
		}
		if err := ss.tick(ctx); err != nil {
			return err
		}
	}
}

// nextDeadline is the earliest sample or heartbeat due.
func (ss *subscribeSession) nextDeadline() (time.Time, bool) {
	var t time.Time
	for _, b := range ss.subs {
		for _, d := range []time.Time{b.next, b.nextHB} {
			if !d.IsZero() && (t.IsZero() || d.Before(t)) {
				t = d
			}
		}
	}
	return t, !t.IsZero()
}

// tick sends what is due: samples and heartbeats whose time has come, and
// for ON_CHANGE subscriptions whatever differs from what the client has.
func (ss *subscribeSession) tick(ctx context.Context) error {
	now := ss.s.now()
	if !ss.anyDue(now) {
		return nil // a change signal, and only sampled subscriptions
	}
	if ss.unchanged(now) {
		return nil // a change signal, and nothing ON_CHANGE watches moved
	}
	var state []parsedLeaf
	var lay *layout
	var at time.Time
	var err error
	if slot := ss.dueSlot(now); ss.s.aligned && !slot.IsZero() {
		r, err := ss.s.slotRead(ctx, slot)
		if err != nil {
			return err
		}
		defer ss.s.releaseRead(r)
		state, lay, at = inModels(r.state, ss.models), r.lay, r.at
		ss.ver, ss.verOK = r.ver, r.verOK
	} else if state, lay, at, err = ss.readState(ctx); err != nil {
		return err
	}
	for _, b := range ss.subs {
		hb := !b.nextHB.IsZero() && !now.Before(b.nextHB)
		if hb {
			b.nextHB = later(b.nextHB, b.heartbeat, now)
		}
		if !b.onChange && !hb && now.Before(b.next) {
			continue // not due: neither read nor matched
		}
		leaves := b.leaves(state, lay)
		switch {
		case b.onChange && hb:
			err = ss.send(at, leaves, b.deleted(leaves))
			b.record(leaves)
		case b.onChange:
			err = ss.send(at, b.changed(leaves), b.deleted(leaves))
			b.record(leaves)
		case !now.Before(b.next):
			b.next = later(b.next, b.interval, now)
			if b.suppress && !hb {
				err = ss.send(at, b.changed(leaves), nil)
			} else {
				err = ss.send(at, leaves, nil)
			}
			b.record(leaves)
		case hb && b.suppress:
			// The heartbeat of a suppress_redundant SAMPLE: everything once
			// per heartbeat even if nothing changed. A plain SAMPLE sends
			// everything each sample anyway.
			err = ss.send(at, leaves, nil)
			b.record(leaves)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// dueSlot is the latest sample or heartbeat deadline at or before now,
// the grid instant a tick at now serves (zero when none is due: a change
// signal).
func (ss *subscribeSession) dueSlot(now time.Time) time.Time {
	var slot time.Time
	for _, b := range ss.subs {
		for _, d := range []time.Time{b.next, b.nextHB} {
			if !d.IsZero() && !now.Before(d) && d.After(slot) {
				slot = d
			}
		}
	}
	return slot
}

// anyDue reports whether a tick at now has anything to look at: an
// ON_CHANGE subscription (a change may have come), or a sample or a
// heartbeat whose time has come.
func (ss *subscribeSession) anyDue(now time.Time) bool {
	for _, b := range ss.subs {
		if b.onChange || (!b.next.IsZero() && !now.Before(b.next)) || (!b.nextHB.IsZero() && !now.Before(b.nextHB)) {
			return true
		}
	}
	return false
}

// later moves a deadline on by one period, skipping periods already
// missed rather than bursting to catch up, and keeping the
// subscription's cadence: the next deadline is the first of its grid
// (t + k periods) strictly after now, as a router's sample timer keeps
// ticking while one sample is late. Restarting the grid at now would move
// every session a stall held (a garbage collection, a busy host) onto
// the instant the stall ended.
func later(t time.Time, period time.Duration, now time.Time) time.Time {
	t = t.Add(period)
	if !t.After(now) {
		missed := now.Sub(t)/period + 1
		t = t.Add(missed * period)
	}
	return t
}

func (b *sub) record(leaves []parsedLeaf) {
	if !b.onChange && !b.suppress {
		return // plain SAMPLE sends everything; nothing to compare with
	}
	if b.last == nil {
		b.last = make(map[string]any, len(leaves))
	}
	clear(b.last) // kept: a map per ON_CHANGE tick was a large lab's garbage
	for _, l := range leaves {
		b.last[l.key] = l.value
	}
}

func (b *sub) changed(leaves []parsedLeaf) []parsedLeaf {
	var out []parsedLeaf
	for _, l := range leaves {
		if v, ok := b.last[l.key]; !ok || !sameValue(v, l.value) {
			out = append(out, l)
		}
	}
	return out
}

func (b *sub) deleted(leaves []parsedLeaf) []Path {
	if len(b.last) == 0 {
		return nil
	}
	now := make(map[string]bool, len(leaves))
	for _, l := range leaves {
		now[l.key] = true
	}
	var out []Path
	for k := range b.last {
		if !now[k] {
			if p, err := ParsePath(k); err == nil {
				out = append(out, p)
			}
		}
	}
	return out
}

// sameValue compares leaf values, which are scalars.
func sameValue(a, b any) bool {
	switch a.(type) {
	case string, bool, int8, int16, int32, int64, int, uint8, uint16, uint32, uint64, uint, float32, float64:
		return a == b
	}
	return false
}

// send writes what a subscription has due, in notifications of at most
// the server's bundle size, unless there is nothing to say. Every
// notification carries at, when the state was read: a later chunk waits
// on the stream's flow control, and stamping it then would shift its
// counters' time.
func (ss *subscribeSession) send(at time.Time, leaves []parsedLeaf, deletes []Path) error {
	if len(leaves) == 0 && len(deletes) == 0 {
		return nil
	}
	strip := 0
	if ss.gprefix != nil && !ss.prefix.HasWildcard() {
		strip = len(ss.prefix)
	}
	var dels []*gpb.Path
	for _, d := range deletes {
		dels = append(dels, d[strip:].proto())
	}
	size := ss.s.bundle
	if size == 0 {
		size = len(leaves) + len(dels)
	}
	for len(leaves) > 0 || len(dels) > 0 {
		chunk := leaves[:min(size, len(leaves))]
		leaves = leaves[min(size, len(leaves)):]
		var d []*gpb.Path
		if room := size - len(chunk); room > 0 && len(dels) > 0 {
			k := min(room, len(dels))
			d, dels = dels[:k], dels[k:]
		}
		r, err := ss.response(at, chunk, d, strip)
		if err != nil {
			return status.Error(codes.Internal, err.Error())
		}
		if err := ss.stream.Send(r); err != nil {
			return err
		}
	}
	return nil
}

// response encodes one notification: straight to wire bytes when its
// updates carry full paths (no request prefix to strip), else through
// notification().
func (ss *subscribeSession) response(at time.Time, leaves []parsedLeaf, dels []*gpb.Path, strip int) (*gpb.SubscribeResponse, error) {
	ts := at.UnixNano()
	if strip == 0 {
		var prefix *gpb.Path
		if ss.gprefix != nil {
			prefix = &gpb.Path{Target: ss.gprefix.GetTarget(), Origin: ss.gprefix.GetOrigin()}
		}
		r, buf, err := wireResponse(ss.wire, ts, prefix, leaves, dels, ss.enc)
		ss.wire = buf
		return r, err
	}
	n, err := notification(ss.gprefix, ss.prefix, nil, leaves, ss.enc, false)
	if err != nil {
		return nil, err
	}
	n.Delete = dels
	n.Timestamp = ts
	return &gpb.SubscribeResponse{Response: &gpb.SubscribeResponse_Update{Update: n}}, nil
}

func ctxStatus(ctx context.Context) error {
	return status.FromContextError(context.Cause(ctx)).Err()
}
