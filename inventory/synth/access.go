package synth

import (
	"fmt"

	"github.com/tuyau-net/tuyau/inventory"
)

// operators are the retail operators a public fiber network hands access
// circuits to: the network sells the fiber, they sell the service.
var operators = []string{"Opérateur Alpha", "Opérateur Beta", "Opérateur Gamma", "Opérateur Delta"}

// accessCircuits tops each device up to Options.InterfacesPerDevice
// monitored interfaces with access circuits: a port, a pluggable, and a
// fiber run to the hand-over point of an operator at the same site, as
// an L2 hand-off (no address on our side). Telemetry monitors them like
// routed links (counters, oper-status, optics), BGP does not see them.
func (g *gen) accessCircuits() {
	want := g.o.InterfacesPerDevice
	if want == 0 {
		return
	}
	n := 0
	for i := range g.s.Devices {
		d := &g.s.Devices[i]
		have := len(d.Interfaces) - 1 // the loopback
		for k := have; k < want; k++ {
			n++
			id := fmt.Sprintf("ACC-%06d", n)
			name := g.nextIface(i)
			op := operators[n%len(operators)]
			speed, optic := inventory.Speed(10000), "10GBASE-LR"
			if d.Role == inventory.RoleMember {
				speed, optic = 1000, "1000BASE-LX"
			}
			d.Interfaces = append(d.Interfaces, inventory.Interface{Name: name, Description: id + " " + op,
				Speed: speed, MTU: 1500, Transceiver: optic})
			g.s.Circuits = append(g.s.Circuits, inventory.Circuit{ID: id, Provider: op, Type: "access",
				Bandwidth: speed, Status: "active", A: inventory.CircuitEnd{Site: d.Site, Device: d.Name, Interface: name}})
			c := patchCord(inventory.Termination{Device: d.Name, Interface: name}, inventory.Termination{Circuit: id, Side: "A"})
			// A run across town to the operator's hand-over point.
			c.Length = km(float64(1 + n%7))
			c.Splices = 2
			g.cable("AC", c)
		}
	}
}
