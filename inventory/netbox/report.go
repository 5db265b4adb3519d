package netbox

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Report says how a load read NetBox: what it inferred from NetBox's own
// data where tuyau's custom fields are unset, what it skipped because
// tuyau does not model it, and what is missing for a valid inventory.
type Report struct {
	// Version is NetBox's version from /api/status/.
	Version string `json:"netbox_version"`
	// Inferred counts values taken from NetBox's data, by what.
	Inferred map[string]int `json:"inferred"`
	// Skipped counts objects left out, by why.
	Skipped map[string]int `json:"skipped"`
	// Unknown counts optional values NetBox does not have, left empty
	// (sites without coordinates, routers without a loopback or ASN).
	Unknown map[string]int `json:"unknown"`
	// Missing lists the values no custom field or inference gives, each
	// with what would fix it. Sorted by kind, then NetBox id.
	Missing []Missing `json:"missing"`
	// Optics says where the user optics table came from (NetBox has
	// none): "3 types from optics.yaml", empty when none was given.
	Optics string `json:"optics,omitempty"`
}

// Missing is one value tuyau needs and could not find.
type Missing struct {
	// Object names it the way tuyau does: "site vannes-dc1".
	Object string `json:"object"`
	// Kind and ID are the NetBox object; Path its API path.
	Kind string `json:"kind"`
	ID   int    `json:"id"`
	Path string `json:"path"`
	// What is missing, and Fix what would give it (a custom field, a
	// tuyau.yaml mapping key, the command to run).
	What string `json:"what"`
	Fix  string `json:"fix"`
}

func (m Missing) String() string {
	return fmt.Sprintf("%s (NetBox %s): no %s: %s", m.Object, m.Path, m.What, m.Fix)
}

func newReport() *Report {
	return &Report{Inferred: map[string]int{}, Skipped: map[string]int{}, Unknown: map[string]int{}, Missing: []Missing{}}
}

func (r *Report) infer(what string) { r.Inferred[what]++ }
func (r *Report) skip(why string)   { r.Skipped[why]++ }
func (r *Report) missing(m Missing) { r.Missing = append(r.Missing, m) }
func (r *Report) sort()             { slices.SortStableFunc(r.Missing, compareMissing) }
func compareMissing(a, b Missing) int {
	return cmp.Or(cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.ID, b.ID), cmp.Compare(a.What, b.What))
}
func apiPath(path string, id int) string   { return fmt.Sprintf("/api/%s%d/", path, id) }
func sortedKeys(m map[string]int) []string { return slices.Sorted(maps.Keys(m)) }

// MissingError is a load that found values missing: the inventory would
// not be valid. It lists every one, sorted by NetBox id.
type MissingError struct {
	URL     string
	Missing []Missing
}

func (e *MissingError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "NetBox %s lacks %d values tuyau needs (custom fields unset and nothing to infer them from):", e.URL, len(e.Missing))
	for _, m := range e.Missing {
		b.WriteString("\n  ")
		b.WriteString(m.String())
	}
	return b.String()
}

// Summary is the report in a few lines for a terminal.
func (r *Report) Summary() string {
	var b strings.Builder
	if r.Version != "" {
		fmt.Fprintf(&b, "NetBox %s\n", r.Version)
	}
	if r.Optics != "" {
		fmt.Fprintf(&b, "optics: %s\n", r.Optics)
	}
	for _, x := range []struct {
		title string
		m     map[string]int
	}{{"inferred", r.Inferred}, {"skipped (not modelled by tuyau)", r.Skipped}, {"unknown (left empty)", r.Unknown}} {
		if len(x.m) == 0 {
			continue
		}
		fmt.Fprintf(&b, "%s:\n", x.title)
		for _, k := range sortedKeys(x.m) {
			fmt.Fprintf(&b, "  %6d  %s\n", x.m[k], k)
		}
	}
	if len(r.Missing) > 0 {
		fmt.Fprintf(&b, "missing: %d values (see the errors)\n", len(r.Missing))
	}
	return b.String()
}

func (r *Report) unknown(what string) { r.Unknown[what]++ }
