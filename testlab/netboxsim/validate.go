package netboxsim

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
)

// convert checks one written value and returns it as stored.
func (s *Server) convert(k *kind, f *field, v any, o object) (any, string) {
	switch f.kind {
	case fStr:
		if v == nil && !f.required && f.def == nil {
			return nil, ""
		}
		sv, ok := v.(string)
		if !ok {
			return nil, "Not a valid string."
		}
		if f.required && sv == "" {
			return nil, "This field may not be blank."
		}
		if msg := f.lim.checkString(sv); msg != "" {
			return nil, msg
		}
		return sv, ""
	case fInt:
		if v == nil {
			if f.required {
				return nil, "This field may not be null."
			}
			return nil, ""
		}
		n, ok := toInt(v)
		if !ok {
			return nil, "A valid integer is required."
		}
		if msg := f.lim.checkNumber(float64(n)); msg != "" {
			return nil, msg
		}
		return float64(n), ""
	case fNum:
		if v == nil {
			return nil, ""
		}
		n, ok := v.(float64)
		if !ok {
			return nil, "A valid number is required."
		}
		if msg := f.lim.checkNumber(n); msg != "" {
			return nil, msg
		}
		return n, ""
	case fBool:
		b, ok := v.(bool)
		if !ok {
			return nil, "Must be a valid boolean."
		}
		return b, ""
	case fChoice, fPlain:
		sv, ok := v.(string)
		if !ok && v != nil {
			return nil, fmt.Sprintf("%q is not a valid choice.", str(v))
		}
		if sv == "" && !f.required {
			return "", ""
		}
		for _, c := range f.choices {
			if c.value == sv {
				return sv, ""
			}
		}
		return nil, fmt.Sprintf("%q is not a valid choice.", sv)
	case fRef:
		if v == nil {
			if f.required {
				return nil, "This field may not be null."
			}
			return nil, ""
		}
		if m, ok := v.(map[string]any); ok {
			v = m["id"]
		}
		rid, ok := toInt(v)
		if !ok {
			return nil, fmt.Sprintf("Related objects must be referenced by numeric ID or by dictionary of attributes. Received an unrecognized value: %v", v)
		}
		if s.tables[f.ref].objs[rid] == nil {
			return nil, fmt.Sprintf("Related object not found using the provided numeric ID: %d", rid)
		}
		return rid, ""
	case fRefs:
		list, ok := v.([]any)
		if !ok {
			return nil, "Expected a list of items."
		}
		ids := []int{}
		for _, e := range list {
			if m, ok := e.(map[string]any); ok {
				e = s.lookup(f.ref, m)
			}
			rid, ok := toInt(e)
			if !ok || s.tables[f.ref].objs[rid] == nil {
				return nil, fmt.Sprintf("Invalid pk \"%v\" - object does not exist.", e)
			}
			ids = append(ids, rid)
		}
		return ids, ""
	case fStrs:
		list, ok := v.([]any)
		if !ok {
			return nil, "Expected a list of items."
		}
		return strs(list), ""
	case fJSON:
		return v, ""
	case fTerms:
		return s.convertTerms(v)
	case fCustom:
		return s.convertCustom(k, v, o)
	}
	return v, ""
}

func (s *Server) convertTerms(v any) (any, string) {
	list, ok := v.([]any)
	if !ok {
		return nil, "Expected a list of items."
	}
	var out []termRef
	for _, e := range list {
		m, _ := e.(map[string]any)
		ot, _ := m["object_type"].(string)
		path, ok := objectTypeOfPath[ot]
		if !ok {
			return nil, fmt.Sprintf("Invalid object type: %q", ot)
		}
		id, ok := toInt(m["object_id"])
		if !ok || s.tables[path].objs[id] == nil {
			return nil, fmt.Sprintf("No matching %s found with ID %v", ot, m["object_id"])
		}
		out = append(out, termRef{ot, id})
	}
	return out, ""
}

func (s *Server) convertCustom(k *kind, v any, o object) (any, string) {
	in, ok := v.(map[string]any)
	if !ok {
		return nil, "Invalid data. Expected a dictionary."
	}
	out := map[string]any{}
	if old, ok := o["custom_fields"].(map[string]any); ok {
		for name, val := range old {
			out[name] = val
		}
	}
	defs := map[string]object{}
	t := s.tables["extras/custom-fields"]
	for _, id := range t.order {
		cf := t.objs[id]
		if slices.Contains(strs(cf["object_types"]), k.objectType) {
			defs[str(cf["name"])] = cf
		}
	}
	for name, val := range in {
		cf, ok := defs[name]
		if !ok {
			return nil, fmt.Sprintf("Unknown field name '%s' in custom field data.", name)
		}
		if val != nil {
			bad := false
			switch str(cf["type"]) {
			case "text", "longtext", "url", "select":
				_, ok := val.(string)
				bad = !ok
			case "integer":
				_, ok := toInt(val)
				bad = !ok
			case "decimal":
				_, ok := val.(float64)
				bad = !ok
			case "boolean":
				_, ok := val.(bool)
				bad = !ok
			}
			if bad {
				return nil, fmt.Sprintf("Invalid value for custom field '%s': %v", name, val)
			}
		}
		out[name] = val
	}
	return out, ""
}

// checkObject enforces the constraints NetBox's models add to field checks.
func (s *Server) checkObject(k *kind, id int, o object, e errs) {
	t := s.tables[k.path]
	for i, u := range k.unique {
		key, ok := uniqueKey(u, o)
		if oid, dup := t.uniq[i][key]; ok && dup && oid != id {
			name := strings.Split(k.objectType, ".")[1]
			if len(u) == 1 {
				e.add(u[0], fmt.Sprintf("%s with this %s already exists.", name, u[0]))
			} else {
				e.add("__all__", fmt.Sprintf("%s with this %s already exists.", name, strings.Join(u, " and ")))
			}
			return
		}
	}
	switch k.path {
	case "ipam/ip-addresses":
		if _, err := netip.ParsePrefix(str(o["address"])); err != nil {
			e.add("address", "Enter a valid IPv4 or IPv6 address with optional mask.")
		}
		if ot := o["assigned_object_type"]; ot != nil {
			aid, _ := toInt(o["assigned_object_id"])
			if str(ot) != "dcim.interface" || s.tables["dcim/interfaces"].objs[aid] == nil {
				e.add("assigned_object_id", "Related object not found.")
			}
		}
	case "ipam/prefixes":
		p, err := netip.ParsePrefix(str(o["prefix"]))
		if err != nil {
			e.add("prefix", "Enter a valid IPv4 or IPv6 address with optional mask.")
		} else if p.Masked() != p {
			e.add("prefix", fmt.Sprintf("%s is not a valid prefix. Did you mean %s?", p, p.Masked()))
		}
		if s.rel.scoped() {
			s.checkScope(o, "scope_type", "scope_id", e)
		}
	case "dcim/locations":
		s.checkLocation(id, o, e)
	case "circuits/circuit-terminations":
		if s.rel.scoped() {
			s.checkScope(o, "termination_type", "termination_id", e)
		}
	case "dcim/devices":
		if lid, ok := o["location"].(int); ok {
			if loc := s.tables["dcim/locations"].objs[lid]; loc["site"] != o["site"] {
				e.add("location", fmt.Sprintf("Location %s does not belong to site %s.", str(loc["name"]), s.displayOf("dcim/sites", o["site"])))
			}
		}
		for _, f := range []string{"primary_ip4", "primary_ip6"} {
			ipid, ok := o[f].(int)
			if !ok {
				continue
			}
			ip := s.tables["ipam/ip-addresses"].objs[ipid]
			aid, _ := toInt(ip["assigned_object_id"])
			iface := s.tables["dcim/interfaces"].objs[aid]
			if ip["assigned_object_type"] != "dcim.interface" || iface == nil || id == 0 || iface["device"] != id {
				e.add(f, fmt.Sprintf("The specified IP address (%s) is not assigned to this device.", str(ip["address"])))
			}
			if p, err := netip.ParsePrefix(str(ip["address"])); err == nil && p.Addr().Is6() != (f == "primary_ip6") {
				e.add(f, fmt.Sprintf("%s is not an IPv%s address.", str(ip["address"]), map[bool]string{true: "4", false: "6"}[f == "primary_ip4"]))
			}
		}
	case "dcim/front-ports":
		if _, mapped := o["rear_ports"]; mapped {
			s.checkPortMappings(o, e)
			return
		}
		rp := s.tables["dcim/rear-ports"].objs[o["rear_port"].(int)]
		if rp["device"] != o["device"] {
			e.add("rear_port", "Rear port does not belong to the same device")
		}
		pos, _ := toInt(o["rear_port_position"])
		n, _ := toInt(rp["positions"])
		if pos < 1 || pos > n {
			e.add("rear_port_position", fmt.Sprintf("Invalid rear port position (%d): Rear port %s has only %d positions.", pos, str(rp["name"]), n))
		}
	case "dcim/cables":
		a, b := terms(o["a_terminations"]), terms(o["b_terminations"])
		if len(a) == 0 || len(b) == 0 {
			e.add("__all__", "Must define A and B terminations when creating a new cable.")
			return
		}
		for _, tr := range append(append([]termRef(nil), a...), b...) {
			if ce, ok := s.cableIdx[tr]; ok && ce.cable != id {
				e.add("__all__", fmt.Sprintf("Duplicate termination found for %s:%d: cable %d", tr.objType, tr.id, ce.cable))
			}
		}
	}
}

// lookup resolves a related object given as a dictionary of attributes
// ({"id": 3}, {"slug": "tuyau"}, {"name": "tuyau"}), as NetBox's nested
// serializers do; nil when no object or several match.
func (s *Server) lookup(path string, m map[string]any) any {
	if id, ok := m["id"]; ok {
		return id
	}
	t := s.tables[path]
	found := 0
	for _, id := range t.order {
		o := t.objs[id]
		ok := len(m) > 0
		for k, v := range m {
			if str(o[k]) != str(v) {
				ok = false
			}
		}
		if ok {
			if found != 0 {
				return nil
			}
			found = id
		}
	}
	if found == 0 {
		return nil
	}
	return found
}

// checkPortMappings validates a 4.5 front port's rear_ports the way
// NetBox's PortMapping does: each names a rear port of the same device, a
// position on the front port within its positions and one on the rear
// port within the rear port's.
func (s *Server) checkPortMappings(o object, e errs) {
	list, ok := o["rear_ports"].([]any)
	if !ok || len(list) == 0 {
		e.add("rear_ports", "This field is required.")
		return
	}
	positions, _ := toInt(o["positions"])
	for _, item := range list {
		m, ok := item.(map[string]any)
		if !ok {
			e.add("rear_ports", "Expected a dictionary of items.")
			return
		}
		rid, _ := toInt(m["rear_port"])
		rp := s.tables["dcim/rear-ports"].objs[rid]
		if rp == nil {
			e.add("rear_ports", fmt.Sprintf("Invalid pk \"%d\" - object does not exist.", rid))
			continue
		}
		if rp["device"] != o["device"] {
			e.add("rear_ports", "Rear port does not belong to the same device")
		}
		fpos, _ := toInt(m["position"])
		rpos, _ := toInt(m["rear_port_position"])
		if fpos < 1 || fpos > positions {
			e.add("rear_ports", fmt.Sprintf("Invalid front port position (%d): front port %s has only %d positions.", fpos, str(o["name"]), positions))
		}
		if n, _ := toInt(rp["positions"]); rpos < 1 || rpos > n {
			e.add("rear_ports", fmt.Sprintf("Invalid rear port position (%d): Rear port %s has only %d positions.", rpos, str(rp["name"]), n))
		}
	}
}
