package inventory

import "sync"

// Index gives constant-time lookups into a Snapshot. It points into the
// snapshot's slices: build it once the snapshot is complete and do not
// append to the snapshot afterwards.
type Index struct {
	snap     *Snapshot
	regions  map[string]*Region
	sites    map[string]*Site
	devices  map[string]*Device
	ifaces   map[PortKey]*Interface
	panels   map[string]*PatchPanel
	fronts   map[PortKey]*FrontPort
	rears    map[PortKey]*RearPort
	circuits map[string]*Circuit
	cables   map[string]*Cable
	// byEnd maps each cable end to the cable attached there, for tracing.
	byEnd map[PortKey]cableEnd
	// rearToFront maps panel rear port + position to its front port.
	rearToFront map[rearPos]string
}

// PortKey names a port on a device or a patch panel, or a circuit side.
type PortKey struct {
	Kind   TerminationKind
	Holder string // device, panel or circuit
	Port   string // interface, port name or circuit side
}

// Key returns the PortKey of a termination.
func (t Termination) Key() PortKey {
	switch t.Kind() {
	case TermInterface:
		return PortKey{TermInterface, t.Device, t.Interface}
	case TermFrontPort:
		return PortKey{TermFrontPort, t.Panel, t.Front}
	case TermRearPort:
		return PortKey{TermRearPort, t.Panel, t.Rear}
	case TermCircuit:
		side := t.Side
		if side == "" {
			side = "A"
		}
		return PortKey{TermCircuit, t.Circuit, side}
	}
	return PortKey{}
}

type cableEnd struct {
	cable *Cable
	isA   bool
}

type rearPos struct {
	panel, rear string
	pos         int
}

// NewIndex indexes a snapshot. On duplicate names the first object wins;
// Validate reports the duplicates.
func NewIndex(s *Snapshot) *Index {
	ifaces, fronts, rears := 0, 0, 0
	for i := range s.Devices {
		ifaces += len(s.Devices[i].Interfaces)
	}
	for i := range s.PatchPanels {
		fronts += len(s.PatchPanels[i].FrontPorts)
		rears += len(s.PatchPanels[i].RearPorts)
	}
	// Maps are sized up front: growing them rehashes every entry again.
	x := &Index{
		snap:        s,
		regions:     make(map[string]*Region, len(s.Regions)),
		sites:       make(map[string]*Site, len(s.Sites)),
		devices:     make(map[string]*Device, len(s.Devices)),
		ifaces:      make(map[PortKey]*Interface, ifaces),
		panels:      make(map[string]*PatchPanel, len(s.PatchPanels)),
		fronts:      make(map[PortKey]*FrontPort, fronts),
		rears:       make(map[PortKey]*RearPort, rears),
		circuits:    make(map[string]*Circuit, len(s.Circuits)),
		cables:      make(map[string]*Cable, len(s.Cables)),
		byEnd:       make(map[PortKey]cableEnd, len(s.Cables)*2),
		rearToFront: make(map[rearPos]string, fronts),
	}
	// Each part fills its own maps, so on a large network they are built
	// side by side.
	parts := []func(){x.indexDevices, x.indexPanels, x.indexCables}
	if ifaces+fronts+len(s.Cables) < 10_000 {
		for _, f := range parts {
			f()
		}
		return x
	}
	var wg sync.WaitGroup
	for _, f := range parts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f()
		}()
	}
	wg.Wait()
	return x
}

func (x *Index) indexDevices() {
	s := x.snap
	for i := range s.Regions {
		putFirst(x.regions, s.Regions[i].Slug, &s.Regions[i])
	}
	for i := range s.Sites {
		putFirst(x.sites, s.Sites[i].Slug, &s.Sites[i])
	}
	for i := range s.Devices {
		d := &s.Devices[i]
		if !putFirst(x.devices, d.Name, d) {
			continue
		}
		for j := range d.Interfaces {
			putFirst(x.ifaces, PortKey{TermInterface, d.Name, d.Interfaces[j].Name}, &d.Interfaces[j])
		}
	}
}

func (x *Index) indexPanels() {
	s := x.snap
	for i := range s.PatchPanels {
		p := &s.PatchPanels[i]
		if !putFirst(x.panels, p.Name, p) {
			continue
		}
		for j := range p.RearPorts {
			putFirst(x.rears, PortKey{TermRearPort, p.Name, p.RearPorts[j].Name}, &p.RearPorts[j])
		}
		for j := range p.FrontPorts {
			f := &p.FrontPorts[j]
			if putFirst(x.fronts, PortKey{TermFrontPort, p.Name, f.Name}, f) {
				k := rearPos{p.Name, f.RearPort, f.position()}
				if _, dup := x.rearToFront[k]; !dup {
					x.rearToFront[k] = f.Name
				}
			}
		}
	}
	for i := range s.Circuits {
		putFirst(x.circuits, s.Circuits[i].ID, &s.Circuits[i])
	}
}

func (x *Index) indexCables() {
	s := x.snap
	for i := range s.Cables {
		c := &s.Cables[i]
		putFirst(x.cables, c.Label, c)
		if k := c.A.Key(); k.Kind != "" {
			if _, used := x.byEnd[k]; !used {
				x.byEnd[k] = cableEnd{c, true}
			}
		}
		if k := c.B.Key(); k.Kind != "" {
			if _, used := x.byEnd[k]; !used {
				x.byEnd[k] = cableEnd{c, false}
			}
		}
	}
}

func (f FrontPort) position() int {
	if f.RearPosition == 0 {
		return 1
	}
	return f.RearPosition
}

func putFirst[K comparable, V any](m map[K]V, k K, v V) bool {
	if _, ok := m[k]; ok {
		return false
	}
	m[k] = v
	return true
}

// Snapshot returns the indexed snapshot.
func (x *Index) Snapshot() *Snapshot { return x.snap }

// Region returns the region with that slug, or nil.
func (x *Index) Region(slug string) *Region { return x.regions[slug] }

// Site returns the site with that slug, or nil.
func (x *Index) Site(slug string) *Site { return x.sites[slug] }

// Device returns the device with that name, or nil.
func (x *Index) Device(name string) *Device { return x.devices[name] }

// Interface returns a device's interface, or nil.
func (x *Index) Interface(device, name string) *Interface {
	return x.ifaces[PortKey{TermInterface, device, name}]
}

// PatchPanel returns the panel with that name, or nil.
func (x *Index) PatchPanel(name string) *PatchPanel { return x.panels[name] }

// Circuit returns the circuit with that id, or nil.
func (x *Index) Circuit(id string) *Circuit { return x.circuits[id] }

// Cable returns the cable with that label, or nil.
func (x *Index) Cable(label string) *Cable { return x.cables[label] }

// CableAt returns the cable attached to a port and whether the port is its A end.
func (x *Index) CableAt(k PortKey) (*Cable, bool) {
	e := x.byEnd[k]
	return e.cable, e.isA
}

// SiteOf returns the site a termination sits in, or "" when unknown.
func (x *Index) SiteOf(t Termination) string {
	switch t.Kind() {
	case TermInterface:
		if d := x.devices[t.Device]; d != nil {
			return d.Site
		}
	case TermFrontPort, TermRearPort:
		if p := x.panels[t.Panel]; p != nil {
			return p.Site
		}
	case TermCircuit:
		if c := x.circuits[t.Circuit]; c != nil {
			if t.Side == "Z" {
				return c.Z.Site
			}
			return c.A.Site
		}
	}
	return ""
}
