package gnmitarget

import (
	"context"
	"errors"
	"slices"
	"sync"
	"time"

	gpb "github.com/openconfig/gnmi/proto/gnmi"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

// A device reports the same leaves in the same order on every State call,
// values aside: only a config change or a fault adds or removes some. The
// server keeps the parsed paths of the last call (a layout) and, when the
// next call's paths are the same strings in the same order, reuses them,
// and each subscription reuses the leaves it matched in that layout. A
// sample then costs the backend's State, one string comparison per leaf,
// and the encoding of the leaves it sends: no parsing, no matching, no
// path marshaling.

type parsedPath struct {
	path   Path
	key    string   // canonical string
	models modelSet // the models defining the leaf
	proto  *gpb.Path
	// wire is proto's encoding, appended as is to notifications that
	// carry the full path; proto is shared and never modified.
	wire []byte
}

// parsedLeaf is a backend leaf with its path parsed and canonical.
type parsedLeaf struct {
	path   Path
	key    string
	models modelSet
	proto  *gpb.Path
	wire   []byte
	value  any
	// volatile is VersionedBackend.Volatile for this leaf (false when the
	// backend is not versioned: the version is then never trusted).
	volatile bool
}

// layout is the sequence of paths one State call returned.
type layout struct {
	paths  []string      // as the backend gave them
	parsed []*parsedPath // nil for a path that does not parse
	// volatile marks the leaves of a VersionedBackend that move without
	// its version (nil for other backends).
	volatile []bool
}

// readState reads the backend and parses its paths, through the layout of
// the previous read or, when it changed, the path cache.
func (s *Server) readState(ctx context.Context) ([]parsedLeaf, error) {
	out, _, _, err := s.readStateLayout(ctx, nil)
	return out, err
}

// readBuf is a reader's scratch for readStateLayout, reused from one read
// to the next by a subscription session (nil: fresh slices).
type readBuf struct {
	leaves []Leaf
	parsed []parsedLeaf
}

// readStateLayout also returns the instant the state stands for, the
// timestamp of the notifications made from it (TimedBackend). With buf,
// the result lives in buf's slices until the next read through it.
func (s *Server) readStateLayout(ctx context.Context, buf *readBuf) ([]parsedLeaf, *layout, time.Time, error) {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	var leaves []Leaf
	var at time.Time
	var err error
	if ab, ok := s.backend.(AppendBackend); ok && buf != nil {
		leaves, at, err = ab.AppendStateAt(ctx, buf.leaves[:0])
		if err == nil {
			buf.leaves = leaves
		}
	} else if tb, ok := s.backend.(TimedBackend); ok {
		leaves, at, err = tb.StateAt(ctx)
	} else {
		at = s.now()
		leaves, err = s.backend.State(ctx)
	}
	if err != nil {
		if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			return nil, nil, time.Time{}, status.FromContextError(err).Err()
		}
		return nil, nil, time.Time{}, status.Errorf(codes.Unavailable, "read device state: %v", err)
	}
	s.cacheMu.Lock()
	lay := s.layout
	s.cacheMu.Unlock()
	if !lay.same(leaves) {
		lay = s.newLayout(leaves)
	}
	var out []parsedLeaf
	if buf != nil {
		out = buf.parsed[:0]
	}
	out = slices.Grow(out, len(leaves))
	for i, l := range leaves {
		pp := lay.parsed[i]
		if pp == nil {
			continue
		}
		pl := parsedLeaf{path: pp.path, key: pp.key, models: pp.models, proto: pp.proto, wire: pp.wire, value: l.Value}
		if lay.volatile != nil {
			pl.volatile = lay.volatile[i]
		}
		out = append(out, pl)
	}
	if buf != nil {
		buf.parsed = out
	}
	return out, lay, at, nil
}

func (lay *layout) same(leaves []Leaf) bool {
	if lay == nil || len(lay.paths) != len(leaves) {
		return false
	}
	for i, l := range leaves {
		if l.Path != lay.paths[i] {
			return false
		}
	}
	return true
}

// newLayout parses the paths of a read whose layout changed, through the
// path cache, and makes it the current layout.
func (s *Server) newLayout(leaves []Leaf) *layout {
	lay := &layout{paths: make([]string, len(leaves)), parsed: make([]*parsedPath, len(leaves))}
	for i, l := range leaves {
		lay.paths[i] = l.Path
		pp, err := s.paths.parse(l.Path)
		if err != nil {
			s.log.Warn("backend leaf with a bad path skipped", "target", s.name, "path", l.Path, "err", err)
			continue
		}
		lay.parsed[i] = pp
	}
	if vb, ok := s.backend.(VersionedBackend); ok {
		lay.volatile = make([]bool, len(leaves))
		for i, l := range leaves {
			lay.volatile[i] = vb.Volatile(l.Path)
		}
	}
	s.cacheMu.Lock()
	s.layout = lay
	s.cacheMu.Unlock()
	return lay
}

// PathCache holds parsed leaf paths by their string, for one gNMI target
// or for many (WithPathCache). The zero value is not ready: use
// NewPathCache. It is safe for concurrent use.
type PathCache struct {
	mu sync.RWMutex
	m  map[string]*parsedPath
}

// maxCachedPaths bounds a PathCache: beyond it the cache starts over (the
// layouts in use keep their parsed paths), so devices whose paths churn
// cannot grow it without bound.
const maxCachedPaths = 1 << 20

// NewPathCache returns an empty cache.
func NewPathCache() *PathCache { return &PathCache{m: map[string]*parsedPath{}} }

func (c *PathCache) parse(s string) (*parsedPath, error) {
	c.mu.RLock()
	pp, ok := c.m[s]
	c.mu.RUnlock()
	if ok {
		return pp, nil
	}
	p, err := ParsePath(s)
	if err != nil {
		return nil, err
	}
	gp := p.proto()
	wire, err := proto.MarshalOptions{Deterministic: true}.Marshal(gp)
	if err != nil {
		return nil, err
	}
	pp = &parsedPath{path: p, key: p.String(), proto: gp, models: leafModels(p), wire: wire}
	c.mu.Lock()
	if len(c.m) >= maxCachedPaths {
		c.m = map[string]*parsedPath{}
	}
	c.m[s] = pp
	c.mu.Unlock()
	return pp, nil
}
