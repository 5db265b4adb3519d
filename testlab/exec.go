package testlab

import (
	"context"
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// Exec runs one CLI command on a device of a running lab over SSH, as
// "ssh DEVICE 'COMMAND'" would: with the lab's client key, the host key
// checked against the lab's known_hosts. FRR's error text comes back in
// the output with a non-nil error.
func Exec(ctx context.Context, root, name, device, command string) (string, error) {
	dir := filepath.Join(root, name)
	st, err := readState(dir)
	if err != nil {
		return "", fmt.Errorf("lab %s: %w", name, err)
	}
	dp, ok := st.Plan.Device(device)
	if !ok {
		return "", fmt.Errorf("lab %s: device %s: %w", name, device, ErrUnknown)
	}
	key, err := EnsureClientKey(dir)
	if err != nil {
		return "", err
	}
	hk, err := knownhosts.New(st.KnownHosts())
	if err != nil {
		return "", fmt.Errorf("lab %s: %w", name, err)
	}
	cfg := &ssh.ClientConfig{User: st.User, Auth: []ssh.AuthMethod{ssh.PublicKeys(key)}, HostKeyCallback: hk, Timeout: 10 * time.Second}
	addr := hostPort(dp.Addr, st.Plan.Ports.SSH)
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return "", fmt.Errorf("device %s (%s): %w", device, addr, err)
	}
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	} else {
		conn.SetDeadline(time.Now().Add(time.Minute))
	}
	c, chans, reqs, err := ssh.NewClientConn(conn, addr, cfg)
	if err != nil {
		conn.Close()
		return "", fmt.Errorf("device %s (%s): %w", device, addr, err)
	}
	client := ssh.NewClient(c, chans, reqs)
	defer client.Close()
	sess, err := client.NewSession()
	if err != nil {
		return "", fmt.Errorf("device %s: %w", device, err)
	}
	defer sess.Close()
	// CombinedOutput serializes the stdout and stderr copies into one
	// buffer; sharing a bytes.Buffer between them loses output.
	out, err := sess.CombinedOutput(command)
	var exit *ssh.ExitError
	if errors.As(err, &exit) {
		return string(out), fmt.Errorf("device %s: %q: exit status %d", device, command, exit.ExitStatus())
	}
	if err != nil {
		return string(out), fmt.Errorf("device %s: %w", device, err)
	}
	return string(out), nil
}
