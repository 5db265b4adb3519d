package provisioning

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// OpenConfig renders OpenConfig JSON (RFC 7951, JSON_IETF) for gNMI. A
// change is one gNMI Set: deletes of leaves and list entries the intent
// lacks, and replaces of the leaves that differ, so the managed subtrees
// end exactly as intended and the Set is atomic on the target.
type OpenConfig struct {
	// Only restricts the leaves tuyau manages to these path prefixes
	// ("*" for any key), for targets that implement a subset of the
	// models; empty manages everything rendered.
	Only []string
}

// Name implements Platform.
func (OpenConfig) Name() string { return "openconfig" }

// Render implements Platform.
func (OpenConfig) Render(in Intent) ([]byte, error) {
	var ifs []any
	for _, i := range in.Interfaces {
		var v4, v6 []any
		for _, a := range i.IPv4() {
			v4 = append(v4, obj("ip", a.Addr().String(), "config", obj("ip", a.Addr().String(), "prefix-length", a.Bits())))
		}
		for _, a := range i.IPv6() {
			v6 = append(v6, obj("ip", a.Addr().String(), "config", obj("ip", a.Addr().String(), "prefix-length", a.Bits())))
		}
		cfg := obj("name", i.Name, "enabled", !i.Shutdown)
		if i.Description != "" {
			cfg["description"] = i.Description
		}
		// mtu has a value on every target (1500 when unset), so the intent
		// states it: leaving it out would read as "delete" forever.
		cfg["mtu"] = defaultMTU
		if i.MTU > 0 {
			cfg["mtu"] = i.MTU
		}
		sub := obj("index", 0, "config", obj("index", 0))
		if len(v4) > 0 {
			sub["openconfig-if-ip:ipv4"] = obj("addresses", obj("address", v4))
		}
		if len(v6) > 0 {
			sub["openconfig-if-ip:ipv6"] = obj("addresses", obj("address", v6))
		}
		ifs = append(ifs, obj("name", i.Name, "config", cfg, "subinterfaces", obj("subinterface", []any{sub})))
	}
	var protocols []any
	if in.BGP != nil {
		var nbrs []any
		for _, n := range in.BGP.Neighbors {
			cfg := obj("neighbor-address", n.Address.String(), "peer-as", n.RemoteAS, "enabled", true)
			if n.Description != "" {
				cfg["description"] = n.Description
			}
			var afs []any
			for _, f := range n.Families {
				name := "openconfig-bgp-types:IPV4_UNICAST"
				if f == "ipv6-unicast" {
					name = "openconfig-bgp-types:IPV6_UNICAST"
				}
				afs = append(afs, obj("afi-safi-name", name, "config", obj("afi-safi-name", name, "enabled", true)))
			}
			nb := obj("neighbor-address", n.Address.String(), "config", cfg, "afi-safis", obj("afi-safi", afs))
			if n.UpdateSource != "" {
				nb["transport"] = obj("config", obj("local-address", in.RouterID.String()))
			}
			if n.RRClient {
				nb["route-reflector"] = obj("config", obj("route-reflector-client", true, "route-reflector-cluster-id", in.RouterID.String()))
			}
			pol := obj()
			if n.RouteMapIn != "" {
				pol["import-policy"] = []any{n.RouteMapIn}
			}
			if n.RouteMapOut != "" {
				pol["export-policy"] = []any{n.RouteMapOut}
			}
			if len(pol) > 0 {
				nb["apply-policy"] = obj("config", pol)
			}
			nbrs = append(nbrs, nb)
		}
		protocols = append(protocols, obj("identifier", "openconfig-policy-types:BGP", "name", "BGP",
			"config", obj("identifier", "openconfig-policy-types:BGP", "name", "BGP"),
			"bgp", obj("global", obj("config", obj("as", in.BGP.ASN, "router-id", in.BGP.RouterID.String())),
				"neighbors", obj("neighbor", nbrs))))
	}
	if in.OSPF != nil {
		var ospfIfs []any
		for _, i := range in.Interfaces {
			if i.OSPF {
				cfg := obj("id", i.Name, "passive", i.Loopback)
				if !i.Loopback {
					cfg["network-type"] = "openconfig-ospf-types:POINT_TO_POINT_NETWORK"
				}
				ospfIfs = append(ospfIfs, obj("id", i.Name, "config", cfg))
			}
		}
		protocols = append(protocols, obj("identifier", "openconfig-policy-types:OSPF", "name", "OSPF",
			"config", obj("identifier", "openconfig-policy-types:OSPF", "name", "OSPF"),
			"ospfv2", obj("global", obj("config", obj("router-id", in.OSPF.RouterID.String())),
				"areas", obj("area", []any{obj("identifier", in.OSPF.Area, "config", obj("identifier", in.OSPF.Area),
					"interfaces", obj("interface", ospfIfs))}))))
	}
	if len(in.NullRoutes) > 0 {
		var statics []any
		for _, p := range in.NullRoutes {
			statics = append(statics, obj("prefix", p.String(), "config", obj("prefix", p.String()),
				"next-hops", obj("next-hop", []any{obj("index", "DROP", "config", obj("index", "DROP", "next-hop", "openconfig-local-routing:DROP"))})))
		}
		protocols = append(protocols, obj("identifier", "openconfig-policy-types:STATIC", "name", "STATIC",
			"config", obj("identifier", "openconfig-policy-types:STATIC", "name", "STATIC"),
			"static-routes", obj("static", statics)))
	}
	var sets, policies []any
	prefixSet := func(name string, v6 bool, entries []PrefixListEntry) any {
		var ps []any
		for _, e := range entries {
			rng := "exact"
			if e.Le > 0 {
				rng = fmt.Sprintf("%d..%d", e.Prefix.Bits(), e.Le)
			}
			ps = append(ps, obj("ip-prefix", e.Prefix.String(), "masklength-range", rng,
				"config", obj("ip-prefix", e.Prefix.String(), "masklength-range", rng)))
		}
		mode := "IPV4"
		if v6 {
			mode = "IPV6"
		}
		return obj("name", name, "config", obj("name", name, "mode", mode), "prefixes", obj("prefix", ps))
	}
	for _, pl := range in.PrefixLists {
		sets = append(sets, prefixSet(pl.Name, pl.IPv6, pl.Entries))
	}
	byName := map[string][]any{}
	var names []string
	for _, rm := range in.RouteMaps {
		if _, ok := byName[rm.Name]; !ok {
			names = append(names, rm.Name)
		}
		// An OpenConfig prefix-set has no deny: a list with deny entries
		// becomes one set and one statement per run of entries.
		if terms := in.FilterTerms(rm); terms != nil {
			for _, ft := range terms {
				sets = append(sets, prefixSet(ft.Set, rm.MatchIPv6, ft.Entries))
				res := map[bool]string{true: "ACCEPT_ROUTE", false: "REJECT_ROUTE"}[ft.Action == "permit"]
				byName[rm.Name] = append(byName[rm.Name], obj("name", ft.Name, "config", obj("name", ft.Name),
					"actions", obj("config", obj("policy-result", res)),
					"conditions", obj("match-prefix-set", obj("config", obj("prefix-set", ft.Set, "match-set-options", "ANY")))))
			}
			continue
		}
		actions := obj("config", obj("policy-result", map[bool]string{true: "ACCEPT_ROUTE", false: "REJECT_ROUTE"}[rm.Action == "permit"]))
		if rm.Prepend > 0 {
			actions["openconfig-bgp-policy:bgp-actions"] = obj("set-as-path-prepend", obj("config", obj("repeat-n", rm.Prepend, "asn", rm.PrependAS)))
		}
		st := obj("name", strconv.Itoa(rm.Seq), "config", obj("name", strconv.Itoa(rm.Seq)), "actions", actions)
		if rm.MatchPrefixList != "" {
			st["conditions"] = obj("match-prefix-set", obj("config", obj("prefix-set", rm.MatchPrefixList, "match-set-options", "ANY")))
		}
		byName[rm.Name] = append(byName[rm.Name], st)
	}
	for _, n := range names {
		policies = append(policies, obj("name", n, "config", obj("name", n), "statements", obj("statement", byName[n])))
	}
	system := obj("config", obj("hostname", in.Hostname))
	if len(in.NTP) > 0 {
		var srv []any
		for _, a := range in.NTP {
			srv = append(srv, obj("address", a.String(), "config", obj("address", a.String())))
		}
		system["ntp"] = obj("config", obj("enabled", true), "servers", obj("server", srv))
	}
	if len(in.Syslog) > 0 {
		var srv []any
		for _, a := range in.Syslog {
			srv = append(srv, obj("host", a.String(), "config", obj("host", a.String())))
		}
		system["logging"] = obj("remote-servers", obj("remote-server", srv))
	}
	doc := obj(
		"openconfig-system:system", system,
		"openconfig-interfaces:interfaces", obj("interface", ifs),
		"openconfig-network-instance:network-instances", obj("network-instance", []any{obj("name", "default",
			"config", obj("name", "default"), "protocols", obj("protocol", protocols))}),
	)
	// An empty list is left out, not written as null: a target reads
	// "prefix-set": null as an entry without its key.
	rp := obj()
	if len(sets) > 0 {
		rp["defined-sets"] = obj("prefix-sets", obj("prefix-set", sets))
	}
	if len(policies) > 0 {
		rp["policy-definitions"] = obj("policy-definition", policies)
	}
	if len(rp) > 0 {
		doc["openconfig-routing-policy:routing-policy"] = rp
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(doc); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

const defaultMTU = 1500

func obj(kv ...any) map[string]any {
	m := make(map[string]any, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i].(string)] = kv[i+1]
	}
	return m
}

// Delta implements Platform. Both configs are OpenConfig JSON documents
// or the flat "path = value" lines the gNMI transport reads back.
func (o OpenConfig) Delta(running, want []byte) (Delta, error) {
	have, err := parseOpenConfig(running)
	if err != nil {
		return Delta{}, fmt.Errorf("running config: %w", err)
	}
	w, err := parseOpenConfig(want)
	if err != nil {
		return Delta{}, fmt.Errorf("intended config: %w", err)
	}
	have, w = o.filter(have), o.filter(w)
	d := Delta{Have: flatText(have), Want: flatText(w)}
	deleted := map[string]bool{}
	for _, p := range sortedKeys(have) {
		if _, ok := w[p]; ok {
			continue
		}
		target := p
		// Delete the whole list entry when the intent has nothing under it.
		elems := SplitPath(p)
		for i := len(elems) - 1; i >= 0; i-- {
			if !strings.Contains(elems[i], "[") {
				continue
			}
			entry := "/" + strings.Join(elems[:i+1], "/")
			if !hasPrefixKey(w, entry+"/") {
				target = entry
			}
		}
		if !deleted[target] {
			deleted[target] = true
			d.Commands = append(d.Commands, "delete "+target)
		}
	}
	for _, p := range sortedKeys(w) {
		if hv, ok := have[p]; !ok || !sameValue(hv, w[p]) {
			d.Commands = append(d.Commands, "replace "+p+" "+w[p])
		}
	}
	return d, nil
}

func (o OpenConfig) filter(m map[string]string) map[string]string {
	if len(o.Only) == 0 {
		return m
	}
	out := map[string]string{}
	for p, v := range m {
		for _, pre := range o.Only {
			if matchPathPrefix(p, pre) {
				out[p] = v
				break
			}
		}
	}
	return out
}

// matchPathPrefix matches p against a prefix whose keys may be "*".
func matchPathPrefix(p, prefix string) bool {
	pe, fe := SplitPath(p), SplitPath(prefix)
	if len(fe) > len(pe) {
		return false
	}
	for i, f := range fe {
		if f == pe[i] {
			continue
		}
		fp, err1 := ParsePath("/" + f)
		ep, err2 := ParsePath("/" + pe[i])
		if err1 != nil || err2 != nil || len(fp.Elem) != 1 || len(ep.Elem) != 1 {
			return false
		}
		fk, ek := fp.Elem[0], ep.Elem[0]
		if fk.Name != ek.Name || len(fk.Key) != len(ek.Key) {
			return false
		}
		for k, v := range fk.Key {
			if ev, ok := ek.Key[k]; !ok || (v != "*" && keyIdentity(v) != keyIdentity(ev)) {
				return false
			}
		}
	}
	return true
}

func hasPrefixKey(m map[string]string, prefix string) bool {
	for k := range m {
		if strings.HasPrefix(k, prefix) {
			return true
		}
	}
	return false
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func flatText(m map[string]string) string {
	var b strings.Builder
	for _, k := range sortedKeys(m) {
		b.WriteString(k + " = " + m[k] + "\n")
	}
	return b.String()
}

// parseOpenConfig reads a JSON document or "path = value" lines.
func parseOpenConfig(data []byte) (map[string]string, error) {
	data = bytes.TrimSpace(data)
	if len(data) == 0 {
		return map[string]string{}, nil
	}
	if data[0] != '{' {
		m := map[string]string{}
		for _, l := range strings.Split(string(data), "\n") {
			p, v, ok := cutFlatLine(l)
			if !ok {
				return nil, fmt.Errorf("line %q: want PATH = VALUE", l)
			}
			m[p] = v
		}
		return m, nil
	}
	return FlattenOpenConfig("", data)
}

// FlattenOpenConfig turns a JSON_IETF value found at base into leaf paths
// and their JSON values. Module prefixes are dropped, list entries become
// keyed path elements (their key leaves, echoed in config, are implied by
// the path), so a document and a Get of the same tree flatten alike.
func FlattenOpenConfig(base string, data []byte) (map[string]string, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("openconfig json at %q: %w", base, err)
	}
	out := map[string]string{}
	flattenValue(strings.TrimSuffix(base, "/"), v, nil, out)
	return out, nil
}

func flattenValue(path string, v any, keys map[string]string, out map[string]string) {
	switch t := v.(type) {
	case map[string]any:
		for k, c := range t {
			name := stripModuleName(k)
			if arr, ok := c.([]any); ok && len(arr) > 0 {
				if _, isObj := arr[0].(map[string]any); isObj {
					for _, e := range arr {
						flattenEntry(path+"/"+name, e, out)
					}
					continue
				}
			}
			// Keys of the entry and their echo in config are in the path.
			if keys != nil {
				if _, isKey := keys[name]; isKey {
					if _, isScalar := c.(map[string]any); !isScalar {
						continue
					}
				}
			}
			var sub map[string]string
			if name == "config" {
				sub = keys
			}
			flattenValue(path+"/"+name, c, sub, out)
		}
	case nil:
		// JSON null is no YANG value (empty is [null]): nothing to set.
	default:
		// The value as the document or the device has it: what is pushed
		// and shown. sameValue decides what counts as equal.
		out[path] = encodeJSON(t)
	}
}

// flattenEntry writes one list entry: its scalar top-level leaves are its keys.
func flattenEntry(path string, e any, out map[string]string) {
	m, ok := e.(map[string]any)
	if !ok {
		return
	}
	keys := map[string]string{}
	var names []string
	for k, v := range m {
		switch v.(type) {
		case map[string]any, []any:
		default:
			keys[stripModuleName(k)] = keyString(v)
			names = append(names, stripModuleName(k))
		}
	}
	sort.Strings(names)
	elem := path
	for _, n := range names {
		elem += "[" + n + "=" + escapeKey(keys[n]) + "]"
	}
	flattenValue(elem, m, keys, out)
}

// keyString writes a list key value as it appears in a path: identityrefs
// of known modules without their module, everything else whole.
func keyString(v any) string {
	switch t := v.(type) {
	case json.Number:
		return t.String()
	case string:
		return keyIdentity(t)
	case bool:
		return strconv.FormatBool(t)
	}
	return fmt.Sprint(v)
}
