package netns

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

const (
	frrEtc = "/etc/frr"
	frrRun = "/var/run/frr"
)

// frrDaemons are the daemons each router runs under watchfrr.
var frrDaemons = []string{"zebra", "bgpd", "ospfd", "staticd", "bfdd"}

// writeFRRFiles writes the pathspace's daemons, frr.conf and vtysh.conf
// with the ownership the Debian package gives /etc/frr.
func writeFRRFiles(d *Device, lab, conf, user string) error {
	uid, gid, err := ids("frr", "frr")
	if err != nil {
		return err
	}
	_, vtyGid, err := ids("frr", "frrvty")
	if err != nil {
		return err
	}
	dir := filepath.Join(frrEtc, d.Pathspace)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("device %s: %w", d.Name, err)
	}
	files := []struct {
		name, body string
		gid        int
	}{
		{"daemons", daemonsFile(), gid},
		{"frr.conf", conf, gid},
		{"vtysh.conf", vtyshConf(d.Hostname, user), vtyGid},
		{labMarker, lab + "\n", gid},
	}
	for _, f := range files {
		p := filepath.Join(dir, f.name)
		// frr.conf is group-writable so the lab user's `write memory`
		// (vtysh writes it directly when watchfrr is not asked) succeeds.
		if err := os.WriteFile(p, []byte(f.body), 0o660); err != nil {
			return fmt.Errorf("device %s: %w", d.Name, err)
		}
		if err := os.Chown(p, uid, f.gid); err != nil {
			return fmt.Errorf("device %s: %w", d.Name, err)
		}
	}
	return os.Chown(dir, uid, gid)
}

func ids(u, g string) (int, int, error) {
	uu, err := user.Lookup(u)
	if err != nil {
		return 0, 0, fmt.Errorf("user %s: %w", u, err)
	}
	gg, err := user.LookupGroup(g)
	if err != nil {
		return 0, 0, fmt.Errorf("group %s: %w", g, err)
	}
	uid, _ := strconv.Atoi(uu.Uid)
	gid, _ := strconv.Atoi(gg.Gid)
	return uid, gid, nil
}

// inNetns runs a command in the device's namespace and in a UTS namespace
// of its own named after the device: FRR and vtysh take the OS hostname.
func inNetns(ctx context.Context, d *Device, command string, args ...string) (string, error) {
	a := append([]string{"netns", "exec", d.Netns, "unshare", "--uts", "sh", "-c",
		`hostname "$1" && shift && exec "$@"`, "sh", d.Hostname, command}, args...)
	return run(ctx, "", "ip", a...)
}

// startFRR starts watchfrr for the device's pathspace the way the Debian
// init script does; watchfrr starts the daemons and restarts them if they die.
func startFRR(ctx context.Context, d *Device) error {
	if _, err := inNetns(ctx, d, "/usr/lib/frr/frrinit.sh", "start", d.Pathspace); err != nil {
		return fmt.Errorf("device %s: start frr: %w", d.Name, err)
	}
	return nil
}

func startSSHD(ctx context.Context, d *Device) error {
	if err := os.MkdirAll("/run/sshd", 0o755); err != nil { // sshd's privilege separation directory
		return fmt.Errorf("device %s: %w", d.Name, err)
	}
	if _, err := inNetns(ctx, d, "/usr/sbin/sshd", "-f", filepath.Join(d.Dir, "sshd_config"),
		"-E", filepath.Join(d.Dir, "sshd.log")); err != nil {
		return fmt.Errorf("device %s: start sshd: %w", d.Name, err)
	}
	return nil
}

// vtysh runs commands in the device's vtysh, as the lab's own back door
// for setup and tests; the product reaches devices over SSH.
func vtysh(ctx context.Context, d *Device, cmds ...string) (string, error) {
	args := []string{"-N", d.Pathspace}
	for _, c := range cmds {
		args = append(args, "-c", c)
	}
	out, err := run(ctx, "", "vtysh", args...)
	if err != nil {
		return out, fmt.Errorf("device %s: %w", d.Name, err)
	}
	return out, nil
}

// waitReady waits until watchfrr reports every daemon up and sshd accepts
// connections on the management address.
func waitReady(ctx context.Context, d *Device) error {
	var last error
	for {
		last = ready(ctx, d)
		if last == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("device %s: not ready: %w (last: %v)", d.Name, ctx.Err(), last)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func ready(ctx context.Context, d *Device) error {
	out, err := vtysh(ctx, d, "show watchfrr")
	if err != nil {
		return err
	}
	for _, dm := range frrDaemons {
		if !daemonUp(out, dm) {
			return fmt.Errorf("%s not up yet", dm)
		}
	}
	c, err := (&net.Dialer{Timeout: time.Second}).DialContext(ctx, "tcp", net.JoinHostPort(d.Mgmt.Addr().String(), "22"))
	if err != nil {
		return err
	}
	return c.Close()
}

// daemonUp reads `show watchfrr`, whose lines look like "  bgpd  Up".
func daemonUp(out, daemon string) bool {
	for _, l := range strings.Split(out, "\n") {
		f := strings.Fields(l)
		if len(f) >= 2 && f[0] == daemon && f[1] == "Up" {
			return true
		}
	}
	return false
}
