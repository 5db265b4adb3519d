package inventory

import "fmt"

// Path is what a cable trace finds from an interface: the cables in order
// and the far end. It follows NetBox's trace: an interface, a cable, a front
// port, its rear port (at the front port's position), the cable on that rear
// port, the far panel's rear port, the front port at the same position, and
// so on until an interface, a circuit or a dead end.
type Path struct {
	From   Termination
	Cables []*Cable
	// To is the far end; Complete is false when the trace stopped on an
	// unconnected port or a panel port with nothing behind it.
	To       Termination
	Complete bool
}

// Length returns the sum of the cable lengths of the path.
func (p Path) Length() Length {
	var m float64
	for _, c := range p.Cables {
		m += c.Length.Meters
	}
	return Length{Meters: roundTo(m, 6), Unit: "m"}
}

// maxTraceHops bounds a trace through a malformed inventory with a loop of
// panels; real paths have a handful of hops.
const maxTraceHops = 64

// Trace follows the cables from a device interface to the far end.
func (x *Index) Trace(device, iface string) (Path, error) {
	start := Termination{Device: device, Interface: iface}
	p := Path{From: start, To: start}
	at := start.Key()
	pos := 0 // the rear-port position carried across a trunk cable
	for hop := 0; hop < maxTraceHops; hop++ {
		e, ok := x.byEnd[at]
		if !ok {
			return p, nil
		}
		p.Cables = append(p.Cables, e.cable)
		far := e.cable.B
		if !e.isA {
			far = e.cable.A
		}
		p.To = far
		switch far.Kind() {
		case TermInterface, TermCircuit:
			p.Complete = true
			return p, nil
		case TermFrontPort:
			f := x.fronts[far.Key()]
			if f == nil {
				return p, nil
			}
			pos = f.position()
			p.To = Termination{Panel: far.Panel, Rear: f.RearPort}
			at = p.To.Key()
		case TermRearPort:
			if pos == 0 {
				pos = 1
			}
			front, ok := x.rearToFront[rearPos{far.Panel, far.Rear, pos}]
			if !ok {
				return p, nil
			}
			pos = 0
			p.To = Termination{Panel: far.Panel, Front: front}
			at = p.To.Key()
		default:
			return p, nil
		}
	}
	return p, fmt.Errorf("trace from %s: more than %d hops, the patching loops", start, maxTraceHops)
}
