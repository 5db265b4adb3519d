package gnmitarget

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	gpb "github.com/openconfig/gnmi/proto/gnmi"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// configView is the writable part of a device's state, which a Set edits
// in place before the difference goes to the backend.
type configView struct {
	leaves  map[string]any  // canonical path of a writable leaf → value
	paths   map[string]Path // canonical path → parsed, for leaves and entries
	entries map[string]bool // list entries present, by canonical path
	// shapes are the schema paths (names, no keys) of the device's
	// leaves and their ancestors: what a path must be to exist at all.
	shapes map[string]bool
}

func (s *schema) view(state []parsedLeaf) *configView {
	v := &configView{leaves: map[string]any{}, paths: map[string]Path{}, entries: map[string]bool{}, shapes: map[string]bool{}}
	for _, l := range state {
		addShapes(v.shapes, l.path)
		for i, e := range l.path {
			if len(e.Keys) == 0 {
				continue
			}
			ep := l.path[:i+1]
			k := ep.String()
			if !v.entries[k] {
				v.entries[k] = true
				v.paths[k] = ep
			}
		}
		if _, ok := s.leaf(l.path); ok {
			v.leaves[l.key] = l.value
			v.paths[l.key] = l.path
		}
	}
	return v
}

func (v *configView) clone() *configView {
	c := &configView{leaves: make(map[string]any, len(v.leaves)), paths: make(map[string]Path, len(v.paths)), entries: make(map[string]bool, len(v.entries)), shapes: v.shapes}
	for k, x := range v.leaves {
		c.leaves[k] = x
	}
	for k, x := range v.paths {
		c.paths[k] = x
	}
	for k, x := range v.entries {
		c.entries[k] = x
	}
	return c
}

// plan turns a SetRequest into the changes it makes to the device whose
// state is given, or a gRPC status error naming the first bad operation.
func (s *schema) plan(state []parsedLeaf, req *gpb.SetRequest) ([]Change, []*gpb.UpdateResult, error) {
	prefix, err := fromProto(req.GetPrefix())
	if err != nil {
		return nil, nil, status.Error(codes.InvalidArgument, err.Error())
	}
	old := s.view(state)
	cur := old.clone()
	touched := map[string]bool{}
	var results []*gpb.UpdateResult
	full := func(gp *gpb.Path) (Path, error) {
		p, err := fromProto(gp)
		if err != nil {
			return nil, status.Error(codes.InvalidArgument, err.Error())
		}
		fp := prefix.join(p)
		if err := s.concrete(fp); err != nil {
			return nil, status.Error(codes.InvalidArgument, err.Error())
		}
		return fp, nil
	}
	// gNMI order: all deletes, then replaces, then updates.
	for _, d := range req.GetDelete() {
		fp, err := full(d)
		if err != nil {
			return nil, nil, err
		}
		if err := s.del(cur, fp, true, touched); err != nil {
			return nil, nil, err
		}
		results = append(results, &gpb.UpdateResult{Path: d, Op: gpb.UpdateResult_DELETE})
	}
	for _, u := range req.GetReplace() {
		fp, err := full(u.GetPath())
		if err != nil {
			return nil, nil, err
		}
		if err := s.del(cur, fp, false, touched); err != nil {
			return nil, nil, err
		}
		if err := s.update(cur, fp, u.GetVal(), touched); err != nil {
			return nil, nil, err
		}
		results = append(results, &gpb.UpdateResult{Path: u.GetPath(), Op: gpb.UpdateResult_REPLACE})
	}
	for _, u := range req.GetUpdate() {
		fp, err := full(u.GetPath())
		if err != nil {
			return nil, nil, err
		}
		if err := s.update(cur, fp, u.GetVal(), touched); err != nil {
			return nil, nil, err
		}
		results = append(results, &gpb.UpdateResult{Path: u.GetPath(), Op: gpb.UpdateResult_UPDATE})
	}
	if err := s.complete(cur, touched); err != nil {
		return nil, nil, err
	}
	return s.diff(old, cur), results, nil
}

// del removes the writable leaves and creatable entries at or below p.
// Deleting what is not there is not an error (gNMI 3.4.6).
func (s *schema) del(v *configView, p Path, explicit bool, touched map[string]bool) error {
	if _, ok := s.leaf(p); ok {
		delete(v.leaves, p.String())
		// The entry keeping this leaf must stay complete (a neighbor
		// without peer-as is not a neighbor).
		for i := len(p) - 1; i >= 0; i-- {
			if len(p[i].Keys) > 0 {
				if ls, ok := s.list(p[:i+1]); ok && ls.creatable {
					touched[p[:i+1].String()] = true
				}
				break
			}
		}
		return nil
	}
	if !s.covers(p) {
		if err := s.unknown(v, p, "delete"); err != nil {
			return err
		}
		if explicit {
			return status.Errorf(codes.InvalidArgument, "delete %s: not a writable path on this target", p)
		}
		return status.Errorf(codes.InvalidArgument, "replace %s: not a writable path on this target", p)
	}
	for k := range v.leaves {
		if v.paths[k].hasPrefix(p) {
			delete(v.leaves, k)
		}
	}
	for k := range v.entries {
		ep := v.paths[k]
		if ep.hasPrefix(p) {
			if ls, ok := s.list(ep); ok && ls.creatable {
				delete(v.entries, k)
			}
		}
	}
	return nil
}

func (s *schema) update(v *configView, p Path, tv *gpb.TypedValue, touched map[string]bool) error {
	flat, err := s.flatten(p, tv)
	if err != nil {
		return status.Error(codes.InvalidArgument, err.Error())
	}
	for _, f := range flat {
		if err := s.concrete(f.path); err != nil {
			return status.Error(codes.InvalidArgument, err.Error())
		}
		if key, ok := s.keyEcho(f.path); ok {
			if fmt.Sprint(f.v) != key {
				return status.Errorf(codes.InvalidArgument, "update %s: value %v differs from the key %q in the path", f.path, f.v, key)
			}
			continue
		}
		ls, ok := s.leaf(f.path)
		if !ok {
			if err := s.unknown(v, f.path, "update"); err != nil {
				return err
			}
			return status.Errorf(codes.InvalidArgument, "update %s: not a writable leaf on this target, it is read-only state (writable: %v)", f.path, WritablePaths)
		}
		val, err := ls.decode(f.v)
		if err != nil {
			return status.Errorf(codes.InvalidArgument, "update %s: %v (%s)", f.path, err, ls.kind)
		}
		if err := s.ensureEntries(v, f.path, touched); err != nil {
			return err
		}
		k := f.path.String()
		v.leaves[k] = val
		v.paths[k] = f.path
	}
	return nil
}

// unknown answers NotFound for a path this target does not have, as gNMI
// asks of a Set naming an invalid path: one whose schema path (names, keys
// aside) is neither a writable leaf nor anything the device reports, or a
// writable leaf in a list entry that cannot exist (a network instance
// other than default). It returns nil for a path that exists.
func (s *schema) unknown(v *configView, p Path, op string) error {
	sh := shapeOf(p)
	for _, l := range s.leaves {
		if shapeOf(l.pattern) == sh || strings.HasPrefix(shapeOf(l.pattern), sh+"/") {
			if op == "update" {
				return status.Errorf(codes.NotFound, "%s %s: no such entry on this target (writable: %v)", op, p, WritablePaths)
			}
			return nil
		}
	}
	if v.shapes[sh] {
		return nil
	}
	return status.Errorf(codes.NotFound, "%s %s: no such path on this target", op, p)
}

// shapeOf is a path's schema path: its names without keys.
func shapeOf(p Path) string {
	var b strings.Builder
	for _, e := range p {
		b.WriteString("/")
		b.WriteString(e.Name)
	}
	return b.String()
}

func addShapes(set map[string]bool, p Path) {
	var b strings.Builder
	for _, e := range p {
		b.WriteString("/")
		b.WriteString(e.Name)
		set[b.String()] = true
	}
}

// ensureEntries checks the keys of every list entry on the way to leaf p
// and creates the missing ones that may be created.
func (s *schema) ensureEntries(v *configView, p Path, touched map[string]bool) error {
	for i, e := range p {
		if len(e.Keys) == 0 {
			continue
		}
		ep := p[:i+1]
		ls, ok := s.list(ep)
		if !ok {
			return status.Errorf(codes.InvalidArgument, "update %s: list entry %s is not served by this target", p, ep)
		}
		if ls.keyCheck != nil {
			if err := ls.keyCheck(e.Keys); err != nil {
				return status.Errorf(codes.InvalidArgument, "update %s: %v", p, err)
			}
		}
		k := ep.String()
		if v.entries[k] {
			touched[k] = touched[k] || ls.creatable
			continue
		}
		if !ls.creatable {
			return status.Errorf(codes.NotFound, "update %s: %s does not exist on this device", p, ep)
		}
		v.entries[k] = true
		v.paths[k] = ep.clone()
		touched[k] = true
	}
	return nil
}

// complete checks that every list entry the Set touched has its mandatory
// leaves: a neighbor its peer-as, an address its prefix-length.
func (s *schema) complete(v *configView, touched map[string]bool) error {
	need := map[string]string{
		"neighbor": "config/peer-as",
		"address":  "config/prefix-length",
	}
	keys := make([]string, 0, len(touched))
	for k := range touched {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if !v.entries[k] {
			continue // deleted again later in the same Set
		}
		ep := v.paths[k]
		leaf, ok := need[ep[len(ep)-1].Name]
		if !ok {
			continue
		}
		lp := ep.join(MustParsePath(leaf)).String()
		if _, ok := v.leaves[lp]; !ok {
			return status.Errorf(codes.InvalidArgument, "%s: %s is mandatory", ep, leaf)
		}
	}
	return nil
}

// diff lists what changed from old to cur: whole entries deleted, then
// leaves deleted, then leaves set, each sorted by path. Only entries a Set
// may delete count: a state-only entry that came or went (a transceiver
// plugged in since) is not config.
func (s *schema) diff(old, cur *configView) []Change {
	var gone []Path
	for k := range old.entries {
		if !cur.entries[k] {
			if ls, ok := s.list(old.paths[k]); ok && ls.creatable {
				gone = append(gone, old.paths[k])
			}
		}
	}
	sort.Slice(gone, func(i, j int) bool { return len(gone[i]) < len(gone[j]) })
	var top []Path
	for _, g := range gone {
		under := false
		for _, t := range top {
			if g.hasPrefix(t) {
				under = true
				break
			}
		}
		if !under {
			top = append(top, g)
		}
	}
	var dels, leafDels, sets []Change
	for _, t := range top {
		dels = append(dels, Change{Op: OpDelete, Path: t.String()})
	}
	for k, ov := range old.leaves {
		nv, ok := cur.leaves[k]
		if ok {
			if fmt.Sprint(nv) != fmt.Sprint(ov) {
				sets = append(sets, Change{Op: OpSet, Path: k, Value: nv})
			}
			continue
		}
		under := false
		for _, t := range top {
			if old.paths[k].hasPrefix(t) {
				under = true
				break
			}
		}
		if !under {
			leafDels = append(leafDels, Change{Op: OpDelete, Path: k})
		}
	}
	for k, nv := range cur.leaves {
		if _, ok := old.leaves[k]; !ok {
			sets = append(sets, Change{Op: OpSet, Path: k, Value: nv})
		}
	}
	byPath := func(c []Change) {
		sort.Slice(c, func(i, j int) bool { return c[i].Path < c[j].Path })
	}
	byPath(dels)
	byPath(leafDels)
	// Leaves that create their entry go first, so that a new neighbor
	// exists (remote-as) before its description or shutdown arrive.
	sort.Slice(sets, func(i, j int) bool {
		ci, cj := createsEntry(sets[i].Path), createsEntry(sets[j].Path)
		if ci != cj {
			return ci
		}
		return sets[i].Path < sets[j].Path
	})
	return append(append(dels, leafDels...), sets...)
}

func createsEntry(path string) bool {
	return strings.HasSuffix(path, "/config/peer-as") || strings.HasSuffix(path, "/config/prefix-length")
}

// Set validates the whole request against the device's current state and
// hands the resulting changes to the backend in one Apply. With the commit
// confirmed extension it also arms a rollback (see commit.go).
func (s *Server) Set(ctx context.Context, req *gpb.SetRequest) (*gpb.SetResponse, error) {
	if len(req.GetUnionReplace()) > 0 {
		return nil, status.Error(codes.Unimplemented, "union_replace is not supported")
	}
	commit, err := commitExtension(req)
	if err != nil {
		return nil, err
	}
	// Sets run one at a time so that each plans against the state the
	// previous one left.
	s.setMu.Lock()
	defer s.setMu.Unlock()
	if commit != nil && commit.GetCommit() == nil {
		return s.commitAction(ctx, req, commit)
	}
	if err := s.checkCommitWindow(commit); err != nil {
		return nil, err
	}
	state, err := s.readState(ctx)
	if err != nil {
		return nil, err
	}
	changes, results, err := s.schema.plan(state, req)
	if err != nil {
		s.log.Info("gnmi set rejected", "target", s.name, "err", err)
		return nil, err
	}
	if err := s.apply(ctx, changes); err != nil {
		return nil, err
	}
	if commit != nil {
		s.armRollback(commit, s.schema.view(state))
	}
	s.log.Debug("gnmi set applied", "target", s.name, "changes", len(changes))
	return &gpb.SetResponse{Prefix: req.GetPrefix(), Response: results, Timestamp: s.now().UnixNano()}, nil
}

// apply hands changes to the backend and maps its refusal to a status.
func (s *Server) apply(ctx context.Context, changes []Change) error {
	if len(changes) == 0 {
		return nil
	}
	actx, cancel := context.WithTimeout(ctx, s.timeout)
	err := s.backend.Apply(actx, changes)
	cancel()
	if err == nil {
		return nil
	}
	s.log.Info("gnmi set refused by device", "target", s.name, "err", err)
	if st, ok := status.FromError(err); ok && st.Code() != codes.Unknown {
		return err
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return status.FromContextError(err).Err()
	}
	return status.Errorf(codes.Aborted, "device refused the change, nothing applied: %v", err)
}
