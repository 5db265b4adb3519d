package netns

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"

	"github.com/tuyau-net/tuyau/inventory"
	"github.com/tuyau-net/tuyau/provisioning/sshcli"
)

// TestLab brings up the generated network with the full BGP config and
// drives it as the product would: BGP to Established, SSH with an
// independent client and with the provisioning transport, faults.
func TestLab(t *testing.T) {
	requireRoot(t)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	snap := smallNetwork(t)
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	sshPub, _ := ssh.NewPublicKey(pub)
	const password = "lab-secret"
	stateDir := t.TempDir()
	start := time.Now()
	lab, err := Up(ctx, snap, Options{Name: "tlab", StateDir: stateDir, Config: ConfigBGP, Password: password,
		AuthorizedKeys: ssh.MarshalAuthorizedKey(sshPub), Log: testLog(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("up: %d devices, %d links in %v", len(lab.State().Devices), len(lab.State().Links), time.Since(start).Round(time.Millisecond))
	downDone := false
	t.Cleanup(func() {
		if !downDone {
			if err := Down(context.Background(), lab.StatePath()); err != nil {
				t.Errorf("down: %v", err)
			}
		}
	})
	sessions := labSessions(snap)

	t.Run("name-taken", func(t *testing.T) {
		_, err := Up(ctx, snap, Options{Name: "tlab", StateDir: stateDir, Password: "x"})
		if !errors.Is(err, ErrLabExists) {
			t.Errorf("second Up with the same name = %v, want ErrLabExists", err)
		}
		_, err = Up(ctx, snap, Options{Name: "tlab", StateDir: t.TempDir(), Password: "x"})
		if !errors.Is(err, ErrLabExists) {
			t.Errorf("second Up with the same name elsewhere = %v, want ErrLabExists", err)
		}
	})

	t.Run("bgp-established", func(t *testing.T) {
		took := waitSessions(ctx, t, lab, sessions, 90*time.Second, established)
		t.Logf("all %d devices' lab sessions Established %v after up", len(sessions), took.Round(time.Millisecond))
		st, err := lab.Status(ctx, StatusOptions{BGP: true})
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range st.Devices {
			if !d.Running() || d.MemoryKiB == 0 || len(d.BGP) == 0 || d.Problem != "" {
				t.Errorf("status of %s: processes %v, %d KiB, %d BGP sessions, problem %q", d.Name, d.Processes, d.MemoryKiB, len(d.BGP), d.Problem)
			}
		}
	})

	t.Run("routes-propagate", func(t *testing.T) {
		// Every loopback reaches the route reflector: members' over eBGP
		// then iBGP, POPs' over OSPF.
		rr := snap.Devices[0]
		var missing []string
		deadline := time.Now().Add(30 * time.Second)
		for {
			out, err := lab.Vtysh(ctx, rr.Name, "show ip route")
			if err != nil {
				t.Fatal(err)
			}
			missing = missing[:0]
			for _, d := range snap.Devices[1:] {
				if !strings.Contains(out, d.Loopback.String()+"/32") {
					missing = append(missing, d.Name)
				}
			}
			if len(missing) == 0 {
				return
			}
			if time.Now().After(deadline) {
				bgp, _ := lab.Vtysh(ctx, rr.Name, "show bgp ipv4 unicast")
				pop, _ := lab.Vtysh(ctx, snap.Devices[2].Name, "show bgp ipv4 unicast", "show bgp summary")
				t.Fatalf("%s has no route to the loopbacks of %v:\n%s\n%s\n%s", rr.Name, missing, out, bgp, pop)
			}
			time.Sleep(500 * time.Millisecond)
		}
	})

	t.Run("transit", func(t *testing.T) {
		// Each core router's transit session comes up with the lab's
		// transit router, which sends a default route and receives the
		// hosting prefixes.
		for _, c := range snap.Circuits {
			var peer string
			for _, d := range snap.Devices {
				if d.Name == c.A.Device {
					for _, n := range d.BGPSessions {
						if n.Role == inventory.BGPTransit {
							peer = n.PeerAddress.String()
						}
					}
				}
			}
			waitSessions(ctx, t, lab, map[string][]string{c.A.Device: {peer}}, 60*time.Second, established)
			provider := strings.ToLower(c.ID) + "-peer"
			deadline := time.Now().Add(30 * time.Second)
			for {
				core, err := lab.Vtysh(ctx, c.A.Device, "show ip route 0.0.0.0/0")
				if err != nil {
					t.Fatal(err)
				}
				prov, err := lab.Vtysh(ctx, provider, "show ip route")
				if err != nil {
					t.Fatal(err)
				}
				if strings.Contains(core, `Known via "bgp"`) && strings.Contains(prov, "198.51.100.0/24") {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("%s: no default route from %s, or no hosting prefix at %s:\n%s\n%s", c.A.Device, provider, provider, core, prov)
				}
				time.Sleep(500 * time.Millisecond)
			}
		}
	})

	dev := snap.Devices[2]
	ssh22 := lab.Targets()[dev.Name]
	t.Run("ssh-password", func(t *testing.T) {
		hk, err := knownhosts.New(lab.KnownHosts())
		if err != nil {
			t.Fatal(err)
		}
		cfg := &ssh.ClientConfig{User: lab.User(), Auth: []ssh.AuthMethod{ssh.Password(password)}, HostKeyCallback: hk, Timeout: 10 * time.Second}
		c, err := ssh.Dial("tcp", ssh22, cfg)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		out := sshRun(t, c, "show running-config")
		if !strings.Contains(out, "hostname "+dev.Name+"\n") {
			t.Errorf("show running-config over ssh lacks hostname %s:\n%s", dev.Name, out)
		}
		sshRun(t, c, "configure terminal\ninterface lo\ndescription set over ssh\nend")
		run, err := lab.Vtysh(ctx, dev.Name, "show running-config")
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(run, " description set over ssh\n") {
			t.Errorf("config change over ssh not in running config:\n%s", run)
		}
		// write memory saves it where the router boots from.
		sshRun(t, c, "write memory")
		saved, err := os.ReadFile(filepath.Join(frrEtc, lab.State().device(dev.Name).Pathspace, "frr.conf"))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(saved), " description set over ssh\n") {
			t.Errorf("write memory over ssh did not save the change:\n%s", saved)
		}
	})

	t.Run("ssh-key-and-refusals", func(t *testing.T) {
		hk, err := knownhosts.New(lab.KnownHosts())
		if err != nil {
			t.Fatal(err)
		}
		cfg := &ssh.ClientConfig{User: lab.User(), Auth: []ssh.AuthMethod{ssh.PublicKeys(signer)}, HostKeyCallback: hk, Timeout: 10 * time.Second}
		c, err := ssh.Dial("tcp", ssh22, cfg)
		if err != nil {
			t.Fatal(err)
		}
		if out := sshRun(t, c, "show version"); !strings.Contains(out, "FRRouting") {
			t.Errorf("show version over ssh: %q", out)
		}
		c.Close()
		bad := *cfg
		bad.Auth = []ssh.AuthMethod{ssh.Password("wrong")}
		if c, err := ssh.Dial("tcp", ssh22, &bad); err == nil {
			c.Close()
			t.Error("login with a wrong password succeeded")
		}
		// Another device's key under this address must be refused.
		other := lab.Targets()[snap.Devices[3].Name]
		hkOther, _ := knownhosts.New(lab.KnownHosts())
		wrong := *cfg
		wrong.HostKeyCallback = func(host string, remote net.Addr, key ssh.PublicKey) error {
			return hkOther(other, remote, key)
		}
		if c, err := ssh.Dial("tcp", ssh22, &wrong); err == nil {
			c.Close()
			t.Error("a host key checked against another device's entry was accepted")
		}
	})

	t.Run("sshcli-scrapligo", func(t *testing.T) {
		d := &sshcli.Dialer{KnownHosts: lab.KnownHosts(), Targets: lab.Targets(), Timeout: 20 * time.Second,
			Credentials: sshcli.Credentials{Username: lab.User(), Password: password}}
		conn, err := d.Dial(ctx, dev, "ssh")
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		run, err := conn.Running(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(run), "router bgp "+strconv.FormatUint(uint64(dev.ASN), 10)) {
			t.Errorf("running config through scrapligo lacks router bgp %d:\n%s", dev.ASN, run)
		}
	})

	// A member homed on one POP only: cutting its uplink isolates it.
	var member *inventory.Device
	var uplink Link
	for i := range snap.Devices {
		d := &snap.Devices[i]
		if d.Role != inventory.RoleMember {
			continue
		}
		if ls := linksOf(lab.State(), d.Name); len(ls) == 1 {
			member, uplink = d, ls[0]
			break
		}
	}
	if member == nil {
		t.Fatal("the generated network has no single-homed member")
	}
	pop := uplink.A.Device
	if pop == member.Name {
		pop = uplink.B.Device
	}
	memberSessions := map[string][]string{member.Name: sessions[member.Name]}

	t.Run("cut-cable", func(t *testing.T) {
		trunk := uplink.Cables[len(uplink.Cables)/2] // the outside-plant cable between the two patch cords
		down, err := lab.Cut(ctx, trunk)
		if err != nil {
			t.Fatal(err)
		}
		if len(down) != 1 || down[0].String() != uplink.String() {
			t.Fatalf("Cut(%s) took down %v, want [%v]", trunk, down, uplink)
		}
		st, err := lab.Status(ctx, StatusOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for _, ls := range st.Links {
			if ls.String() == uplink.String() && (ls.Want != "down" || ls.OperA == "UP" || ls.OperB == "UP") {
				t.Errorf("after cut, link %v: want %s, oper %s/%s", ls.Link, ls.Want, ls.OperA, ls.OperB)
			}
		}
		waitSessions(ctx, t, lab, memberSessions, 20*time.Second, func(_, _, s string) bool { return s != "Established" })
		// FRR sees what a router sees on a fiber cut: the port is still
		// enabled, the line protocol is down.
		end := uplink.A
		if end.Device != member.Name {
			end = uplink.B
		}
		out, err := lab.Vtysh(ctx, member.Name, "show interface "+end.Ifname)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(out, "is up, line protocol is down") {
			t.Errorf("%s after the cut:\n%s", end.Ifname, out)
		}
		if err := lab.Restore(ctx, Fault{Cable: trunk}); err != nil {
			t.Fatal(err)
		}
		took := waitSessions(ctx, t, lab, memberSessions, 60*time.Second, established)
		t.Logf("%s's session back %v after restore", member.Name, took.Round(time.Millisecond))
	})

	t.Run("kill-device", func(t *testing.T) {
		if err := lab.Kill(ctx, member.Name); err != nil {
			t.Fatal(err)
		}
		st, err := lab.Status(ctx, StatusOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range st.Devices {
			if d.Name == member.Name && (!d.Killed || len(d.Processes) != 0) {
				t.Errorf("killed %s: killed=%v processes %v", d.Name, d.Killed, d.Processes)
			}
		}
		popSide := map[string][]string{pop: {}}
		for _, n := range snap.Devices {
			if n.Name == pop {
				for _, s := range n.BGPSessions {
					if s.PeerDevice == member.Name {
						popSide[pop] = append(popSide[pop], s.PeerAddress.String())
					}
				}
			}
		}
		waitSessions(ctx, t, lab, popSide, 20*time.Second, func(_, _, s string) bool { return s != "Established" })
		if err := lab.Restore(ctx, Fault{Device: member.Name}); err != nil {
			t.Fatal(err)
		}
		took := waitSessions(ctx, t, lab, popSide, 60*time.Second, established)
		t.Logf("%s's session to %s back %v after restore", pop, member.Name, took.Round(time.Millisecond))
	})

	t.Run("cut-srlg", func(t *testing.T) {
		var srlg string
		for _, groups := range lab.State().Cables {
			if len(groups) > 0 {
				srlg = groups[0]
				break
			}
		}
		down, err := lab.CutSRLG(ctx, srlg)
		if err != nil {
			t.Fatal(err)
		}
		if len(down) == 0 {
			t.Fatalf("CutSRLG(%s) took no link down", srlg)
		}
		if err := lab.Restore(ctx, Fault{}); err != nil {
			t.Fatal(err)
		}
		// The kernel reports carrier changes asynchronously (linkwatch).
		var bad []string
		for deadline := time.Now().Add(10 * time.Second); ; {
			st, err := lab.Status(ctx, StatusOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if len(st.Faults.Cables)+len(st.Faults.Devices) != 0 {
				t.Fatalf("faults left after restoring all: %+v", st.Faults)
			}
			bad = bad[:0]
			for _, ls := range st.Links {
				if ls.Want != "up" || ls.OperA != "UP" || ls.OperB != "UP" {
					bad = append(bad, fmt.Sprintf("%v: want %s, oper %s/%s", ls.Link, ls.Want, ls.OperA, ls.OperB))
				}
			}
			if len(bad) == 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("after restore: %v", bad)
			}
			time.Sleep(200 * time.Millisecond)
		}
	})

	t.Run("down-removes-everything", func(t *testing.T) {
		s := lab.State()
		downDone = true
		if err := Down(ctx, lab.StatePath()); err != nil {
			t.Fatal(err)
		}
		assertGone(t, s, lab.StatePath())
	})
}
