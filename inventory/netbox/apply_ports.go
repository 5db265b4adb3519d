package netbox

import (
	"context"
	"fmt"
	"slices"

	gonetbox "github.com/netbox-community/go-netbox/v4"

	"github.com/tuyau-net/tuyau/inventory"
)

func (w *writer) upsertInterfaces(ctx context.Context, keys []string) error {
	var bodies []any
	var patches []map[string]any
	var newKeys []string
	var touched []string
	for _, key := range keys {
		dev, name, _ := inventory.SplitKey(key)
		i := w.ix.Interface(dev, name)
		devID, ok := w.devices[dev]
		if i == nil || !ok {
			continue
		}
		touched = append(touched, key)
		body := map[string]any{"device": devID, "name": i.Name, "type": interfaceType(*i), "enabled": i.IsEnabled(),
			"mtu": nullable(i.MTU), "speed": nullable(int64(i.Speed) * 1000), "mgmt_only": false,
			"description": i.Description, "custom_fields": map[string]any{cfTransceiver: nullable(i.Transceiver)}}
		if id, ok := w.ifaces[key]; ok {
			// The real type (an SFP+ cage, a QSFP28) is the operator's:
			// tuyau only guesses one from the speed for what it creates.
			delete(body, "type")
			delete(body, "mgmt_only")
			body["id"] = id
			patches = append(patches, body)
			continue
		}
		bodies, newKeys = append(bodies, body), append(newKeys, key)
	}
	if err := w.bulkPatch(ctx, "dcim/interfaces/", "interfaces", patches); err != nil {
		return err
	}
	ids, err := w.create(ctx, "dcim/interfaces/", bodies)
	for i, id := range ids {
		w.ifaces[newKeys[i]] = id
	}
	if err != nil {
		return err
	}
	return w.reconcileAddresses(ctx, touched)
}

// reconcileAddresses makes each interface hold exactly its addresses, in
// order: NetBox lists them by id, so when the order differs they are
// recreated rather than appended.
func (w *writer) reconcileAddresses(ctx context.Context, keys []string) error {
	var bodies []any
	var owners []int
	for _, key := range keys {
		dev, name, _ := inventory.SplitKey(key)
		i := w.ix.Interface(dev, name)
		id := w.ifaces[key]
		have := w.ipsByIface[id]
		want := make([]string, len(i.Addresses))
		for j, a := range i.Addresses {
			want[j] = a.String()
		}
		n := 0
		for n < len(have) && n < len(want) && have[n].Address == want[n] {
			n++
		}
		if n < len(have) {
			for _, ip := range have[n:] {
				if err := w.remove(ctx, "ipam/ip-addresses/", ip.ID, "address "+ip.Address+" of "+key); err != nil {
					return err
				}
			}
			w.ipsByIface[id] = have[:n]
		}
		for _, a := range want[n:] {
			req := gonetbox.WritableIPAddressRequest{Address: a}
			req.AssignedObjectType.Set(gonetbox.PtrString("dcim.interface"))
			req.AssignedObjectId.Set(gonetbox.PtrInt64(int64(id)))
			bodies, owners = append(bodies, req), append(owners, id)
		}
	}
	ids, err := w.create(ctx, "ipam/ip-addresses/", bodies)
	for i, id := range ids {
		w.ipsByIface[owners[i]] = append(w.ipsByIface[owners[i]], IPAddress{ID: id})
	}
	return err
}

func (w *writer) upsertPanels(ctx context.Context, keys []string) error {
	mfr, err := w.ensure(ctx, "dcim/manufacturers/", w.manufacturers, manufacturerSlug, map[string]any{"name": "Generic"})
	if err != nil {
		return err
	}
	dt, err := w.ensure(ctx, "dcim/device-types/", w.deviceTypes, panelType, map[string]any{"model": "tuyau patch panel", "manufacturer": mfr, "u_height": 1})
	if err != nil {
		return err
	}
	role, err := w.ensure(ctx, "dcim/device-roles/", w.deviceRoles, panelRole, map[string]any{"name": "Patch panel", "vm_role": false})
	if err != nil {
		return err
	}
	var bodies []any
	var newKeys []string
	var panelPatches []map[string]any
	var panels []*inventory.PatchPanel
	for _, name := range keys {
		p := w.ix.PatchPanel(name)
		if p == nil {
			continue
		}
		panels = append(panels, p)
		site, err := w.siteID("patch panel "+name, p.Site)
		if err != nil {
			return err
		}
		loc, err := w.locationID("patch panel "+name, p.Site, p.Location)
		if err != nil {
			return err
		}
		body := map[string]any{"name": p.Name, "site": site, "location": loc, "role": role, "status": "active"}
		if id, ok := w.devices[name]; ok {
			delete(body, "status")
			if cur := w.deviceByID[id]; cur != nil && slices.Contains(w.mapping.PanelRoles, cur.Role.Slug) {
				delete(body, "role") // already a patch panel role ("odf")
			}
			body["id"] = id
			panelPatches = append(panelPatches, body)
			continue
		}
		body["device_type"] = dt
		bodies, newKeys = append(bodies, body), append(newKeys, name)
	}
	if err := w.bulkPatch(ctx, "dcim/devices/", "patch panels", panelPatches); err != nil {
		return err
	}
	ids, err := w.create(ctx, "dcim/devices/", bodies)
	for i, id := range ids {
		w.devices[newKeys[i]] = id
	}
	if err != nil {
		return err
	}
	return w.reconcilePorts(ctx, panels)
}

// reconcilePorts makes each panel's rear then front ports match: extra
// ports are deleted, missing ones created, changed ones updated.
func (w *writer) reconcilePorts(ctx context.Context, panels []*inventory.PatchPanel) error {
	frontsOf, rearsOf := map[string][]FrontPort{}, map[string][]RearPort{}
	for _, fp := range w.st.frontPorts {
		frontsOf[fp.Device.Name] = append(frontsOf[fp.Device.Name], fp)
	}
	for _, rp := range w.st.rearPorts {
		rearsOf[rp.Device.Name] = append(rearsOf[rp.Device.Name], rp)
	}
	for _, p := range panels {
		for _, fp := range frontsOf[p.Name] {
			if !slices.ContainsFunc(p.FrontPorts, func(f inventory.FrontPort) bool { return f.Name == fp.Name }) {
				if err := w.remove(ctx, "dcim/front-ports/", fp.ID, "front port "+p.Name+":"+fp.Name); err != nil {
					return err
				}
				delete(w.fronts, p.Name+":"+fp.Name)
			}
		}
		for _, rp := range rearsOf[p.Name] {
			if !slices.ContainsFunc(p.RearPorts, func(r inventory.RearPort) bool { return r.Name == rp.Name }) {
				if err := w.remove(ctx, "dcim/rear-ports/", rp.ID, "rear port "+p.Name+":"+rp.Name); err != nil {
					return err
				}
				delete(w.rears, p.Name+":"+rp.Name)
			}
		}
	}
	var bodies []any
	var newKeys []string
	var patches []map[string]any
	for _, p := range panels {
		dev := w.devices[p.Name]
		for _, r := range p.RearPorts {
			key := p.Name + ":" + r.Name
			body := map[string]any{"device": dev, "name": r.Name, "type": gonetbox.FRONTPORTTYPEVALUE_LC, "positions": max(r.Positions, 1)}
			if id, ok := w.rears[key]; ok {
				delete(body, "type") // LC, SC, MPO: the operator's
				body["id"] = id
				patches = append(patches, body)
				continue
			}
			bodies, newKeys = append(bodies, body), append(newKeys, key)
		}
	}
	if err := w.bulkPatch(ctx, "dcim/rear-ports/", "rear ports", patches); err != nil {
		return err
	}
	ids, err := w.create(ctx, "dcim/rear-ports/", bodies)
	for i, id := range ids {
		w.rears[newKeys[i]] = id
	}
	if err != nil {
		return err
	}
	bodies, newKeys, patches = nil, nil, nil
	for _, p := range panels {
		dev := w.devices[p.Name]
		for _, f := range p.FrontPorts {
			key := p.Name + ":" + f.Name
			rear, ok := w.rears[p.Name+":"+f.RearPort]
			if !ok {
				return fmt.Errorf("patch panel %s front port %s: rear port %s is not in NetBox", p.Name, f.Name, f.RearPort)
			}
			body := map[string]any{"device": dev, "name": f.Name, "type": gonetbox.FRONTPORTTYPEVALUE_LC,
				"rear_port": rear, "rear_port_position": max(f.RearPosition, 1)}
			if w.st.portMappings() {
				// 4.5 ignores the two fields above: one mapping from
				// the front port's only position.
				delete(body, "rear_port")
				delete(body, "rear_port_position")
				body["positions"] = 1
				body["rear_ports"] = []map[string]any{{"position": 1, "rear_port": rear, "rear_port_position": max(f.RearPosition, 1)}}
			}
			if id, ok := w.fronts[key]; ok {
				delete(body, "type")
				body["id"] = id
				patches = append(patches, body)
				continue
			}
			bodies, newKeys = append(bodies, body), append(newKeys, key)
		}
	}
	if err := w.bulkPatch(ctx, "dcim/front-ports/", "front ports", patches); err != nil {
		return err
	}
	ids, err = w.create(ctx, "dcim/front-ports/", bodies)
	for i, id := range ids {
		w.fronts[newKeys[i]] = id
	}
	return err
}

// endRequest resolves a cable end to the NetBox object it lands on.
func (w *writer) endRequest(t inventory.Termination) (gonetbox.GenericObjectRequest, error) {
	var (
		id int
		ok bool
		ot string
	)
	switch t.Kind() {
	case inventory.TermInterface:
		id, ok, ot = w.ifaces[t.Device+":"+t.Interface], w.ifaces[t.Device+":"+t.Interface] != 0, "dcim.interface"
	case inventory.TermFrontPort:
		id, ok, ot = w.fronts[t.Panel+":"+t.Front], w.fronts[t.Panel+":"+t.Front] != 0, "dcim.frontport"
	case inventory.TermRearPort:
		id, ok, ot = w.rears[t.Panel+":"+t.Rear], w.rears[t.Panel+":"+t.Rear] != 0, "dcim.rearport"
	case inventory.TermCircuit:
		side := t.Side
		if side == "" {
			side = "A"
		}
		id, ok, ot = w.terms[t.Circuit+"/"+side], w.terms[t.Circuit+"/"+side] != 0, "circuits.circuittermination"
	default:
		return gonetbox.GenericObjectRequest{}, fmt.Errorf("malformed termination %+v", t)
	}
	if !ok {
		return gonetbox.GenericObjectRequest{}, fmt.Errorf("%s is not in NetBox", t)
	}
	return gonetbox.GenericObjectRequest{ObjectType: ot, ObjectId: int32(id)}, nil
}

func (w *writer) upsertCables(ctx context.Context, keys []string) error {
	var bodies []any
	var patches []map[string]any
	var newKeys []string
	for _, label := range keys {
		c := w.ix.Cable(label)
		if c == nil {
			continue
		}
		a, err := w.endRequest(c.A)
		if err != nil {
			return fmt.Errorf("cable %s end A: %w", label, err)
		}
		b, err := w.endRequest(c.B)
		if err != nil {
			return fmt.Errorf("cable %s end B: %w", label, err)
		}
		req := gonetbox.WritableCableRequest{ATerminations: []gonetbox.GenericObjectRequest{a},
			BTerminations: []gonetbox.GenericObjectRequest{b}, Label: gonetbox.PtrString(c.Label),
			Color: gonetbox.PtrString(c.Color)}
		typ := gonetbox.PatchedWritableCableRequestType(c.Type)
		req.Type = &typ
		status := gonetbox.PatchedWritableCableRequestStatus(c.Status)
		if status == "" {
			status = gonetbox.PATCHEDWRITABLECABLEREQUESTSTATUS_CONNECTED
		}
		req.Status = &status
		unit := gonetbox.PATCHEDWRITABLECABLEREQUESTLENGTHUNIT_EMPTY
		if c.Length.IsZero() {
			req.Length.Set(nil)
		} else {
			u := c.Length.Unit
			if u == "" {
				u = "m"
			}
			unit = gonetbox.PatchedWritableCableRequestLengthUnit(u)
			req.Length.Set(gonetbox.PtrFloat64(roundPlaces(c.Length.Value(), lengthPlaces)))
		}
		req.LengthUnit = &unit
		req.CustomFields = map[string]any{cfStrands: nullable(c.Strands), cfSplices: nullable(c.Splices),
			cfConnectors: nullable(c.Pairs()), cfSRLGs: jsonOrNull(c.SRLGs), cfAttenuator: nullable(c.AttenuatorDB)}
		if id, ok := w.cables[label]; ok {
			body := toMap(req)
			// smf-os2 already is single-mode: keep NetBox's finer type.
			if cur := w.cableByID[id]; cur != nil && (cur.Type == string(c.Type) || w.mapping.CableTypes[cur.Type] == c.Type) {
				delete(body, "type")
			}
			body["id"] = id
			patches = append(patches, body)
			continue
		}
		bodies, newKeys = append(bodies, req), append(newKeys, label)
	}
	if err := w.bulkPatch(ctx, "dcim/cables/", "cables", patches); err != nil {
		return err
	}
	ids, err := w.create(ctx, "dcim/cables/", bodies)
	for i, id := range ids {
		w.cables[newKeys[i]] = id
	}
	return err
}
