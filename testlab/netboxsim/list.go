package netboxsim

import (
	"bytes"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// reserved query parameters are not filters.
var reserved = map[string]bool{"limit": true, "offset": true, "brief": true, "ordering": true, "format": true, "exclude": true, "fields": true}

func (s *Server) list(w http.ResponseWriter, r *http.Request, k *kind, base string, malformed bool) {
	q := r.URL.Query()
	limit := s.opts.DefaultPageSize
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			writeJSON(w, http.StatusBadRequest, map[string]any{"limit": []string{"A valid integer is required."}})
			return
		}
		limit = n
	}
	if limit == 0 || limit > s.opts.MaxPageSize {
		limit = s.opts.MaxPageSize
	}
	offset := 0
	if v := q.Get("offset"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			writeJSON(w, http.StatusBadRequest, map[string]any{"offset": []string{"A valid integer is required."}})
			return
		}
		offset = n
	}
	brief := q.Get("brief") == "true" || q.Get("brief") == "1" || q.Get("brief") == "True"

	s.mu.RLock()
	defer s.mu.RUnlock()
	d := s.derivedLocked()
	t := s.tables[k.path]
	ids := t.order
	if filters := filtersOf(q); len(filters) > 0 {
		ids = nil
		sets := idSets(filters)
		cand := t.order
		// One indexed id filter narrows the candidates; match still
		// applies every filter to them.
		for name, set := range sets {
			if idx, ok := s.idIndex(d, k, t, name); ok {
				var c []int
				for v := range set {
					c = append(c, idx[v]...)
				}
				slices.Sort(c)
				cand = slices.Compact(c)
				break
			}
		}
		for _, id := range cand {
			if s.match(k, t.objs[id], id, filters, sets) {
				ids = append(ids, id)
			}
		}
	}
	count := len(ids)
	page := ids[min(offset, count):min(offset+limit, count)]
	var buf bytes.Buffer
	buf.WriteString(`{"count":`)
	buf.WriteString(strconv.Itoa(count))
	buf.WriteString(`,"next":`)
	writeLink(&buf, r, base, offset+limit, limit, offset+limit < count)
	buf.WriteString(`,"previous":`)
	writeLink(&buf, r, base, max(offset-limit, 0), limit, offset > 0)
	buf.WriteString(`,"results":[`)
	for i, id := range page {
		if i > 0 {
			buf.WriteByte(',')
		}
		if brief {
			b, _ := jsonMarshal(s.brief(d, k.path, id, base))
			buf.Write(b)
			continue
		}
		buf.Write(s.renderFullEx(d, k, id, base, q.Get("exclude")))
	}
	buf.WriteString("]}")
	body := buf.Bytes()
	if malformed {
		body = body[:len(body)*2/3]
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("API-Version", "4.0")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}

// writeLink writes the next/previous URL the way Django REST framework's
// LimitOffsetPagination builds it: the request URL with limit and offset replaced.
func writeLink(buf *bytes.Buffer, r *http.Request, base string, offset, limit int, ok bool) {
	if !ok {
		buf.WriteString("null")
		return
	}
	q := r.URL.Query()
	q.Set("limit", strconv.Itoa(limit))
	if offset > 0 {
		q.Set("offset", strconv.Itoa(offset))
	} else {
		q.Del("offset")
	}
	b, _ := jsonMarshal(base + r.URL.Path + "?" + q.Encode())
	buf.Write(b)
}

// idIndex returns, for an id filter idKeys handles on k, each key's
// objects in ascending id order, built once per version of the tables;
// ok is false for a filter idKeys does not handle. The caller holds s.mu
// for reading.
func (s *Server) idIndex(d *derived, k *kind, t *table, name string) (map[string][]int, bool) {
	key := k.path + "|" + name
	s.dmu.Lock()
	m, done := d.idIndex[key]
	s.dmu.Unlock()
	if done {
		return m, m != nil
	}
	m = map[string][]int{}
	for _, id := range t.order {
		keys, handled := s.idKeys(k, t.objs[id], id, name)
		if !handled {
			m = nil
			break
		}
		for i, kk := range keys {
			if !slices.Contains(keys[:i], kk) { // a cable with both ends in one site
				m[kk] = append(m[kk], id)
			}
		}
	}
	s.dmu.Lock()
	d.idIndex[key] = m
	s.dmu.Unlock()
	return m, m != nil
}

func filtersOf(q url.Values) map[string][]string {
	out := map[string][]string{}
	for k, v := range q {
		if !reserved[k] {
			out[k] = v
		}
	}
	return out
}

// match applies NetBox-style filters: id, a scalar field, field_id for a
// foreign key, or a foreign key by slug or name. Values of one filter are
// ORed, filters are ANDed. Unknown filters are ignored, as NetBox 4.0 does.
func (s *Server) match(k *kind, o object, id int, filters map[string][]string, sets map[string]map[string]bool) bool {
	for name, values := range filters {
		if set := sets[name]; set != nil {
			if keys, handled := s.idKeys(k, o, id, name); handled {
				ok := false
				for _, key := range keys {
					ok = ok || set[key]
				}
				if !ok {
					return false
				}
				continue
			}
		}
		ok := false
		for _, v := range values {
			if s.matchOne(k, o, id, name, v) {
				ok = true
				break
			}
		}
		if !ok && s.knownFilter(k, name) {
			return false
		}
	}
	return true
}

// idSets are the filters given many ids (a client reading the part of a
// NetBox its sites select sends site_id=1&site_id=2... by the hundred), as
// sets, so that each object is matched once rather than once per id.
func idSets(filters map[string][]string) map[string]map[string]bool {
	var sets map[string]map[string]bool
	for name, values := range filters {
		if len(values) < 8 || name != "id" && !strings.HasSuffix(name, "_id") {
			continue
		}
		set := make(map[string]bool, len(values))
		for _, v := range values {
			set[v] = true
		}
		if sets == nil {
			sets = map[string]map[string]bool{}
		}
		sets[name] = set
	}
	return sets
}

// idKeys is what an id filter compares with an object: its id, the id of
// the site or device it sits in, or a foreign key's id. handled is false
// for a filter idKeys does not know, which match then treats one value
// at a time.
func (s *Server) idKeys(k *kind, o object, id int, name string) (keys []string, handled bool) {
	itoa := func(v any) string {
		if n, ok := v.(int); ok {
			return strconv.Itoa(n)
		}
		return ""
	}
	switch {
	case name == "id":
		return []string{strconv.Itoa(id)}, true
	case name == "site_id" && k.field("site") == nil && k.field("device") != nil:
		dev, _ := o["device"].(int)
		return []string{itoa(s.tables["dcim/devices"].objs[dev]["site"])}, true
	case name == "site_id" && k.path == "dcim/cables":
		for _, t := range append(terms(o["a_terminations"]), terms(o["b_terminations"])...) {
			keys = append(keys, itoa(s.siteOfTermination(t)))
		}
		return keys, true
	case name == "device_id" && k.path == "ipam/ip-addresses":
		if o["assigned_object_type"] != "dcim.interface" {
			return nil, true
		}
		aid, _ := toInt(o["assigned_object_id"])
		return []string{itoa(s.tables["dcim/interfaces"].objs[aid]["device"])}, true
	}
	if _, derived := s.derivedFilter(k, nil, name, ""); derived {
		return nil, false
	}
	if f := k.field(strings.TrimSuffix(name, "_id")); f != nil && f.kind == fRef && k.field(name) == nil {
		return []string{itoa(o[strings.TrimSuffix(name, "_id")])}, true
	}
	return nil, false
}

func (s *Server) knownFilter(k *kind, name string) bool {
	if name == "id" {
		return true
	}
	if _, ok := s.derivedFilter(k, nil, name, ""); ok {
		return true
	}
	base := strings.TrimSuffix(name, "_id")
	return k.field(name) != nil || k.field(base) != nil
}

func (s *Server) matchOne(k *kind, o object, id int, name, v string) bool {
	if name == "id" {
		return strconv.Itoa(id) == v
	}
	if m, ok := s.derivedFilter(k, o, name, v); ok {
		return m
	}
	if f := k.field(name); f != nil {
		switch f.kind {
		case fRef:
			rid, ok := o[name].(int)
			if !ok {
				return v == "null"
			}
			ro := s.tables[f.ref].objs[rid]
			return str(ro["slug"]) == v || str(ro["name"]) == v
		case fStr, fChoice, fPlain:
			return str(o[name]) == v
		case fInt, fNum:
			return str(o[name]) == v
		case fBool:
			return strconv.FormatBool(o[name] == true) == strings.ToLower(v)
		}
		return false
	}
	base := strings.TrimSuffix(name, "_id")
	if f := k.field(base); f != nil && f.kind == fRef {
		rid, ok := o[base].(int)
		return ok && strconv.Itoa(rid) == v
	}
	return false
}

// derivedFilter is a filter NetBox answers through a relation rather than
// a field of the object: tag (by slug), region and site group with their
// children, site_id of a device component or cable, device_id of an IP
// address. ok is false when name is not one of them for this kind; o nil
// only asks that.
func (s *Server) derivedFilter(k *kind, o object, name, v string) (match, ok bool) {
	switch {
	case name == "tag" && k.field("tags") != nil:
		if o == nil {
			return false, true
		}
		ids, _ := o["tags"].([]int)
		for _, id := range ids {
			if str(s.tables["extras/tags"].objs[id]["slug"]) == v {
				return true, true
			}
		}
		return false, true
	case (name == "region" || name == "region_id") && k.path == "dcim/sites",
		(name == "group" || name == "group_id") && k.path == "dcim/sites":
		if o == nil {
			return false, true
		}
		field, path := "region", "dcim/regions"
		if strings.HasPrefix(name, "group") {
			field, path = "group", "dcim/site-groups"
		}
		// TreeNodeMultipleChoiceFilter: the node or any of its descendants.
		for n, hops := o[field], 0; n != nil && hops < 100; hops++ {
			id, _ := n.(int)
			node := s.tables[path].objs[id]
			if node == nil {
				break
			}
			if strconv.Itoa(id) == v || str(node["slug"]) == v {
				return true, true
			}
			n = node["parent"]
		}
		return false, true
	case name == "site_id" && k.field("site") == nil && k.field("device") != nil:
		if o == nil {
			return false, true
		}
		dev, _ := o["device"].(int)
		return str(s.tables["dcim/devices"].objs[dev]["site"]) == v, true
	case name == "site_id" && k.path == "dcim/cables":
		if o == nil {
			return false, true
		}
		for _, t := range append(terms(o["a_terminations"]), terms(o["b_terminations"])...) {
			if str(s.siteOfTermination(t)) == v {
				return true, true
			}
		}
		return false, true
	case name == "site_id" && s.rel.scoped() && (k.path == "circuits/circuit-terminations" || k.path == "ipam/prefixes"):
		// 4.2 keeps the site filters through the scope (its cached _site).
		if o == nil {
			return false, true
		}
		tf, idf := "scope_type", "scope_id"
		if k.path == "circuits/circuit-terminations" {
			tf, idf = "termination_type", "termination_id"
		}
		return str(scopeSite(o, tf, idf)) == v, true
	case name == "device_id" && k.path == "ipam/ip-addresses":
		if o == nil {
			return false, true
		}
		if o["assigned_object_type"] != "dcim.interface" {
			return false, true
		}
		aid, _ := toInt(o["assigned_object_id"])
		return str(s.tables["dcim/interfaces"].objs[aid]["device"]) == v, true
	}
	return false, false
}

// siteOfTermination is the site a cable end is in (NetBox caches it on
// the termination as _site).
func (s *Server) siteOfTermination(t termRef) any {
	path := objectTypeOfPath[t.objType]
	o := s.tables[path].objs[t.id]
	if o == nil {
		return nil
	}
	if dev, ok := o["device"].(int); ok {
		return s.tables["dcim/devices"].objs[dev]["site"]
	}
	return o["site"]
}
