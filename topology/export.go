package topology

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/tuyau-net/tuyau/inventory"
)

// GraphFormats lists the formats WriteGraph knows.
var GraphFormats = []string{"dot", "mermaid", "geojson", "json"}

// GraphOptions choose what a map shows.
type GraphOptions struct {
	// Backbone keeps only core and aggregation sites and the links between them.
	Backbone bool
	// Physical draws devices, patch panels and every cable (dot and mermaid)
	// instead of sites and routed links.
	Physical bool
}

// WriteGraph writes the topology as dot (Graphviz, sites pinned at their
// coordinates), mermaid, geojson (sites as points, inter-site cables as
// lines) or json (the Topology itself).
func WriteGraph(w io.Writer, t *Topology, format string, o GraphOptions) error {
	bw := bufio.NewWriter(w)
	var err error
	switch format {
	case "dot":
		err = writeDOT(bw, t, o)
	case "mermaid":
		err = writeMermaid(bw, t, o)
	case "geojson":
		err = writeGeoJSON(bw, t, o)
	case "json":
		enc := json.NewEncoder(bw)
		enc.SetIndent("", "  ")
		err = enc.Encode(t.filtered(o))
	default:
		return fmt.Errorf("graph format %q: want one of %v", format, GraphFormats)
	}
	if err != nil {
		return err
	}
	return bw.Flush()
}

func (t *Topology) keepSite(slug string, o GraphOptions) bool {
	s, ok := t.Site(slug)
	return ok && (!o.Backbone || s.Role != inventory.SiteMember)
}

// filtered returns the topology reduced to what the options keep.
func (t *Topology) filtered(o GraphOptions) *Topology {
	if !o.Backbone {
		return t
	}
	c := *t
	c.Sites = nil
	for _, s := range t.Sites {
		if t.keepSite(s.Slug, o) {
			c.Sites = append(c.Sites, s)
		}
	}
	c.Links = nil
	for _, l := range t.Links {
		if t.keepSite(l.ASite, o) && (l.External || t.keepSite(l.BSite, o)) {
			c.Links = append(c.Links, l)
		}
	}
	c.Physical = Physical{}
	for _, n := range t.Physical.Nodes {
		if t.keepSite(n.Site, o) {
			c.Physical.Nodes = append(c.Physical.Nodes, n)
		}
	}
	for _, s := range t.Physical.Spans {
		if t.keepSite(s.FromSite, o) && t.keepSite(s.ToSite, o) {
			c.Physical.Spans = append(c.Physical.Spans, s)
		}
	}
	return &c
}

// siteLinks returns the up links between two different kept sites.
func (t *Topology) siteLinks(o GraphOptions) []Link {
	var out []Link
	for _, l := range t.Links {
		if l.External || l.ASite == l.BSite || !t.keepSite(l.ASite, o) || !t.keepSite(l.BSite, o) {
			continue
		}
		out = append(out, l)
	}
	return out
}

func siteStyle(r inventory.SiteRole) string {
	switch r {
	case inventory.SiteCore:
		return `shape=doubleoctagon style=filled fillcolor="#f4a261"`
	case inventory.SiteAggregation:
		return `shape=box style=filled fillcolor="#a8dadc"`
	}
	return `shape=ellipse style=filled fillcolor="#f1faee" fontsize=9`
}

func writeDOT(w *bufio.Writer, t *Topology, o GraphOptions) error {
	fmt.Fprintf(w, "graph %s {\n", strconv.Quote(t.Network))
	// neato with pinned positions draws the network where it is on the map,
	// even when rendered with the dot command.
	fmt.Fprintln(w, "  graph [layout=neato overlap=false splines=true outputorder=edgesfirst]")
	fmt.Fprintln(w, `  node [fontname="Helvetica" fontsize=10]`)
	fmt.Fprintln(w, `  edge [fontname="Helvetica" fontsize=8]`)
	if o.Physical {
		return writePhysicalDOT(w, t, o)
	}
	for _, s := range t.Sites {
		if !t.keepSite(s.Slug, o) {
			continue
		}
		if !s.HasCoordinates() {
			// neato places a site it is given no position for.
			fmt.Fprintf(w, "  %s [label=%s %s]\n", strconv.Quote(s.Slug), strconv.Quote(s.Slug), siteStyle(s.Role))
			continue
		}
		fmt.Fprintf(w, "  %s [label=%s %s pos=\"%s\"]\n", strconv.Quote(s.Slug), strconv.Quote(s.Slug), siteStyle(s.Role), pos(s))
	}
	bridges := map[string]bool{}
	for _, b := range Analyze(t).Risk().Bridges {
		bridges[b] = true
	}
	for _, l := range t.siteLinks(o) {
		style := ""
		switch {
		case !l.Up:
			style = ` style=dotted color=gray`
		case bridges[l.ID]:
			style = ` color=red penwidth=2`
		}
		fmt.Fprintf(w, "  %s -- %s [label=\"%.1f km\" tooltip=%s%s]\n", strconv.Quote(l.ASite), strconv.Quote(l.BSite), l.Km, strconv.Quote(l.ID), style)
	}
	fmt.Fprintln(w, "}")
	return nil
}

func writePhysicalDOT(w *bufio.Writer, t *Topology, o GraphOptions) error {
	bySite := map[string][]Node{}
	for _, n := range t.Physical.Nodes {
		if t.keepSite(n.Site, o) || n.Site == "" && !o.Backbone {
			bySite[n.Site] = append(bySite[n.Site], n)
		}
	}
	for i, site := range sortedKeys(bySite) {
		if site != "" {
			fmt.Fprintf(w, "  subgraph cluster_%d {\n    label=%s\n", i, strconv.Quote(site))
		}
		for _, n := range bySite[site] {
			shape := "box"
			switch n.Kind {
			case NodePanel:
				shape = "cylinder"
			case NodeCircuit:
				shape = "cds"
			}
			fmt.Fprintf(w, "    %s [shape=%s]\n", strconv.Quote(n.ID), shape)
		}
		if site != "" {
			fmt.Fprintln(w, "  }")
		}
	}
	for _, s := range t.Physical.Spans {
		if !t.keepSite(s.FromSite, o) && s.FromSite != "" || !t.keepSite(s.ToSite, o) && s.ToSite != "" {
			continue
		}
		label := s.Cable
		if s.Km >= 0.1 {
			label += fmt.Sprintf(" %.1f km", s.Km)
		}
		fmt.Fprintf(w, "  %s -- %s [label=%s]\n", strconv.Quote(s.From), strconv.Quote(s.To), strconv.Quote(label))
	}
	fmt.Fprintln(w, "}")
	return nil
}

// pos places a site for neato: longitude east, latitude north, in points,
// with the latitude scaled so that the map is not squashed at 49°N.
func pos(s Site) string {
	const scale = 400.0
	return fmt.Sprintf("%.1f,%.1f!", s.Longitude*scale*0.65/72, s.Latitude*scale/72)
}

func writeMermaid(w *bufio.Writer, t *Topology, o GraphOptions) error {
	fmt.Fprintln(w, "graph LR")
	id := map[string]string{}
	if o.Physical {
		for i, n := range t.Physical.Nodes {
			if t.keepSite(n.Site, o) || n.Site == "" && !o.Backbone {
				id[n.ID] = "n" + strconv.Itoa(i)
				fmt.Fprintf(w, "  %s[%q]\n", id[n.ID], n.ID)
			}
		}
		for _, s := range t.Physical.Spans {
			if a, b := id[s.From], id[s.To]; a != "" && b != "" {
				fmt.Fprintf(w, "  %s ---|%q| %s\n", a, fmt.Sprintf("%s %.1f km", s.Cable, s.Km), b)
			}
		}
		return nil
	}
	for i, s := range t.Sites {
		if !t.keepSite(s.Slug, o) {
			continue
		}
		id[s.Slug] = "s" + strconv.Itoa(i)
		open, close := "(", ")"
		switch s.Role {
		case inventory.SiteCore:
			open, close = "[[", "]]"
		case inventory.SiteAggregation:
			open, close = "[", "]"
		}
		fmt.Fprintf(w, "  %s%s%q%s\n", id[s.Slug], open, s.Slug, close)
	}
	for _, l := range t.siteLinks(o) {
		arrow := "---"
		if !l.Up {
			arrow = "-.-"
		}
		fmt.Fprintf(w, "  %s %s|%q| %s\n", id[l.ASite], arrow, fmt.Sprintf("%.1f km", l.Km), id[l.BSite])
	}
	return nil
}

type geoFeature struct {
	Type string `json:"type"`
	// Geometry is null for a site without coordinates and a cable with
	// such an end (RFC 7946 3.2: an unlocated feature), not 0,0.
	Geometry   *geoGeometry   `json:"geometry"`
	Properties map[string]any `json:"properties"`
}

type geoGeometry struct {
	Type        string `json:"type"`
	Coordinates any    `json:"coordinates"`
}

func writeGeoJSON(w *bufio.Writer, t *Topology, o GraphOptions) error {
	fc := struct {
		Type     string       `json:"type"`
		Name     string       `json:"name"`
		Features []geoFeature `json:"features"`
	}{Type: "FeatureCollection", Name: t.Network, Features: []geoFeature{}}
	for _, s := range t.Sites {
		if !t.keepSite(s.Slug, o) {
			continue
		}
		var at *geoGeometry
		if s.HasCoordinates() {
			at = &geoGeometry{"Point", []float64{s.Longitude, s.Latitude}}
		}
		fc.Features = append(fc.Features, geoFeature{"Feature", at,
			map[string]any{"kind": "site", "slug": s.Slug, "name": s.Name, "role": s.Role, "facility": s.Facility,
				"core": s.Slug == t.CoreA || s.Slug == t.CoreB}})
	}
	for _, s := range t.Physical.Spans {
		if s.FromSite == s.ToSite || !t.keepSite(s.FromSite, o) || !t.keepSite(s.ToSite, o) {
			continue // patch cords stay inside a site
		}
		a, _ := t.Site(s.FromSite)
		b, _ := t.Site(s.ToSite)
		links := s.Links
		if links == nil {
			links = []string{}
		}
		var line *geoGeometry
		if a.HasCoordinates() && b.HasCoordinates() {
			line = &geoGeometry{"LineString", [][]float64{{a.Longitude, a.Latitude}, {b.Longitude, b.Latitude}}}
		}
		fc.Features = append(fc.Features, geoFeature{"Feature", line,
			map[string]any{"kind": "cable", "cable": s.Cable, "from": s.FromSite, "to": s.ToSite, "km": s.Km,
				"type": s.Type, "status": s.Status, "srlgs": strings.Join(s.SRLGs, ","), "links": links}})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", " ")
	return enc.Encode(fc)
}
