package netboxsim

import (
	"encoding/json"
	"maps"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"
)

// termRef names a cable end the way NetBox's CableTermination does.
type termRef struct {
	objType string
	id      int
}

type cableEnd struct {
	cable int
	end   string // "A" or "B"
}

// derived holds what NetBox computes from relations: which cable is at a
// port, how many objects point at another. It is rebuilt after writes.
type derived struct {
	version uint64
	cableAt map[termRef]cableEnd
	counts  map[string]map[int]int // "dcim/devices.role" -> role id -> devices
	full    map[string]map[int][]byte
	// idIndex inverts idKeys per table and id filter ("dcim/interfaces|
	// site_id" -> site id -> interface ids, ascending): a filtered list then
	// costs its matches, as on NetBox's indexed database, not a scan of
	// the table per page (which made the simulator, not the client, most
	// of a brownfield read's time).
	idIndex map[string]map[string][]int
}

var objectTypeOfPath = map[string]string{
	"dcim.consoleport": "dcim/console-ports", "dcim.consoleserverport": "dcim/console-server-ports",
	"dcim.powerport": "dcim/power-ports", "dcim.poweroutlet": "dcim/power-outlets",
	"dcim.interface": "dcim/interfaces", "dcim.frontport": "dcim/front-ports",
	"dcim.rearport": "dcim/rear-ports", "circuits.circuittermination": "circuits/circuit-terminations",
}

// derivedLocked returns the derived data for the current version. The
// caller holds s.mu (read or write).
func (s *Server) derivedLocked() *derived {
	s.dmu.Lock()
	defer s.dmu.Unlock()
	if s.derived != nil && s.derived.version == s.version {
		return s.derived
	}
	d := &derived{version: s.version, counts: map[string]map[int]int{}, full: map[string]map[int][]byte{}, cableAt: s.cableIdx,
		idIndex: map[string]map[string][]int{}}
	s.derived = d
	return d
}

func terms(v any) []termRef {
	list, _ := v.([]termRef)
	return list
}

// count is how many path objects have field = id (a site's device_count),
// tallied once per table and field until the next write. The caller holds
// s.mu for reading.
func (s *Server) count(d *derived, path, field string, id int) int {
	key := path + "." + field
	s.dmu.Lock()
	defer s.dmu.Unlock()
	m, ok := d.counts[key]
	if !ok {
		m = map[int]int{}
		t := s.tables[path]
		for _, oid := range t.order {
			if v, ok := toInt(t.objs[oid][field]); ok {
				m[v]++
			}
		}
		d.counts[key] = m
	}
	return m[id]
}

func (s *Server) displayOf(path string, v any) string {
	id, ok := v.(int)
	if !ok {
		return ""
	}
	o := s.tables[path].objs[id]
	if o == nil {
		return ""
	}
	return s.byPath[path].display(s, o)
}

func objURL(base, path string, id int) string {
	return base + "/api/" + path + "/" + strconv.Itoa(id) + "/"
}

func family(addr string) map[string]any {
	if p, err := netip.ParsePrefix(addr); err == nil && p.Addr().Is6() {
		return map[string]any{"value": 6, "label": "IPv6"}
	}
	return map[string]any{"value": 4, "label": "IPv4"}
}

func renderChoice(f *field, v any) any {
	sv, _ := v.(string)
	if sv == "" {
		return nil
	}
	for _, c := range f.choices {
		if c.value == sv {
			return map[string]any{"value": c.value, "label": c.label}
		}
	}
	return map[string]any{"value": sv, "label": sv}
}

// brief renders a related object in NetBox 4.0's brief form (see
// /work/shared/reference: brief_fields of each serializer).
func (s *Server) brief(d *derived, path string, v any, base string) any {
	id, ok := v.(int)
	if !ok {
		return nil
	}
	k := s.byPath[path]
	o := s.tables[path].objs[id]
	if o == nil {
		return nil
	}
	out := map[string]any{"id": id, "url": objURL(base, path, id), "display": k.display(s, o)}
	for _, name := range k.brief {
		out[name] = s.briefField(d, k, o, id, name, base)
	}
	return out
}

func (s *Server) briefField(d *derived, k *kind, o object, id int, name, base string) any {
	switch name {
	case "device":
		return s.brief(d, "dcim/devices", o["device"], base)
	case "manufacturer":
		return s.brief(d, "dcim/manufacturers", o["manufacturer"], base)
	case "circuit":
		return s.brief(d, "circuits/circuits", o["circuit"], base)
	case "provider":
		return s.brief(d, "circuits/providers", o["provider"], base)
	case "cable":
		if ce, ok := d.cableAt[termRef{k.objectType, id}]; ok {
			return s.brief(d, "dcim/cables", ce.cable, base)
		}
		return nil
	case "_occupied":
		_, ok := d.cableAt[termRef{k.objectType, id}]
		return ok
	case "_depth":
		return s.depth(k.path, o)
	case "family":
		if k.path == "ipam/prefixes" {
			return family(str(o["prefix"]))
		}
		return family(str(o["address"]))
	case "device_count":
		switch k.path {
		case "dcim/device-types":
			return s.count(d, "dcim/devices", "device_type", id)
		case "dcim/platforms":
			return s.count(d, "dcim/devices", "platform", id)
		}
		return s.count(d, "dcim/devices", "role", id)
	case "site_count":
		if k.path == "ipam/asns" {
			return 0
		}
		if k.path == "dcim/site-groups" {
			return s.count(d, "dcim/sites", "group", id)
		}
		return s.count(d, "dcim/sites", "region", id)
	case "circuit_count":
		if k.path == "circuits/providers" {
			return s.count(d, "circuits/circuits", "provider", id)
		}
		return s.count(d, "circuits/circuits", "type", id)
	case "devicetype_count":
		return s.count(d, "dcim/device-types", "manufacturer", id)
	case "prefix_count":
		return s.count(d, "ipam/prefixes", "role", id)
	case "virtualmachine_count", "vlan_count", "aggregate_count", "rack_count":
		return 0
	}
	if v, ok := o[name]; ok {
		if f := k.field(name); f != nil && f.kind == fInt {
			return jsonInt(v)
		}
		return v
	}
	return s.defs[k.path][name]
}

func (s *Server) depth(path string, o object) int {
	n := 0
	for p, ok := o["parent"].(int); ok && n < 100; p, ok = s.tables[path].objs[p]["parent"].(int) {
		n++
	}
	return n
}

// jsonInt renders stored float64 integers without a fraction.
func jsonInt(v any) any {
	if f, ok := v.(float64); ok {
		return int64(f)
	}
	return v
}

// renderFull returns the JSON of an object as NetBox's list and detail views
// send it, cached until the next write.
func (s *Server) renderFull(d *derived, k *kind, id int, base string) []byte {
	return s.renderFullEx(d, k, id, base, "")
}

// renderFullEx renders without the field named by ?exclude= (NetBox 4.0
// accepts exclude=config_context on device lists, which saves it rendering).
func (s *Server) renderFullEx(d *derived, k *kind, id int, base, exclude string) []byte {
	key := base + " " + k.path + " " + exclude
	s.dmu.Lock()
	b, ok := d.full[key][id]
	s.dmu.Unlock()
	if ok {
		return b
	}
	o := s.tables[k.path].objs[id]
	out := maps.Clone(s.defs[k.path])
	if out == nil {
		out = map[string]any{}
	}
	out["id"], out["url"], out["display"] = id, objURL(base, k.path, id), k.display(s, o)
	out["created"], out["last_updated"] = o["created"], o["last_updated"]
	for i := range k.fields {
		f := &k.fields[i]
		v := o[f.name]
		switch f.kind {
		case fChoice:
			out[f.name] = renderChoice(f, v)
		case fRef:
			if f.name == "parent" && f.ref == k.path {
				out[f.name] = s.nestedTreeNode(k.path, v, base)
				continue
			}
			out[f.name] = s.brief(d, f.ref, v, base)
		case fRefs:
			ids, _ := v.([]int)
			list := make([]any, 0, len(ids))
			for _, rid := range ids {
				list = append(list, s.brief(d, f.ref, rid, base))
			}
			out[f.name] = list
		case fTerms:
			out[f.name] = s.renderTerms(d, terms(v), base)
		case fCustom:
			out[f.name] = s.customFieldsOf(k, o)
		case fInt:
			out[f.name] = jsonInt(v)
		case fStrs:
			if v == nil {
				v = []any{}
			}
			out[f.name] = v
		default:
			out[f.name] = v
		}
	}
	if _, ok := out["tags"]; ok && k.field("tags") == nil {
		out["tags"] = []any{}
	}
	for _, name := range k.brief {
		switch name {
		case "_depth", "family", "site_count", "device_count", "circuit_count", "devicetype_count", "prefix_count",
			"virtualmachine_count", "vlan_count", "aggregate_count", "rack_count":
			out[name] = s.briefField(d, k, o, id, name, base)
		}
	}
	if k.cabled {
		s.renderCabled(d, k, id, out, base)
	}
	if s.rel.displayURL() {
		out["display_url"] = base + "/" + k.path + "/" + strconv.Itoa(id) + "/"
	}
	if s.rel.scoped() {
		switch k.path {
		case "circuits/circuit-terminations":
			out["termination"] = s.scopeBrief(d, o, "termination_type", "termination_id", base)
			out["termination_type"], out["termination_id"] = o["termination_type"], jsonInt(o["termination_id"])
		case "ipam/prefixes":
			out["scope"] = s.scopeBrief(d, o, "scope_type", "scope_id", base)
			out["scope_type"], out["scope_id"] = o["scope_type"], jsonInt(o["scope_id"])
		}
	}
	if k.path == "dcim/front-ports" && s.rel.portMappings() {
		// The 4.2 schema's defaults still name the fields 4.5 removed.
		delete(out, "rear_port")
		delete(out, "rear_port_position")
	}
	s.renderExtra(d, k, id, o, out, base)
	if exclude == "config_context" {
		delete(out, "config_context")
	}
	b, err := json.Marshal(out)
	if err != nil {
		b = []byte(`{"id":` + strconv.Itoa(id) + `}`)
	}
	s.dmu.Lock()
	if d.full[key] == nil {
		d.full[key] = map[int][]byte{}
	}
	d.full[key][id] = b
	s.dmu.Unlock()
	return b
}

func (s *Server) renderTerms(d *derived, ts []termRef, base string) []any {
	out := make([]any, 0, len(ts))
	for _, t := range ts {
		out = append(out, map[string]any{"object_type": t.objType, "object_id": t.id,
			"object": s.brief(d, objectTypeOfPath[t.objType], t.id, base)})
	}
	return out
}

func (s *Server) renderCabled(d *derived, k *kind, id int, out map[string]any, base string) {
	ce, ok := d.cableAt[termRef{k.objectType, id}]
	out["_occupied"] = ok
	out["mark_connected"] = false
	if !ok {
		out["cable"], out["cable_end"], out["link_peers"], out["link_peers_type"] = nil, "", []any{}, nil
		if k.path == "dcim/interfaces" {
			out["connected_endpoints"], out["connected_endpoints_type"], out["connected_endpoints_reachable"] = nil, nil, nil
		}
		return
	}
	out["cable"] = s.brief(d, "dcim/cables", ce.cable, base)
	out["cable_end"] = ce.end
	other := "b_terminations"
	if ce.end == "B" {
		other = "a_terminations"
	}
	peers := terms(s.tables["dcim/cables"].objs[ce.cable][other])
	list := make([]any, 0, len(peers))
	var ptype any
	for _, p := range peers {
		list = append(list, s.brief(d, objectTypeOfPath[p.objType], p.id, base))
		ptype = p.objType
	}
	out["link_peers"], out["link_peers_type"] = list, ptype
	if k.path == "dcim/interfaces" {
		// tuyau traces paths itself (inventory.Index.Trace); the simulator
		// reports the direct peer like NetBox does for a one-hop path.
		out["connected_endpoints"], out["connected_endpoints_type"], out["connected_endpoints_reachable"] = list, ptype, true
	}
}

// renderExtra fills the read-only fields NetBox computes for some kinds.
func (s *Server) renderExtra(d *derived, k *kind, id int, o object, out map[string]any, base string) {
	switch k.path {
	case "dcim/devices":
		if o["primary_ip4"] != nil {
			out["primary_ip"] = out["primary_ip4"]
		} else {
			out["primary_ip"] = out["primary_ip6"]
		}
		out["interface_count"] = s.count(d, "dcim/interfaces", "device", id)
		out["front_port_count"] = s.count(d, "dcim/front-ports", "device", id)
		out["rear_port_count"] = s.count(d, "dcim/rear-ports", "device", id)
		out["config_context"] = s.configContext(o)
	case "dcim/interfaces":
		out["count_ipaddresses"] = s.count(d, "ipam/ip-addresses", "assigned_object_id", id)
	case "dcim/locations":
		out["device_count"] = s.count(d, "dcim/devices", "location", id)
	case "dcim/sites":
		out["device_count"] = s.count(d, "dcim/devices", "site", id)
		out["prefix_count"] = s.count(d, "ipam/prefixes", "site", id)
		out["circuit_count"] = 0
		out["time_zone"] = nil
	case "ipam/ip-addresses":
		out["family"] = family(str(o["address"]))
		out["assigned_object"] = nil
		if o["assigned_object_type"] == "dcim.interface" {
			aid, _ := toInt(o["assigned_object_id"])
			out["assigned_object"] = s.brief(d, "dcim/interfaces", aid, base)
		}
		out["nat_outside"] = []any{}
	case "circuits/circuits":
		for _, side := range []string{"A", "Z"} {
			out["termination_"+strings.ToLower(side)] = s.circuitTermination(d, id, side, base)
		}
	case "extras/custom-fields":
		out["data_type"] = map[string]string{"text": "string", "longtext": "string", "integer": "integer",
			"decimal": "decimal", "boolean": "boolean", "json": "object", "select": "string"}[str(o["type"])]
	case "extras/config-contexts":
		out["data_path"], out["data_file"], out["data_synced"], out["data_source"] = "", nil, nil, nil
	case "dcim/cables":
		if l, ok := o["length"].(float64); ok {
			out["length"] = l
		}
	}
}

// circuitTermination renders Circuit.termination_a/z: NetBox 4.0's
// CircuitCircuitTerminationSerializer.
func (s *Server) circuitTermination(d *derived, circuit int, side, base string) any {
	t := s.tables["circuits/circuit-terminations"]
	for _, id := range t.order {
		o := t.objs[id]
		if o["circuit"] == circuit && o["term_side"] == side {
			out := map[string]any{"id": id, "url": objURL(base, t.k.path, id), "display": t.k.display(s, o),
				"site": s.brief(d, "dcim/sites", o["site"], base), "provider_network": nil,
				"port_speed": jsonInt(o["port_speed"]), "upstream_speed": nil, "xconnect_id": o["xconnect_id"],
				"description": o["description"]}
			if s.rel.scoped() {
				delete(out, "site")
				delete(out, "provider_network")
				out["termination_type"], out["termination_id"] = o["termination_type"], jsonInt(o["termination_id"])
				out["termination"] = s.scopeBrief(d, o, "termination_type", "termination_id", base)
				out["display_url"] = base + "/" + t.k.path + "/" + strconv.Itoa(id) + "/"
			}
			return out
		}
	}
	return nil
}

func (s *Server) customFieldsOf(k *kind, o object) map[string]any {
	out := map[string]any{}
	t := s.tables["extras/custom-fields"]
	have, _ := o["custom_fields"].(map[string]any)
	for _, id := range t.order {
		cf := t.objs[id]
		if !slices.Contains(strs(cf["object_types"]), k.objectType) {
			continue
		}
		name := str(cf["name"])
		out[name] = have[name]
	}
	return out
}

func strs(v any) []string {
	switch x := v.(type) {
	case []string:
		return x
	case []any:
		out := make([]string, 0, len(x))
		for _, e := range x {
			out = append(out, str(e))
		}
		return out
	}
	return nil
}

// configContext renders a device's config context: every active context
// that applies to it, by weight then name, deep-merged, then its local data.
func (s *Server) configContext(dev object) map[string]any {
	t := s.tables["extras/config-contexts"]
	type cc struct {
		weight float64
		name   string
		data   any
	}
	var list []cc
	site, _ := dev["site"].(int)
	region, _ := s.tables["dcim/sites"].objs[site]["region"].(int)
	for _, id := range t.order {
		o := t.objs[id]
		if o["is_active"] == false {
			continue
		}
		if !matches(o["sites"], site) || !matches(o["roles"], dev["role"]) || !matches(o["platforms"], dev["platform"]) || !matches(o["regions"], region) {
			continue
		}
		w, _ := o["weight"].(float64)
		list = append(list, cc{w, str(o["name"]), o["data"]})
	}
	slices.SortStableFunc(list, func(a, b cc) int {
		if a.weight != b.weight {
			if a.weight < b.weight {
				return -1
			}
			return 1
		}
		return strings.Compare(a.name, b.name)
	})
	out := map[string]any{}
	for _, c := range list {
		deepMerge(out, c.data)
	}
	deepMerge(out, dev["local_context_data"])
	return out
}

func matches(v any, id any) bool {
	ids, _ := v.([]int)
	if len(ids) == 0 {
		return true
	}
	i, ok := id.(int)
	return ok && slices.Contains(ids, i)
}

func deepMerge(dst map[string]any, src any) {
	m, ok := src.(map[string]any)
	if !ok {
		return
	}
	for k, v := range m {
		if sm, ok := v.(map[string]any); ok {
			if dm, ok := dst[k].(map[string]any); ok {
				deepMerge(dm, sm)
				continue
			}
			nm := map[string]any{}
			deepMerge(nm, sm)
			dst[k] = nm
			continue
		}
		dst[k] = v
	}
}

func timestamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000000Z") }

// nestedTreeNode renders the parent of a region, site group or location:
// NetBox 4.0 still uses its Nested*Serializer there (dcim/api/
// serializers_/nested.py: id, url, display, name, slug, a count, _depth),
// not the brief form.
func (s *Server) nestedTreeNode(path string, v any, base string) any {
	id, ok := v.(int)
	if !ok {
		return nil
	}
	o := s.tables[path].objs[id]
	if o == nil {
		return nil
	}
	out := map[string]any{"id": id, "url": objURL(base, path, id), "display": s.byPath[path].display(s, o),
		"name": o["name"], "slug": o["slug"], "_depth": s.depth(path, o)}
	if s.rel.displayURL() {
		out["display_url"] = base + "/" + path + "/" + strconv.Itoa(id) + "/"
	}
	// The count is served, though the schema leaves it out
	// (extend_schema_serializer(exclude_fields=...)).
	switch path {
	case "dcim/locations":
		out["rack_count"] = 0
	default:
		d := s.derivedLocked()
		out["site_count"] = s.briefField(d, s.byPath[path], o, id, "site_count", base)
	}
	return out
}

func (s *Server) scopeBrief(d *derived, o object, typeField, idField, base string) any {
	path := scopeTypes[str(o[typeField])]
	if path == "" {
		return nil
	}
	id, _ := toInt(o[idField])
	return s.brief(d, path, id, base)
}
