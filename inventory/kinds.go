package inventory

import (
	"fmt"
	"slices"
	"strconv"
)

func kindTable() []kindOps {
	return []kindOps{
		sliceKind("region", func(s *Snapshot) *[]Region { return &s.Regions }, func(r *Region) string { return r.Slug }),
		sliceKind("site", func(s *Snapshot) *[]Site { return &s.Sites }, func(r *Site) string { return r.Slug }),
		deviceKind(),
		childKind("interface", func(d *Device) *[]Interface { return &d.Interfaces }, func(i *Interface) string { return i.Name }),
		childKind("bgp-session", func(d *Device) *[]BGPSession { return &d.BGPSessions }, func(b *BGPSession) string { return b.PeerAddress.String() }),
		sliceKind("patch-panel", func(s *Snapshot) *[]PatchPanel { return &s.PatchPanels }, func(p *PatchPanel) string { return p.Name }),
		sliceKind("circuit", func(s *Snapshot) *[]Circuit { return &s.Circuits }, func(c *Circuit) string { return c.ID }),
		sliceKind("cable", func(s *Snapshot) *[]Cable { return &s.Cables }, func(c *Cable) string { return c.Label }),
		sliceKind("prefix", func(s *Snapshot) *[]Prefix { return &s.Prefixes }, func(p *Prefix) string { return p.Prefix.String() }),
		sliceKind("asn", func(s *Snapshot) *[]ASN { return &s.ASNs }, func(a *ASN) string { return strconv.FormatUint(uint64(a.ASN), 10) }),
		sliceKind("service", func(s *Snapshot) *[]HostingService { return &s.Services }, func(h *HostingService) string { return h.Name }),
		{
			name: "network",
			items: func(s *Snapshot) ([]string, map[string]any) {
				if s.Network == (Network{Src: s.Network.Src}) {
					return nil, map[string]any{}
				}
				n := s.Network
				n.Src = Source{}
				return []string{"network"}, map[string]any{"network": &n}
			},
			put: func(s *Snapshot, _ string, v any) error {
				n, ok := v.(*Network)
				if !ok {
					return fmt.Errorf("want *Network, got %T", v)
				}
				s.Network = *n
				return nil
			},
			del: func(s *Snapshot, _ string) error { s.Network = Network{}; return nil },
		},
	}
}

func sliceKind[T any](name string, get func(*Snapshot) *[]T, key func(*T) string) kindOps {
	return kindOps{
		name: name,
		items: func(s *Snapshot) ([]string, map[string]any) {
			list := *get(s)
			keys := make([]string, 0, len(list))
			m := make(map[string]any, len(list))
			for i := range list {
				k := key(&list[i])
				if _, dup := m[k]; dup {
					continue
				}
				keys = append(keys, k)
				m[k] = &list[i]
			}
			return keys, m
		},
		put: func(s *Snapshot, k string, v any) error {
			t, ok := v.(*T)
			if !ok {
				return fmt.Errorf("want %T, got %T", (*T)(nil), v)
			}
			list := get(s)
			if i := slices.IndexFunc(*list, func(x T) bool { return key(&x) == k }); i >= 0 {
				(*list)[i] = *t
				return nil
			}
			*list = append(*list, *t)
			return nil
		},
		del: func(s *Snapshot, k string) error {
			list := get(s)
			*list = slices.DeleteFunc(*list, func(x T) bool { return key(&x) == k })
			return nil
		},
	}
}

// deviceKind compares devices without their interfaces and sessions, which
// are kinds of their own so that a changed MTU is one change, not a device.
func deviceKind() kindOps {
	k := sliceKind("device", func(s *Snapshot) *[]Device { return &s.Devices }, func(d *Device) string { return d.Name })
	items := k.items
	k.items = func(s *Snapshot) ([]string, map[string]any) {
		keys, m := items(s)
		for key, v := range m {
			d := *v.(*Device)
			d.Interfaces, d.BGPSessions = nil, nil
			m[key] = &d
		}
		return keys, m
	}
	put := k.put
	k.put = func(s *Snapshot, key string, v any) error {
		d, ok := v.(*Device)
		if !ok {
			return fmt.Errorf("want *Device, got %T", v)
		}
		nd := *d
		if i := slices.IndexFunc(s.Devices, func(x Device) bool { return x.Name == key }); i >= 0 {
			nd.Interfaces, nd.BGPSessions = s.Devices[i].Interfaces, s.Devices[i].BGPSessions
		}
		return put(s, key, &nd)
	}
	return k
}

func childKind[T any](name string, get func(*Device) *[]T, key func(*T) string) kindOps {
	return kindOps{
		name: name,
		items: func(s *Snapshot) ([]string, map[string]any) {
			var keys []string
			m := map[string]any{}
			for di := range s.Devices {
				d := &s.Devices[di]
				list := *get(d)
				for i := range list {
					k := d.Name + ":" + key(&list[i])
					if _, dup := m[k]; dup {
						continue
					}
					keys = append(keys, k)
					m[k] = &list[i]
				}
			}
			return keys, m
		},
		put: func(s *Snapshot, k string, v any) error {
			t, ok := v.(*T)
			if !ok {
				return fmt.Errorf("want %T, got %T", (*T)(nil), v)
			}
			dev, child, _ := SplitKey(k)
			di := slices.IndexFunc(s.Devices, func(d Device) bool { return d.Name == dev })
			if di < 0 {
				return fmt.Errorf("device %q does not exist", dev)
			}
			list := get(&s.Devices[di])
			if i := slices.IndexFunc(*list, func(x T) bool { return key(&x) == child }); i >= 0 {
				(*list)[i] = *t
				return nil
			}
			*list = append(*list, *t)
			return nil
		},
		del: func(s *Snapshot, k string) error {
			dev, child, _ := SplitKey(k)
			di := slices.IndexFunc(s.Devices, func(d Device) bool { return d.Name == dev })
			if di < 0 {
				return fmt.Errorf("device %q does not exist", dev)
			}
			list := get(&s.Devices[di])
			*list = slices.DeleteFunc(*list, func(x T) bool { return key(&x) == child })
			return nil
		},
	}
}
