package inventory

import (
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"strings"
)

// Store is a source of truth for the inventory: a YAML tree or NetBox. A
// backend reads the whole network as one snapshot, and applies a change set
// all at once or reports what it could not do.
type Store interface {
	// Load reads a full snapshot. It returns an error, never a partial snapshot.
	Load(ctx context.Context) (*Snapshot, error)
	// Apply makes the store hold what the change set describes.
	Apply(ctx context.Context, cs ChangeSet) error
}

// Op is what a change does.
type Op string

const (
	OpCreate Op = "create"
	OpUpdate Op = "update"
	OpDelete Op = "delete"
)

// Change is one object created, updated or deleted. Kind is one of Kinds;
// Key names the object (a device name, "device:interface", a cable label).
// Before and After hold the typed object (*Site, *Interface...).
type Change struct {
	Op     Op     `json:"op"`
	Kind   string `json:"kind"`
	Key    string `json:"key"`
	Before any    `json:"before,omitempty"`
	After  any    `json:"after,omitempty"`
}

func (c Change) String() string { return fmt.Sprintf("%s %s %s", c.Op, c.Kind, c.Key) }

// ChangeSet is an ordered list of changes: creations and updates in
// dependency order (sites before devices before cables), then deletions in
// reverse dependency order.
type ChangeSet []Change

// Kinds lists object kinds in dependency order.
var Kinds = []string{"region", "site", "device", "interface", "bgp-session", "patch-panel", "circuit", "cable", "prefix", "asn", "service", "network"}

type kindOps struct {
	name  string
	items func(s *Snapshot) ([]string, map[string]any)
	put   func(s *Snapshot, key string, v any) error
	del   func(s *Snapshot, key string) error
}

// Diff returns the changes that turn from into to. Positions (Src) are
// ignored: moving an object in a file is not a change.
func Diff(from, to *Snapshot) (ChangeSet, error) {
	var creates, deletes ChangeSet
	for _, k := range kindTable() {
		fk, fm := k.items(from)
		tk, tm := k.items(to)
		for _, key := range tk {
			after := tm[key]
			before, ok := fm[key]
			if !ok {
				creates = append(creates, Change{Op: OpCreate, Kind: k.name, Key: key, After: after})
				continue
			}
			same, err := sameJSON(before, after)
			if err != nil {
				return nil, fmt.Errorf("diff %s %s: %w", k.name, key, err)
			}
			if !same {
				creates = append(creates, Change{Op: OpUpdate, Kind: k.name, Key: key, Before: before, After: after})
			}
		}
		var dels ChangeSet
		for _, key := range fk {
			if _, ok := tm[key]; !ok {
				dels = append(dels, Change{Op: OpDelete, Kind: k.name, Key: key, Before: fm[key]})
			}
		}
		deletes = append(dels, deletes...)
	}
	return append(creates, deletes...), nil
}

func sameJSON(a, b any) (bool, error) {
	ja, err := json.Marshal(a)
	if err != nil {
		return false, err
	}
	jb, err := json.Marshal(b)
	if err != nil {
		return false, err
	}
	return string(ja) == string(jb), nil
}

// ApplyTo returns a copy of s with the change set applied. It fails, leaving
// s untouched, when a change does not fit (updating what does not exist,
// creating an interface on an unknown device).
func (cs ChangeSet) ApplyTo(s *Snapshot) (*Snapshot, error) {
	out := s.Clone()
	table := map[string]kindOps{}
	for _, k := range kindTable() {
		table[k.name] = k
	}
	// What exists, per kind, built once and kept up to date: rebuilding it
	// for every change made a large change set quadratic.
	present := map[string]map[string]bool{}
	for _, c := range cs {
		k, ok := table[c.Kind]
		if !ok {
			return nil, fmt.Errorf("%s: unknown kind %q", c, c.Kind)
		}
		have := present[c.Kind]
		if have == nil {
			keys, _ := k.items(out)
			have = make(map[string]bool, len(keys))
			for _, key := range keys {
				have[key] = true
			}
			present[c.Kind] = have
		}
		exists := have[c.Key]
		var err error
		switch c.Op {
		case OpCreate, OpUpdate:
			if c.Op == OpCreate && exists {
				err = fmt.Errorf("already exists")
			} else if c.Op == OpUpdate && !exists {
				err = fmt.Errorf("does not exist")
			} else {
				err = k.put(out, c.Key, c.After)
			}
		case OpDelete:
			if !exists {
				err = fmt.Errorf("does not exist")
			} else {
				err = k.del(out, c.Key)
			}
		default:
			err = fmt.Errorf("unknown op %q", c.Op)
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", c, err)
		}
		have[c.Key] = c.Op != OpDelete
		if c.Kind == "device" && c.Op == OpDelete {
			// A device takes its interfaces and sessions with it.
			delete(present, "interface")
			delete(present, "bgp-session")
		}
	}
	return out, nil
}

// Clone returns a deep copy of the snapshot.
func (s *Snapshot) Clone() *Snapshot {
	c := *s
	c.Regions = append([]Region(nil), s.Regions...)
	c.Sites = append([]Site(nil), s.Sites...)
	for i := range c.Sites {
		c.Sites[i].Locations = append([]Location(nil), c.Sites[i].Locations...)
	}
	c.Devices = make([]Device, len(s.Devices))
	for i, d := range s.Devices {
		d.Interfaces = append([]Interface(nil), d.Interfaces...)
		for j := range d.Interfaces {
			d.Interfaces[j].Addresses = append([]netip.Prefix(nil), d.Interfaces[j].Addresses...)
			if e := d.Interfaces[j].Enabled; e != nil {
				v := *e
				d.Interfaces[j].Enabled = &v
			}
		}
		d.BGPSessions = append([]BGPSession(nil), d.BGPSessions...)
		for j := range d.BGPSessions {
			d.BGPSessions[j].Families = append([]string(nil), d.BGPSessions[j].Families...)
		}
		d.Transports = append([]string(nil), d.Transports...)
		c.Devices[i] = d
	}
	c.PatchPanels = make([]PatchPanel, len(s.PatchPanels))
	for i, p := range s.PatchPanels {
		p.FrontPorts = append([]FrontPort(nil), p.FrontPorts...)
		p.RearPorts = append([]RearPort(nil), p.RearPorts...)
		c.PatchPanels[i] = p
	}
	c.Cables = make([]Cable, len(s.Cables))
	for i, cb := range s.Cables {
		cb.SRLGs = append([]string(nil), cb.SRLGs...)
		c.Cables[i] = cb
	}
	c.Circuits = append([]Circuit(nil), s.Circuits...)
	c.Prefixes = append([]Prefix(nil), s.Prefixes...)
	c.ASNs = append([]ASN(nil), s.ASNs...)
	c.Optics = append([]Optic(nil), s.Optics...)
	c.Services = make([]HostingService, len(s.Services))
	for i, h := range s.Services {
		h.Prefixes = append([]netip.Prefix(nil), h.Prefixes...)
		h.Sites = append([]string(nil), h.Sites...)
		c.Services[i] = h
	}
	c.Speakers = make([]Speaker, len(s.Speakers))
	for i, sp := range s.Speakers {
		sp.Peers = append([]SpeakerPeer(nil), sp.Peers...)
		c.Speakers[i] = sp
	}
	return &c
}

// SplitKey splits a "device:name" key of an interface or BGP session.
func SplitKey(key string) (device, name string, ok bool) {
	return strings.Cut(key, ":")
}
