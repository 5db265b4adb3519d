package netns

import (
	"bufio"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/crypto/ssh"
)

// FilesRoot holds each lab's files (host keys, sshd configs, known_hosts)
// in a directory named after the lab. Lab names are unique on a machine
// (namespaces are named after them), and sshd reads some of these files as
// the lab user, so they live in a root-owned, world-traversable place
// rather than under a caller's private state directory.
const FilesRoot = "/run/tuyau/netns"

// hostKey makes an ed25519 host key for a device and returns the public
// key in authorized_keys form.
func hostKey(path string) (ssh.PublicKey, error) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	block, err := ssh.MarshalPrivateKey(priv, "")
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(path, pem.EncodeToMemory(block), 0o600); err != nil {
		return nil, err
	}
	return ssh.NewPublicKey(pub)
}

// knownHostsLine names a device by its management address (what clients
// dial) and by its inventory name.
func knownHostsLine(name, addr string, key ssh.PublicKey) string {
	return name + "," + addr + " " + strings.TrimSpace(string(ssh.MarshalAuthorizedKey(key)))
}

// sshdConfig lands every login in the device's vtysh: an interactive
// session gets the vtysh prompt, `ssh dev 'show version'` runs one command
// (several when separated by newlines, as vtysh -c allows).
func sshdConfig(d *Device, user string, password bool, authKeys string) string {
	yn := map[bool]string{true: "yes", false: "no"}
	return strings.Join([]string{
		"ListenAddress " + net.JoinHostPort(d.Mgmt.Addr().String(), "22"),
		"HostKey " + filepath.Join(d.Dir, "ssh_host_ed25519_key"),
		"PidFile " + filepath.Join(d.Dir, "sshd.pid"),
		"AuthorizedKeysFile " + authKeys,
		"PasswordAuthentication " + yn[password],
		"PubkeyAuthentication yes",
		"KbdInteractiveAuthentication no",
		// PAM's session modules (loginuid, systemd) fail in containers;
		// sshd checks the password against the namespace's shadow itself.
		"UsePAM no",
		"PermitRootLogin no",
		"AllowUsers " + user,
		"StrictModes no",
		"PrintMotd no",
		"PrintLastLog no",
		"X11Forwarding no",
		"AllowTcpForwarding no",
		"AllowAgentForwarding no",
		"PermitUserEnvironment no",
		"MaxStartups 50:30:100",
		`ForceCommand if [ -n "$SSH_ORIGINAL_COMMAND" ]; then exec /usr/bin/vtysh -N ` + d.Pathspace +
			` -c "$SSH_ORIGINAL_COMMAND"; else exec /usr/bin/vtysh -N ` + d.Pathspace + `; fi`,
		"",
	}, "\n")
}

// userFiles are the namespace's /etc/passwd, /etc/group and /etc/shadow:
// the host's with the lab user added, in groups frr and frrvty so vtysh
// reaches the daemons. `ip netns exec` bind-mounts /etc/netns/NS/* over
// /etc, so the host's user database is never touched.
type userFiles struct{ passwd, group, shadow string }

func makeUserFiles(user, hash string) (userFiles, error) {
	var f userFiles
	passwd, err := os.ReadFile("/etc/passwd")
	if err != nil {
		return f, err
	}
	group, err := os.ReadFile("/etc/group")
	if err != nil {
		return f, err
	}
	shadow, err := os.ReadFile("/etc/shadow")
	if err != nil {
		return f, err
	}
	uids, gids := map[int]bool{}, map[int]bool{}
	var pl, gl, sl []string
	for _, line := range lines(passwd) {
		fs := strings.Split(line, ":")
		if len(fs) > 3 {
			if fs[0] == user {
				continue
			}
			n, _ := strconv.Atoi(fs[2])
			uids[n] = true
		}
		pl = append(pl, line)
	}
	for _, line := range lines(group) {
		fs := strings.Split(line, ":")
		if len(fs) == 4 {
			if fs[0] == user {
				continue
			}
			n, _ := strconv.Atoi(fs[2])
			gids[n] = true
			if fs[0] == "frr" || fs[0] == "frrvty" {
				if fs[3] == "" {
					fs[3] = user
				} else {
					fs[3] += "," + user
				}
				line = strings.Join(fs, ":")
			}
		}
		gl = append(gl, line)
	}
	for _, line := range lines(shadow) {
		if strings.HasPrefix(line, user+":") {
			continue
		}
		sl = append(sl, line)
	}
	id := 64200
	for uids[id] || gids[id] {
		id++
	}
	pl = append(pl, fmt.Sprintf("%s:x:%d:%d:tuyau lab user:/:/bin/sh", user, id, id))
	gl = append(gl, fmt.Sprintf("%s:x:%d:", user, id))
	sl = append(sl, fmt.Sprintf("%s:%s:19000:0:99999:7:::", user, hash))
	f.passwd = strings.Join(pl, "\n") + "\n"
	f.group = strings.Join(gl, "\n") + "\n"
	f.shadow = strings.Join(sl, "\n") + "\n"
	return f, nil
}

func lines(b []byte) []string {
	var out []string
	sc := bufio.NewScanner(strings.NewReader(string(b)))
	for sc.Scan() {
		if l := sc.Text(); strings.TrimSpace(l) != "" {
			out = append(out, l)
		}
	}
	return out
}

// passwordHash returns a SHA-512 crypt hash of the password ("*" when
// there is none: no password login, account not locked).
func passwordHash(password string) (string, error) {
	if password == "" {
		return "*", nil
	}
	return sha512Crypt(password, cryptSalt()), nil
}
