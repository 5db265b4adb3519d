package inventory

// locations checks the rooms of each site and that devices and panels name
// a room of their own site: a router "in salle-b" of the wrong site would
// send a technician to the wrong building.
func (v *validator) locations() {
	for _, s := range v.s.Sites {
		slugs := dupCheck{}
		parents := make(map[string]string, len(s.Locations))
		for _, l := range s.Locations {
			slugs.seenIn(v, "location", s.Slug, l.Slug, l.Src)
			parents[l.Slug] = l.Parent
		}
		for _, l := range s.Locations {
			if l.Parent == "" {
				continue
			}
			obj := "location " + s.Slug + ":" + l.Slug
			if _, ok := parents[l.Parent]; !ok {
				v.add(l.Src, obj, "parent location %q is not defined in site %s", l.Parent, s.Slug)
				continue
			}
			if locationCycle(parents, l.Slug) {
				v.add(l.Src, obj, "parent chain loops back to %s", l.Slug)
			}
		}
	}
	for i := range v.s.Devices {
		d := &v.s.Devices[i]
		v.checkLocation(d.Src, "device", d.Name, d.Site, d.Location)
	}
	for i := range v.s.PatchPanels {
		p := &v.s.PatchPanels[i]
		v.checkLocation(p.Src, "patch panel", p.Name, p.Site, p.Location)
	}
}

// locationCycle reports whether following parents from slug comes back to it.
func locationCycle(parents map[string]string, slug string) bool {
	cur := parents[slug]
	for range len(parents) {
		if cur == "" {
			return false
		}
		if cur == slug {
			return true
		}
		cur = parents[cur]
	}
	return cur != ""
}

// The object is named by kind and name, joined only for a message.
func (v *validator) checkLocation(src Source, kind, name, site, loc string) {
	if loc == "" {
		return
	}
	s := v.x.Site(site)
	if s == nil {
		return // the missing site is reported on its own
	}
	for _, l := range s.Locations {
		if l.Slug == loc {
			return
		}
	}
	v.add(src, kind+" "+name, "location %q is not defined in site %s", loc, site)
}
