package testlab

// A router's interface counters start at 0 when it boots, and telemetry
// collectors must cope (a rate computed across the reset would be
// negative or absurd). The lab counts traffic per link since the lab
// started; each device reports it less what its links had counted when it
// last booted.

func (c dirCounters) sub(b dirCounters) dirCounters {
	return dirCounters{octets: c.octets - b.octets, errors: c.errors - b.errors,
		rxDiscards: c.rxDiscards - b.rxDiscards, txDiscards: c.txDiscards - b.txDiscards}
}

// countersOf fills an interface's counters from its link's (c, per
// direction A to B and B to A), counted from the device's last boot.
func (d *Device) countersOf(st *InterfaceState, c [2]dirCounters, isA bool) {
	out, in := c[0], c[1]
	if !isA {
		out, in = in, out
	}
	d.mu.Lock()
	base := d.ctrBase[st.Name]
	d.mu.Unlock()
	out, in = out.sub(base[0]), in.sub(base[1])
	st.OutOctets, st.InOctets = out.octets, in.octets
	st.OutPkts, st.InPkts = st.OutOctets/avgPacket, st.InOctets/avgPacket
	st.InErrors, st.InDiscards, st.OutDiscards = in.errors, in.rxDiscards, out.txDiscards
}

// resetCounters zeroes the device's counters, at boot. Its links are down
// while it is off, so their counters stand still until it is up again.
func (d *Device) resetCounters() {
	base := map[string][2]dirCounters{}
	d.lab.mu.Lock()
	now := d.lab.now() // under the lock: no link's mark is later (portLinks)
	for _, s := range d.lab.links {
		c := s.counters(now)
		switch {
		case s.A.Device == d.plan.Name:
			base[s.A.Interface] = [2]dirCounters{c[0], c[1]}
		case s.B.Device == d.plan.Name:
			base[s.B.Interface] = [2]dirCounters{c[1], c[0]}
		}
	}
	d.lab.mu.Unlock()
	d.mu.Lock()
	d.ctrBase = base
	d.mu.Unlock()
}
