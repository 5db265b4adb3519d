package netboxsim

import (
	"fmt"
	"slices"
)

// onDelete says what happens to an object whose field f points at a deleted
// object, following NetBox's on_delete settings.
func onDelete(k *kind, f *field) string {
	switch {
	case f.kind == fRefs:
		return "remove"
	case f.name == "device" && k.cabled, k.path == "dcim/front-ports" && f.name == "rear_port",
		k.path == "circuits/circuit-terminations" && f.name == "circuit", k.path == "dcim/regions" && f.name == "parent",
		k.path == "dcim/locations" && (f.name == "site" || f.name == "parent"):
		return "cascade"
	case f.required, k.path == "ipam/prefixes" && f.name == "site", k.path == "dcim/devices" && f.name == "location", k.path == "circuits/circuit-terminations" && f.name == "site":
		return "protect"
	}
	return "null"
}

// dependents calls fn for every (kind, id, field) pointing at path/id.
func (s *Server) dependents(path string, id int, fn func(k *kind, oid int, f *field)) {
	for _, k := range s.kinds {
		for i := range k.fields {
			f := &k.fields[i]
			if (f.kind != fRef && f.kind != fRefs) || f.ref != path {
				continue
			}
			t := s.tables[k.path]
			for _, oid := range t.order {
				v := t.objs[oid][f.name]
				if v == id || (f.kind == fRefs && slices.Contains(asInts(v), id)) {
					fn(k, oid, f)
				}
			}
		}
	}
}

func asInts(v any) []int { l, _ := v.([]int); return l }

// protectedBy names an object that forbids deleting path/id, or returns "".
func (s *Server) protectedBy(k *kind, id int) string {
	var found string
	s.dependents(k.path, id, func(dk *kind, oid int, f *field) {
		if found != "" {
			return
		}
		switch onDelete(dk, f) {
		case "protect":
			found = fmt.Sprintf("%s %s", dk.objectType, dk.display(s, s.tables[dk.path].objs[oid]))
		case "cascade":
			found = s.protectedBy(dk, oid)
		}
	})
	return found
}

// delete removes an object and applies NetBox's cascades. The caller has
// checked protectedBy and holds s.mu.
func (s *Server) delete(k *kind, id int) {
	if s.tables[k.path].objs[id] == nil {
		return
	}
	type dep struct {
		k  *kind
		id int
		f  *field
	}
	var deps []dep
	s.dependents(k.path, id, func(dk *kind, oid int, f *field) { deps = append(deps, dep{dk, oid, f}) })
	for _, d := range deps {
		o := s.tables[d.k.path].objs[d.id]
		if o == nil {
			continue
		}
		switch onDelete(d.k, d.f) {
		case "cascade":
			s.delete(d.k, d.id)
		case "remove":
			o[d.f.name] = slices.DeleteFunc(slices.Clone(asInts(o[d.f.name])), func(x int) bool { return x == id })
		default:
			o[d.f.name] = nil
		}
	}
	if k.cabled {
		// A cable loses its end with the port; tuyau's simulator deletes the
		// cable with it so that no half-terminated cable is left behind.
		if ce, ok := s.cableIdx[termRef{k.objectType, id}]; ok {
			s.delete(s.byPath["dcim/cables"], ce.cable)
		}
		if k.path == "dcim/interfaces" {
			ips := s.tables["ipam/ip-addresses"]
			for _, ipid := range slices.Clone(ips.order) {
				o := ips.objs[ipid]
				if aid, _ := toInt(o["assigned_object_id"]); o["assigned_object_type"] == "dcim.interface" && aid == id {
					s.delete(ips.k, ipid)
				}
			}
		}
	}
	s.remove(k, id)
}

// remove drops one object and its index entries, nothing else.
func (s *Server) remove(k *kind, id int) {
	t := s.tables[k.path]
	o := t.objs[id]
	if o == nil {
		return
	}
	s.unindex(k, id, o)
	delete(t.objs, id)
	if i, ok := slices.BinarySearch(t.order, id); ok {
		t.order = slices.Delete(t.order, i, i+1)
	}
	s.version++
}

func uniqueKey(u []string, o object) (string, bool) {
	key := ""
	for _, f := range u {
		if o[f] == nil {
			return "", false
		}
		key += fmt.Sprint(o[f]) + "\x00"
	}
	return key, true
}

func (s *Server) index(k *kind, id int, o object) {
	t := s.tables[k.path]
	for i, u := range k.unique {
		if key, ok := uniqueKey(u, o); ok {
			t.uniq[i][key] = id
		}
	}
	if k.path == "dcim/cables" {
		for _, end := range []string{"A", "B"} {
			field := "a_terminations"
			if end == "B" {
				field = "b_terminations"
			}
			for _, tr := range terms(o[field]) {
				s.cableIdx[tr] = cableEnd{id, end}
			}
		}
	}
}

func (s *Server) unindex(k *kind, id int, o object) {
	t := s.tables[k.path]
	for i, u := range k.unique {
		if key, ok := uniqueKey(u, o); ok && t.uniq[i][key] == id {
			delete(t.uniq[i], key)
		}
	}
	if k.path == "dcim/cables" {
		for _, field := range []string{"a_terminations", "b_terminations"} {
			for _, tr := range terms(o[field]) {
				if s.cableIdx[tr].cable == id {
					delete(s.cableIdx, tr)
				}
			}
		}
	}
}
