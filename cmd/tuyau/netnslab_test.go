package main

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// A small network of real FRR routers in network namespaces, for the
// hosting failover's data plane (TestNetnsFailover): what the netns lab
// (testlab/netns) builds from a whole inventory, cut down to what the
// failover needs and with a data plane the tests drive from this process
// (sockets opened inside the namespaces, served by goroutines).

// nsTopo is one such network: its namespaces, FRR instances and the
// processes started in it, all removed by Cleanup.
type nsTopo struct {
	t   *testing.T
	id  string // a per-test suffix keeping names unique on the machine
	dir string
	n   int // veth counter
	mu  sync.Mutex
}

func newNSTopo(t *testing.T) *nsTopo {
	dir, err := os.MkdirTemp("", "tuyau-nsfo-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	// FRR's daemons drop to user frr: they must reach their vty sockets.
	os.Chmod(dir, 0o755)
	return &nsTopo{t: t, id: fmt.Sprintf("%d", os.Getpid()%100000), dir: dir}
}

// ns is the namespace name of a node.
func (n *nsTopo) ns(node string) string { return "tf" + n.id + node }

func (n *nsTopo) sh(args ...string) string {
	n.t.Helper()
	out, err := exec.Command(args[0], args[1:]...).CombinedOutput()
	if err != nil {
		n.t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// node creates a namespace with lo up, forwarding on, and the given
// addresses on lo.
func (n *nsTopo) node(name string, lo ...string) {
	n.t.Helper()
	ns := n.ns(name)
	n.sh("ip", "netns", "add", ns)
	n.t.Cleanup(func() {
		// Whatever still runs in it (a daemon that did not die) first.
		if out, err := exec.Command("ip", "netns", "pids", ns).Output(); err == nil {
			for _, pid := range strings.Fields(string(out)) {
				exec.Command("kill", "-9", pid).Run()
			}
		}
		exec.Command("ip", "netns", "del", ns).Run()
	})
	n.sh("ip", "-n", ns, "link", "set", "lo", "up")
	n.sh("ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv4.ip_forward=1")
	for _, a := range lo {
		n.sh("ip", "-n", ns, "addr", "add", a, "dev", "lo")
	}
}

func (n *nsTopo) veth() (string, string) {
	n.n++
	return fmt.Sprintf("tf%sa%d", n.id, n.n), fmt.Sprintf("tf%sb%d", n.id, n.n)
}

func (n *nsTopo) place(tmp, node, name, addr string) {
	ns := n.ns(node)
	n.sh("ip", "link", "set", tmp, "netns", ns)
	n.sh("ip", "-n", ns, "link", "set", tmp, "name", name)
	if addr != "" {
		n.sh("ip", "-n", ns, "addr", "add", addr, "dev", name)
	}
	n.sh("ip", "-n", ns, "link", "set", name, "up")
}

// link joins two nodes with a veth pair.
func (n *nsTopo) link(a, ifa, addrA, b, ifb, addrB string) {
	n.t.Helper()
	va, vb := n.veth()
	n.sh("ip", "link", "add", va, "type", "veth", "peer", "name", vb)
	n.place(va, a, ifa, addrA)
	n.place(vb, b, ifb, addrB)
}

// bridged joins two nodes through a bridge in namespace wire (the fiber
// plant, as in testlab/netns): taking a port out of the bridge cuts the
// link silently, both interfaces keeping their carrier, as a failed
// transponder or a hung line card does.
func (n *nsTopo) bridged(wire, a, ifa, addrA, b, ifb, addrB string) (portA string) {
	n.t.Helper()
	w := n.ns(wire)
	if _, err := exec.Command("ip", "-n", w, "link", "show", "br0").Output(); err != nil {
		n.sh("ip", "-n", w, "link", "add", "br0", "type", "bridge")
		n.sh("ip", "-n", w, "link", "set", "br0", "up")
	}
	for i, end := range []struct{ node, ifn, addr string }{{a, ifa, addrA}, {b, ifb, addrB}} {
		va, vb := n.veth()
		n.sh("ip", "link", "add", va, "type", "veth", "peer", "name", vb)
		n.place(va, end.node, end.ifn, end.addr)
		port := fmt.Sprintf("p%s%d", end.node, i)
		n.place(vb, wire, port, "")
		n.sh("ip", "-n", w, "link", "set", port, "master", "br0")
		if i == 0 {
			portA = port
		}
	}
	return portA
}

func (n *nsTopo) route(node string, args ...string) {
	n.t.Helper()
	n.sh(append([]string{"ip", "-n", n.ns(node), "route", "add"}, args...)...)
}

// frr starts zebra, staticd, ospfd, bfdd and bgpd in node's namespace with their
// sockets under the test's directory, and loads conf through vtysh.
func (n *nsTopo) frr(node, conf string) {
	n.t.Helper()
	ns, rdir := n.ns(node), filepath.Join(n.dir, node)
	os.MkdirAll(rdir, 0o755)
	n.sh("chown", "frr:frr", rdir)
	for _, d := range []string{"zebra", "staticd", "ospfd", "bfdd", "bgpd"} {
		pid := filepath.Join(rdir, d+".pid")
		args := []string{"netns", "exec", ns, "/usr/lib/frr/" + d, "-d", "-u", "frr", "-g", "frr",
			"--vty_socket", rdir, "-i", pid, "-f", "/dev/null", "-z", filepath.Join(rdir, "zserv.api")}
		if d == "bfdd" {
			args = append(args, "--bfdctl", filepath.Join(rdir, "bfdd.sock"))
		}
		n.sh(append([]string{"ip"}, args...)...)
		n.t.Cleanup(func() {
			if b, err := os.ReadFile(pid); err == nil {
				exec.Command("kill", strings.TrimSpace(string(b))).Run()
			}
		})
	}
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(n.vtysh(node, "show version"), "FRRouting") {
		if time.Now().After(deadline) {
			n.t.Fatalf("%s: FRR not answering", node)
		}
		time.Sleep(100 * time.Millisecond)
	}
	f := filepath.Join(rdir, "frr.conf")
	os.WriteFile(f, []byte(conf), 0o644)
	if out, err := exec.Command("ip", "netns", "exec", ns, "vtysh", "--vty_socket", rdir, "-f", f).CombinedOutput(); err != nil {
		n.t.Fatalf("%s: vtysh -f: %v\n%s", node, err, out)
	}
}

func (n *nsTopo) vtysh(node string, cmds ...string) string {
	args := []string{"netns", "exec", n.ns(node), "vtysh", "--vty_socket", filepath.Join(n.dir, node)}
	for _, c := range cmds {
		args = append(args, "-c", c)
	}
	out, _ := exec.Command("ip", args...).CombinedOutput()
	return string(out)
}

// bestNextHop is the next hop of node's best path for prefix, "" without one.
func (n *nsTopo) bestNextHop(node, prefix string) string {
	var r struct {
		Paths []struct {
			Nexthops []struct {
				IP string `json:"ip"`
			} `json:"nexthops"`
			Bestpath *struct {
				Overall bool `json:"overall"`
			} `json:"bestpath"`
		} `json:"paths"`
	}
	if json.Unmarshal([]byte(n.vtysh(node, "show bgp ipv4 unicast "+prefix+" json")), &r) != nil {
		return ""
	}
	for _, p := range r.Paths {
		if p.Bestpath != nil && p.Bestpath.Overall && len(p.Nexthops) > 0 {
			return p.Nexthops[0].IP
		}
	}
	return ""
}

// tuyau runs the tuyau command (this test binary, TestMain) in node's
// namespace until the test ends; SIGTERM then, as systemd would.
func (n *nsTopo) tuyau(node string, env map[string]string, args ...string) {
	n.t.Helper()
	a, _ := json.Marshal(args)
	cmd := exec.Command("ip", "netns", "exec", n.ns(node), os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), helperArgsEnv+"="+string(a))
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	logf, err := os.Create(filepath.Join(n.dir, node+"-tuyau.log"))
	if err != nil {
		n.t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		n.t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	n.t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-done
		}
		logf.Close()
		if n.t.Failed() {
			b, _ := os.ReadFile(logf.Name())
			n.t.Logf("tuyau %v in %s:\n%s", args, node, b)
		}
	})
}

// inNetns runs fn on a thread inside namespace ns: sockets fn opens stay
// in it whatever thread later serves them.
func inNetns(ns string, fn func() error) error {
	runtime.LockOSThread()
	orig, err := os.Open(fmt.Sprintf("/proc/self/task/%d/ns/net", unix.Gettid()))
	if err != nil {
		runtime.UnlockOSThread()
		return err
	}
	defer orig.Close()
	target, err := os.Open("/var/run/netns/" + ns)
	if err != nil {
		runtime.UnlockOSThread()
		return fmt.Errorf("namespace %s: %w", ns, err)
	}
	defer target.Close()
	if err := unix.Setns(int(target.Fd()), unix.CLONE_NEWNET); err != nil {
		runtime.UnlockOSThread()
		return fmt.Errorf("setns %s: %w", ns, err)
	}
	ferr := fn()
	if err := unix.Setns(int(orig.Fd()), unix.CLONE_NEWNET); err != nil {
		// The thread stays locked: it ends with the goroutine instead of
		// serving others from the wrong namespace.
		return errors.Join(ferr, fmt.Errorf("setns back from %s: %w", ns, err))
	}
	runtime.UnlockOSThread()
	return ferr
}

// siteEndpoint is a core site's hosting service: a UDP echo on the
// hosting address (answering with the site's tag, so a prober knows which
// site served it) and the HTTP health check the failover probes.
type siteEndpoint struct {
	ns, echoAddr, healthAddr string
	tag                      byte
	mu                       sync.Mutex
	pc                       net.PacketConn
	srv                      *http.Server
}

func (e *siteEndpoint) start() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	var pc net.PacketConn
	var ln net.Listener
	err := inNetns(e.ns, func() error {
		var err error
		if pc, err = net.ListenPacket("udp4", e.echoAddr); err != nil {
			return err
		}
		ln, err = net.Listen("tcp4", e.healthAddr)
		return err
	})
	if err != nil {
		if pc != nil {
			pc.Close()
		}
		return fmt.Errorf("endpoint %s in %s: %w", e.echoAddr, e.ns, err)
	}
	go func() {
		buf := make([]byte, 64)
		for {
			k, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			if k >= 9 {
				buf[8] = e.tag
				pc.WriteTo(buf[:k], from)
			}
		}
	}()
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, "ok") }),
		ReadHeaderTimeout: 2 * time.Second}
	go srv.Serve(ln)
	e.pc, e.srv = pc, srv
	return nil
}

// stop fails the service: the echo stops answering and the health check
// is refused.
func (e *siteEndpoint) stop() {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.pc != nil {
		e.pc.Close()
		e.srv.Close()
		e.pc, e.srv = nil, nil
	}
}

// prober sends a numbered UDP packet every interval from a member's
// namespace to the hosting address and records which site answered each.
type prober struct {
	name     string
	interval time.Duration
	conn     *net.UDPConn
	mu       sync.Mutex
	sent     []time.Time
	by       []byte // site tag of each sequence number's answer, 0 none
}

func startProber(t *testing.T, ns, name, src, dst string, interval time.Duration) *prober {
	t.Helper()
	p := &prober{name: name, interval: interval}
	err := inNetns(ns, func() error {
		var err error
		// Not connected: a member without a route yet (or any more)
		// sends nothing, which counts as lost, and reads see no ICMP.
		p.conn, err = net.ListenUDP("udp4", net.UDPAddrFromAddrPort(netip.MustParseAddrPort(src)))
		return err
	})
	if err != nil {
		t.Fatalf("prober %s: %v", name, err)
	}
	to := net.UDPAddrFromAddrPort(netip.MustParseAddrPort(dst))
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(interval)
		defer tick.Stop()
		buf := make([]byte, 9)
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
			}
			p.mu.Lock()
			seq := len(p.sent)
			p.sent = append(p.sent, time.Now())
			p.by = append(p.by, 0)
			p.mu.Unlock()
			binary.BigEndian.PutUint64(buf, uint64(seq))
			p.conn.WriteToUDP(buf, to)
		}
	}()
	go func() {
		defer wg.Done()
		buf := make([]byte, 64)
		for {
			k, _, err := p.conn.ReadFromUDP(buf)
			if errors.Is(err, net.ErrClosed) {
				return
			}
			if err != nil || k < 9 {
				continue
			}
			seq := int(binary.BigEndian.Uint64(buf))
			p.mu.Lock()
			if seq < len(p.by) {
				p.by[seq] = buf[8]
			}
			p.mu.Unlock()
		}
	}()
	t.Cleanup(func() { close(stop); p.conn.Close(); wg.Wait() })
	return p
}

// lossStats is what a prober saw over a time window.
type lossStats struct {
	from       time.Time
	sent, lost int
	lostFor    time.Duration // the seconds without service: from each lost packet to the next one sent
	firstBy    time.Time     // first packet (sent in the window) answered by the site waited for
	// firstLost and lastLost bound the packets lost (sent times).
	firstLost, lastLost time.Time
}

func (s lossStats) String() string {
	if s.lost == 0 {
		return fmt.Sprintf("0 of %d lost", s.sent)
	}
	return fmt.Sprintf("%d of %d lost (%s without service, sent between +%s and +%s)", s.lost, s.sent, s.lostFor.Round(time.Millisecond),
		s.firstLost.Sub(s.from).Round(time.Millisecond), s.lastLost.Sub(s.from).Round(time.Millisecond))
}

// window counts the packets sent in [from, to): the ones with no answer
// are lost (to must be at least a round trip in the past).
func (p *prober) window(from, to time.Time, site byte) lossStats {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := lossStats{from: from}
	for i, at := range p.sent {
		if at.Before(from) || !at.Before(to) {
			continue
		}
		s.sent++
		if p.by[i] == 0 {
			s.lost++
			if s.firstLost.IsZero() {
				s.firstLost = at
			}
			s.lastLost = at
			// Until the next packet: a loaded machine skips ticks.
			if i+1 < len(p.sent) {
				s.lostFor += p.sent[i+1].Sub(at)
			} else {
				s.lostFor += p.interval
			}
		}
		if p.by[i] == site && s.firstBy.IsZero() {
			s.firstBy = at
		}
	}
	return s
}

// servedBy reports whether the last n answered-or-not packets sent at
// least a second ago were all answered by site.
func (p *prober) servedBy(site byte, n int) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	end := len(p.sent)
	for end > 0 && time.Since(p.sent[end-1]) < 300*time.Millisecond {
		end--
	}
	if end < n {
		return false
	}
	for _, b := range p.by[end-n : end] {
		if b != site {
			return false
		}
	}
	return true
}

// waitUntil polls cond until it holds or limit passes.
func waitUntil(t *testing.T, what string, limit time.Duration, cond func() (bool, string)) time.Time {
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		ok, why := cond()
		if ok {
			return time.Now()
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s: %s", what, limit, why)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
