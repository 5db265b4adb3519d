package netboxsim

import (
	"encoding/json"
	"io"
	"math"
	"net/http"
)

var jsonMarshal = json.Marshal

// errs is a NetBox validation error body: field -> messages.
type errs map[string][]string

func (e errs) add(field, msg string) { e[field] = append(e[field], msg) }

func toInt(v any) (int, bool) {
	switch x := v.(type) {
	case int:
		return x, true
	case float64:
		if x == math.Trunc(x) {
			return int(x), true
		}
	case json.Number:
		n, err := x.Int64()
		return int(n), err == nil
	}
	return 0, false
}

func readBody(r *http.Request) (any, error) {
	b, err := io.ReadAll(io.LimitReader(r.Body, 64<<20))
	if err != nil {
		return nil, err
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return nil, err
	}
	return v, nil
}

func parseError(w http.ResponseWriter, err error) {
	writeJSON(w, http.StatusBadRequest, map[string]any{"detail": "JSON parse error - " + err.Error()})
}

func (s *Server) getHTTP(w http.ResponseWriter, k *kind, id int, base string) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.tables[k.path].objs[id] == nil {
		writeJSON(w, http.StatusNotFound, map[string]any{"detail": "No " + k.objectType + " matches the given query."})
		return
	}
	d := s.derivedLocked()
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(s.renderFull(d, k, id, base))
}

// createHTTP answers POST on a list endpoint: one object, or a list created
// all or nothing as NetBox's bulk create does.
func (s *Server) createHTTP(w http.ResponseWriter, r *http.Request, k *kind, base string) {
	body, err := readBody(r)
	if err != nil {
		parseError(w, err)
		return
	}
	items, bulk := body.([]any)
	if !bulk {
		items = []any{body}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var created []int
	all := make([]any, len(items))
	failed := false
	for i, it := range items {
		in, ok := it.(map[string]any)
		if !ok {
			all[i] = errs{"non_field_errors": {"Invalid data. Expected a dictionary, but got " + jsonType(it) + "."}}
			failed = true
			continue
		}
		id, e := s.write(k, 0, in, false)
		if len(e) > 0 {
			all[i], failed = e, true
			continue
		}
		all[i] = map[string]any{}
		created = append(created, id)
	}
	if failed {
		for _, id := range created {
			s.remove(k, id)
		}
		s.version++
		if !bulk {
			writeJSON(w, http.StatusBadRequest, all[0])
			return
		}
		writeJSON(w, http.StatusBadRequest, all)
		return
	}
	s.respondObjects(w, http.StatusCreated, k, created, base, bulk)
}

func (s *Server) respondObjects(w http.ResponseWriter, code int, k *kind, ids []int, base string, bulk bool) {
	d := s.derivedLocked()
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	if !bulk {
		_, _ = w.Write(s.renderFull(d, k, ids[0], base))
		return
	}
	_, _ = w.Write([]byte("["))
	for i, id := range ids {
		if i > 0 {
			_, _ = w.Write([]byte(","))
		}
		_, _ = w.Write(s.renderFull(d, k, id, base))
	}
	_, _ = w.Write([]byte("]"))
}

func (s *Server) updateHTTP(w http.ResponseWriter, r *http.Request, k *kind, id int, base string, partial bool) {
	body, err := readBody(r)
	if err != nil {
		parseError(w, err)
		return
	}
	in, ok := body.(map[string]any)
	if !ok {
		writeJSON(w, http.StatusBadRequest, errs{"non_field_errors": {"Invalid data. Expected a dictionary, but got " + jsonType(body) + "."}})
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tables[k.path].objs[id] == nil {
		writeJSON(w, http.StatusNotFound, map[string]any{"detail": "No " + k.objectType + " matches the given query."})
		return
	}
	if _, e := s.write(k, id, in, partial); len(e) > 0 {
		writeJSON(w, http.StatusBadRequest, e)
		return
	}
	s.respondObjects(w, http.StatusOK, k, []int{id}, base, false)
}

// bulkUpdateHTTP answers PATCH/PUT on a list endpoint: a list of objects
// with ids, updated in one transaction as NetBox's BulkUpdateModelMixin
// does: the first invalid object's errors come back with 400 and nothing
// is changed. Like NetBox (which filters the queryset by the ids given),
// an id that matches no object is passed over, not an error.
func (s *Server) bulkUpdateHTTP(w http.ResponseWriter, r *http.Request, k *kind, base string, partial bool) {
	body, err := readBody(r)
	if err != nil {
		parseError(w, err)
		return
	}
	items, ok := body.([]any)
	if !ok {
		writeJSON(w, http.StatusBadRequest, map[string]any{"non_field_errors": []string{"Expected a list of items."}})
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var ids []int
	var ins []map[string]any
	for i, it := range items {
		in, _ := it.(map[string]any)
		id, ok := toInt(in["id"])
		if !ok {
			all := make([]any, len(items))
			for j := range all {
				all[j] = map[string]any{}
			}
			all[i] = map[string]any{"id": []string{"A valid integer is required."}}
			writeJSON(w, http.StatusBadRequest, all)
			return
		}
		if s.tables[k.path].objs[id] == nil {
			continue
		}
		ids, ins = append(ids, id), append(ins, in)
	}
	t := s.tables[k.path]
	before := make([]object, 0, len(ids))
	for i, id := range ids {
		old := t.objs[id]
		if _, e := s.write(k, id, ins[i], partial); len(e) > 0 {
			before = append(before, old)
			s.rollback(k, ids[:len(before)], before)
			writeJSON(w, http.StatusBadRequest, e)
			return
		}
		before = append(before, old)
	}
	s.respondObjects(w, http.StatusOK, k, ids, base, true)
}

// rollback puts back the objects a failed bulk update had written, last
// first, as the transaction's rollback does.
func (s *Server) rollback(k *kind, ids []int, before []object) {
	t := s.tables[k.path]
	for i := len(ids) - 1; i >= 0; i-- {
		id := ids[i]
		if cur := t.objs[id]; cur != nil {
			s.unindex(k, id, cur)
		}
		t.objs[id] = before[i]
		s.index(k, id, before[i])
	}
	s.version++
}

func (s *Server) bulkDeleteHTTP(w http.ResponseWriter, r *http.Request, k *kind) {
	body, err := readBody(r)
	if err != nil {
		parseError(w, err)
		return
	}
	items, _ := body.([]any)
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, it := range items {
		in, _ := it.(map[string]any)
		id, ok := toInt(in["id"])
		if !ok || s.tables[k.path].objs[id] == nil {
			writeJSON(w, http.StatusBadRequest, map[string]any{"id": []string{"Related object not found using the provided numeric ID: " + str(in["id"])}})
			return
		}
		if dep := s.protectedBy(k, id); dep != "" {
			conflict(w, dep)
			return
		}
	}
	for _, it := range items {
		id, _ := toInt(it.(map[string]any)["id"])
		s.delete(k, id)
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) deleteHTTP(w http.ResponseWriter, k *kind, id int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tables[k.path].objs[id] == nil {
		writeJSON(w, http.StatusNotFound, map[string]any{"detail": "No " + k.objectType + " matches the given query."})
		return
	}
	if dep := s.protectedBy(k, id); dep != "" {
		conflict(w, dep)
		return
	}
	s.delete(k, id)
	w.WriteHeader(http.StatusNoContent)
}

func conflict(w http.ResponseWriter, dep string) {
	writeJSON(w, http.StatusConflict, map[string]any{
		"detail":            "Unable to delete object. 1 dependent objects were found: " + dep,
		"dependent_objects": []string{dep}})
}

func jsonType(v any) string {
	switch v.(type) {
	case []any:
		return "list"
	case string:
		return "str"
	case float64:
		return "int"
	case nil:
		return "NoneType"
	}
	return "dict"
}

// write validates in and stores it as object id (0 creates one). partial is
// PATCH: fields not given keep their value. The caller holds s.mu.
func (s *Server) write(k *kind, id int, in map[string]any, partial bool) (int, errs) {
	t := s.tables[k.path]
	e := errs{}
	var o object
	if id != 0 {
		o = cloneObject(t.objs[id])
	} else {
		o = object{}
	}
	for i := range k.fields {
		f := &k.fields[i]
		v, given := in[f.name]
		if !given {
			if id == 0 || !partial {
				if f.required {
					e.add(f.name, "This field is required.")
				} else if _, had := o[f.name]; !had || !partial {
					o[f.name] = f.def
				}
			}
			continue
		}
		nv, msg := s.convert(k, f, v, o)
		if msg != "" {
			e.add(f.name, msg)
			continue
		}
		o[f.name] = nv
	}
	if len(e) == 0 {
		s.checkObject(k, id, o, e)
	}
	if len(e) > 0 {
		return 0, e
	}
	now := timestamp(s.clock())
	if id == 0 {
		id = t.next
		t.next++
		t.order = append(t.order, id)
		o["created"] = now
	}
	o["id"], o["last_updated"] = id, now
	if old := t.objs[id]; old != nil {
		s.unindex(k, id, old)
	}
	t.objs[id] = o
	s.index(k, id, o)
	s.version++
	return id, nil
}

func cloneObject(o object) object {
	c := make(object, len(o))
	for k, v := range o {
		c[k] = v
	}
	return c
}
