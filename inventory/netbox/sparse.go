package netbox

import (
	"fmt"
	"slices"

	"github.com/tuyau-net/tuyau/inventory"
)

// sparseWant builds, from the current snapshot and a change set, the part
// of the wanted inventory the writer looks up: every object created or
// updated, and the full BGP session list of each device the change set
// touches. It costs O(changes + snapshot), where ChangeSet.ApplyTo scans
// the snapshot once per change.
func sparseWant(cur *inventory.Snapshot, cs inventory.ChangeSet) (*inventory.Snapshot, error) {
	want := &inventory.Snapshot{Network: cur.Network}
	curIx := inventory.NewIndex(cur)
	devIdx := map[string]int{}
	dev := func(name string) *inventory.Device {
		i, ok := devIdx[name]
		if !ok {
			d := inventory.Device{Name: name}
			if c := curIx.Device(name); c != nil {
				d.BGPSessions = slices.Clone(c.BGPSessions)
			}
			want.Devices = append(want.Devices, d)
			i = len(want.Devices) - 1
			devIdx[name] = i
		}
		return &want.Devices[i]
	}
	bad := func(c inventory.Change) error { return fmt.Errorf("%s: unexpected %T", c, c.After) }
	for _, c := range cs {
		if c.Kind == "bgp-session" {
			name, peer, _ := inventory.SplitKey(c.Key)
			d := dev(name)
			i := slices.IndexFunc(d.BGPSessions, func(b inventory.BGPSession) bool { return b.PeerAddress.String() == peer })
			if c.Op == inventory.OpDelete {
				if i >= 0 {
					d.BGPSessions = slices.Delete(d.BGPSessions, i, i+1)
				}
				continue
			}
			b, ok := c.After.(*inventory.BGPSession)
			if !ok {
				return nil, bad(c)
			}
			if i >= 0 {
				d.BGPSessions[i] = *b
			} else {
				d.BGPSessions = append(d.BGPSessions, *b)
			}
			continue
		}
		if c.Op == inventory.OpDelete {
			continue
		}
		ok := true
		switch c.Kind {
		case "region":
			var v *inventory.Region
			if v, ok = c.After.(*inventory.Region); ok {
				want.Regions = append(want.Regions, *v)
			}
		case "site":
			var v *inventory.Site
			if v, ok = c.After.(*inventory.Site); ok {
				want.Sites = append(want.Sites, *v)
			}
		case "device":
			var v *inventory.Device
			if v, ok = c.After.(*inventory.Device); ok {
				d := dev(c.Key)
				ifaces, sessions := d.Interfaces, d.BGPSessions
				*d = *v
				d.Interfaces, d.BGPSessions = ifaces, sessions
			}
		case "interface":
			var v *inventory.Interface
			if v, ok = c.After.(*inventory.Interface); ok {
				name, _, _ := inventory.SplitKey(c.Key)
				d := dev(name)
				d.Interfaces = append(d.Interfaces, *v)
			}
		case "patch-panel":
			var v *inventory.PatchPanel
			if v, ok = c.After.(*inventory.PatchPanel); ok {
				want.PatchPanels = append(want.PatchPanels, *v)
			}
		case "circuit":
			var v *inventory.Circuit
			if v, ok = c.After.(*inventory.Circuit); ok {
				want.Circuits = append(want.Circuits, *v)
			}
		case "cable":
			var v *inventory.Cable
			if v, ok = c.After.(*inventory.Cable); ok {
				want.Cables = append(want.Cables, *v)
			}
		case "prefix":
			var v *inventory.Prefix
			if v, ok = c.After.(*inventory.Prefix); ok {
				want.Prefixes = append(want.Prefixes, *v)
			}
		case "asn":
			var v *inventory.ASN
			if v, ok = c.After.(*inventory.ASN); ok {
				want.ASNs = append(want.ASNs, *v)
			}
		case "service":
			var v *inventory.HostingService
			if v, ok = c.After.(*inventory.HostingService); ok {
				want.Services = append(want.Services, *v)
			}
		case "network":
			var v *inventory.Network
			if v, ok = c.After.(*inventory.Network); ok {
				want.Network = *v
			}
		default:
			return nil, fmt.Errorf("%s: unknown kind", c)
		}
		if !ok {
			return nil, bad(c)
		}
	}
	return want, nil
}
