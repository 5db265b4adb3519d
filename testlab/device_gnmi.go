package testlab

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tuyau-net/tuyau/testlab/gnmitarget"
	"github.com/tuyau-net/tuyau/testlab/vtysh"
)

// The device is the gNMI target's Backend: State reads the same running
// config, link model and GoBGP sessions as the CLI, and Apply edits the
// same running config, so the three surfaces never disagree.

// watchers holds the gNMI servers' notify functions of a device.
type watchers struct {
	mu sync.Mutex
	fs map[int]func()
	n  int
	// ver is the device's state version (gnmitarget.VersionedBackend):
	// every notify bumps it, the lab's periodic signal does not.
	ver atomic.Uint64
}

func (w *watchers) add(ctx context.Context, f func()) {
	w.mu.Lock()
	if w.fs == nil {
		w.fs = map[int]func(){}
	}
	id := w.n
	w.n++
	w.fs[id] = f
	w.mu.Unlock()
	go func() {
		<-ctx.Done()
		w.mu.Lock()
		delete(w.fs, id)
		w.mu.Unlock()
	}()
}

// notify tells the device's gNMI servers that its state moved (a lab
// event, a config change, a BGP session changing state).
func (w *watchers) notify() {
	w.ver.Add(1)
	w.signal()
}

// signal wakes the servers without a new version: only volatile leaves
// (counters, prefix counts) can have moved.
func (w *watchers) signal() {
	w.mu.Lock()
	fs := make([]func(), 0, len(w.fs))
	for _, f := range w.fs {
		fs = append(fs, f)
	}
	w.mu.Unlock()
	for _, f := range fs {
		f()
	}
}

// Watch registers a gNMI server's notify until ctx ends; the lab calls it
// after every refresh (config change, fault) and on its BGP poll.
func (d *Device) Watch(ctx context.Context, notify func()) { d.watch.add(ctx, notify) }

// StateVersion is gnmitarget.VersionedBackend's: it moves with every
// lab event, config change and BGP session transition.
func (d *Device) StateVersion() uint64 { return d.watch.ver.Load() }

// Volatile reports the leaves that move with no event: interface
// counters advance with lab time, prefix counts with GoBGP's routes.
func (d *Device) Volatile(path string) bool {
	return strings.Contains(path, "/counters/") || strings.Contains(path, "/prefixes/")
}

// formFactors maps optic types to OpenConfig form factors.
var formFactors = map[string]string{
	"1000BASE-SX": "SFP", "1000BASE-LX": "SFP", "1000BASE-ZX": "SFP",
	"10GBASE-SR": "SFP_PLUS", "10GBASE-LR": "SFP_PLUS", "10GBASE-ER": "SFP_PLUS", "10GBASE-ZR": "SFP_PLUS",
	"25GBASE-LR": "SFP28", "100GBASE-SR4": "QSFP28", "100GBASE-LR4": "QSFP28", "100GBASE-ER4": "QSFP28",
}

// State returns the device's OpenConfig leaves: interfaces with counters
// and optics, BGP neighbors with their session state.
func (d *Device) State(ctx context.Context) ([]gnmitarget.Leaf, error) {
	leaves, _, err := d.StateAt(ctx)
	return leaves, err
}

// StateAt is State and the lab time its counters were computed at
// (gnmitarget.TimedBackend): the neighbor read that follows asks GoBGP
// and may wait, and the notifications must not be stamped after it.
func (d *Device) StateAt(ctx context.Context) ([]gnmitarget.Leaf, time.Time, error) {
	return d.AppendStateAt(ctx, nil)
}

// AppendStateAt is StateAt appending to dst (gnmitarget.AppendBackend): a
// subscription session reuses its slice from one sample to the next.
func (d *Device) AppendStateAt(ctx context.Context, dst []gnmitarget.Leaf) ([]gnmitarget.Leaf, time.Time, error) {
	var v gnmitarget.DeviceView
	ifs, now := d.interfacesAt()
	v.Interfaces = make([]gnmitarget.InterfaceView, 0, len(ifs))
	for _, f := range ifs {
		iv := gnmitarget.InterfaceView{
			Name: f.Name, Description: f.Description, Enabled: f.AdminUp, OperUp: f.OperUp,
			MTU: uint16(f.MTU), Loopback: f.Name == "lo" || strings.HasPrefix(f.Name, "lo:"), LastChange: f.LastChange,
			Counters: gnmitarget.Counters{InOctets: f.InOctets, OutOctets: f.OutOctets, InPkts: f.InPkts, OutPkts: f.OutPkts,
				InErrors: f.InErrors, OutErrors: f.OutErrors, InDiscards: f.InDiscards, OutDiscards: f.OutDiscards},
		}
		for _, a := range f.Addresses {
			// IPv6 too (openconfig-if-ip's ipv6 container); link-local
			// addresses are the kernel's, not config.
			if p, err := netip.ParsePrefix(a); err == nil && !p.Addr().IsLinkLocalUnicast() {
				iv.Addresses = append(iv.Addresses, p)
			}
		}
		if f.Optical {
			iv.Transceiver = &gnmitarget.TransceiverView{FormFactor: formFactors[f.Transceiver], InputDBm: f.RxDBm, OutputDBm: f.TxDBm}
		}
		v.Interfaces = append(v.Interfaces, iv)
	}
	asn, rid, ns := d.nbrs.get(func(advertised bool) (uint32, string, []NeighborState) {
		return d.neighborStates(ctx, "", advertised)
	})
	if asn != 0 {
		v.BGP = &gnmitarget.BGPView{AS: asn, RouterID: rid}
		for _, n := range ns {
			nv := gnmitarget.NeighborView{
				Address: n.Address, PeerAS: n.RemoteAS, Description: n.Description, Enabled: !n.AdminDown,
				SessionState: strings.ToUpper(n.State), PrefixesReceived: uint32(n.PfxRcd), PrefixesSent: uint32(n.PfxSnt),
			}
			if n.State == "Established" {
				nv.LastEstablished = n.Since
				nv.EstablishedTransitions = 1
			}
			v.BGP.Neighbors = append(v.BGP.Neighbors, nv)
		}
	}
	return v.AppendLeaves(dst[:0], &d.paths), now, nil
}

// neighborCache keeps a device's neighbor states for gNMI reads for a
// moment: every sample reads the device's state, and asking GoBGP for its
// peers each time cost a tenth of a lab's CPU at 1 s samples. Any BGP
// reconcile (config change, fault), a power-off and every session
// transition GoBGP reports (speaker.onPeer) drop it, so states show at
// once; what the kept answer can hold back, for up to neighborCacheAge,
// is the prefixes received. The age is over a second so that a device's
// 1 s samples, which its sessions share and take a second apart, ask
// GoBGP every other sample (perf of the lab at 200 devices x 48 ports at
// 1 s with two collectors: ListPeer was 12 % of its CPU at 250 ms).
//
// The prefixes sent are read less often (neighborSentAge): GoBGP counts
// them by running every best path through each peer's export policy, and
// with the 1 s poll that was 63 % of a 500-device lab's CPU under two
// collectors (perf, 2026-12-07), what kept it from streaming the
// telemetry benchmark's load. Routers refresh such counters lazily too.
type neighborCache struct {
	mu     sync.Mutex
	gen    uint64 // bumped by invalidate: a read begun before is not kept
	at     time.Time
	asn    uint32
	rid    string
	ns     []NeighborState
	sentAt time.Time         // the last read with GoBGP's advertised counts
	sent   map[string]uint64 // PfxSnt by neighbor address at sentAt
	clock  func() time.Time  // time.Now when nil (tests set it)
}

const (
	neighborCacheAge = 2 * time.Second
	neighborSentAge  = 30 * time.Second
)

// get returns the kept answer or reads a new one, asking for the
// advertised counts when the kept ones are older than neighborSentAge
// (read's argument). read runs without c.mu held: it takes the device's
// BGP lock, which reconcileBGP holds while it invalidates.
func (c *neighborCache) get(read func(advertised bool) (uint32, string, []NeighborState)) (uint32, string, []NeighborState) {
	c.mu.Lock()
	now := time.Now()
	if c.clock != nil {
		now = c.clock()
	}
	if !c.at.IsZero() && now.Sub(c.at) < neighborCacheAge {
		defer c.mu.Unlock()
		return c.asn, c.rid, c.ns
	}
	gen, sent := c.gen, c.sent
	advertised := c.sentAt.IsZero() || now.Sub(c.sentAt) >= neighborSentAge
	c.mu.Unlock()
	asn, rid, ns := read(advertised)
	if !advertised {
		for i := range ns {
			if ns[i].State == "Established" {
				ns[i].PfxSnt = sent[ns[i].Address]
			}
		}
	}
	c.mu.Lock()
	if c.gen == gen {
		c.asn, c.rid, c.ns, c.at = asn, rid, ns, now
		if advertised {
			c.sent = make(map[string]uint64, len(ns))
			for _, n := range ns {
				c.sent[n.Address] = n.PfxSnt
			}
			c.sentAt = now
		}
	}
	c.mu.Unlock()
	return asn, rid, ns
}

func (c *neighborCache) invalidate() {
	c.mu.Lock()
	c.gen++
	c.at, c.sentAt = time.Time{}, time.Time{}
	c.mu.Unlock()
}

// Apply makes a gNMI Set's changes to the running config, all or none, the
// same config the CLI edits; BGP and the link model follow as after a CLI
// command.
func (d *Device) Apply(ctx context.Context, changes []gnmitarget.Change) error {
	if !d.Alive() {
		return errors.New("device " + d.Name() + " is down")
	}
	return d.run.Edit(func(c *vtysh.Config) error {
		for _, ch := range changes {
			e, err := gnmitarget.DecodeChange(ch)
			if err != nil {
				return err
			}
			if err := applyEdit(c, e); err != nil {
				return fmt.Errorf("%s: %w", ch, err)
			}
		}
		return nil
	})
}

func applyEdit(c *vtysh.Config, e gnmitarget.Edit) error {
	if e.Interface != "" {
		if e.Subinterface != 0 {
			return fmt.Errorf("subinterface %d: FRR interfaces have no subinterfaces here", e.Subinterface)
		}
		f := c.EnsureInterface(e.Interface)
		switch e.Kind {
		case gnmitarget.EditInterfaceDescription:
			f.Description = e.String
		case gnmitarget.EditInterfaceMTU:
			f.MTU = int(e.Uint)
			if e.Delete || f.MTU == 1500 {
				f.MTU = 0
			}
		case gnmitarget.EditInterfaceEnabled:
			f.Shutdown = !e.Bool && !e.Delete
		case gnmitarget.EditAddress:
			f.Addresses = slices.DeleteFunc(f.Addresses, func(p netip.Prefix) bool { return p.Addr() == e.Address.Addr() })
			if !e.Delete {
				f.Addresses = append(f.Addresses, e.Address)
			}
		case gnmitarget.EditSubinterface:
			f.Addresses = nil // both families: subinterface 0 is the interface
		}
		return nil
	}
	b := c.BGP
	if b == nil {
		return errors.New("no router bgp configured")
	}
	n := b.Neighbor(e.Neighbor)
	switch e.Kind {
	case gnmitarget.EditNeighbor:
		if n == nil {
			return fmt.Errorf("no neighbor %s", e.Neighbor)
		}
		b.DeleteNeighbor(e.Neighbor)
		return nil
	case gnmitarget.EditNeighborPeerAS:
		as := strconv.FormatUint(uint64(e.Uint), 10)
		if n == nil {
			b.Neighbors = append(b.Neighbors, &vtysh.Neighbor{Addr: e.Neighbor, RemoteAS: as})
		} else {
			n.RemoteAS = as
		}
		return nil
	}
	if n == nil {
		return fmt.Errorf("no neighbor %s: set its peer-as first", e.Neighbor)
	}
	switch e.Kind {
	case gnmitarget.EditNeighborDescription:
		n.Description = e.String
	case gnmitarget.EditNeighborEnabled:
		n.Shutdown = !e.Bool && !e.Delete
	}
	return nil
}

var (
	_ gnmitarget.TimedBackend     = (*Device)(nil)
	_ gnmitarget.VersionedBackend = (*Device)(nil)
)
