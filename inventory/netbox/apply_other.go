package netbox

import (
	"context"
	"fmt"
	"net/http"
	"strconv"

	gonetbox "github.com/netbox-community/go-netbox/v4"

	"github.com/tuyau-net/tuyau/inventory"
)

// upsertCircuits writes circuits, then their terminations, each kind in
// one bulk update and one bulk create (providers and circuit types, few,
// are ensured one by one first).
func (w *writer) upsertCircuits(ctx context.Context, keys []string) error {
	var circuits []*inventory.Circuit
	var bodies []any
	var newKeys []string
	var patches []map[string]any
	for _, cid := range keys {
		c := w.ix.Circuit(cid)
		if c == nil {
			continue
		}
		circuits = append(circuits, c)
		prov, ok := w.providers[c.Provider]
		if !ok {
			id, err := w.createOne(ctx, "circuits/providers/", "provider "+c.Provider, map[string]any{"name": c.Provider, "slug": slugify(c.Provider)})
			if err != nil {
				return err
			}
			prov, w.providers[c.Provider] = id, id
		}
		typeSlug := c.Type
		if typeSlug == "" {
			typeSlug = circuitTypeNone
		}
		typ, err := w.ensure(ctx, "circuits/circuit-types/", w.circuitTypes, typeSlug, map[string]any{})
		if err != nil {
			return err
		}
		status := c.Status
		if status == "" {
			status = "active"
		}
		body := map[string]any{"cid": c.ID, "provider": prov, "type": typ, "status": status, "commit_rate": nullable(int64(c.Bandwidth) * 1000)}
		if id, ok := w.circuits[cid]; ok {
			body["id"] = id
			patches = append(patches, body)
			continue
		}
		bodies, newKeys = append(bodies, body), append(newKeys, cid)
	}
	if err := w.bulkPatch(ctx, "circuits/circuits/", "circuits", patches); err != nil {
		return err
	}
	ids, err := w.create(ctx, "circuits/circuits/", bodies)
	for i, id := range ids {
		w.circuits[newKeys[i]] = id
	}
	if err != nil {
		return err
	}
	return w.upsertTerminations(ctx, circuits)
}

func (w *writer) upsertTerminations(ctx context.Context, circuits []*inventory.Circuit) error {
	var bodies []any
	var newKeys []string
	var patches []map[string]any
	for _, c := range circuits {
		for _, end := range []struct {
			side string
			e    inventory.CircuitEnd
		}{{"A", c.A}, {"Z", c.Z}} {
			key := c.ID + "/" + end.side
			tid, have := w.terms[key]
			if end.e.IsZero() {
				if have {
					if err := w.remove(ctx, "circuits/circuit-terminations/", tid, "circuit "+key); err != nil {
						return err
					}
					delete(w.terms, key)
				}
				continue
			}
			body := map[string]any{"circuit": w.circuits[c.ID], "term_side": end.side,
				"custom_fields": map[string]any{cfCircuitDevice: nullable(end.e.Device), cfCircuitIface: nullable(end.e.Interface)}}
			var site any
			if end.e.Site != "" {
				id, err := w.siteID("circuit "+key, end.e.Site)
				if err != nil {
					return err
				}
				site = id
			}
			siteRef(body, w.scoped, "termination_type", "termination_id", site)
			if have {
				body["id"] = tid
				patches = append(patches, body)
				continue
			}
			bodies, newKeys = append(bodies, body), append(newKeys, key)
		}
	}
	if err := w.bulkPatch(ctx, "circuits/circuit-terminations/", "circuit terminations", patches); err != nil {
		return err
	}
	ids, err := w.create(ctx, "circuits/circuit-terminations/", bodies)
	for i, id := range ids {
		w.terms[newKeys[i]] = id
	}
	return err
}

func (w *writer) upsertPrefixes(ctx context.Context, keys []string) error {
	byKey := map[string]*inventory.Prefix{}
	for i := range w.want.Prefixes {
		p := &w.want.Prefixes[i]
		if _, dup := byKey[p.Prefix.String()]; !dup {
			byKey[p.Prefix.String()] = p
		}
	}
	var bodies []any
	var newKeys []string
	var patches []map[string]any
	for _, key := range keys {
		p := byKey[key]
		if p == nil {
			continue
		}
		body := map[string]any{"prefix": key, "status": "active", "description": p.Description, "role": nil}
		var site any
		if p.Site != "" {
			id, err := w.siteID("prefix "+key, p.Site)
			if err != nil {
				return err
			}
			site = id
		}
		siteRef(body, w.scoped, "scope_type", "scope_id", site)
		if p.Role != "" {
			role, err := w.ensure(ctx, "ipam/roles/", w.ipamRoles, p.Role, map[string]any{})
			if err != nil {
				return err
			}
			body["role"] = role
		}
		if id, ok := w.prefixes[key]; ok {
			delete(body, "status")
			body["id"] = id
			patches = append(patches, body)
			continue
		}
		bodies, newKeys = append(bodies, body), append(newKeys, key)
	}
	if err := w.bulkPatch(ctx, "ipam/prefixes/", "prefixes", patches); err != nil {
		return err
	}
	ids, err := w.create(ctx, "ipam/prefixes/", bodies)
	for i, id := range ids {
		w.prefixes[newKeys[i]] = id
	}
	return err
}

func (w *writer) upsertASNs(ctx context.Context, keys []string) error {
	rir, err := w.ensure(ctx, "ipam/rirs/", w.rirs, rirSlug, map[string]any{"name": "tuyau (private use)", "is_private": true})
	if err != nil {
		return err
	}
	byKey := map[string]*inventory.ASN{}
	for i := range w.want.ASNs {
		byKey[strconv.FormatUint(uint64(w.want.ASNs[i].ASN), 10)] = &w.want.ASNs[i]
	}
	var bodies []any
	var newKeys []string
	var patches []map[string]any
	for _, key := range keys {
		a := byKey[key]
		if a == nil {
			continue
		}
		body := map[string]any{"asn": a.ASN, "rir": rir, "description": a.Description,
			"custom_fields": map[string]any{cfASNName: nullable(a.Name)}}
		if id, ok := w.asns[key]; ok {
			body["id"] = id
			patches = append(patches, body)
			continue
		}
		bodies, newKeys = append(bodies, body), append(newKeys, key)
	}
	if err := w.bulkPatch(ctx, "ipam/asns/", "ASNs", patches); err != nil {
		return err
	}
	ids, err := w.create(ctx, "ipam/asns/", bodies)
	for i, id := range ids {
		w.asns[newKeys[i]] = id
	}
	return err
}

// putContext creates or replaces one config context by name.
func (w *writer) putContext(ctx context.Context, req gonetbox.ConfigContextRequest) error {
	if id, ok := w.contexts[req.Name]; ok {
		return w.patch(ctx, "extras/config-contexts/", id, "config context "+req.Name, req)
	}
	id, err := w.createOne(ctx, "extras/config-contexts/", "config context "+req.Name, req)
	if err != nil {
		return err
	}
	w.contexts[req.Name] = id
	return nil
}

func (w *writer) upsertServices(ctx context.Context, keys []string) error {
	for _, name := range keys {
		var h *inventory.HostingService
		for i := range w.want.Services {
			if w.want.Services[i].Name == name && h == nil {
				h = &w.want.Services[i]
			}
		}
		if h == nil {
			continue
		}
		req := gonetbox.ConfigContextRequest{Name: servicePrefix + name, Weight: gonetbox.PtrInt32(1000),
			Description: gonetbox.PtrString("tuyau hosting service " + name + ", announced from its sites in order"),
			Sites:       []int32{}, Data: map[string]any{servicesKey: map[string]any{name: h}}}
		for _, site := range h.Sites {
			id, err := w.siteID("service "+name, site)
			if err != nil {
				return err
			}
			req.Sites = append(req.Sites, int32(id))
		}
		if err := w.putContext(ctx, req); err != nil {
			return err
		}
	}
	return nil
}

func (w *writer) upsertNetwork(ctx context.Context, _ []string) error {
	n := w.want.Network
	req := gonetbox.ConfigContextRequest{Name: networkContext, Weight: gonetbox.PtrInt32(100),
		Description: gonetbox.PtrString("tuyau network: name, description and AS"),
		Data:        map[string]any{networkKey: n}}
	return w.putContext(ctx, req)
}

// target is the NetBox object a change of this kind and key names.
func (w *writer) target(c inventory.Change) (string, int, bool) {
	var path string
	var id int
	switch c.Kind {
	case "region":
		path, id = "dcim/regions/", w.regions[c.Key]
	case "site":
		path, id = "dcim/sites/", w.sites[c.Key]
	case "device", "patch-panel":
		path, id = "dcim/devices/", w.devices[c.Key]
	case "interface":
		path, id = "dcim/interfaces/", w.ifaces[c.Key]
	case "circuit":
		path, id = "circuits/circuits/", w.circuits[c.Key]
	case "cable":
		path, id = "dcim/cables/", w.cables[c.Key]
	case "prefix":
		path, id = "ipam/prefixes/", w.prefixes[c.Key]
	case "asn":
		path, id = "ipam/asns/", w.asns[c.Key]
	case "service":
		path, id = "extras/config-contexts/", w.contexts[servicePrefix+c.Key]
	case "network":
		path, id = "extras/config-contexts/", w.contexts[networkContext]
	default:
		return "", 0, false
	}
	return path, id, id != 0
}

// deleteOne deletes what one change removes. Deleting a device deletes its
// interfaces and their addresses in NetBox too.
func (w *writer) deleteOne(ctx context.Context, c inventory.Change) error {
	switch c.Kind {
	case "region", "site", "device", "patch-panel", "interface", "circuit", "cable", "prefix", "asn", "service", "network":
	default:
		return fmt.Errorf("delete %s: unknown kind", c)
	}
	path, id, ok := w.target(c)
	if !ok {
		return nil
	}
	if err := w.remove(ctx, path, id, c.Kind+" "+c.Key); err != nil {
		var apiErr *APIError
		if asAPI(err, &apiErr) && apiErr.Status == http.StatusConflict {
			return fmt.Errorf("%w (delete what depends on it first, or push with --prune so tuyau does)", err)
		}
		return err
	}
	return nil
}
