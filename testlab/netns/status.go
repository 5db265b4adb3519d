package netns

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"sort"
)

// Status is what a running lab looks like now, read from the kernel, the
// processes and, on request, FRR.
type Status struct {
	Name       string         `json:"name"`
	Phase      string         `json:"phase"`
	Config     ConfigLevel    `json:"config"`
	StatePath  string         `json:"state_path"`
	KnownHosts string         `json:"known_hosts"`
	User       string         `json:"user"`
	MgmtPrefix netip.Prefix   `json:"mgmt_prefix"`
	Devices    []DeviceStatus `json:"devices"`
	Links      []LinkStatus   `json:"links"`
	Faults     Faults         `json:"faults"`
}

// DeviceStatus is one router: where to reach it and what runs.
type DeviceStatus struct {
	Name      string `json:"name"`
	Netns     string `json:"netns"`
	Pathspace string `json:"pathspace"`
	// SSH is the host:port its sshd listens on.
	SSH string `json:"ssh"`
	// Processes lists the daemons found running in the namespace.
	Processes []string `json:"processes"`
	Killed    bool     `json:"killed,omitempty"`
	// MemoryKiB is the proportional set size of its processes (shared
	// pages split between the processes sharing them).
	MemoryKiB int `json:"memory_kib"`
	// Problem says why the status of the device is incomplete.
	Problem string `json:"problem,omitempty"`
	// BGP holds the sessions from `show bgp summary json` when asked for.
	BGP []BGPPeer `json:"bgp,omitempty"`
}

// Running reports whether every FRR daemon and sshd are up.
func (d DeviceStatus) Running() bool {
	for _, p := range append([]string{"watchfrr", "sshd"}, frrDaemons...) {
		if !slices.Contains(d.Processes, p) {
			return false
		}
	}
	return true
}

// LinkStatus is a routed link with the kernel's operational state of both ends.
type LinkStatus struct {
	Link
	// Want is what the faults in force call for.
	Want  string `json:"want"`   // up or down
	OperA string `json:"oper_a"` // as the kernel says: UP, DOWN, LOWERLAYERDOWN
	OperB string `json:"oper_b"`
}

// BGPPeer is one BGP session of a device in one address family.
type BGPPeer struct {
	Peer     string `json:"peer"`
	Family   string `json:"family"` // ipv4Unicast, ipv6Unicast as FRR names them
	RemoteAS uint32 `json:"remote_as"`
	State    string `json:"state"`
	PfxRcd   int    `json:"pfx_rcd"`
}

// StatusOptions choose what Status asks FRR.
type StatusOptions struct {
	// BGP adds each device's BGP sessions (one vtysh call per device).
	BGP bool
}

// Status reads the lab's state now.
func (l *Lab) Status(ctx context.Context, o StatusOptions) (*Status, error) {
	s, err := readState(l.path)
	if err != nil {
		return nil, err
	}
	l.state = s
	st := &Status{Name: s.Name, Phase: s.Phase, Config: s.Config, StatePath: l.path, KnownHosts: s.KnownHosts,
		User: s.User, MgmtPrefix: s.MgmtPrefix, Faults: s.Faults}
	names := make([]string, len(s.Devices))
	for i, d := range s.Devices {
		names[i] = d.Netns
	}
	pids := nsPids(names)
	oper := make([]map[string]string, len(s.Devices))
	st.Devices = make([]DeviceStatus, len(s.Devices))
	err = forEach(ctx, len(s.Devices), 8, func(ctx context.Context, i int) error {
		d := &s.Devices[i]
		ds := DeviceStatus{Name: d.Name, Netns: d.Netns, Pathspace: d.Pathspace,
			SSH: net.JoinHostPort(d.Mgmt.Addr().String(), "22"), Killed: slices.Contains(s.Faults.Devices, d.Name)}
		for _, p := range pids[d.Netns] {
			if n := procName(p); n != "" && !slices.Contains(ds.Processes, n) {
				ds.Processes = append(ds.Processes, n)
			}
			ds.MemoryKiB += pssKiB(p)
		}
		sort.Strings(ds.Processes)
		// A lab half torn down still has a status: say what is wrong
		// with the device rather than fail the whole report.
		m, err := operStates(ctx, d.Netns)
		if err != nil {
			ds.Problem = err.Error()
		}
		oper[i] = m
		if o.BGP && ds.Running() {
			if ds.BGP, err = bgpPeers(ctx, d); err != nil {
				ds.Problem = err.Error()
			}
		}
		st.Devices[i] = ds
		return nil
	})
	if err != nil {
		return nil, err
	}
	idx := map[string]int{}
	for i, d := range s.Devices {
		idx[d.Name] = i
	}
	for _, lk := range s.Links {
		ls := LinkStatus{Link: lk, Want: "down",
			OperA: oper[idx[lk.A.Device]][lk.A.Ifname], OperB: oper[idx[lk.B.Device]][lk.B.Ifname]}
		if s.linkUp(lk) {
			ls.Want = "up"
		}
		st.Links = append(st.Links, ls)
	}
	return st, nil
}

func operStates(ctx context.Context, ns string) (map[string]string, error) {
	out, err := run(ctx, "", "ip", "-n", ns, "-j", "link", "show")
	if err != nil {
		return nil, err
	}
	var links []struct {
		Ifname    string `json:"ifname"`
		Operstate string `json:"operstate"`
	}
	if err := json.Unmarshal([]byte(out), &links); err != nil {
		return nil, fmt.Errorf("ip -j link show in %s: %w", ns, err)
	}
	m := make(map[string]string, len(links))
	for _, x := range links {
		m[x.Ifname] = x.Operstate
	}
	return m, nil
}

// BGPPeers returns a device's BGP sessions from `show bgp summary json`.
func (l *Lab) BGPPeers(ctx context.Context, device string) ([]BGPPeer, error) {
	d := l.state.device(device)
	if d == nil {
		return nil, errUnknownDevice(device)
	}
	return bgpPeers(ctx, d)
}

func bgpPeers(ctx context.Context, d *Device) ([]BGPPeer, error) {
	out, err := vtysh(ctx, d, "show bgp summary json")
	if err != nil {
		return nil, err
	}
	return parseBGPSummary([]byte(out))
}

// parseBGPSummary reads FRR's `show bgp summary json`: one object per
// address family, each with a peers map.
func parseBGPSummary(data []byte) ([]BGPPeer, error) {
	var afs map[string]json.RawMessage
	if err := json.Unmarshal(data, &afs); err != nil {
		return nil, fmt.Errorf("show bgp summary json: %w", err)
	}
	var out []BGPPeer
	fams := make([]string, 0, len(afs))
	for k := range afs {
		fams = append(fams, k)
	}
	sort.Strings(fams)
	for _, fam := range fams {
		var af struct {
			Peers map[string]struct {
				RemoteAS uint32 `json:"remoteAs"`
				State    string `json:"state"`
				PfxRcd   int    `json:"pfxRcd"`
			} `json:"peers"`
		}
		if err := json.Unmarshal(afs[fam], &af); err != nil || af.Peers == nil {
			continue // not an address family (FRR adds no other keys today)
		}
		peers := make([]string, 0, len(af.Peers))
		for p := range af.Peers {
			peers = append(peers, p)
		}
		sort.Strings(peers)
		for _, p := range peers {
			x := af.Peers[p]
			out = append(out, BGPPeer{Peer: p, Family: fam, RemoteAS: x.RemoteAS, State: x.State, PfxRcd: x.PfxRcd})
		}
	}
	return out, nil
}
