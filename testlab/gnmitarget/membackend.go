package gnmitarget

import (
	"context"
	"fmt"
	"sort"
	"sync"
)

// MemBackend is a Backend holding leaves in memory: the reference for
// devices implementing Backend and the device of this package's tests. Its
// zero value is an empty device; it is safe for concurrent use.
//
// Apply keeps state in step with config the way a device would: a set of
// .../config/X also sets .../state/X, interface enabled drives admin-status
// and oper-status, and a new list entry gets its key leaves. It refuses
// changes outside WritablePaths and CreatableLists, so a server bug shows
// up as a failed Set rather than a silently odd device.
type MemBackend struct {
	// Refuse, when set, is asked before each Apply; an error refuses the
	// whole change set, as a device rejecting a config would.
	Refuse func([]Change) error

	Notifier // Watch

	mu      sync.Mutex
	leaves  map[string]memLeaf
	sorted  []Leaf // State's answer, rebuilt after a change
	applied [][]Change
}

type memLeaf struct {
	path  Path
	value any
}

// NewMemBackend returns a MemBackend holding leaves.
func NewMemBackend(leaves ...Leaf) (*MemBackend, error) {
	m := &MemBackend{}
	for _, l := range leaves {
		if err := m.Set(l.Path, l.Value); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// Set sets one leaf, as the device's own life does (a counter advancing, a
// link going down), and tells watchers.
func (m *MemBackend) Set(path string, value any) error {
	p, err := ParsePath(path)
	if err != nil {
		return err
	}
	if p.HasWildcard() || len(p) == 0 {
		return fmt.Errorf("mem backend: set %s: want a concrete leaf path: %w", path, ErrBadPath)
	}
	if _, err := jsonScalar(value, false); err != nil {
		return fmt.Errorf("mem backend: set %s: %w", path, err)
	}
	m.mu.Lock()
	m.put(p, value)
	m.mu.Unlock()
	m.Notify()
	return nil
}

// Delete removes the leaf at path, or every leaf below it, and tells
// watchers.
func (m *MemBackend) Delete(path string) error {
	p, err := ParsePath(path)
	if err != nil {
		return err
	}
	m.mu.Lock()
	m.remove(p)
	m.mu.Unlock()
	m.Notify()
	return nil
}

// Value returns the value of the leaf at path.
func (m *MemBackend) Value(path string) (any, bool) {
	p, err := ParsePath(path)
	if err != nil {
		return nil, false
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	l, ok := m.leaves[p.String()]
	return l.value, ok
}

// Applied returns the change sets Apply accepted, oldest first.
func (m *MemBackend) Applied() [][]Change {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([][]Change(nil), m.applied...)
}

// State returns every leaf, sorted by path.
func (m *MemBackend) State(ctx context.Context) ([]Leaf, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.sorted == nil {
		m.sorted = make([]Leaf, 0, len(m.leaves))
		for k, l := range m.leaves {
			m.sorted = append(m.sorted, Leaf{Path: k, Value: l.value})
		}
		sort.Slice(m.sorted, func(i, j int) bool { return m.sorted[i].Path < m.sorted[j].Path })
	}
	// Callers may not keep it, but may hold it while we change: copy.
	return append([]Leaf(nil), m.sorted...), nil
}

// Apply makes every change or, if one is outside the writable schema or
// Refuse objects, none.
func (m *MemBackend) Apply(ctx context.Context, changes []Change) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	sc := newSchema()
	parsed := make([]Path, len(changes))
	for i, c := range changes {
		p, err := sc.check(c)
		if err != nil {
			return fmt.Errorf("mem backend: %w", err)
		}
		parsed[i] = p
	}
	if m.Refuse != nil {
		if err := m.Refuse(changes); err != nil {
			return err
		}
	}
	m.mu.Lock()
	for i, c := range changes {
		p := parsed[i]
		if c.Op == OpDelete {
			m.remove(p)
			if twin := stateTwin(p); twin != nil {
				m.remove(twin)
			}
			continue
		}
		m.put(p, c.Value)
		if twin := stateTwin(p); twin != nil {
			m.put(twin, c.Value)
		}
		m.keyLeaves(p)
		if p[len(p)-1].Name == "enabled" && len(p) == 4 && p[0].Name == "interfaces" {
			st := "DOWN"
			if c.Value == true {
				st = "UP"
			}
			m.put(MustParsePath(InterfacePath(p[1].Keys["name"], "state/admin-status")), st)
			m.put(MustParsePath(InterfacePath(p[1].Keys["name"], "state/oper-status")), st)
		}
	}
	m.applied = append(m.applied, append([]Change(nil), changes...))
	m.mu.Unlock()
	m.Notify()
	return nil
}

func (m *MemBackend) put(p Path, v any) {
	if m.leaves == nil {
		m.leaves = map[string]memLeaf{}
	}
	m.leaves[p.String()] = memLeaf{path: p, value: v}
	m.sorted = nil
}

func (m *MemBackend) remove(p Path) {
	for k, l := range m.leaves {
		if l.path.hasPrefix(p) {
			delete(m.leaves, k)
		}
	}
	m.sorted = nil
}

// keyLeaves adds the config and state copies of the key of the list entry
// that holds leaf p (neighbor-address, ip, index), as a device shows them.
func (m *MemBackend) keyLeaves(p Path) {
	for i := len(p) - 1; i >= 0; i-- {
		if len(p[i].Keys) == 0 {
			continue
		}
		entry := p[:i+1]
		for k, v := range p[i].Keys {
			var val any = v
			if k == "index" {
				var n uint32
				if _, err := fmt.Sscan(v, &n); err == nil {
					val = n
				}
			}
			for _, c := range []string{"config", "state"} {
				m.put(entry.join(Path{{Name: c}, {Name: k}}), val)
			}
		}
		return
	}
}

// stateTwin is the state leaf mirroring config leaf p, or nil.
func stateTwin(p Path) Path {
	for i := len(p) - 1; i >= 0; i-- {
		if p[i].Name == "config" {
			q := p.clone()
			q[i].Name = "state"
			return q
		}
	}
	return nil
}
