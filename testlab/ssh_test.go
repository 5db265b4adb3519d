package testlab

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

func (l *testLab) sshConfig(t *testing.T, auth ssh.AuthMethod) *ssh.ClientConfig {
	t.Helper()
	cb, err := knownhosts.New(filepath.Join(l.dir, KnownHostsFile))
	if err != nil {
		t.Fatal(err)
	}
	return &ssh.ClientConfig{User: "admin", Auth: []ssh.AuthMethod{auth}, HostKeyCallback: cb, Timeout: 5 * time.Second}
}

func TestSSHAuthAndHostKeys(t *testing.T) {
	snap := smallNet(t, 6)
	l := startTestLab(t, snap, BootstrapBase)
	d0, d1 := l.order[0], l.order[1]
	addr0 := hostPort(d0.Addr(), l.plan.Ports.SSH)

	// Password, then the lab's key, both verified against known_hosts.
	c, err := ssh.Dial("tcp", addr0, l.sshConfig(t, ssh.Password(l.password)))
	if err != nil {
		t.Fatalf("password login: %v", err)
	}
	sess, _ := c.NewSession()
	out, err := sess.CombinedOutput("show running-config")
	c.Close()
	if err != nil || !strings.Contains(string(out), "hostname "+d0.Name()) {
		t.Errorf("exec show running-config: %v\n%s", err, out)
	}
	key, err := EnsureClientKey(l.dir)
	if err != nil {
		t.Fatal(err)
	}
	c, err = ssh.Dial("tcp", addr0, l.sshConfig(t, ssh.PublicKeys(key)))
	if err != nil {
		t.Fatalf("public key login: %v", err)
	}
	sess, _ = c.NewSession()
	if out, err := sess.CombinedOutput("show bgp sumary"); err == nil || !strings.Contains(string(out), "% Unknown command: show bgp sumary") {
		t.Errorf("exec of a typo: err %v, output %q; want exit status 1 and FRR's error", err, out)
	}
	c.Close()

	if _, err := ssh.Dial("tcp", addr0, l.sshConfig(t, ssh.Password("wrong"))); err == nil {
		t.Error("login with a wrong password succeeded")
	}
	// Device 1's address with device 0's known_hosts line: a key mismatch.
	line, _ := os.ReadFile(filepath.Join(l.dir, KnownHostsFile))
	first := strings.SplitN(string(line), "\n", 2)[0]
	spoof := strings.Replace(first, d0.Addr().String(), d1.Addr().String(), 1)
	kh := filepath.Join(t.TempDir(), "known_hosts")
	os.WriteFile(kh, []byte(spoof+"\n"), 0o600)
	cb, _ := knownhosts.New(kh)
	cfg := &ssh.ClientConfig{User: "admin", Auth: []ssh.AuthMethod{ssh.Password(l.password)}, HostKeyCallback: cb, Timeout: 5 * time.Second}
	if _, err := ssh.Dial("tcp", hostPort(d1.Addr(), l.plan.Ports.SSH), cfg); err == nil {
		t.Error("device 1 accepted under device 0's host key: keys are not per device")
	}
}

// TestSSHInteractiveTerminal drives the shell as a terminal does: the
// banner, echo of what is typed, CRLF line ends, prompts per mode.
func TestSSHInteractiveTerminal(t *testing.T) {
	snap := smallNet(t, 6)
	l := startTestLab(t, snap, BootstrapBase)
	d := l.order[0]
	c, err := ssh.Dial("tcp", hostPort(d.Addr(), l.plan.Ports.SSH), l.sshConfig(t, ssh.Password(l.password)))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	sess, _ := c.NewSession()
	if err := sess.RequestPty("xterm", 40, 200, ssh.TerminalModes{}); err != nil {
		t.Fatal(err)
	}
	in, _ := sess.StdinPipe()
	var buf syncBuffer
	sess.Stdout = &buf
	if err := sess.Shell(); err != nil {
		t.Fatal(err)
	}
	expect := func(want string) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for time.Now().Before(deadline) {
			if strings.Contains(buf.String(), want) {
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
		t.Fatalf("terminal never showed %q; got:\n%q", want, buf.String())
	}
	expect("Hello, this is FRRouting (version 8.4.4).\r\n")
	expect(d.Name() + "# ")
	in.Write([]byte("configure terminal\r"))
	expect("configure terminal\r\n" + d.Name() + "(config)# ")
	in.Write([]byte("router bgp 65000\r"))
	expect(d.Name() + "(config-router)# ")
	in.Write([]byte("address-family ipv4 unicast\r"))
	expect(d.Name() + "(config-router-af)# ")
	in.Write([]byte("end\rexit\r"))
	done := make(chan error, 1)
	go func() { done <- sess.Wait() }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("exit did not end the session")
	}
	if run := d.Running().Config(); run.BGP == nil || run.BGP.ASN != 65000 {
		t.Error("router bgp typed at the terminal is not in the running config")
	}
}
