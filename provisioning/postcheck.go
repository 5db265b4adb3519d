package provisioning

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/tuyau-net/tuyau/inventory"
)

// Checks are the post-checks of a device: what must be up after apply.
type Checks struct {
	Interfaces []string `json:"interfaces,omitempty"`
	Neighbors  []string `json:"bgp_neighbors,omitempty"`
	// Configured are the interfaces and neighbors above that the plan's
	// commands configure: they are checked even when they were down
	// before the apply, since the apply is what should bring them up.
	Configured []string `json:"configured,omitempty"`
	// Remote are the far ends of what the plan configures (the other
	// router of a link or a session, from the inventory), checked on that
	// router too: a session is up only when both ends say so.
	Remote []RemoteCheck `json:"remote,omitempty"`
}

// RemoteCheck is what must be up on the far end of a device's change.
type RemoteCheck struct {
	Device     string   `json:"device"`
	Transport  string   `json:"transport"`
	Interfaces []string `json:"interfaces,omitempty"`
	Neighbors  []string `json:"bgp_neighbors,omitempty"`
}

func checksOf(in Intent) Checks {
	var c Checks
	for _, i := range in.Interfaces {
		if !i.Shutdown && !i.Loopback {
			c.Interfaces = append(c.Interfaces, i.Name)
		}
	}
	if in.BGP != nil {
		for _, n := range in.BGP.Neighbors {
			c.Neighbors = append(c.Neighbors, n.Address.String())
		}
	}
	return c
}

// Excluding returns the checks left once what was already down in base,
// the device's state before the apply, is taken out, and a note for each
// one taken out. An interface down before the change (a dark fiber, a
// neighbor's port) or a session that existed and was not established (a
// provider not ready) is not the change's doing: rolling back would not
// bring it up. What the change configures is kept: the change is meant to
// bring it up. What base does not show at all is new and stays checked.
func (c Checks) Excluding(base Status) (Checks, []string) {
	out := Checks{Configured: c.Configured, Remote: c.Remote}
	var notes []string
	for _, i := range c.Interfaces {
		if up, seen := base.InterfacesUp[i]; seen && !up && !slices.Contains(c.Configured, i) {
			notes = append(notes, "interface "+i+" was down before the apply: not checked")
			continue
		}
		out.Interfaces = append(out.Interfaces, i)
	}
	for _, n := range c.Neighbors {
		if st, seen := base.BGP[n]; seen && st != "Established" && !slices.Contains(c.Configured, n) {
			notes = append(notes, "bgp "+n+" was "+st+" before the apply: not checked")
			continue
		}
		out.Neighbors = append(out.Neighbors, n)
	}
	return out, notes
}

// PostCheck reports what is not up: interfaces down, sessions not established.
func PostCheck(st Status, want Checks) error {
	var errs []error
	for _, i := range want.Interfaces {
		if !st.InterfacesUp[i] {
			errs = append(errs, fmt.Errorf("interface %s down", i))
		}
	}
	for _, n := range want.Neighbors {
		if s := st.BGP[n]; s != "Established" {
			if s == "" {
				s = "absent"
			}
			errs = append(errs, fmt.Errorf("bgp %s %s", n, s))
		}
	}
	return errors.Join(errs...)
}

// postCheckAll checks the device's own state on c, then each far end on a
// session of its own: every failure is named with its router.
func postCheckAll(ctx context.Context, c Conn, want Checks, devs map[string]inventory.Device, dial Dialer) error {
	sr, ok := c.(StatusReader)
	if !ok {
		return errors.New("transport cannot read status for post-checks")
	}
	st, err := sr.Status(ctx)
	if err != nil {
		return err
	}
	errs := []error{PostCheck(st, Checks{Interfaces: want.Interfaces, Neighbors: want.Neighbors})}
	for _, r := range want.Remote {
		if err := remoteCheck(ctx, r, devs, dial); err != nil {
			errs = append(errs, fmt.Errorf("far end %s: %w", r.Device, err))
		}
	}
	return errors.Join(errs...)
}

func remoteCheck(ctx context.Context, r RemoteCheck, devs map[string]inventory.Device, dial Dialer) error {
	dev, ok := devs[r.Device]
	if !ok {
		return fmt.Errorf("%w: not among the devices given to apply", ErrUnknownDevice)
	}
	c, err := dial.Dial(ctx, dev, r.Transport)
	if err != nil {
		return fmt.Errorf("cannot read its state: %w", err)
	}
	defer c.Close()
	sr, ok := c.(StatusReader)
	if !ok {
		return fmt.Errorf("transport %s cannot read status", r.Transport)
	}
	st, err := sr.Status(ctx)
	if err != nil {
		return fmt.Errorf("cannot read its state: %w", err)
	}
	return PostCheck(st, Checks{Interfaces: r.Interfaces, Neighbors: r.Neighbors})
}

// farEnds fills, for each planned change, what its commands configure and
// the far ends of it: the other router of a point-to-point link (the
// interface with an address in the same /31, /30, /127 or /126) and the
// other router of a BGP session (the device owning the neighbor's
// address, on which the session towards this device's addresses is
// checked). Far ends are found in the inventory, whether or not they are
// in the plan.
func farEnds(x *inventory.Index, plan *Plan, transport string) {
	owner := map[netip.Addr]string{}
	addrs := map[string][]netip.Addr{}
	for _, d := range x.Snapshot().Devices {
		if d.Loopback.IsValid() {
			owner[d.Loopback] = d.Name
			addrs[d.Name] = append(addrs[d.Name], d.Loopback)
		}
		for _, i := range d.Interfaces {
			for _, a := range i.Addresses {
				owner[a.Addr()] = d.Name
				addrs[d.Name] = append(addrs[d.Name], a.Addr())
			}
		}
	}
	for k := range plan.Devices {
		dp := &plan.Devices[k]
		if !dp.Changed() {
			continue
		}
		dev := x.Device(dp.Device)
		if dev == nil {
			continue
		}
		remote := map[string]*RemoteCheck{}
		var order []string
		at := func(name string) *RemoteCheck {
			if r, ok := remote[name]; ok {
				return r
			}
			far := x.Device(name)
			tr, err := pickTransport(*far, transport)
			if err != nil {
				tr = dp.Transport
			}
			r := &RemoteCheck{Device: name, Transport: tr}
			remote[name] = r
			order = append(order, name)
			return r
		}
		for _, name := range dp.Checks.Interfaces {
			if !mentions(dp.Commands, name) {
				continue
			}
			dp.Checks.Configured = append(dp.Checks.Configured, name)
			if fd, fi, ok := p2pPeer(x, dev, name); ok {
				r := at(fd)
				r.Interfaces = appendNew(r.Interfaces, fi)
			}
		}
		for _, n := range dp.Checks.Neighbors {
			if !mentions(dp.Commands, n) {
				continue
			}
			dp.Checks.Configured = append(dp.Checks.Configured, n)
			addr, err := netip.ParseAddr(n)
			if err != nil {
				continue
			}
			fd, ok := owner[addr]
			if !ok || fd == dev.Name {
				continue // a provider's router, outside the inventory
			}
			far := x.Device(fd)
			for _, s := range far.BGPSessions {
				if slices.Contains(addrs[dev.Name], s.PeerAddress) && s.PeerAddress.Is4() == addr.Is4() {
					r := at(fd)
					r.Neighbors = appendNew(r.Neighbors, s.PeerAddress.String())
				}
			}
		}
		for _, n := range order {
			dp.Checks.Remote = append(dp.Checks.Remote, *remote[n])
		}
	}
}

// p2pPeer finds the far end of a point-to-point interface by addressing.
func p2pPeer(x *inventory.Index, dev *inventory.Device, iface string) (string, string, bool) {
	ifc := x.Interface(dev.Name, iface)
	if ifc == nil {
		return "", "", false
	}
	for _, a := range ifc.Addresses {
		if (a.Addr().Is4() && a.Bits() < 30) || (a.Addr().Is6() && a.Bits() < 126) {
			continue
		}
		net := a.Masked()
		for _, d := range x.Snapshot().Devices {
			if d.Name == dev.Name {
				continue
			}
			for _, i := range d.Interfaces {
				for _, b := range i.Addresses {
					if b.Masked() == net && b.Addr() != a.Addr() {
						return d.Name, i.Name, true
					}
				}
			}
		}
	}
	return "", "", false
}

// mentions reports whether a command names word as a whole token:
// "interface eth1", "neighbor 10.0.0.1 remote-as 65001", a gNMI path's
// "[name=eth1]" or "[neighbor-address=10.0.0.1]".
func mentions(cmds []string, word string) bool {
	sep := func(r rune) bool { return r == ' ' || r == '[' || r == ']' || r == '=' || r == '/' || r == '"' }
	for _, c := range cmds {
		if !strings.Contains(c, word) {
			continue
		}
		if slices.Contains(strings.FieldsFunc(c, sep), word) {
			return true
		}
	}
	return false
}

func appendNew(l []string, s string) []string {
	if slices.Contains(l, s) {
		return l
	}
	return append(l, s)
}
