package testlab

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/tuyau-net/tuyau/inventory"
	"github.com/tuyau-net/tuyau/testlab/gnmitarget"
	"github.com/tuyau-net/tuyau/testlab/vtysh"
)

// Device is one virtual router: a running config shared by its CLI
// sessions, a GoBGP speaker driven by that config, and an SSH server.
type Device struct {
	lab  *Lab
	plan DevicePlan
	inv  *inventory.Device
	run  *vtysh.Running
	log  *slog.Logger

	mu      sync.Mutex // guards the fields below
	applied *vtysh.Config
	startup *vtysh.Config
	alive   bool
	// booted is when the device last started; ctrBase holds, per
	// interface, its link's counters at that moment (out, in), so that
	// the device counts from 0 after a reboot as a router does.
	booted  time.Time
	ctrBase map[string][2]dirCounters
	// neighbors maps each configured neighbor address to its session's
	// lab address and why it cannot come up, for show commands.
	neighbors map[string]neighborInfo

	bgpMu sync.Mutex // serializes reconciles of spk
	spk   *speaker
	ssh   *sshServer
	gnmi  *gnmiServer
	watch watchers
	paths gnmitarget.ViewCache // the gNMI leaves' path strings, built once
	nbrs  neighborCache        // the BGP neighbors gNMI reads, briefly kept
	seq   int                  // its place in the lab's order
}

type neighborInfo struct {
	lab  netip.Addr
	down string // why the transport is down, "" when it is up
}

func newDevice(l *Lab, p DevicePlan, inv *inventory.Device, boot *vtysh.Config) (*Device, error) {
	log := l.log.With("device", p.Name)
	d := &Device{lab: l, plan: p, inv: inv, log: log, applied: boot.Clone(), startup: boot.Clone(), spk: newSpeaker(log)}
	// A session moving shows at once to ON_CHANGE subscribers, and the
	// neighbor cache must not answer with the state before it.
	d.spk.onPeer = func() { d.nbrs.invalidate(); d.watch.notify() }
	d.run = vtysh.NewRunning(l.grammar, boot, d.configChanged)
	signer, err := l.hostKeys.signer(p.Name)
	if err != nil {
		return nil, fmt.Errorf("device %s: host key: %w", p.Name, err)
	}
	d.ssh = newSSHServer(d, signer)
	d.gnmi = &gnmiServer{dev: d}
	return d, nil
}

// Name returns the device name.
func (d *Device) Name() string { return d.plan.Name }

// Addr returns the device's lab address.
func (d *Device) Addr() netip.Addr { return d.plan.Addr }

// Running returns the device's running configuration, shared with its CLI.
func (d *Device) Running() *vtysh.Running { return d.run }

// Alive reports whether the device runs (it was not killed).
func (d *Device) Alive() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.alive
}

func (d *Device) configChanged(c *vtysh.Config) {
	d.mu.Lock()
	d.applied = c
	d.mu.Unlock()
	d.nbrs.invalidate() // the neighbors' config leaves come with their state
	d.lab.changed()
}

// start brings the device's SSH server up; BGP follows on the next refresh.
func (d *Device) start(ctx context.Context) error {
	if err := d.ssh.listen(ctx, hostPort(d.plan.Addr, d.lab.plan.Ports.SSH)); err != nil {
		return fmt.Errorf("device %s: %w", d.plan.Name, err)
	}
	if err := d.gnmi.listen(ctx, hostPort(d.plan.Addr, d.lab.plan.Ports.GNMI)); err != nil {
		d.ssh.close()
		return fmt.Errorf("device %s: %w", d.plan.Name, err)
	}
	d.mu.Lock()
	d.alive = true
	d.booted = d.lab.now()
	d.mu.Unlock()
	return nil
}

// powerOff turns the device off: its servers close, its BGP sessions
// close and its routes go (the GoBGP instance is kept for the reboot, see
// speaker.silence).
func (d *Device) powerOff(ctx context.Context) {
	d.mu.Lock()
	d.alive = false
	d.mu.Unlock()
	d.ssh.close()
	d.gnmi.close()
	d.bgpMu.Lock()
	d.spk.silence(ctx)
	d.bgpMu.Unlock()
	d.nbrs.invalidate()
}

// stop powers the device off for good, its GoBGP instance too (lab close).
func (d *Device) stop(ctx context.Context) {
	d.powerOff(ctx)
	d.bgpMu.Lock()
	d.spk.stop(ctx)
	d.bgpMu.Unlock()
}

// reboot starts a stopped device from its startup config, as a power
// cycle does: unsaved changes are lost.
func (d *Device) reboot(ctx context.Context) error {
	d.mu.Lock()
	boot := d.startup.Clone()
	d.mu.Unlock()
	d.run.Replace(boot)
	d.resetCounters()
	return d.start(ctx)
}

// deviceView is what the link model reads from a device.
type deviceView struct {
	alive bool
	shut  map[string]bool
	addrs map[netip.Addr]bool // addresses configured on up interfaces
	ospf  ospfView
}

func (d *Device) view() *deviceView {
	d.mu.Lock()
	defer d.mu.Unlock()
	v := &deviceView{alive: d.alive, shut: map[string]bool{}, addrs: map[netip.Addr]bool{}}
	for _, f := range d.applied.Interfaces {
		if f.Shutdown {
			v.shut[f.Name] = true
			continue
		}
		for _, a := range f.Addresses {
			v.addrs[a.Addr()] = true
		}
	}
	v.ospf = ospfOf(d.applied)
	return v
}

// reconcileBGP brings the device's GoBGP in line with its applied config
// and the lab's link state.
func (d *Device) reconcileBGP(ctx context.Context) error {
	d.bgpMu.Lock()
	defer d.bgpMu.Unlock()
	defer d.nbrs.invalidate()
	d.mu.Lock()
	cfg, alive := d.applied, d.alive
	d.mu.Unlock()
	switch {
	case cfg.BGP == nil:
		d.spk.stop(ctx)
		return nil
	case !alive:
		d.spk.silence(ctx)
		return nil
	}
	want, infos := d.desiredBGP(cfg)
	d.mu.Lock()
	d.neighbors = infos
	d.mu.Unlock()
	return d.spk.reconcile(ctx, want)
}

// startBGP runs the GoBGP instance the applied config asks for, without
// peers or routes yet: the lab starts every instance before any of them
// has a session (refresh), because GoBGP v3's StartBgp writes package-level
// settings that running instances read (see speaker.silence).
func (d *Device) startBGP(ctx context.Context) error {
	d.bgpMu.Lock()
	defer d.bgpMu.Unlock()
	d.mu.Lock()
	cfg, alive := d.applied, d.alive
	d.mu.Unlock()
	if !alive || cfg.BGP == nil {
		return nil
	}
	return d.spk.ensure(ctx, d.bgpGlobal(cfg))
}

// bgpGlobal is the GoBGP global of a config with router bgp.
func (d *Device) bgpGlobal(cfg *vtysh.Config) bgpGlobal {
	owned := d.lab.owned[d.plan.Name]
	listen := make([]string, len(owned))
	for i, a := range owned {
		listen[i] = a.String()
	}
	return bgpGlobal{asn: cfg.BGP.ASN, routerID: routerID(cfg, d.plan.Addr).String(), port: d.lab.plan.Ports.BGP, listen: strings.Join(listen, ",")}
}

// FRR's keepalive and hold timers per "frr defaults" profile.
var frrTimers = map[string][2]uint64{"traditional": {60, 180}, "datacenter": {3, 9}}

func (d *Device) desiredBGP(cfg *vtysh.Config) (desired, map[string]neighborInfo) {
	b := cfg.BGP
	global := d.bgpGlobal(cfg)
	g := &global
	want := desired{global: g, peers: map[netip.Addr]peerSpec{}, up: map[netip.Addr]bool{}, policies: map[netip.Addr]policyPeer{}}
	infos := map[string]neighborInfo{}
	timers := frrTimers[cfg.Defaults]
	if timers == [2]uint64{} {
		timers = frrTimers["traditional"]
	}
	if b.Keepalive != 0 || b.Hold != 0 {
		timers = [2]uint64{uint64(b.Keepalive), uint64(b.Hold)}
	}
	for _, n := range b.Neighbors {
		spec, why := d.peerFor(cfg, n)
		if !spec.remote.IsValid() {
			infos[n.Addr] = neighborInfo{down: why}
			continue
		}
		if _, dup := want.peers[spec.remote]; dup {
			infos[n.Addr] = neighborInfo{down: "same lab address as another neighbor"}
			continue
		}
		spec.keepalive, spec.hold = timers[0], timers[1]
		if n.Keepalive != 0 || n.Hold != 0 {
			spec.keepalive, spec.hold = uint64(n.Keepalive), uint64(n.Hold)
		}
		spec.v4 = b.Active(n.Addr, "ipv4 unicast")
		spec.v6 = b.Active(n.Addr, "ipv6 unicast")
		for _, af := range b.Families {
			if an := af.Neighbor(n.Addr); an != nil && an.RRClient && b.Active(n.Addr, af.Name) {
				spec.rrClient = true
			}
			if an := af.Neighbor(n.Addr); an != nil && an.AddPathAll && b.Active(n.Addr, af.Name) {
				spec.addPath = true
			}
		}
		if spec.rrClient {
			spec.clusterID = g.routerID
			if b.ClusterID.IsValid() {
				spec.clusterID = b.ClusterID.String()
			}
		}
		want.peers[spec.remote] = spec
		pp := policyPeer{IBGP: spec.peerAS == spec.localAS}
		if m, ok := d.lab.plan.Reverse(spec.local); ok {
			pp.NextHop = m.Inventory
		}
		pp.In, pp.Out = neighborPolicies(cfg, n, !pp.IBGP)
		want.policies[spec.remote] = pp
		want.up[spec.remote] = why == "" && !n.Shutdown
		infos[n.Addr] = neighborInfo{lab: spec.remote, down: why}
	}
	reflector := false
	for _, p := range want.peers {
		reflector = reflector || p.rrClient
	}
	for a, pp := range want.policies {
		pp.NoReflect = reflector && pp.IBGP && !want.peers[a].rrClient
		if pp.NoReflect {
			pp.Reflect = d.lab.speakerPrefixes()
		}
		want.policies[a] = pp
	}
	for _, af := range b.Families {
		want.networks = append(want.networks, af.Networks...)
		if slices.Contains(af.Redistribute, "connected") {
			for _, f := range cfg.Interfaces {
				if f.Shutdown {
					continue
				}
				for _, a := range f.Addresses {
					if a.Addr().Is4() == (af.Name == "ipv4 unicast") {
						want.networks = append(want.networks, a.Masked())
					}
				}
			}
		}
	}
	return want, infos
}

// routerID picks the BGP identifier as FRR does without "bgp router-id":
// the highest loopback address, else the highest interface address.
func routerID(cfg *vtysh.Config, fallback netip.Addr) netip.Addr {
	if cfg.BGP.RouterID.IsValid() {
		return cfg.BGP.RouterID
	}
	var best, bestLo netip.Addr
	for _, f := range cfg.Interfaces {
		for _, a := range f.Addresses {
			if !a.Addr().Is4() {
				continue
			}
			if f.Name == "lo" && (!bestLo.IsValid() || bestLo.Less(a.Addr())) {
				bestLo = a.Addr()
			}
			if !best.IsValid() || best.Less(a.Addr()) {
				best = a.Addr()
			}
		}
	}
	switch {
	case bestLo.IsValid():
		return bestLo
	case best.IsValid():
		return best
	}
	return fallback
}

var loopback4 = netip.MustParsePrefix("127.0.0.0/8")

// family names an address's family as FRR's messages do.
func family(a netip.Addr) string {
	if a.Is4() {
		return "IPv4"
	}
	return "IPv6"
}

// peerFor translates a configured neighbor into a GoBGP peer and says why
// its transport is down, "" when it is up. A peer outside the inventory on
// 127.0.0.0/8 is a real router the user runs beside the lab (gobgpd, bird).
func (d *Device) peerFor(cfg *vtysh.Config, n *vtysh.Neighbor) (peerSpec, string) {
	b := cfg.BGP
	x, err := netip.ParseAddr(n.Addr)
	if err != nil {
		return peerSpec{}, "interface neighbors are not modelled"
	}
	spec := peerSpec{localAS: b.ASN, description: n.Description, multihop: uint32(n.EBGPMultihop)}
	switch n.RemoteAS {
	case "internal":
		spec.peerAS = b.ASN
	case "external":
		return peerSpec{}, `remote-as external is not modelled; give the AS number`
	default:
		var as uint64
		fmt.Sscan(n.RemoteAS, &as)
		spec.peerAS = uint32(as)
	}
	src, via, why := d.source(cfg, n, x)
	spec.local = src
	if sp, ok := d.lab.plan.speakerAt(x); ok {
		// tuyau's own speaker, run by "tuyau bgp serve --lab" at its lab
		// address: one hop from its site's routers, which are up while
		// this device is. The speaker dials (passive here): it starts
		// after the lab, and a GoBGP that dialed a speaker not yet there
		// would wait out its connect-retry before trying again.
		spec.remote, spec.port, spec.passive = sp.Addr, uint32(d.lab.plan.Ports.BGP), true
		if n.Port != 0 {
			spec.port = uint32(n.Port)
		}
		if !spec.local.IsValid() {
			spec.local = d.plan.Addr
		}
		return spec, why
	}
	m, mapped := d.lab.plan.Translate(x)
	if !mapped {
		if !loopback4.Contains(x) {
			return peerSpec{}, "no lab address for " + x.String()
		}
		spec.remote, spec.port = x, 179
		if n.Port != 0 {
			spec.port = uint32(n.Port)
		}
		if !spec.local.IsValid() {
			spec.local = d.plan.Addr
		}
		return spec, why
	}
	spec.remote, spec.port = m.Lab, uint32(d.lab.plan.Ports.BGP)
	if n.Port != 0 {
		spec.port = uint32(n.Port)
	}
	if !spec.local.IsValid() {
		// Without a usable source the session still tries, from an address
		// the peer does not expect, and never establishes.
		spec.local = d.plan.Addr
	}
	if why != "" {
		return spec, why
	}
	why = d.transportDown(m, spec.local, via, spec.peerAS != b.ASN, n.EBGPMultihop > 0)
	if why == "" {
		why = d.md5Mismatch(n, m, spec.local)
	}
	if why == "" {
		spec.passive = spec.remote.Less(spec.local) && d.pairedWith(m, spec.local, spec.remote)
	}
	return spec, why
}

// pairedWith reports whether the owner of the neighbor address m is
// configured for the same session from its side: a neighbor at our source
// local, sourced from remote. For such a pair only the end with the lower
// lab address dials; the other waits (GoBGP's passive mode).
//
// Why: after any failed attempt GoBGP holds a peer idle for 5 s and closes
// every connection offered meanwhile, which fails the other end's attempt
// and sends it idle for 5 s in turn. Two ends that both dial then keep
// missing each other: a session whose second end was configured a moment
// after the first end's attempt (any apply, pushed to both routers in
// parallel) took 39 to over 60 s to come up, where FRR, which accepts a
// configured neighbor's connection in any state, takes a second or two.
// With one dialer the waiting end is never sent idle by the other's
// attempts, so the next attempt succeeds. A session configured on one end
// only, or inconsistently (one end without its update-source, which FRR
// still brings up from the other end's connection), keeps both ends
// dialing as before.
func (d *Device) pairedWith(m AddressMap, local, remote netip.Addr) bool {
	peer := d.lab.devices[m.Device]
	src, ok := d.lab.plan.Reverse(local)
	if peer == nil || !ok {
		return false
	}
	peer.mu.Lock()
	cfg := peer.applied
	peer.mu.Unlock()
	if cfg == nil || cfg.BGP == nil {
		return false
	}
	for _, pn := range cfg.BGP.Neighbors {
		if pn.Addr != src.Inventory.String() {
			continue
		}
		back, _, why := peer.source(cfg, pn, src.Inventory)
		if !back.IsValid() && why == "" {
			back = peer.plan.Addr // peerFor's fallback source
		}
		return why == "" && back == remote
	}
	return false
}

// md5Mismatch says why TCP MD5 keeps a session down: both ends must give
// the same "neighbor X password", or none. The reason never shows the
// passwords.
func (d *Device) md5Mismatch(n *vtysh.Neighbor, m AddressMap, local netip.Addr) string {
	peer := d.lab.devices[m.Device]
	src, ok := d.lab.plan.Reverse(local)
	if peer == nil || !ok {
		return ""
	}
	peer.mu.Lock()
	cfg := peer.applied
	peer.mu.Unlock()
	if cfg == nil || cfg.BGP == nil {
		return ""
	}
	for _, pn := range cfg.BGP.Neighbors {
		if pn.Addr != src.Inventory.String() {
			continue
		}
		if pn.Password != n.Password {
			return "TCP MD5 password mismatch with " + m.Device + " (its neighbor " + pn.Addr + "): the SYNs are dropped"
		}
		return ""
	}
	return ""
}

// source picks the session's source address: update-source, else the
// address of the interface on the neighbor's subnet. via is that interface.
func (d *Device) source(cfg *vtysh.Config, n *vtysh.Neighbor, x netip.Addr) (src netip.Addr, via, why string) {
	own := func(a netip.Addr) (netip.Addr, string) {
		m, ok := d.lab.plan.Translate(a)
		if !ok || m.Device != d.plan.Name {
			return netip.Addr{}, "source " + a.String() + " is not an address of " + d.plan.Name + " in the inventory"
		}
		return m.Lab, ""
	}
	if us := n.UpdateSource; us != "" {
		if a, err := netip.ParseAddr(us); err == nil {
			s, why := own(a)
			return s, "", why
		}
		f := cfg.Interface(us)
		if f == nil {
			return netip.Addr{}, "", "update-source " + us + " has no address"
		}
		// As FRR: the interface's address of the neighbor's family (its
		// first global one for IPv6; a link-local source cannot reach a
		// loopback).
		for _, p := range f.Addresses {
			if p.Addr().Is4() == x.Is4() && !p.Addr().IsLinkLocalUnicast() {
				s, why := own(p.Addr())
				return s, "", why
			}
		}
		return netip.Addr{}, "", "update-source " + us + " has no " + family(x) + " address"
	}
	for _, f := range cfg.Interfaces {
		for _, p := range f.Addresses {
			if p.Addr().Is4() == x.Is4() && p.Bits() < p.Addr().BitLen() && p.Contains(x) && p.Addr() != x {
				if f.Shutdown {
					return netip.Addr{}, f.Name, "interface " + f.Name + " is shut down"
				}
				s, why := own(p.Addr())
				return s, f.Name, why
			}
		}
	}
	return netip.Addr{}, "", ""
}

// transportDown says why packets cannot flow to the owner of a neighbor
// address, "" when they can.
func (d *Device) transportDown(m AddressMap, local netip.Addr, via string, ebgp, multihop bool) string {
	peer, ok := d.lab.devices[m.Device]
	if !ok || m.Device == d.plan.Name {
		return "neighbor address is not on another device"
	}
	pv := peer.view()
	if !pv.alive {
		return "peer device down"
	}
	if !pv.addrs[m.Inventory] {
		return "peer has no interface with " + m.Inventory.String() + " up"
	}
	if via != "" {
		ls, ok := d.lab.linkOf(d.plan.Name, via)
		if !ok {
			return "no cable on " + via
		}
		far := ls.B
		if far.Device == d.plan.Name && far.Interface == via {
			far = ls.A
		}
		if far.Device != m.Device || far.Interface != m.Interface {
			return via + " is cabled to " + far.String() + ", not " + m.Device + ":" + m.Interface
		}
		if !ls.up {
			return "link " + via + " down (" + ls.why + ")"
		}
		return ""
	}
	if ebgp && !multihop {
		return "eBGP neighbor not directly connected (no ebgp-multihop)"
	}
	if !d.lab.connected(d.plan.Name, m.Device) {
		return "no path to " + m.Device
	}
	// Beyond a direct link, only the IGP carries the session, as on FRR:
	// both routers in one OSPF domain, each advertising its end. A
	// provider's router (not in the inventory) is reached as before.
	if d.inv == nil || peer.inv == nil {
		return ""
	}
	if m.Inventory.Is6() {
		// OSPF (v2) carries IPv4 only; FRR needs ospf6d for IPv6 loopbacks,
		// which tuyau does not render and the lab does not model.
		return "no IPv6 route to " + m.Inventory.String() + " (no OSPFv3: OSPF carries IPv4 only)"
	}
	if !d.lab.ospfConnected(d.plan.Name, m.Device) {
		return "no OSPF route to " + m.Inventory.String() + " (no OSPF adjacency path to " + m.Device + ")"
	}
	if !pv.ospf.addrs[m.Inventory] {
		return m.Device + " does not advertise " + m.Inventory.String() + " in OSPF"
	}
	if src, ok := d.lab.plan.Reverse(local); ok && !d.view().ospf.addrs[src.Inventory] {
		return d.plan.Name + " does not advertise its source " + src.Inventory.String() + " in OSPF (no route back)"
	}
	return ""
}

// speakerPrefixes are the hosting prefixes of the sites where tuyau's
// speakers announce them (see policyPeer.Reflect).
func (l *Lab) speakerPrefixes() []netip.Prefix {
	if l.snap == nil {
		return nil
	}
	var out []netip.Prefix
	for _, svc := range l.snap.Services {
		for _, site := range svc.Sites {
			if l.snap.HasSpeakerAt(site) {
				out = append(out, svc.Prefixes...)
				break
			}
		}
	}
	return out
}
