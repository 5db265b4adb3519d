package gnmitarget

import (
	"context"
	"encoding/json"
	"strings"

	gpb "github.com/openconfig/gnmi/proto/gnmi"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Get answers one notification per requested path. With JSON encodings
// each instance of the path (one per list entry a wildcard or missing key
// selects) comes back as one update holding its subtree as a JSON tree;
// with PROTO, or paths holding "...", each leaf is its own update.
func (s *Server) Get(ctx context.Context, req *gpb.GetRequest) (*gpb.GetResponse, error) {
	if err := checkEncoding(req.GetEncoding()); err != nil {
		return nil, status.Error(codes.Unimplemented, err.Error())
	}
	models, err := useModels(req.GetUseModels())
	if err != nil {
		return nil, status.Error(codes.Unimplemented, err.Error())
	}
	prefix, err := fromProto(req.GetPrefix())
	if err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	reqPaths := req.GetPath()
	if len(reqPaths) == 0 {
		reqPaths = []*gpb.Path{{}}
	}
	paths := make([]Path, len(reqPaths))
	for i, gp := range reqPaths {
		p, err := fromProto(gp)
		if err != nil {
			return nil, status.Error(codes.InvalidArgument, err.Error())
		}
		paths[i] = prefix.join(p)
	}
	state, _, at, err := s.readStateLayout(ctx, nil)
	if err != nil {
		return nil, err
	}
	state = filterType(inModels(state, models), req.GetType())
	resp := &gpb.GetResponse{}
	ts := at.UnixNano()
	for _, p := range paths {
		leaves := matching(state, p)
		if len(leaves) == 0 && !p.HasWildcard() {
			return nil, status.Errorf(codes.NotFound, "path %s: no data on this target", p)
		}
		tree := req.GetEncoding() != gpb.Encoding_PROTO && !hasEllipsis(p)
		n, err := notification(req.GetPrefix(), prefix, p, leaves, req.GetEncoding(), tree)
		if err != nil {
			return nil, status.Error(codes.Internal, err.Error())
		}
		n.Timestamp = ts
		resp.Notification = append(resp.Notification, n)
	}
	return resp, nil
}

func matching(state []parsedLeaf, p Path) []parsedLeaf {
	var out []parsedLeaf
	for _, l := range state {
		if p.Match(l.path) {
			out = append(out, l)
		}
	}
	return out
}

func hasEllipsis(p Path) bool {
	for _, e := range p {
		if e.Name == "..." {
			return true
		}
	}
	return false
}

// filterType keeps the leaves of one GetRequest data type. CONFIG leaves
// sit under a "config" container; OPERATIONAL ones are state leaves with
// no config twin (counters, oper-status, session-state).
func filterType(state []parsedLeaf, t gpb.GetRequest_DataType) []parsedLeaf {
	if t == gpb.GetRequest_ALL {
		return state
	}
	keys := make(map[string]bool, len(state))
	if t == gpb.GetRequest_OPERATIONAL {
		for _, l := range state {
			keys[l.key] = true
		}
	}
	var out []parsedLeaf
	for _, l := range state {
		cfg := false
		for _, e := range l.path {
			if e.Name == "config" {
				cfg = true
				break
			}
		}
		switch t {
		case gpb.GetRequest_CONFIG:
			if cfg {
				out = append(out, l)
			}
		case gpb.GetRequest_STATE:
			if !cfg {
				out = append(out, l)
			}
		case gpb.GetRequest_OPERATIONAL:
			if !cfg && !keys[configTwin(l.path)] {
				out = append(out, l)
			}
		}
	}
	return out
}

// configTwin is the path of the config leaf mirrored by state leaf p, or ""
// when p is not under a state container.
func configTwin(p Path) string {
	for i, e := range p {
		if e.Name == "state" {
			q := p.clone()
			q[i].Name = "config"
			return q.String()
		}
	}
	return ""
}

// notification builds the answer for one request path p (prefix already
// joined) from the leaves it matched. Update paths are relative to the
// request prefix when that names one node, else absolute under a prefix
// holding only target and origin.
func notification(gprefix *gpb.Path, prefix, p Path, leaves []parsedLeaf, enc gpb.Encoding, tree bool) (*gpb.Notification, error) {
	n := &gpb.Notification{}
	strip := 0
	if gprefix != nil {
		if prefix.HasWildcard() {
			n.Prefix = &gpb.Path{Target: gprefix.GetTarget(), Origin: gprefix.GetOrigin()}
		} else {
			n.Prefix = gprefix
			strip = len(prefix)
		}
	}
	if !tree {
		for _, l := range leaves {
			tv, err := typedValue(l.value, enc)
			if err != nil {
				return nil, err
			}
			gp := l.proto
			if gp == nil || strip > 0 {
				gp = l.path[strip:].proto()
			}
			n.Update = append(n.Update, &gpb.Update{Path: gp, Val: tv})
		}
		return n, nil
	}
	type group struct {
		at    Path
		root  map[string]any
		nodes map[string]map[string]any
		leaf  any
		isVal bool
	}
	var order []*group
	groups := map[string]*group{}
	ietf := enc == gpb.Encoding_JSON_IETF
	for _, l := range leaves {
		at := l.path[:len(p)]
		k := at.String()
		g := groups[k]
		if g == nil {
			g = &group{at: at, root: map[string]any{}, nodes: map[string]map[string]any{}}
			if len(at) > 0 {
				// A list entry carries its keys as members (RFC 7951 §5.4).
				last := at[len(at)-1]
				for kn, kv := range last.Keys {
					g.root[kn] = keyJSON(last.Name, kn, kv, ietf)
				}
			}
			groups[k] = g
			order = append(order, g)
		}
		v, err := jsonScalar(l.value, ietf)
		if err != nil {
			return nil, err
		}
		suffix := l.path[len(p):]
		if len(suffix) == 0 {
			g.leaf, g.isVal = v, true
			continue
		}
		node := g.root
		var walked strings.Builder
		for i, e := range suffix[:len(suffix)-1] {
			if ietf {
				e.Name = qualify(e.Name, len(at)+i == 0)
			}
			walked.WriteString(Path{e}.String())
			child, ok := g.nodes[walked.String()]
			if !ok {
				child = map[string]any{}
				for kn, kv := range e.Keys {
					child[kn] = keyJSON(e.Name, kn, kv, ietf)
				}
				if len(e.Keys) > 0 {
					arr, _ := node[e.Name].([]any)
					node[e.Name] = append(arr, child)
				} else {
					node[e.Name] = child
				}
				g.nodes[walked.String()] = child
			}
			node = child
		}
		name := suffix[len(suffix)-1].Name
		if ietf {
			name = qualifyLeaf(l.path, name)
		}
		node[name] = v
	}
	for _, g := range order {
		var val any = g.root
		if g.isVal {
			val = g.leaf
		}
		var raw []byte
		var err error
		if raw, err = json.Marshal(val); err != nil {
			return nil, err
		}
		tv := &gpb.TypedValue{Value: &gpb.TypedValue_JsonVal{JsonVal: raw}}
		if ietf {
			tv = &gpb.TypedValue{Value: &gpb.TypedValue_JsonIetfVal{JsonIetfVal: raw}}
		}
		n.Update = append(n.Update, &gpb.Update{Path: g.at[strip:].proto(), Val: tv})
	}
	return n, nil
}

// Modules whose nodes start a JSON_IETF tree at the root, or augment
// another module's node: RFC 7951 qualifies those member names with their
// module, and clients that unmarshal into generated structs (ygot) need it.
var (
	rootModules = map[string]string{
		"interfaces":        "openconfig-interfaces",
		"components":        "openconfig-platform",
		"network-instances": "openconfig-network-instance",
	}
	augmentModules = map[string]string{
		"transceiver": "openconfig-platform-transceiver",
		"ipv4":        "openconfig-if-ip",
		"ipv6":        "openconfig-if-ip",
	}
)

func qualify(name string, root bool) string {
	if m, ok := augmentModules[name]; ok {
		return m + ":" + name
	}
	if m, ok := rootModules[name]; ok && root {
		return m + ":" + name
	}
	return name
}

// qualifyLeaf names a leaf member: the interface's state/transceiver leaf
// comes from openconfig-platform-transceiver's augment of
// openconfig-interfaces, so RFC 7951 qualifies it.
func qualifyLeaf(full Path, name string) string {
	if name == "transceiver" && len(full) >= 2 && full[0].Name == "interfaces" && full[len(full)-2].Name == "state" {
		return "openconfig-platform-transceiver:transceiver"
	}
	return name
}

// identityKeys are the list keys whose type is an identityref, with the
// module defining their identities: RFC 7951 qualifies identity values
// with it (§6.8), so in JSON_IETF a protocol entry's identifier is
// "openconfig-policy-types:BGP". Paths keep the bare name, as gNMI paths
// do; ParsePath accepts both.
var identityKeys = map[[2]string]string{
	{"protocol", "identifier"}:    "openconfig-policy-types",
	{"afi-safi", "afi-safi-name"}: "openconfig-bgp-types",
}

// keyJSON writes a list key inside a JSON tree: numeric "index" keys
// (subinterfaces, transceiver channels) are uint32 in the models, and in
// JSON_IETF identityref keys carry their module.
func keyJSON(list, name, v string, ietf bool) any {
	if name == "index" {
		if _, err := json.Number(v).Int64(); err == nil {
			return json.Number(v)
		}
	}
	if m, ok := identityKeys[[2]string{list, name}]; ok && ietf && !strings.Contains(v, ":") {
		return m + ":" + v
	}
	return v
}
