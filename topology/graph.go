package topology

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/tuyau-net/tuyau/inventory"
)

// Options choose the core sites the failure analysis measures reachability to.
type Options struct {
	// CoreA and CoreB are the site slugs of the two core sites. Empty means
	// the first hosting service's sites (preferred first), else the sites
	// with the core role in slug order.
	CoreA, CoreB string
}

// Topology is the network as two graphs built from one snapshot: the
// physical graph of cables between devices, patch panels and circuits, and
// the logical graph of routed links between sites, each with the chain of
// cables it rides. Every list is sorted by name, so a topology does not
// depend on the order of the snapshot's slices.
type Topology struct {
	Network string `json:"network"`
	// CoreA and CoreB are the core sites; member sites that reach neither
	// have lost the hosting.
	CoreA    string    `json:"core_a"`
	CoreB    string    `json:"core_b"`
	Sites    []Site    `json:"sites"`
	Physical Physical  `json:"physical"`
	Links    []Link    `json:"links"`
	Problems []Problem `json:"problems"`

	siteIdx  map[string]int
	spanIdx  map[string]int
	linkIdx  map[string]int
	devSite  map[string]string
	endIdx   map[string]int // "device:interface" -> link
	srlgList []SRLG
	// optics are the inventory's own transceiver types, by type.
	optics map[string]Optic
}

// Site is a node of the logical graph.
type Site struct {
	Slug      string             `json:"slug"`
	Name      string             `json:"name,omitempty"`
	Role      inventory.SiteRole `json:"role"`
	Facility  string             `json:"facility,omitempty"`
	Latitude  float64            `json:"latitude"`
	Longitude float64            `json:"longitude"`
}

// HasCoordinates is inventory.Site's rule: 0,0 means unknown (a site in
// the Gulf of Guinea is no site of this network).
func (s Site) HasCoordinates() bool {
	return inventory.Site{Latitude: s.Latitude, Longitude: s.Longitude}.HasCoordinates()
}

// NodeKind says what a node of the physical graph is.
type NodeKind string

const (
	NodeDevice  NodeKind = "device"
	NodePanel   NodeKind = "panel"
	NodeCircuit NodeKind = "circuit"
)

// Node is a device, a patch panel or a circuit hand-over in the physical graph.
type Node struct {
	ID   string   `json:"id"`
	Kind NodeKind `json:"kind"`
	Site string   `json:"site,omitempty"`
}

// Span is a cable as an edge of the physical graph.
type Span struct {
	Cable    string                `json:"cable"`
	From     string                `json:"from"` // node ids
	To       string                `json:"to"`
	FromSite string                `json:"from_site,omitempty"`
	ToSite   string                `json:"to_site,omitempty"`
	Km       float64               `json:"km"`
	Type     inventory.FiberType   `json:"type,omitempty"`
	Status   inventory.CableStatus `json:"status,omitempty"`
	SRLGs    []string              `json:"srlgs,omitempty"`
	Splices  int                   `json:"splices,omitempty"`
	// ConnectorPairs are the mated connector pairs the cable adds to the
	// loss of a link over it (the inventory's connector_pairs, 1 when
	// unset). Connectors is twice that, kept for readers of the old field.
	ConnectorPairs int `json:"connector_pairs"`
	Connectors     int `json:"connectors,omitempty"`
	// AttenuatorDB is the cable's inline attenuator (attenuator_db).
	AttenuatorDB float64 `json:"attenuator_db,omitempty"`
	// Links are the ids of the routed links riding this cable.
	Links []string `json:"links,omitempty"`
}

// Physical is the fiber plant: nodes and the cables between them.
type Physical struct {
	Nodes []Node `json:"nodes"`
	Spans []Span `json:"spans"`
}

// Link is a routed link between two device interfaces (or an interface and
// a circuit), resolved through patch panels to the cables it rides.
type Link struct {
	ID    string `json:"id"`
	A     string `json:"a"` // device:interface
	B     string `json:"b"` // device:interface or "circuit ID/side"
	ASite string `json:"a_site"`
	BSite string `json:"b_site,omitempty"`
	// ATransceiver and BTransceiver are the optics at each end; a circuit end has none.
	ATransceiver string          `json:"a_transceiver,omitempty"`
	BTransceiver string          `json:"b_transceiver,omitempty"`
	Speed        inventory.Speed `json:"speed_mbps,omitempty"`
	Cables       []string        `json:"cables"`
	Km           float64         `json:"km"`
	Splices      int             `json:"splices"`
	// ConnectorPairs adds up the cables' mated connector pairs: what the
	// budget charges. Connectors is twice that, kept for old readers.
	ConnectorPairs int `json:"connector_pairs"`
	Connectors     int `json:"connectors"`
	// AttenuatorDB adds up the cables' inline attenuators.
	AttenuatorDB float64  `json:"attenuator_db,omitempty"`
	SRLGs        []string `json:"srlgs,omitempty"`
	// External marks a link to a circuit (transit): it leaves the network.
	External bool `json:"external,omitempty"`
	// Up is false when an interface is disabled or a cable is not connected;
	// Down says why.
	Up   bool   `json:"up"`
	Down string `json:"down,omitempty"`

	spans []int
}

// SRLG is a shared-risk group (a duct, a trench, a bridge) and the cables in it.
type SRLG struct {
	Name   string   `json:"name"`
	Cables []string `json:"cables"`

	spans []int
}

// Problem is something in the snapshot that keeps part of the graph from
// being built, such as a cable trace that stops at an empty panel port.
type Problem struct {
	Object  string `json:"object"`
	Message string `json:"message"`
}

func (p Problem) String() string { return p.Object + ": " + p.Message }

// Build makes the topology of a snapshot. It fails only when the core
// sites cannot be determined; broken traces are reported as Problems.
func Build(snap *inventory.Snapshot, o Options) (*Topology, error) {
	x := inventory.NewIndex(snap)
	t := &Topology{Network: snap.Network.Name, siteIdx: map[string]int{}, spanIdx: map[string]int{}, linkIdx: map[string]int{}, devSite: map[string]string{}, endIdx: map[string]int{}}
	for _, d := range snap.Devices {
		t.devSite[d.Name] = d.Site
	}
	for _, s := range snap.Sites {
		if _, dup := t.siteIdx[s.Slug]; dup {
			continue
		}
		t.siteIdx[s.Slug] = 0
		t.Sites = append(t.Sites, Site{Slug: s.Slug, Name: s.Name, Role: s.Role, Facility: s.Facility, Latitude: s.Latitude, Longitude: s.Longitude})
	}
	slices.SortFunc(t.Sites, func(a, b Site) int { return cmp.Compare(a.Slug, b.Slug) })
	for i, s := range t.Sites {
		t.siteIdx[s.Slug] = i
	}
	if err := t.chooseCores(snap, o); err != nil {
		return nil, err
	}
	t.optics = map[string]Optic{}
	for _, o := range snap.Optics {
		if _, builtin := LookupOptic(o.Type); builtin {
			continue // validation refuses it; the standard's figures win
		}
		if _, dup := t.optics[o.Type]; !dup {
			t.optics[o.Type] = FromInventory(o)
		}
	}
	t.buildPhysical(snap, x)
	t.buildLinks(snap, x)
	t.buildSRLGs()
	// Empty lists print as [] in JSON, never null.
	for _, l := range []*[]Problem{&t.Problems} {
		if *l == nil {
			*l = []Problem{}
		}
	}
	if t.Sites == nil {
		t.Sites = []Site{}
	}
	if t.Links == nil {
		t.Links = []Link{}
	}
	if t.Physical.Nodes == nil {
		t.Physical.Nodes = []Node{}
	}
	if t.Physical.Spans == nil {
		t.Physical.Spans = []Span{}
	}
	return t, nil
}

func (t *Topology) chooseCores(snap *inventory.Snapshot, o Options) error {
	a, b := o.CoreA, o.CoreB
	var cands []string
	if len(snap.Services) > 0 {
		cands = append(cands, snap.Services[0].Sites...)
	}
	var cores []string
	for _, s := range snap.Sites {
		if s.Role == inventory.SiteCore {
			cores = append(cores, s.Slug)
		}
	}
	slices.Sort(cores) // the snapshot's order must not pick the cores
	cands = append(cands, cores...)
	for _, c := range cands {
		if a == "" && c != b {
			a = c
		} else if b == "" && c != a {
			b = c
		}
	}
	for _, c := range []string{a, b} {
		if c == "" {
			// A service's site is usually also a core site: count each
			// site once, or "found 2" names one site twice.
			distinct := slices.Compact(slices.Sorted(slices.Values(cands)))
			return fmt.Errorf("topology of %s: need two core sites (role core or a hosting service's sites), found %d %v", snap.Network.Name, len(distinct), distinct)
		}
		if _, ok := t.siteIdx[c]; !ok {
			return fmt.Errorf("topology of %s: core site %q: %w", snap.Network.Name, c, ErrUnknownSite)
		}
	}
	if a == b {
		return fmt.Errorf("topology of %s: core sites A and B are both %q", snap.Network.Name, a)
	}
	t.CoreA, t.CoreB = a, b
	return nil
}

func nodeOf(x *inventory.Index, term inventory.Termination) Node {
	switch term.Kind() {
	case inventory.TermInterface:
		return Node{ID: term.Device, Kind: NodeDevice, Site: x.SiteOf(term)}
	case inventory.TermFrontPort, inventory.TermRearPort:
		return Node{ID: term.Panel, Kind: NodePanel, Site: x.SiteOf(term)}
	case inventory.TermCircuit:
		return Node{ID: "circuit " + term.Circuit, Kind: NodeCircuit, Site: x.SiteOf(term)}
	}
	return Node{ID: term.String()}
}

func (t *Topology) buildPhysical(snap *inventory.Snapshot, x *inventory.Index) {
	seen := map[string]bool{}
	for _, c := range snap.Cables {
		if _, dup := t.spanIdx[c.Label]; dup {
			continue
		}
		t.spanIdx[c.Label] = 0
		a, b := nodeOf(x, c.A), nodeOf(x, c.B)
		for _, n := range []Node{a, b} {
			if !seen[n.ID] {
				seen[n.ID] = true
				t.Physical.Nodes = append(t.Physical.Nodes, n)
			}
		}
		// A cable counts one mated pair unless told otherwise: the joint at
		// its far end (docs/inventory.md, connector_pairs).
		pairs := max(c.Pairs(), 1)
		t.Physical.Spans = append(t.Physical.Spans, Span{Cable: c.Label, From: a.ID, To: b.ID, FromSite: a.Site, ToSite: b.Site,
			Km: c.Length.Km(), Type: c.Type, Status: c.Status, SRLGs: sortedSet(c.SRLGs), Splices: c.Splices, ConnectorPairs: pairs, Connectors: 2 * pairs,
			AttenuatorDB: c.AttenuatorDB})
	}
	slices.SortFunc(t.Physical.Nodes, func(a, b Node) int { return cmp.Compare(a.ID, b.ID) })
	slices.SortFunc(t.Physical.Spans, func(a, b Span) int { return cmp.Compare(a.Cable, b.Cable) })
	for i, s := range t.Physical.Spans {
		t.spanIdx[s.Cable] = i
	}
}

func (t *Topology) buildLinks(snap *inventory.Snapshot, x *inventory.Index) {
	done := map[string]bool{}
	for _, d := range snap.Devices {
		for _, ifc := range d.Interfaces {
			from := inventory.Termination{Device: d.Name, Interface: ifc.Name}
			if c, _ := x.CableAt(from.Key()); c == nil || done[from.String()] {
				continue
			}
			p, err := x.Trace(d.Name, ifc.Name)
			if err != nil {
				t.Problems = append(t.Problems, Problem{from.String(), err.Error()})
				continue
			}
			if !p.Complete {
				t.Problems = append(t.Problems, Problem{from.String(), "cable trace stops at " + p.To.String()})
				continue
			}
			done[from.String()] = true
			done[p.To.String()] = true
			t.Links = append(t.Links, t.newLink(x, p))
		}
	}
	slices.SortFunc(t.Links, func(a, b Link) int { return cmp.Compare(a.ID, b.ID) })
	slices.SortFunc(t.Problems, func(a, b Problem) int { return cmp.Compare(a.String(), b.String()) })
	for i := range t.Links {
		l := &t.Links[i]
		t.linkIdx[l.ID] = i
		t.endIdx[l.A] = i
		if !l.External {
			t.endIdx[l.B] = i
		}
		for _, s := range l.spans {
			t.Physical.Spans[s].Links = append(t.Physical.Spans[s].Links, l.ID)
		}
	}
}

// newLink orients a traced path so that A is the smaller end: the same
// link gets the same id whichever end the trace started from.
func (t *Topology) newLink(x *inventory.Index, p inventory.Path) Link {
	a, b := p.From, p.To
	cables := p.Cables
	external := b.Kind() == inventory.TermCircuit
	if !external && b.String() < a.String() {
		a, b = b, a
		cables = slices.Clone(cables)
		slices.Reverse(cables)
	}
	l := Link{A: a.String(), B: b.String(), ASite: x.SiteOf(a), BSite: x.SiteOf(b), External: external, Up: true}
	l.ID = l.A + " -- " + l.B
	srlgs := map[string]bool{}
	for _, c := range cables {
		si := t.spanIdx[c.Label]
		s := t.Physical.Spans[si]
		l.spans = append(l.spans, si)
		l.Cables = append(l.Cables, c.Label)
		l.Km += s.Km
		l.Splices += s.Splices
		l.ConnectorPairs += s.ConnectorPairs
		l.Connectors += s.Connectors
		l.AttenuatorDB += s.AttenuatorDB
		for _, g := range s.SRLGs {
			srlgs[g] = true
		}
		if s.Status != "" && s.Status != inventory.CableConnected && l.Up {
			l.Up, l.Down = false, "cable "+c.Label+" is "+string(s.Status)
		}
	}
	l.Km = round(l.Km, 3)
	l.SRLGs = sortedKeys(srlgs)
	for i, end := range []inventory.Termination{a, b} {
		if end.Kind() != inventory.TermInterface {
			continue
		}
		ifc := x.Interface(end.Device, end.Interface)
		if ifc == nil {
			continue
		}
		if i == 0 {
			l.ATransceiver = ifc.Transceiver
		} else {
			l.BTransceiver = ifc.Transceiver
		}
		if ifc.Speed != 0 && (l.Speed == 0 || ifc.Speed < l.Speed) {
			l.Speed = ifc.Speed
		}
		if !ifc.IsEnabled() && l.Up {
			l.Up, l.Down = false, "interface "+end.String()+" is disabled"
		}
	}
	return l
}

func (t *Topology) buildSRLGs() {
	m := map[string]*SRLG{}
	for i, s := range t.Physical.Spans {
		for _, g := range s.SRLGs {
			x := m[g]
			if x == nil {
				x = &SRLG{Name: g}
				m[g] = x
			}
			x.Cables = append(x.Cables, s.Cable)
			x.spans = append(x.spans, i)
		}
	}
	for _, name := range sortedKeys(m) {
		t.srlgList = append(t.srlgList, *m[name])
	}
}

// SRLGs returns the shared-risk groups with their cables, sorted by name.
func (t *Topology) SRLGs() []SRLG { return t.srlgList }

// Site returns the site with that slug.
func (t *Topology) Site(slug string) (Site, bool) {
	i, ok := t.siteIdx[slug]
	if !ok {
		return Site{}, false
	}
	return t.Sites[i], true
}

// resolveSite accepts a site slug or a device name.
func (t *Topology) resolveSite(name string) (int, error) {
	if i, ok := t.siteIdx[name]; ok {
		return i, nil
	}
	if s, ok := t.devSite[name]; ok {
		if i, ok := t.siteIdx[s]; ok {
			return i, nil
		}
	}
	return 0, fmt.Errorf("%q is neither a site nor a device: %w", name, ErrUnknownSite)
}

// Link returns the routed link with that id.
func (t *Topology) Link(id string) (Link, bool) {
	i, ok := t.linkIdx[id]
	if !ok {
		return Link{}, false
	}
	return t.Links[i], true
}

// LinkOf returns the routed link on a device interface, for callers that
// start from a port (telemetry comparing measured Rx power with the budget).
func (t *Topology) LinkOf(device, iface string) (Link, bool) {
	end := device + ":" + iface
	i, ok := t.endIdx[end]
	if !ok {
		return Link{}, false
	}
	return t.Links[i], true
}

// Span returns the cable with that label.
func (t *Topology) Span(label string) (Span, bool) {
	i, ok := t.spanIdx[label]
	if !ok {
		return Span{}, false
	}
	return t.Physical.Spans[i], true
}

func sortedSet(in []string) []string {
	if len(in) == 0 {
		return nil
	}
	out := slices.Clone(in)
	slices.Sort(out)
	return slices.Compact(out)
}

func sortedKeys[V any](m map[string]V) []string {
	if len(m) == 0 {
		return nil
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
