package netbox

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/tuyau-net/tuyau/inventory"
)

// NetBox has no object for an optic's optical figures (launch power,
// sensitivity, overload): the interface's tuyau_transceiver field names a
// type, and the types beyond tuyau's built-in table come from an optics
// file the operator keeps beside tuyau.yaml (docs/netbox.md "Optics"). A
// file, not module types with custom fields, because the table is the
// planners' data (a data sheet per vendor module) that a push must not
// overwrite and a pull must not need write access for; a push then pull
// reads the same file and round-trips.

// WithOptics gives the loads the user optics table the inventory's
// interfaces may name (from, a file path, is said in the report and in
// errors).
func WithOptics(optics []inventory.Optic, from string) Option {
	return func(s *Store) error {
		s.optics = slices.Clone(optics)
		s.opticsFrom = from
		return nil
	}
}

// opticsFix is what a missing optic type's error says to do.
const opticsFix = "NetBox holds no optics table: define the type in an optics file (optics: list, docs/inventory.md) and give it with --optics FILE or netbox.optics: FILE in tuyau.yaml"

// addOptics puts the store's optics table into a loaded snapshot and
// reports every interface naming a type neither built in nor in it, with
// the NetBox interface and what would fix it.
func (s *Store) addOptics(snap *inventory.Snapshot, rep *Report) {
	snap.Optics = slices.Clone(s.optics)
	if len(s.optics) > 0 {
		rep.Optics = fmt.Sprintf("%d types from %s", len(s.optics), s.opticsFrom)
	}
	fix := opticsFix
	if s.opticsFrom != "" {
		fix = "the type is neither built in nor in " + s.opticsFrom + ": add it there (docs/netbox.md \"Optics\")"
	}
	// One entry per unknown type, at its first interface: the fix is the
	// same for the hundred interfaces of a vendor module.
	type first struct {
		obj string
		id  int
		n   int
	}
	unknown := map[string]*first{}
	var order []string
	for _, d := range snap.Devices {
		for _, i := range d.Interfaces {
			if i.Transceiver == "" || snap.KnownTransceiver(i.Transceiver) {
				continue
			}
			if f := unknown[i.Transceiver]; f != nil {
				f.n++
				continue
			}
			unknown[i.Transceiver] = &first{obj: "interface " + d.Name + ":" + i.Name, id: interfaceID(i.Src.File), n: 1}
			order = append(order, i.Transceiver)
		}
	}
	for _, t := range order {
		f := unknown[t]
		obj := f.obj
		if f.n > 1 {
			obj += fmt.Sprintf(" (and %d other interfaces)", f.n-1)
		}
		rep.missing(Missing{Object: obj, Kind: "dcim.interface", ID: f.id, Path: apiPath("dcim/interfaces/", f.id),
			What: fmt.Sprintf("optical figures for transceiver %q", t), Fix: fix})
	}
}

// interfaceID reads the NetBox id back from an interface's source URL
// (…/api/dcim/interfaces/ID/).
func interfaceID(u string) int {
	u = strings.TrimSuffix(u, "/")
	id, _ := strconv.Atoi(u[strings.LastIndexByte(u, '/')+1:])
	return id
}

// OpticsFrom names the optics file the store was given ("" for none).
func (s *Store) OpticsFrom() string { return s.opticsFrom }
