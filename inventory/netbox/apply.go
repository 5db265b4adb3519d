package netbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/tuyau-net/tuyau/inventory"
)

// Apply makes NetBox hold what the change set describes. It reads NetBox
// first, so the change set may be stale: objects are matched by name, not
// id, created when missing and updated otherwise. Creations and updates run
// in dependency order, deletions last in reverse order. Apply stops at the
// first failure; what was written stays, and running the same push again
// converges because every step is idempotent.
func (s *Store) Apply(ctx context.Context, cs inventory.ChangeSet) error {
	if len(cs) == 0 {
		return nil
	}
	st, err := s.fetchState(ctx)
	if err != nil {
		return err
	}
	cur, err := st.snapshot(s.c.base, s.mapping, newReport())
	if err != nil {
		return fmt.Errorf("netbox %s: %w", s.c.base, err)
	}
	fixed, err := fixOps(cs, cur)
	if err != nil {
		return fmt.Errorf("netbox %s: %w", s.c.base, err)
	}
	want, err := sparseWant(cur, fixed)
	if err != nil {
		return fmt.Errorf("netbox %s: %w", s.c.base, err)
	}
	w := newWriter(&s.c, st, want, s.mapping)
	w.progress = s.progress
	if err := w.preflight(); err != nil {
		return err
	}
	return w.run(ctx, fixed)
}

// PushResult is what Push did (or, with DryRun, would do).
type PushResult struct {
	Changes inventory.ChangeSet `json:"changes"`
	// Kept counts objects NetBox has and the inventory does not, left in
	// place because Prune was not set.
	Kept int `json:"kept"`
	// NotOwned counts objects a prune would delete but tuyau did not
	// create (no tag tuyau): they are kept.
	NotOwned int `json:"not_owned"`
	// Rounded lists the values written with the precision NetBox has
	// rather than the inventory's (see Storable).
	Rounded []Rounded `json:"rounded"`
}

// Push makes NetBox hold want: it reads NetBox, diffs, and writes the
// difference. Values NetBox keeps with fewer decimals (cable lengths,
// coordinates) are compared and written rounded, and listed in Rounded. Without prune, objects only NetBox has are kept. With dryRun
// nothing is written. Like Apply it is idempotent and converges when re-run.
func (s *Store) Push(ctx context.Context, want *inventory.Snapshot, prune, dryRun bool) (PushResult, error) {
	st, err := s.fetchState(ctx)
	if err != nil {
		return PushResult{}, err
	}
	cur, err := st.snapshot(s.c.base, s.mapping, newReport())
	if err != nil {
		return PushResult{}, fmt.Errorf("netbox %s: %w", s.c.base, err)
	}
	want, rounded := Storable(want)
	all, err := inventory.Diff(cur, want)
	if err != nil {
		return PushResult{}, err
	}
	res := PushResult{Rounded: rounded}
	if res.Rounded == nil {
		res.Rounded = []Rounded{}
	}
	// want holds every object created or updated, so the writer can look
	// them up there; skipped deletions need nothing from it.
	w := newWriter(&s.c, st, want, s.mapping)
	w.progress = s.progress
	for _, c := range all {
		switch {
		case c.Op == inventory.OpDelete && !prune:
			res.Kept++
		case c.Op == inventory.OpDelete && !w.owns(c):
			// Entered by hand, not created by tuyau: never pruned.
			res.NotOwned++
		default:
			res.Changes = append(res.Changes, c)
		}
	}
	if len(res.Changes) == 0 {
		return res, nil
	}
	// A dry run meets the same refusals the push would.
	if err := w.preflight(); err != nil {
		return res, err
	}
	if dryRun {
		return res, nil
	}
	return res, w.run(ctx, res.Changes)
}

// fixOps adapts a change set computed against an older read: a create of
// what exists becomes an update, an update of what is gone a create, and a
// delete of what is gone is dropped. That is what makes a re-run converge.
func fixOps(cs inventory.ChangeSet, cur *inventory.Snapshot) (inventory.ChangeSet, error) {
	all, err := inventory.Diff(&inventory.Snapshot{}, cur)
	if err != nil {
		return nil, err
	}
	exists := make(map[string]bool, len(all))
	for _, c := range all {
		exists[c.Kind+"\x00"+c.Key] = true
	}
	fixed := make(inventory.ChangeSet, 0, len(cs))
	for _, c := range cs {
		k := c.Kind + "\x00" + c.Key
		switch {
		case c.Op == inventory.OpCreate && exists[k]:
			c.Op = inventory.OpUpdate
		case c.Op == inventory.OpUpdate && !exists[k]:
			c.Op = inventory.OpCreate
		case c.Op == inventory.OpDelete && !exists[k]:
			continue
		}
		exists[k] = c.Op != inventory.OpDelete
		fixed = append(fixed, c)
	}
	return fixed, nil
}

// writer holds NetBox ids by tuyau key while a change set is written.
type writer struct {
	c    *client
	st   *state
	want *inventory.Snapshot
	ix   *inventory.Index

	regions, sites, devices, circuits, prefixes, asns, contexts map[string]int
	ifaces, fronts, rears, terms, cables                        map[string]int
	deviceRoles, platforms, manufacturers, deviceTypes          map[string]int
	providers, circuitTypes, ipamRoles, rirs                    map[string]int
	ipsByIface                                                  map[int][]IPAddress
	deviceByID                                                  map[int]*Device
	termByKey                                                   map[string]CircuitTermination
	customFields                                                map[string]CustomField
	// locations holds location ids by locKey(site, slug).
	locations map[string]int
	// sitesWithLocations are the sites whose locations the site step wrote.
	sitesWithLocations []string
	// devicesWritten are devices whose local context the device step wrote.
	devicesWritten []string
	// mapping reads NetBox's slugs as tuyau's, so that an update keeps a
	// role, platform or cable type that already means what is wanted.
	mapping Mapping
	// owned are the objects carrying the owner tag, by path+id; tags the
	// tags by slug, tagID the owner tag's id once ensured.
	owned     map[string]bool
	tags      map[string]int
	tagID     int
	cableByID map[int]*Cable
	// scoped is NetBox 4.2 and later: terminations and prefixes name their
	// site as termination_type/_id and scope_type/_id.
	scoped   bool
	progress func(kind string, done, total int)
}

func newWriter(c *client, st *state, want *inventory.Snapshot, m Mapping) *writer {
	w := &writer{c: c, st: st, want: want, ix: inventory.NewIndex(want), mapping: m, owned: st.ownedObjects(),
		tags: bySlug(st.tags), cableByID: map[int]*Cable{}, scoped: st.scoped(),
		regions: map[string]int{}, sites: map[string]int{}, devices: map[string]int{}, circuits: map[string]int{},
		prefixes: map[string]int{}, asns: map[string]int{}, contexts: map[string]int{},
		ifaces: map[string]int{}, fronts: map[string]int{}, rears: map[string]int{}, terms: map[string]int{}, cables: map[string]int{},
		deviceRoles: bySlug(st.deviceRoles), platforms: bySlug(st.platforms), manufacturers: bySlug(st.manufacturers),
		deviceTypes: bySlug(st.deviceTypes), circuitTypes: bySlug(st.circuitTypes), ipamRoles: bySlug(st.ipamRoles), rirs: bySlug(st.rirs),
		providers: map[string]int{}, ipsByIface: map[int][]IPAddress{}, deviceByID: map[int]*Device{},
		termByKey: map[string]CircuitTermination{}, customFields: map[string]CustomField{}, locations: map[string]int{}}
	for _, r := range st.regions {
		w.regions[r.Slug] = r.ID
	}
	siteSlug := map[int]string{}
	for _, x := range st.sites {
		w.sites[x.Slug] = x.ID
		siteSlug[x.ID] = x.Slug
	}
	for _, l := range st.locations {
		w.locations[locKey(siteSlug[l.Site.ID], l.Slug)] = l.ID
	}
	for i := range st.devices {
		d := &st.devices[i]
		w.devices[deviceName(*d)] = d.ID
		w.deviceByID[d.ID] = d
	}
	for _, i := range st.interfaces {
		w.ifaces[i.Device.Name+":"+i.Name] = i.ID
	}
	for _, p := range st.frontPorts {
		w.fronts[p.Device.Name+":"+p.Name] = p.ID
	}
	for _, p := range st.rearPorts {
		w.rears[p.Device.Name+":"+p.Name] = p.ID
	}
	for i := range st.cables {
		c := &st.cables[i]
		w.cableByID[c.ID] = c
		if c.Label != "" {
			w.cables[c.Label] = c.ID
		} else {
			w.cables["netbox-cable-"+strconv.Itoa(c.ID)] = c.ID
		}
	}
	for _, p := range st.providers {
		w.providers[p.Name] = p.ID
	}
	for _, c := range st.circuits {
		w.circuits[c.CID] = c.ID
	}
	for _, t := range st.terminations {
		key := t.Circuit.CID + "/" + t.TermSide
		w.terms[key] = t.ID
		w.termByKey[key] = t
	}
	for _, ip := range sortByID(slices.Clone(st.ips), func(ip IPAddress) int { return ip.ID }) {
		if ip.AssignedObjectType != nil && *ip.AssignedObjectType == "dcim.interface" && ip.AssignedObjectID != nil {
			w.ipsByIface[*ip.AssignedObjectID] = append(w.ipsByIface[*ip.AssignedObjectID], ip)
		}
	}
	for _, p := range st.prefixes {
		if _, dup := w.prefixes[p.Prefix]; !dup {
			w.prefixes[p.Prefix] = p.ID
		}
	}
	for _, a := range st.asns {
		w.asns[strconv.FormatInt(a.ASN, 10)] = a.ID
	}
	for _, c := range st.contexts {
		w.contexts[c.Name] = c.ID
	}
	for _, f := range st.customFields {
		w.customFields[f.Name] = f
	}
	return w
}

func bySlug(list []Slugged) map[string]int {
	m := make(map[string]int, len(list))
	for _, o := range list {
		m[o.Slug] = o.ID
	}
	return m
}

// checkCustomFields refuses to write before `tuyau netbox bootstrap` has
// created the custom fields, rather than failing half way with 400s.
func (w *writer) checkCustomFields() error {
	var missing []string
	for _, spec := range RequiredCustomFields() {
		f, ok := w.customFields[spec.Name]
		if !ok {
			missing = append(missing, spec.Name)
			continue
		}
		for _, ot := range spec.ObjectTypes {
			if !slices.Contains(f.ObjectTypes, ot) {
				missing = append(missing, spec.Name+" on "+ot)
			}
		}
	}
	if len(missing) > 0 {
		return &RefusedError{fmt.Sprintf("netbox %s lacks the custom fields tuyau writes (%v): run `tuyau netbox bootstrap` with an admin token first", w.c.base, missing)}
	}
	return nil
}

// run writes the change set kind by kind.
func (w *writer) run(ctx context.Context, cs inventory.ChangeSet) error {
	touched := map[string][]string{}
	var deletes inventory.ChangeSet
	for _, c := range cs {
		if c.Op == inventory.OpDelete {
			deletes = append(deletes, c)
		}
		if c.Op != inventory.OpDelete || c.Kind == "bgp-session" {
			touched[c.Kind] = append(touched[c.Kind], c.Key)
		}
	}
	if len(touched) > 0 {
		if err := w.ensureOwnerTag(ctx); err != nil {
			return err
		}
	}
	// Cables go first so that a cable moved to another label frees its ports.
	for _, c := range deletes {
		if c.Kind == "cable" {
			if err := w.deleteOne(ctx, c); err != nil {
				return err
			}
		}
	}
	steps := []struct {
		kind string
		fn   func(context.Context, []string) error
	}{
		{"region", w.upsertRegions}, {"site", w.upsertSites}, {"device", w.upsertDevices},
		{"interface", w.upsertInterfaces}, {"bgp-session", w.upsertSessions}, {"patch-panel", w.upsertPanels},
		{"circuit", w.upsertCircuits}, {"cable", w.upsertCables}, {"prefix", w.upsertPrefixes},
		{"asn", w.upsertASNs}, {"service", w.upsertServices}, {"network", w.upsertNetwork},
	}
	for _, step := range steps {
		if keys := touched[step.kind]; len(keys) > 0 {
			w.c.log.Info("netbox push", "kind", step.kind, "objects", len(keys))
			if w.progress != nil {
				w.progress(step.kind, 0, len(keys))
			}
			if err := step.fn(ctx, keys); err != nil {
				return err
			}
			if w.progress != nil {
				w.progress(step.kind, len(keys), len(keys))
			}
		}
	}
	for _, c := range deletes {
		if c.Kind != "cable" && c.Kind != "bgp-session" {
			if err := w.deleteOne(ctx, c); err != nil {
				return err
			}
		}
	}
	// Last, once devices have moved out of them and pruned ones are gone.
	return w.pruneLocations(ctx)
}

const bulkSize = 250

type created struct {
	ID int `json:"id"`
}

// create POSTs bodies in bulk (NetBox creates each list all or nothing)
// and returns the new ids in order.
func (w *writer) create(ctx context.Context, path string, bodies []any) ([]int, error) {
	ids := make([]int, 0, len(bodies))
	for start := 0; start < len(bodies); start += bulkSize {
		chunk := bodies[start:min(start+bulkSize, len(bodies))]
		for i := range chunk {
			chunk[i] = w.tagged(path, chunk[i])
		}
		var out []created
		if err := w.c.do(ctx, http.MethodPost, path, nil, chunk, &out); err != nil {
			return ids, fmt.Errorf("create %d %s: %w", len(chunk), path, err)
		}
		if len(out) != len(chunk) {
			return ids, fmt.Errorf("create %s: sent %d objects, NetBox answered %d", path, len(chunk), len(out))
		}
		for _, o := range out {
			ids = append(ids, o.ID)
		}
	}
	return ids, nil
}

func (w *writer) createOne(ctx context.Context, path, what string, body any) (int, error) {
	var out created
	if err := w.c.do(ctx, http.MethodPost, path, nil, w.tagged(path, body), &out); err != nil {
		return 0, fmt.Errorf("create %s: %w", what, err)
	}
	return out.ID, nil
}

func (w *writer) patch(ctx context.Context, path string, id int, what string, body any) error {
	if err := w.c.do(ctx, http.MethodPatch, path+strconv.Itoa(id)+"/", nil, body, nil); err != nil {
		return fmt.Errorf("update %s: %w", what, err)
	}
	return nil
}

// bulkPatch updates many objects, each body carrying its "id".
func (w *writer) bulkPatch(ctx context.Context, path, what string, bodies []map[string]any) error {
	for start := 0; start < len(bodies); start += bulkSize {
		chunk := bodies[start:min(start+bulkSize, len(bodies))]
		var got []struct {
			ID int `json:"id"`
		}
		// NetBox updates a chunk in one transaction: a refusal changes nothing.
		if err := w.c.do(ctx, http.MethodPatch, path, nil, chunk, &got); err != nil {
			return fmt.Errorf("update %d %s (none of them changed): %w", len(chunk), what, err)
		}
		// NetBox passes over ids it no longer has: someone deleted them
		// since the read. A re-run reads again and creates them.
		back := make(map[int]bool, len(got))
		for _, g := range got {
			back[g.ID] = true
		}
		var gone []string
		for _, b := range chunk {
			if id, _ := b["id"].(int); !back[id] {
				gone = append(gone, strconv.Itoa(id))
			}
		}
		if len(gone) > 0 {
			return fmt.Errorf("update %s: %d of them (ids %s) were deleted in NetBox since it was read; run the push again", what, len(gone), strings.Join(gone, ", "))
		}
	}
	return nil
}

// remove deletes one object; one already gone (a cascade, an earlier
// interrupted run) is not an error.
func (w *writer) remove(ctx context.Context, path string, id int, what string) error {
	err := w.c.do(ctx, http.MethodDelete, path+strconv.Itoa(id)+"/", nil, nil, nil)
	var apiErr *APIError
	if errors.As(err, &apiErr) && apiErr.Status == http.StatusNotFound {
		return nil
	}
	if err != nil {
		return fmt.Errorf("delete %s: %w", what, err)
	}
	return nil
}

// ensure returns the id of a supporting object (role, platform, RIR...) by
// slug, creating it when missing.
func (w *writer) ensure(ctx context.Context, path string, m map[string]int, slug string, body map[string]any) (int, error) {
	if id, ok := m[slug]; ok {
		return id, nil
	}
	body["slug"] = slug
	if _, ok := body["name"]; !ok {
		body["name"] = slug
	}
	id, err := w.createOne(ctx, path, path+" "+slug, body)
	if err != nil {
		return 0, err
	}
	m[slug] = id
	return id, nil
}

func nullable[T comparable](v T) any {
	var zero T
	if v == zero {
		return nil
	}
	return v
}

func jsonOrNull(v any) any {
	b, err := json.Marshal(v)
	if err != nil || string(b) == "null" || string(b) == "[]" {
		return nil
	}
	return json.RawMessage(b)
}

func asAPI(err error, target **APIError) bool { return errors.As(err, target) }
