package netns

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/tuyau-net/tuyau/inventory"
)

// readyTimeout bounds how long Up waits for the daemons and sshd of all
// devices once they are started.
const readyTimeout = 90 * time.Second

// Up builds and starts a lab from the snapshot. Every device of the
// snapshot becomes an FRR router, whatever its platform. On failure it
// removes what it made and returns the error.
func Up(ctx context.Context, snap *inventory.Snapshot, opts Options) (*Lab, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	if err := Preflight(); err != nil {
		return nil, err
	}
	path := StatePath(o.StateDir, o.Name)
	if _, err := os.Stat(path); err == nil {
		return nil, fmt.Errorf("lab %s: %w (state %s): run down first", o.Name, ErrLabExists, path)
	}
	dir := filepath.Join(FilesRoot, o.Name)
	if _, err := os.Stat(dir); err == nil {
		return nil, fmt.Errorf("lab %s: %w (files %s, state elsewhere): run down on its state file first", o.Name, ErrLabExists, dir)
	}
	s, err := plan(snap, o.Name)
	if err != nil {
		return nil, err
	}
	if len(s.Devices) == 0 {
		return nil, fmt.Errorf("lab %s: the inventory has no devices", o.Name)
	}
	for _, d := range append(s.Devices, Device{Netns: s.Wire}) {
		if _, err := os.Stat(filepath.Join("/run/netns", d.Netns)); err == nil {
			return nil, fmt.Errorf("lab %s: %w: namespace %s is in use", o.Name, ErrLabExists, d.Netns)
		}
	}
	s.Created = time.Now().UTC()
	s.Phase = "creating"
	s.Config = o.Config
	s.User = o.User
	s.Dir = dir
	s.KnownHosts = filepath.Join(dir, "known_hosts")
	for i := range s.Devices {
		d := &s.Devices[i]
		d.Dir = filepath.Join(dir, d.Netns)
		d.Paths = []string{filepath.Join(frrEtc, d.Pathspace), filepath.Join(frrRun, d.Pathspace), filepath.Join("/etc/netns", d.Netns)}
	}
	l := &Lab{path: path, state: s, log: o.Log}
	if err := l.up(ctx, snap, o); err != nil {
		// Clean up even when ctx is what failed.
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Minute)
		defer cancel()
		return nil, errors.Join(err, l.Down(dctx))
	}
	return l, nil
}

func (l *Lab) up(ctx context.Context, snap *inventory.Snapshot, o Options) error {
	s := l.state
	start := time.Now()
	if err := os.MkdirAll(FilesRoot, 0o755); err != nil {
		return err
	}
	// Allocation and the bridge that claims the prefix happen under a
	// machine-wide lock, so two labs started at once never share a prefix.
	unlock, err := lockState(filepath.Join(FilesRoot, ".alloc"))
	if err != nil {
		return err
	}
	err = l.claimMgmt(ctx, o)
	unlock()
	if err != nil {
		return err
	}
	l.log.Info("netns lab: management network", "lab", s.Name, "prefix", s.MgmtPrefix, "bridge", s.Bridge)

	hash, err := passwordHash(o.Password)
	if err != nil {
		return err
	}
	users, err := makeUserFiles(o.User, hash)
	if err != nil {
		return fmt.Errorf("lab %s: user database: %w", s.Name, err)
	}
	authKeys := filepath.Join(s.Dir, "authorized_keys")
	if err := os.WriteFile(authKeys, o.AuthorizedKeys, 0o644); err != nil {
		return err
	}
	configs, err := RenderConfigs(snap, s, o.Config)
	if err != nil {
		return err
	}
	known := make([]string, len(s.Devices))
	err = forEach(ctx, len(s.Devices), o.Parallel, func(ctx context.Context, i int) error {
		d := &s.Devices[i]
		if _, err := run(ctx, "", "ip", "netns", "add", d.Netns); err != nil {
			return fmt.Errorf("device %s: %w", d.Name, err)
		}
		if err := os.MkdirAll(d.Dir, 0o755); err != nil {
			return err
		}
		key, err := hostKey(filepath.Join(d.Dir, "ssh_host_ed25519_key"))
		if err != nil {
			return fmt.Errorf("device %s: host key: %w", d.Name, err)
		}
		known[i] = knownHostsLine(d.Name, d.Mgmt.Addr().String(), key)
		if err := os.WriteFile(filepath.Join(d.Dir, "sshd_config"), []byte(sshdConfig(d, o.User, o.Password != "", authKeys)), 0o644); err != nil {
			return err
		}
		etc := filepath.Join("/etc/netns", d.Netns)
		if err := os.MkdirAll(etc, 0o755); err != nil {
			return err
		}
		for name, body := range map[string]string{"passwd": users.passwd, "group": users.group, "shadow": users.shadow} {
			mode := os.FileMode(0o644)
			if name == "shadow" {
				mode = 0o600
			}
			if err := os.WriteFile(filepath.Join(etc, name), []byte(body), mode); err != nil {
				return err
			}
		}
		return writeFRRFiles(d, s.Name, configs[d.Name], o.User)
	})
	if err != nil {
		return err
	}
	if err := os.WriteFile(s.KnownHosts, []byte(strings.Join(known, "\n")+"\n"), 0o644); err != nil {
		return err
	}
	l.log.Info("netns lab: namespaces and files", "devices", len(s.Devices), "elapsed", time.Since(start).Round(time.Millisecond))

	if _, err := run(ctx, "", "ip", "netns", "add", s.Wire); err != nil {
		return fmt.Errorf("lab %s: %w", s.Name, err)
	}
	if err := l.wire(ctx, o.Parallel); err != nil {
		return err
	}
	l.log.Info("netns lab: links", "links", len(s.Links), "elapsed", time.Since(start).Round(time.Millisecond))

	err = forEach(ctx, len(s.Devices), o.Parallel, func(ctx context.Context, i int) error {
		d := &s.Devices[i]
		if err := startFRR(ctx, d); err != nil {
			return err
		}
		return startSSHD(ctx, d)
	})
	if err != nil {
		return err
	}
	rctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	if err := forEach(rctx, len(s.Devices), len(s.Devices), func(ctx context.Context, i int) error {
		return waitReady(ctx, &s.Devices[i])
	}); err != nil {
		return err
	}
	s.Phase = "up"
	if err := writeState(l.path, s); err != nil {
		return err
	}
	l.log.Info("netns lab: up", "lab", s.Name, "devices", len(s.Devices), "elapsed", time.Since(start).Round(time.Millisecond))
	return nil
}

// claimMgmt picks the management prefix, records the whole plan in the
// state file (before anything exists, so Down knows what to look for) and
// creates the bridge holding the host's address.
func (l *Lab) claimMgmt(ctx context.Context, o Options) error {
	s := l.state
	used, err := hostPrefixes()
	if err != nil {
		return err
	}
	p := o.MgmtPrefix.Masked()
	if o.MgmtPrefix.IsValid() {
		for _, u := range used {
			if u.Overlaps(p) {
				return fmt.Errorf("management prefix %s overlaps %s, a network of this machine (another lab?)", p, u)
			}
		}
	} else if p, err = pickMgmt(DefaultMgmtRange, len(s.Devices), used); err != nil {
		return err
	}
	if err := assignMgmt(s, p); err != nil {
		return err
	}
	if err := writeState(l.path, s); err != nil {
		return err
	}
	if err := os.MkdirAll(s.Dir, 0o755); err != nil {
		return err
	}
	return ipBatch(ctx, "", []string{
		"link add " + s.Bridge + " type bridge",
		"addr add " + netip.PrefixFrom(s.HostAddr, s.MgmtPrefix.Bits()).String() + " dev " + s.Bridge,
		"link set " + s.Bridge + " up",
	})
}

// hostPrefixes lists the networks of the host's interfaces, other labs'
// bridges included.
func hostPrefixes() ([]netip.Prefix, error) {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return nil, fmt.Errorf("host addresses: %w", err)
	}
	var out []netip.Prefix
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok {
			if p, err := netip.ParsePrefix(n.String()); err == nil {
				out = append(out, p.Masked())
			}
		}
	}
	return out, nil
}

// wire creates the management veths and the veth pair of every routed
// link (directly in their namespaces: no name ever exists on the host but
// the management side), then sets addresses and brings everything up.
func (l *Lab) wire(ctx context.Context, parallel int) error {
	s := l.state
	var host []string
	for _, d := range s.Devices {
		host = append(host,
			"link add "+d.HostVeth+" type veth peer name "+mgmtIfname+" netns "+d.Netns,
			"link set "+d.HostVeth+" master "+s.Bridge+" up")
	}
	for i, d := range s.Devices {
		for j, ifc := range d.Interfaces {
			if ifc.Kind == "unlinked" {
				host = append(host, "link add name "+ifc.Ifname+" netns "+d.Netns+mtuArg(ifc.MTU)+
					" type veth peer name u"+strconv.Itoa(i)+"-"+strconv.Itoa(j)+" netns "+s.Wire)
			}
		}
	}
	var wire []string
	for _, lk := range s.Links {
		a, b := s.device(lk.A.Device), s.device(lk.B.Device)
		mtu := linkMTU(a, lk.A.Interface, b, lk.B.Interface)
		host = append(host,
			"link add name "+lk.A.Ifname+" netns "+a.Netns+mtu+" type veth peer name "+lk.WireA+" netns "+s.Wire+mtu,
			"link add name "+lk.B.Ifname+" netns "+b.Netns+mtu+" type veth peer name "+lk.WireB+" netns "+s.Wire+mtu)
		// No STP: ports forward at once, as a fiber does.
		wire = append(wire,
			"link add "+lk.WireBridge+" type bridge stp_state 0",
			"link set "+lk.WireA+" master "+lk.WireBridge,
			"link set "+lk.WireB+" master "+lk.WireBridge)
		if s.linkUp(lk) {
			wire = append(wire, "link set "+lk.WireBridge+" up", "link set "+lk.WireA+" up", "link set "+lk.WireB+" up")
		}
	}
	if err := ipBatch(ctx, "", host); err != nil {
		return fmt.Errorf("lab %s: wire: %w", s.Name, err)
	}
	if err := ipBatch(ctx, s.Wire, wire); err != nil {
		return fmt.Errorf("lab %s: wire: %w", s.Name, err)
	}
	return forEach(ctx, len(s.Devices), parallel, func(ctx context.Context, i int) error {
		d := &s.Devices[i]
		lines := []string{"link set lo up",
			"addr add " + d.Mgmt.String() + " dev " + mgmtIfname,
			"link set " + mgmtIfname + " up"}
		for _, ifc := range d.Interfaces {
			switch ifc.Kind {
			case "veth", "unlinked":
				lines = append(lines, "link set "+ifc.Ifname+" up")
			}
		}
		if err := ipBatch(ctx, d.Netns, lines); err != nil {
			return fmt.Errorf("device %s: %w", d.Name, err)
		}
		return nil
	})
}

// linkMTU is the smaller MTU of the two ends, as an ip argument ("" when
// the inventory gives none).
func linkMTU(a *Device, ai string, b *Device, bi string) string {
	m := 0
	for _, side := range []struct {
		d    *Device
		name string
	}{{a, ai}, {b, bi}} {
		for _, ifc := range side.d.Interfaces {
			if ifc.Name == side.name && ifc.MTU > 0 && (m == 0 || ifc.MTU < m) {
				m = ifc.MTU
			}
		}
	}
	return mtuArg(m)
}

func mtuArg(m int) string {
	if m <= 0 {
		return ""
	}
	return " mtu " + strconv.Itoa(m)
}
