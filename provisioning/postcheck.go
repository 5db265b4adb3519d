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
	// commands configure. A configured neighbor is checked even when its
	// session was down before the apply: the apply is what should bring
	// it up. An interface down before stays out (carrier is not config:
	// a dark fiber's port gets its description and still has no light).
	Configured []string `json:"configured,omitempty"`
	// Remote are the far ends of what the plan configures (the other
	// router of a link or a session, from the inventory), checked on that
	// router too: a session is up only when both ends say so.
	Remote []RemoteCheck `json:"remote,omitempty"`
}

// RemoteCheck is one thing that must be up on the far end of a device's
// change: an interface or a session of Device, the far end of Of (this
// device's interface or neighbor).
type RemoteCheck struct {
	Device    string `json:"device"`
	Transport string `json:"transport"`
	Interface string `json:"interface,omitempty"`
	Neighbor  string `json:"bgp_neighbor,omitempty"`
	Of        string `json:"of"`
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
			// A tuyau speaker's session comes up when "tuyau bgp serve"
			// runs, which is usually after the apply that configures it:
			// its absence is not the change's fault, so it is not checked.
			if n.Speaker != "" {
				continue
			}
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
	out := Checks{Configured: c.Configured}
	var notes []string
	left := map[string]bool{}
	for _, i := range c.Interfaces {
		if up, seen := base.InterfacesUp[i]; seen && !up {
			notes = append(notes, "interface "+i+" was down before the apply: not checked")
			left[i] = true
			continue
		}
		out.Interfaces = append(out.Interfaces, i)
	}
	for _, n := range c.Neighbors {
		if st, seen := base.BGP[n]; seen && st != "Established" && !slices.Contains(c.Configured, n) {
			notes = append(notes, "bgp "+n+" was "+st+" before the apply: not checked")
			left[n] = true
			continue
		}
		out.Neighbors = append(out.Neighbors, n)
	}
	for _, r := range c.Remote {
		if !left[r.Of] {
			out.Remote = append(out.Remote, r)
		}
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
	// One status read per far router.
	var order []string
	far := map[string]*Checks{}
	tr := map[string]string{}
	for _, r := range want.Remote {
		c, ok := far[r.Device]
		if !ok {
			c = &Checks{}
			far[r.Device], tr[r.Device] = c, r.Transport
			order = append(order, r.Device)
		}
		if r.Interface != "" {
			c.Interfaces = append(c.Interfaces, r.Interface)
		}
		if r.Neighbor != "" {
			c.Neighbors = append(c.Neighbors, r.Neighbor)
		}
	}
	for _, d := range order {
		if err := remoteCheck(ctx, d, tr[d], *far[d], devs, dial); err != nil {
			errs = append(errs, fmt.Errorf("far end %s: %w", d, err))
		}
	}
	return errors.Join(errs...)
}

func remoteCheck(ctx context.Context, name, transport string, want Checks, devs map[string]inventory.Device, dial Dialer) error {
	dev, ok := devs[name]
	if !ok {
		return fmt.Errorf("%w: not among the devices given to apply", ErrUnknownDevice)
	}
	c, err := dial.Dial(ctx, dev, transport)
	if err != nil {
		return fmt.Errorf("cannot read its state: %w", err)
	}
	defer c.Close()
	sr, ok := c.(StatusReader)
	if !ok {
		return fmt.Errorf("transport %s cannot read status", transport)
	}
	st, err := sr.Status(ctx)
	if err != nil {
		return fmt.Errorf("cannot read its state: %w", err)
	}
	return PostCheck(st, want)
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
		at := func(name, of string) RemoteCheck {
			tr, err := pickTransport(*x.Device(name), transport)
			if err != nil {
				tr = dp.Transport
			}
			return RemoteCheck{Device: name, Transport: tr, Of: of}
		}
		for _, name := range dp.Checks.Interfaces {
			if !mentions(dp.Commands, name) {
				continue
			}
			dp.Checks.Configured = append(dp.Checks.Configured, name)
			if fd, fi, ok := p2pPeer(x, dev, name); ok {
				r := at(fd, name)
				r.Interface = fi
				dp.Checks.Remote = append(dp.Checks.Remote, r)
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
					r := at(fd, n)
					r.Neighbor = s.PeerAddress.String()
					dp.Checks.Remote = append(dp.Checks.Remote, r)
				}
			}
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
