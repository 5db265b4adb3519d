package netbox

import (
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"
)

// NetBox answers 400 for a value beyond its model's limits (max_length in
// characters, slug and color patterns: the request schema of each
// endpoint, which testlab/netboxsim serves from the same schemas). A push
// met them one object at a time, half way through, while its dry run said
// nothing: checkLimits finds them all before anything is written.

var (
	slugPattern  = regexp.MustCompile(`^[-a-zA-Z0-9_]+$`)
	colorPattern = regexp.MustCompile(`^[0-9a-f]{6}$`)
)

// maxRefusals bounds the values a refusal lists.
const maxRefusals = 20

// checkLimits lists every value of the inventory a push would write that
// NetBox would refuse.
func (w *writer) checkLimits() error {
	var bad []string
	check := func(object, field, v string, maxLen int) {
		if n := utf8.RuneCountInString(v); n > maxLen {
			bad = append(bad, fmt.Sprintf("%s: %s is %d characters, NetBox takes at most %d", object, field, n, maxLen))
		}
	}
	slug := func(object, v string) {
		check(object, "slug", v, 100)
		if v != "" && !slugPattern.MatchString(v) {
			bad = append(bad, fmt.Sprintf("%s: slug %q: NetBox takes letters, digits, - and _ only", object, v))
		}
	}
	s := w.want
	for _, r := range s.Regions {
		o := "region " + r.Slug
		slug(o, r.Slug)
		check(o, "name", r.Name, 100)
	}
	for _, x := range s.Sites {
		o := "site " + x.Slug
		slug(o, x.Slug)
		check(o, "name", x.Name, 100)
		check(o, "facility", x.Facility, 50)
		check(o, "address", x.Address, 200)
		for _, l := range x.Locations {
			lo := o + " location " + l.Slug
			slug(lo, l.Slug)
			check(lo, "name", l.Name, 100)
		}
	}
	for _, d := range s.Devices {
		o := "device " + d.Name
		check(o, "name", d.Name, 64)
		for _, i := range d.Interfaces {
			io := o + " interface " + i.Name
			check(io, "name", i.Name, 64)
			check(io, "description", i.Description, 200)
		}
	}
	for _, p := range s.PatchPanels {
		o := "patch panel " + p.Name
		check(o, "name", p.Name, 64)
		for _, f := range p.FrontPorts {
			check(o+" front port "+f.Name, "name", f.Name, 64)
		}
		for _, r := range p.RearPorts {
			check(o+" rear port "+r.Name, "name", r.Name, 64)
		}
	}
	for _, c := range s.Cables {
		o := "cable " + c.Label
		check(o, "label", c.Label, 100)
		if c.Color != "" && !colorPattern.MatchString(c.Color) {
			bad = append(bad, fmt.Sprintf("%s: color %q: NetBox takes 6 lowercase hex digits (ff6600)", o, c.Color))
		}
	}
	for _, c := range s.Circuits {
		o := "circuit " + c.ID
		check(o, "id", c.ID, 100)
		check(o, "provider", c.Provider, 100)
	}
	for _, p := range s.Prefixes {
		check("prefix "+p.Prefix.String(), "description", p.Description, 200)
	}
	for _, a := range s.ASNs {
		check(fmt.Sprintf("ASN %d", a.ASN), "description", a.Description, 200)
	}
	if len(bad) == 0 {
		return nil
	}
	more := ""
	if len(bad) > maxRefusals {
		more = fmt.Sprintf("\n  ... and %d more", len(bad)-maxRefusals)
		bad = bad[:maxRefusals]
	}
	return &RefusedError{fmt.Sprintf("netbox %s would refuse %d values of the inventory (fix them in the file; nothing was written):\n  %s%s",
		w.c.base, len(bad), strings.Join(bad, "\n  "), more)}
}
