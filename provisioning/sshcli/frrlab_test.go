package sshcli

import (
	"fmt"
	"github.com/tuyau-net/tuyau/testlab/need"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tuyau-net/tuyau/inventory"
)

// frrRouter is a real FRR (zebra, staticd, ospfd, bgpd) in its own network
// namespace, reached over a real sshd on 127.0.0.1 whose forced command is
// vtysh inside the namespace, with its own UTS namespace so "hostname"
// sticks as on a router.
type frrRouter struct {
	name, ns, dir string
	addr          string // sshd host:port
	sshd          *exec.Cmd
}

func needRoot(t *testing.T) {
	t.Helper()
	for _, bin := range []string{"/usr/lib/frr/zebra", "/usr/sbin/sshd", "vtysh", "ip", "unshare", "ssh-keygen"} {
		need.Tool(t, bin, "Debian frr, openssh-server, iproute2, util-linux")
	}
	need.Root(t, "real-FRR tests need network namespaces")
}

func run(t *testing.T, name string, args ...string) {
	t.Helper()
	if out, err := exec.Command(name, args...).CombinedOutput(); err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
}

// startFRRLab starts routers named in links' ends, each pair joined by a
// veth (name:iface), with one sshd per router, and returns them with a
// known_hosts file holding their keys and the private key to log in with.
func startFRRLab(t *testing.T, routers []string, links [][2]string) (map[string]*frrRouter, string, string) {
	t.Helper()
	needRoot(t)
	dir, err := os.MkdirTemp("", "tuyau-frrlab-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	run(t, "chmod", "755", dir)
	key := filepath.Join(dir, "id_ed25519")
	run(t, "ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key)
	pub, _ := os.ReadFile(key + ".pub")
	kh := filepath.Join(dir, "known_hosts")
	os.MkdirAll("/run/sshd", 0o755)
	lab := map[string]*frrRouter{}
	var khLines []string
	for i, n := range routers {
		r := &frrRouter{name: n, ns: fmt.Sprintf("tuyt%d-%d", os.Getpid(), i), dir: filepath.Join(dir, n)}
		os.MkdirAll(r.dir, 0o755)
		run(t, "chown", "frr:frr", r.dir)
		run(t, "ip", "netns", "add", r.ns)
		t.Cleanup(func() { exec.Command("ip", "netns", "del", r.ns).Run() })
		run(t, "ip", "-n", r.ns, "link", "set", "lo", "up")
		for _, d := range []string{"zebra", "staticd", "ospfd", "bgpd", "bfdd"} {
			pid := filepath.Join(r.dir, d+".pid")
			run(t, "ip", "netns", "exec", r.ns, "/usr/lib/frr/"+d, "-d", "-u", "frr", "-g", "frr",
				"--vty_socket", r.dir, "-i", pid, "-f", "/dev/null", "-z", filepath.Join(r.dir, "zserv.api"))
			t.Cleanup(func() {
				if b, err := os.ReadFile(pid); err == nil {
					exec.Command("kill", strings.TrimSpace(string(b))).Run()
				}
			})
		}
		hostKey := filepath.Join(r.dir, "ssh_host_ed25519_key")
		run(t, "ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", hostKey)
		hk, _ := os.ReadFile(hostKey + ".pub")
		ak := filepath.Join(r.dir, "authorized_keys")
		os.WriteFile(ak, pub, 0o600)
		port := freePort(t)
		r.addr = fmt.Sprintf("127.0.0.1:%d", port)
		f := strings.Fields(string(hk))
		khLines = append(khLines, fmt.Sprintf("[127.0.0.1]:%d %s %s", port, f[0], f[1]))
		// The router's own frr.conf: "write memory" saves there (an
		// integrated config vtysh writes itself, no watchfrr), never to
		// the host's /etc/frr.
		os.WriteFile(filepath.Join(r.dir, "frr.conf"), nil, 0o644)
		shell := fmt.Sprintf("exec unshare -u sh -c 'hostname %s && exec ip netns exec %s vtysh --vty_socket %s --config_dir %s'", n, r.ns, r.dir, r.dir)
		cfg := filepath.Join(r.dir, "sshd_config")
		os.WriteFile(cfg, []byte(fmt.Sprintf(`Port %d
ListenAddress 127.0.0.1
HostKey %s
PidFile %s/sshd.pid
AuthorizedKeysFile %s
PasswordAuthentication no
KbdInteractiveAuthentication no
PubkeyAuthentication yes
UsePAM no
StrictModes no
PermitRootLogin yes
ForceCommand %s
`, port, hostKey, r.dir, ak, shell)), 0o600)
		cmd := exec.Command("/usr/sbin/sshd", "-D", "-e", "-f", cfg)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		r.sshd = cmd
		t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
		lab[n] = r
	}
	for _, l := range links {
		a, b := strings.SplitN(l[0], ":", 2), strings.SplitN(l[1], ":", 2)
		tmpA, tmpB := fmt.Sprintf("ta%d%s", os.Getpid()%10000, a[1]), fmt.Sprintf("tb%d%s", os.Getpid()%10000, b[1])
		run(t, "ip", "link", "add", tmpA, "type", "veth", "peer", "name", tmpB)
		run(t, "ip", "link", "set", tmpA, "netns", lab[a[0]].ns, "name", a[1])
		run(t, "ip", "link", "set", tmpB, "netns", lab[b[0]].ns, "name", b[1])
		run(t, "ip", "-n", lab[a[0]].ns, "link", "set", a[1], "up")
		run(t, "ip", "-n", lab[b[0]].ns, "link", "set", b[1], "up")
	}
	os.WriteFile(kh, []byte(strings.Join(khLines, "\n")+"\n"), 0o600)
	for _, r := range lab {
		waitListen(t, r.addr)
	}
	return lab, kh, key
}

func freePort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func waitListen(t *testing.T, addr string) {
	for i := 0; i < 100; i++ {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("sshd on %s did not start", addr)
}

// vtyshShow runs a show command directly on the router (not through tuyau).
func (r *frrRouter) vtyshShow(t *testing.T, cmd string) string {
	out, err := exec.Command("ip", "netns", "exec", r.ns, "vtysh", "--vty_socket", r.dir, "-c", cmd).CombinedOutput()
	if err != nil {
		t.Fatalf("%s: vtysh %q: %v\n%s", r.name, cmd, err, out)
	}
	return string(out)
}

// twoRouterInventory is an aggregation router and a member joined by one
// link with an eBGP member session, the member announcing its LAN.
func twoRouterInventory() *inventory.Snapshot {
	p := netip.MustParsePrefix
	a := netip.MustParseAddr
	return &inventory.Snapshot{
		Network:  inventory.Network{Name: "lab", ASN: 65000},
		Sites:    []inventory.Site{{Slug: "pop", Role: inventory.SiteAggregation}, {Slug: "mairie", Role: inventory.SiteMember}},
		Prefixes: []inventory.Prefix{{Prefix: p("172.16.0.0/28"), Role: "member-lan", Site: "mairie"}},
		Services: []inventory.HostingService{{Name: "hosting", Prefixes: []netip.Prefix{p("198.51.100.0/24")}, Sites: []string{"pop"}}},
		Devices: []inventory.Device{
			{Name: "pop-r1", Site: "pop", Role: inventory.RoleAggregation, Platform: "frr", ASN: 65000, Loopback: a("10.255.0.1"),
				Transports: []string{"ssh"},
				Interfaces: []inventory.Interface{
					{Name: "lo", Addresses: []netip.Prefix{p("10.255.0.1/32")}},
					{Name: "eth1", Description: "to mairie-r1 eth1", Addresses: []netip.Prefix{p("10.128.0.0/31")}}},
				BGPSessions: []inventory.BGPSession{{PeerAddress: a("10.128.0.1"), PeerASN: 4200000001, Role: inventory.BGPMember, PeerDevice: "mairie-r1"}}},
			{Name: "mairie-r1", Site: "mairie", Role: inventory.RoleMember, Platform: "frr", ASN: 4200000001, Loopback: a("10.255.0.13"),
				Transports: []string{"ssh"},
				Interfaces: []inventory.Interface{
					{Name: "lo", Addresses: []netip.Prefix{p("10.255.0.13/32")}},
					{Name: "eth1", Description: "to pop-r1 eth1", Addresses: []netip.Prefix{p("10.128.0.1/31")}}},
				BGPSessions: []inventory.BGPSession{{PeerAddress: a("10.128.0.0"), PeerASN: 65000, Role: inventory.BGPMember, PeerDevice: "pop-r1"}}},
		},
	}
}

// startTwoRouters starts pop-r1 and mairie-r1 of twoRouterInventory joined
// on eth1, and returns the lab, the inventory's index, each router's
// device and a dialer reaching both with the lab's key and known hosts, and the known-hosts file.
func startTwoRouters(t *testing.T, timeout time.Duration) (map[string]*frrRouter, *inventory.Index, map[string]inventory.Device, *Dialer, string) {
	t.Helper()
	lab, kh, key := startFRRLab(t, []string{"pop-r1", "mairie-r1"}, [][2]string{{"pop-r1:eth1", "mairie-r1:eth1"}})
	x := inventory.NewIndex(twoRouterInventory())
	targets := map[string]string{}
	devs := map[string]inventory.Device{}
	for n, r := range lab {
		targets[n] = r.addr
		devs[n] = *x.Device(n)
	}
	dial := &Dialer{KnownHosts: kh, Credentials: Credentials{Username: "root", PrivateKey: key}, Targets: targets, Timeout: timeout}
	return lab, x, devs, dial, kh
}
