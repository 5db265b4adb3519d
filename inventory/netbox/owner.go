package netbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"

	"github.com/tuyau-net/tuyau/inventory"
)

// ownerTag marks what tuyau created in NetBox. --prune deletes only
// objects carrying it: what an operator entered by hand is never deleted.
const ownerTag = "tuyau"

// taggedPaths are the endpoints whose objects tuyau tags when it creates
// them. Config contexts are owned by name (tuyau-*), and their tags field
// means something else (the objects the context applies to).
var taggedPaths = map[string]bool{"dcim/regions/": true, "dcim/sites/": true, "dcim/locations/": true,
	"dcim/devices/": true, "dcim/interfaces/": true, "dcim/front-ports/": true, "dcim/rear-ports/": true,
	"dcim/cables/": true, "circuits/providers/": true, "circuits/circuits/": true, "circuits/circuit-terminations/": true,
	"ipam/ip-addresses/": true, "ipam/prefixes/": true, "ipam/asns/": true}

func hasOwnerTag(tags []Brief) bool {
	for _, t := range tags {
		if t.Slug == ownerTag {
			return true
		}
	}
	return false
}

// ownedObjects indexes the objects carrying the owner tag by API path and id.
func (st *state) ownedObjects() map[string]bool {
	owned := map[string]bool{}
	add := func(path string, id int, tags []Brief) {
		if hasOwnerTag(tags) {
			owned[path+strconv.Itoa(id)] = true
		}
	}
	for _, o := range st.regions {
		add("dcim/regions/", o.ID, o.Tags)
	}
	for _, o := range st.sites {
		add("dcim/sites/", o.ID, o.Tags)
	}
	for _, o := range st.locations {
		add("dcim/locations/", o.ID, o.Tags)
	}
	for _, o := range st.devices {
		add("dcim/devices/", o.ID, o.Tags)
	}
	for _, o := range st.interfaces {
		add("dcim/interfaces/", o.ID, o.Tags)
	}
	for _, o := range st.cables {
		add("dcim/cables/", o.ID, o.Tags)
	}
	for _, o := range st.circuits {
		add("circuits/circuits/", o.ID, o.Tags)
	}
	for _, o := range st.prefixes {
		add("ipam/prefixes/", o.ID, o.Tags)
	}
	for _, o := range st.asns {
		add("ipam/asns/", o.ID, o.Tags)
	}
	return owned
}

// owns reports whether tuyau created what a deletion would remove.
func (w *writer) owns(c inventory.Change) bool {
	path, id, ok := w.target(c)
	if !ok || path == "extras/config-contexts/" {
		return true // gone already, or a tuyau-* config context
	}
	return w.owned[path+strconv.Itoa(id)]
}

// tagged adds the owner tag to a body tuyau creates.
func (w *writer) tagged(path string, body any) any {
	if !taggedPaths[path] || w.tagID == 0 {
		return body
	}
	m := toMap(body)
	m["tags"] = []int{w.tagID}
	return m
}

// toMap turns a request (a map or a go-netbox model) into a map, so that
// fields can be added or left out.
func toMap(body any) map[string]any {
	if m, ok := body.(map[string]any); ok {
		return m
	}
	b, _ := json.Marshal(body)
	m := map[string]any{}
	_ = json.Unmarshal(b, &m)
	return m
}

// ensureOwnerTag finds or creates the tag tuyau marks its objects with.
func (w *writer) ensureOwnerTag(ctx context.Context) error {
	id, err := w.ensure(ctx, "extras/tags/", w.tags, ownerTag, map[string]any{"name": ownerTag, "color": "009688",
		"description": "created by tuyau; tuyau inventory push --prune deletes only objects with this tag"})
	if err != nil {
		return err
	}
	w.tagID = id
	return nil
}

// RefusedError is a push refused before writing anything, for a reason
// that running it again does not change.
type RefusedError struct{ Reason string }

func (e *RefusedError) Error() string { return e.Reason }

// Transient reports whether err may go away by itself (NetBox restarting,
// the network, rate limiting), so that running the same push again helps.
// Validation errors, missing custom fields and bad tokens are not.
func Transient(err error) bool {
	var apiErr *APIError
	if errors.As(err, &apiErr) {
		return apiErr.Status == http.StatusTooManyRequests || apiErr.Status >= 500
	}
	var re *RefusedError
	if errors.As(err, &re) {
		return false
	}
	var ne net.Error
	if errors.As(err, &ne) {
		return true
	}
	var op *net.OpError
	return errors.As(err, &op) || errors.Is(err, context.DeadlineExceeded)
}

// preflight finds what would make NetBox refuse the push, before writing.
func (w *writer) preflight() error {
	if err := w.checkCustomFields(); err != nil {
		return err
	}
	if err := w.checkLimits(); err != nil {
		return err
	}
	for _, d := range w.want.Devices {
		for _, i := range d.Interfaces {
			if i.Name == mgmtInterface && d.Mgmt.IsValid() {
				return &RefusedError{fmt.Sprintf("device %s: interface %s is where tuyau keeps the management address in NetBox; rename it", d.Name, mgmtInterface)}
			}
		}
	}
	return nil
}
