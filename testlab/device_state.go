package testlab

import (
	"context"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	api "github.com/osrg/gobgp/v3/api"

	"github.com/tuyau-net/tuyau/testlab/vtysh"
)

// InterfaceState is what the device reports about one interface, on every
// surface (CLI, gNMI, status).
type InterfaceState struct {
	Name        string    `json:"name"`
	Description string    `json:"description,omitempty"`
	AdminUp     bool      `json:"admin_up"`
	OperUp      bool      `json:"oper_up"`
	Addresses   []string  `json:"addresses,omitempty"`
	MTU         int       `json:"mtu,omitempty"`
	SpeedMbps   int64     `json:"speed_mbps,omitempty"`
	LastChange  time.Time `json:"last_change"`
	InOctets    uint64    `json:"in_octets"`
	OutOctets   uint64    `json:"out_octets"`
	InPkts      uint64    `json:"in_pkts"`
	OutPkts     uint64    `json:"out_pkts"`
	InErrors    uint64    `json:"in_errors,omitempty"`
	OutErrors   uint64    `json:"out_errors,omitempty"`
	InDiscards  uint64    `json:"in_discards,omitempty"`
	OutDiscards uint64    `json:"out_discards,omitempty"`
	// Optical is false for copper and interfaces without a cable.
	Optical     bool    `json:"optical"`
	Transceiver string  `json:"transceiver,omitempty"`
	RxDBm       float64 `json:"rx_dbm,omitempty"`
	TxDBm       float64 `json:"tx_dbm,omitempty"`
	Link        string  `json:"link,omitempty"`
	DownReason  string  `json:"down_reason,omitempty"`
}

// Interfaces returns the state of every interface: those of the inventory
// and those created in the running config, sorted by name as FRR does.
func (d *Device) Interfaces() []InterfaceState {
	out, _ := d.interfacesAt()
	return out
}

// interfacesAt is Interfaces and the lab time its counters stand for.
func (d *Device) interfacesAt() ([]InterfaceState, time.Time) {
	d.mu.Lock()
	cfg, alive, boot := d.applied, d.alive, d.booted
	d.mu.Unlock()
	byName := map[string]*InterfaceState{}
	if d.inv != nil {
		for _, f := range d.inv.Interfaces {
			// The host is built as the inventory says: its MTU is the
			// interface's (FRR cannot set it; a config's mtu overrides).
			byName[f.Name] = &InterfaceState{Name: f.Name, SpeedMbps: int64(f.Speed), Transceiver: f.Transceiver, AdminUp: true, MTU: f.MTU}
		}
	}
	for _, f := range cfg.Interfaces {
		st := byName[f.Name]
		if st == nil {
			st = &InterfaceState{Name: f.Name, AdminUp: true}
			byName[f.Name] = st
		}
		st.Description = f.Description
		st.AdminUp = !f.Shutdown
		if f.MTU > 0 {
			st.MTU = f.MTU
		}
		for _, a := range f.Addresses {
			st.Addresses = append(st.Addresses, a.String())
		}
	}
	names := make([]string, 0, len(byName))
	for name := range byName {
		names = append(names, name)
	}
	links, now := d.lab.portLinks(d.plan.Name, names)
	out := make([]InterfaceState, 0, len(byName))
	for _, st := range byName {
		if st.MTU == 0 {
			st.MTU = 1500
		}
		ls, cabled := links[st.Name]
		switch {
		case !alive:
			st.OperUp, st.DownReason = false, "device down"
		case cabled:
			st.OperUp, st.DownReason, st.Link, st.LastChange = ls.up, ls.why, ls.ID, ls.since
			isA := ls.A.Device == d.plan.Name && ls.A.Interface == st.Name
			mine, far := ls.A, ls.B
			st.RxDBm = ls.rxA
			if !isA {
				mine, far = ls.B, ls.A
				st.RxDBm = ls.rxB
			}
			d.countersOf(st, ls.counters(now), isA)
			if st.Transceiver == "" && far.Circuit != "" {
				st.Transceiver = far.Transceiver // a transit peer's hand-off optic
				mine = far
			}
			if ls.optical {
				st.Optical = true
				st.TxDBm, _ = txPower(mine)
				if !st.AdminUp {
					st.TxDBm = losFloorDBm
				}
			}
		default:
			// Uncabled ports (the loopback, member LANs) follow their admin state.
			st.OperUp = st.AdminUp
			if !st.AdminUp {
				st.DownReason = "admin down"
			}
		}
		if st.LastChange.Before(boot) {
			st.LastChange = boot // a rebooted router's interfaces all changed at boot
		}
		out = append(out, *st)
	}
	slices.SortFunc(out, func(a, b InterfaceState) int { return strings.Compare(a.Name, b.Name) })
	return out, now
}

// NeighborState is one BGP neighbor as the device reports it.
type NeighborState struct {
	Address     string `json:"address"` // as configured (inventory addressing)
	LabAddress  string `json:"lab_address,omitempty"`
	RemoteAS    uint32 `json:"remote_as"`
	LocalAS     uint32 `json:"local_as"`
	Description string `json:"description,omitempty"`
	// State is FRR's name: Idle, Connect, Active, OpenSent, OpenConfirm,
	// Established.
	State      string    `json:"state"`
	AdminDown  bool      `json:"admin_down,omitempty"`
	DownReason string    `json:"down_reason,omitempty"`
	MsgRcvd    uint64    `json:"msg_rcvd"`
	MsgSent    uint64    `json:"msg_sent"`
	Since      time.Time `json:"since,omitzero"`
	EverUp     bool      `json:"ever_up"`
	PfxRcd     uint64    `json:"pfx_rcd"`
	PfxSnt     uint64    `json:"pfx_snt"`
	// NoPolicyIn and NoPolicyOut are set when "bgp ebgp-requires-policy"
	// blocks routes for want of a route-map in that direction.
	NoPolicyIn  bool   `json:"no_policy_in,omitempty"`
	NoPolicyOut bool   `json:"no_policy_out,omitempty"`
	Dropped     uint32 `json:"connections_dropped"`
}

var gobgpStates = map[api.PeerState_SessionState]string{
	api.PeerState_UNKNOWN: "Idle", api.PeerState_IDLE: "Idle", api.PeerState_CONNECT: "Connect",
	api.PeerState_ACTIVE: "Active", api.PeerState_OPENSENT: "OpenSent",
	api.PeerState_OPENCONFIRM: "OpenConfirm", api.PeerState_ESTABLISHED: "Established",
}

// Neighbors returns the configured BGP neighbors active in family, in
// config order, with their session state from GoBGP; family "" returns
// every neighbor, with its prefixes counted over all its families (what
// "show bgp neighbors" and OpenConfig's neighbor list show).
func (d *Device) Neighbors(ctx context.Context, family string) (asn uint32, rid string, ns []NeighborState) {
	return d.neighborStates(ctx, family, true)
}

// neighborStates is Neighbors; without advertised, GoBGP is not asked
// for the prefixes sent (PfxSnt stays 0): it counts them by walking each
// peer's adj-RIB-out, the slow part of a ListPeer while a large lab
// converges, and the lab's status only counts established sessions.
func (d *Device) neighborStates(ctx context.Context, family string, advertised bool) (asn uint32, rid string, ns []NeighborState) {
	d.mu.Lock()
	cfg, infos, alive := d.applied, d.neighbors, d.alive
	d.mu.Unlock()
	if cfg.BGP == nil || !alive {
		return 0, "", nil
	}
	live := map[string]*api.Peer{}
	downSince := map[string]time.Time{}
	drops := map[string]uint32{}
	d.bgpMu.Lock()
	for a, t := range d.spk.downSince {
		downSince[a.String()] = t
	}
	for a, n := range d.spk.drops {
		drops[a.String()] = n
	}
	if d.spk.srv != nil {
		ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		d.spk.srv.ListPeer(ctx, &api.ListPeerRequest{EnableAdvertised: advertised}, func(p *api.Peer) {
			live[p.GetConf().GetNeighborAddress()] = p
		})
		cancel()
	}
	d.bgpMu.Unlock()
	b := cfg.BGP
	for _, n := range b.Neighbors {
		if family != "" && !b.Active(n.Addr, family) {
			continue
		}
		st := NeighborState{Address: n.Addr, LocalAS: b.ASN, Description: n.Description, State: "Active"}
		if n.RemoteAS == "internal" {
			st.RemoteAS = b.ASN
		} else {
			st.RemoteAS = parseASN(n.RemoteAS)
		}
		if st.RemoteAS != b.ASN {
			in, out := neighborPolicies(cfg, n, true)
			v6 := family == "ipv6 unicast"
			st.NoPolicyIn = in.deny(v6)
			st.NoPolicyOut = out.deny(v6)
		}
		info := infos[n.Addr]
		st.DownReason = info.down
		if info.lab.IsValid() {
			st.LabAddress = info.lab.String()
		}
		p := live[info.lab.String()]
		st.Dropped = drops[info.lab.String()]
		if t, ok := downSince[info.lab.String()]; ok && p == nil {
			st.EverUp, st.Since = true, t
		}
		if n.Shutdown {
			st.State, st.AdminDown, st.DownReason = "Idle", true, "neighbor shutdown"
		}
		if p != nil {
			ps := p.GetState()
			st.MsgRcvd = ps.GetMessages().GetReceived().GetTotal()
			st.MsgSent = ps.GetMessages().GetSent().GetTotal()
			st.Dropped += ps.GetFlops()
			if up := p.GetTimers().GetState().GetUptime(); up != nil && up.AsTime().Unix() > 0 {
				st.EverUp = true
			}
			if info.down == "" && !n.Shutdown {
				st.State = gobgpStates[ps.GetSessionState()]
			}
			if st.State == "Established" {
				st.Since = p.GetTimers().GetState().GetUptime().AsTime()
				fam := famV4
				if family == "ipv6 unicast" {
					fam = famV6
				}
				for _, af := range p.GetAfiSafis() {
					if family == "" || af.GetState().GetFamily().GetAfi() == fam.Afi {
						st.PfxRcd += af.GetState().GetAccepted()
						st.PfxSnt += af.GetState().GetAdvertised()
					}
				}
			} else if down := p.GetTimers().GetState().GetDowntime(); down != nil && down.AsTime().Unix() > 0 {
				st.Since = down.AsTime()
			}
		}
		ns = append(ns, st)
	}
	return b.ASN, routerID(cfg, d.plan.Addr).String(), ns
}

func parseASN(s string) uint32 {
	var n uint64
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0
		}
		n = n*10 + uint64(c-'0')
		if n > 1<<32-1 {
			return 0
		}
	}
	return uint32(n)
}

// WriteMemory saves the configuration as the startup config the device
// boots from after "lab kill" and "lab restore", and into the lab
// directory as configs/NAME.conf for people to read.
func (d *Device) WriteMemory(_ context.Context, cfg *vtysh.Config) error {
	d.mu.Lock()
	d.startup = cfg.Clone()
	d.mu.Unlock()
	dir := filepath.Join(d.lab.opts.Dir, "configs")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, d.plan.Name+".conf"), []byte(cfg.Text()), 0o644)
}

// labToInventory translates a lab address back for display.
func (l *Lab) labToInventory(a string) string {
	addr, err := netip.ParseAddr(a)
	if err != nil {
		return a
	}
	if m, ok := l.plan.Reverse(addr); ok {
		return m.Inventory.String()
	}
	return a
}
