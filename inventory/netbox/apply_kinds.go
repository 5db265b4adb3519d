package netbox

import (
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"slices"

	gonetbox "github.com/netbox-community/go-netbox/v4"

	"github.com/tuyau-net/tuyau/inventory"
)

// upsertRegions writes regions parents first: each round bulk-updates and
// bulk-creates the regions whose parent NetBox already has.
func (w *writer) upsertRegions(ctx context.Context, keys []string) error {
	pending := slices.Clone(keys)
	for len(pending) > 0 {
		var later, newKeys []string
		var bodies []any
		var patches []map[string]any
		for _, slug := range pending {
			r := w.ix.Region(slug)
			if r == nil {
				continue
			}
			req := gonetbox.WritableRegionRequest{Name: r.Name, Slug: r.Slug}
			if req.Name == "" {
				req.Name = r.Slug
			}
			if r.Parent != "" {
				pid, ok := w.regions[r.Parent]
				if !ok {
					later = append(later, slug)
					continue
				}
				req.Parent.Set(gonetbox.PtrInt32(int32(pid)))
			} else {
				req.Parent.Set(nil)
			}
			if id, ok := w.regions[slug]; ok {
				body := toMap(req)
				body["id"] = id
				patches = append(patches, body)
				continue
			}
			bodies, newKeys = append(bodies, req), append(newKeys, slug)
		}
		if err := w.bulkPatch(ctx, "dcim/regions/", "regions", patches); err != nil {
			return err
		}
		ids, err := w.create(ctx, "dcim/regions/", bodies)
		for i, id := range ids {
			w.regions[newKeys[i]] = id
		}
		if err != nil {
			return err
		}
		if len(later) == len(pending) {
			return fmt.Errorf("regions %v: parent region missing or a parent loop", later)
		}
		pending = later
	}
	return nil
}

func (w *writer) upsertSites(ctx context.Context, keys []string) error {
	var bodies []any
	var patches []map[string]any
	var newKeys []string
	for _, slug := range keys {
		x := w.ix.Site(slug)
		if x == nil {
			continue
		}
		var lat, lon any
		if x.HasCoordinates() {
			lat, lon = roundPlaces(x.Latitude, coordPlaces), roundPlaces(x.Longitude, coordPlaces) // unknown stays null, not 0,0
		}
		body := map[string]any{"name": x.Name, "slug": x.Slug, "status": "active", "facility": x.Facility,
			"physical_address": x.Address, "latitude": lat, "longitude": lon,
			"custom_fields": map[string]any{cfSiteRole: nullable(string(x.Role))}, "region": nil}
		if x.Name == "" {
			body["name"] = x.Slug
		}
		if x.Region != "" {
			rid, ok := w.regions[x.Region]
			if !ok {
				return fmt.Errorf("site %s: region %s is not in NetBox", slug, x.Region)
			}
			body["region"] = rid
		}
		if id, ok := w.sites[slug]; ok {
			// The site's status is the operator's, not tuyau's.
			delete(body, "status")
			body["id"] = id
			patches = append(patches, body)
			continue
		}
		bodies, newKeys = append(bodies, body), append(newKeys, slug)
	}
	if err := w.bulkPatch(ctx, "dcim/sites/", "sites", patches); err != nil {
		return err
	}
	ids, err := w.create(ctx, "dcim/sites/", bodies)
	for i, id := range ids {
		w.sites[newKeys[i]] = id
	}
	if err != nil {
		return err
	}
	return w.upsertLocations(ctx, keys)
}

func (w *writer) siteID(what, slug string) (int, error) {
	id, ok := w.sites[slug]
	if !ok {
		return 0, fmt.Errorf("%s: site %s is not in NetBox", what, slug)
	}
	return id, nil
}

// localContext merges the device's BGP sessions into whatever else its
// local config context holds, so that data other tools keep there survives.
func (w *writer) localContext(name string, sessions []inventory.BGPSession) any {
	lc := map[string]json.RawMessage{}
	if id, ok := w.devices[name]; ok {
		if d := w.deviceByID[id]; d != nil && len(d.LocalContextData) > 0 {
			_ = json.Unmarshal(d.LocalContextData, &lc)
		}
	}
	delete(lc, localBGPKey)
	if len(sessions) > 0 {
		b, _ := json.Marshal(sessions)
		lc[localBGPKey] = b
	}
	if len(lc) == 0 {
		return nil
	}
	return lc
}

func (w *writer) upsertDevices(ctx context.Context, keys []string) error {
	mfr, err := w.ensure(ctx, "dcim/manufacturers/", w.manufacturers, manufacturerSlug, map[string]any{"name": "Generic"})
	if err != nil {
		return err
	}
	dt, err := w.ensure(ctx, "dcim/device-types/", w.deviceTypes, routerType, map[string]any{"model": "tuyau router", "manufacturer": mfr, "u_height": 1})
	if err != nil {
		return err
	}
	var bodies []any
	var newKeys []string
	var patches []map[string]any
	var touched []*inventory.Device
	for _, name := range keys {
		d := w.ix.Device(name)
		if d == nil {
			continue
		}
		touched = append(touched, d)
		w.devicesWritten = append(w.devicesWritten, name)
		site, err := w.siteID("device "+name, d.Site)
		if err != nil {
			return err
		}
		cur := w.deviceByID[w.devices[name]]
		loc, err := w.locationID("device "+name, d.Site, d.Location)
		if err != nil {
			return err
		}
		body := map[string]any{"name": d.Name, "site": site, "location": loc, "status": "active"}
		// A role or platform that already means what is wanted is kept
		// (a NetBox role "router" read as member stays "router").
		if cur == nil || !w.sameRole(cur.Role.Slug, d.Role) {
			role, err := w.ensure(ctx, "dcim/device-roles/", w.deviceRoles, string(d.Role), map[string]any{})
			if err != nil {
				return err
			}
			body["role"] = role
		}
		if cur == nil || cur.Platform == nil || w.platformOf(cur.Platform.Slug) != d.Platform {
			body["platform"] = nil
			if d.Platform != "" {
				if body["platform"], err = w.ensure(ctx, "dcim/platforms/", w.platforms, d.Platform, map[string]any{}); err != nil {
					return err
				}
			}
		}
		cf := map[string]any{cfASN: nullable(d.ASN), cfLoopback: nil, cfLoopback6: nil,
			cfTransports: jsonOrNull(d.Transports), cfRouteReflector: nullable(d.RouteReflector)}
		if d.Loopback.IsValid() {
			cf[cfLoopback] = d.Loopback.String()
		}
		if d.Loopback6.IsValid() {
			cf[cfLoopback6] = d.Loopback6.String()
		}
		body["custom_fields"], body["local_context_data"] = cf, w.localContext(name, d.BGPSessions)
		if id, ok := w.devices[name]; ok {
			delete(body, "status") // the operator's
			body["id"] = id
			patches = append(patches, body)
			continue
		}
		body["device_type"] = dt
		bodies, newKeys = append(bodies, body), append(newKeys, name)
	}
	if err := w.bulkPatch(ctx, "dcim/devices/", "devices", patches); err != nil {
		return err
	}
	ids, err := w.create(ctx, "dcim/devices/", bodies)
	for i, id := range ids {
		w.devices[newKeys[i]] = id
	}
	if err != nil {
		return err
	}
	return w.reconcileMgmt(ctx, touched)
}

// reconcileMgmt gives each device a mgmt_only interface holding its
// management address and makes that address the device's primary IP.
func (w *writer) reconcileMgmt(ctx context.Context, devs []*inventory.Device) error {
	var ifBodies, ipBodies []any
	var ifDevs, ipDevs []*inventory.Device
	for _, d := range devs {
		if !d.Mgmt.IsValid() {
			continue
		}
		if _, ok := w.ifaces[d.Name+":"+mgmtInterface]; !ok {
			ifBodies = append(ifBodies, map[string]any{"device": w.devices[d.Name], "name": mgmtInterface,
				"type": gonetbox.INTERFACETYPEVALUE__1000BASE_T, "mgmt_only": true, "description": "out-of-band management"})
			ifDevs = append(ifDevs, d)
		}
	}
	ids, err := w.create(ctx, "dcim/interfaces/", ifBodies)
	for i, id := range ids {
		w.ifaces[ifDevs[i].Name+":"+mgmtInterface] = id
	}
	if err != nil {
		return err
	}
	type primary struct {
		dev  *inventory.Device
		ipID int
	}
	var prims []primary
	for _, d := range devs {
		if !d.Mgmt.IsValid() {
			continue
		}
		iface := w.ifaces[d.Name+":"+mgmtInterface]
		addr := netip.PrefixFrom(d.Mgmt, d.Mgmt.BitLen()).String()
		found := 0
		for _, ip := range w.ipsByIface[iface] {
			if ip.Address == addr {
				found = ip.ID
			}
		}
		if found == 0 {
			req := gonetbox.WritableIPAddressRequest{Address: addr, Description: gonetbox.PtrString("management")}
			req.AssignedObjectType.Set(gonetbox.PtrString("dcim.interface"))
			req.AssignedObjectId.Set(gonetbox.PtrInt64(int64(iface)))
			ipBodies, ipDevs = append(ipBodies, req), append(ipDevs, d)
			continue
		}
		prims = append(prims, primary{d, found})
	}
	ids, err = w.create(ctx, "ipam/ip-addresses/", ipBodies)
	for i, id := range ids {
		prims = append(prims, primary{ipDevs[i], id})
		iface := w.ifaces[ipDevs[i].Name+":"+mgmtInterface]
		w.ipsByIface[iface] = append(w.ipsByIface[iface], IPAddress{ID: id, Address: netip.PrefixFrom(ipDevs[i].Mgmt, ipDevs[i].Mgmt.BitLen()).String()})
	}
	if err != nil {
		return err
	}
	var patches []map[string]any
	for _, p := range prims {
		id := w.devices[p.dev.Name]
		field, other := "primary_ip4", "primary_ip6"
		if p.dev.Mgmt.Is6() {
			field, other = other, field
		}
		if d := w.deviceByID[id]; d != nil {
			cur4, cur6 := d.PrimaryIP4, d.PrimaryIP6
			if (field == "primary_ip4" && cur4 != nil && cur4.ID == p.ipID && cur6 == nil) ||
				(field == "primary_ip6" && cur6 != nil && cur6.ID == p.ipID && cur4 == nil) {
				continue
			}
		}
		patches = append(patches, map[string]any{"id": id, field: p.ipID, other: nil})
	}
	for _, d := range devs {
		if id, ok := w.devices[d.Name]; ok && !d.Mgmt.IsValid() {
			if cur := w.deviceByID[id]; cur != nil && (cur.PrimaryIP4 != nil || cur.PrimaryIP6 != nil) {
				patches = append(patches, map[string]any{"id": id, "primary_ip4": nil, "primary_ip6": nil})
			}
		}
	}
	return w.bulkPatch(ctx, "dcim/devices/", "device primary IPs", patches)
}

// upsertSessions rewrites the local config context of devices whose
// sessions changed, unless the device step already wrote it.
func (w *writer) upsertSessions(ctx context.Context, keys []string) error {
	seen := map[string]bool{}
	for _, name := range w.devicesWritten {
		seen[name] = true
	}
	var patches []map[string]any
	for _, key := range keys {
		name, _, _ := inventory.SplitKey(key)
		if seen[name] {
			continue
		}
		seen[name] = true
		d := w.ix.Device(name)
		id, ok := w.devices[name]
		if d == nil || !ok {
			continue
		}
		patches = append(patches, map[string]any{"id": id, "local_context_data": w.localContext(name, d.BGPSessions)})
	}
	return w.bulkPatch(ctx, "dcim/devices/", "device BGP sessions", patches)
}

// sameRole reports whether a NetBox device role already means the tuyau role.
func (w *writer) sameRole(slug string, role inventory.DeviceRole) bool {
	return slug == string(role) || w.mapping.DeviceRoles[slug] == role
}

// platformOf is the tuyau platform a NetBox platform slug means.
func (w *writer) platformOf(slug string) string {
	if p := w.mapping.Platforms[slug]; p != "" {
		return p
	}
	return slug
}
