package netboxsim

import "fmt"

// checkLocation enforces what NetBox's Location model adds to its field
// checks: a parent in the same site, no parent loop, and names and slugs
// unique among the top-level locations of a site (NetBox's conditional
// constraints for parent IS NULL, which the simulator's unique tuples skip).
func (s *Server) checkLocation(id int, o object, e errs) {
	t := s.tables["dcim/locations"]
	if pid, ok := o["parent"].(int); ok {
		p := t.objs[pid]
		if p["site"] != o["site"] {
			e.add("parent", fmt.Sprintf("Parent location (%s) must belong to the same site (%s).", str(p["name"]), s.displayOf("dcim/sites", o["site"])))
		}
		// MPTT's rule, as NetBox's NestedGroupModel.clean words it.
		for cur, n := pid, 0; n <= len(t.order); n++ {
			if id != 0 && cur == id {
				e.add("parent", "Cannot assign self or child location as parent.")
				break
			}
			next, ok := t.objs[cur]["parent"].(int)
			if !ok {
				break
			}
			cur = next
		}
		return
	}
	for _, oid := range t.order {
		other := t.objs[oid]
		if oid == id || other["site"] != o["site"] || other["parent"] != nil {
			continue
		}
		for _, f := range []string{"name", "slug"} {
			if other[f] == o[f] {
				e.add("__all__", fmt.Sprintf("A location with this %s already exists within the specified site.", f))
			}
		}
	}
}
