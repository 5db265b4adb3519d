package testlab

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/crypto/ssh"
)

// Files in a lab's state directory.
const (
	seedFile       = "hostkey.seed"
	KnownHostsFile = "known_hosts"
	ClientKeyFile  = "id_ed25519"
	PasswordFile   = "password"
)

// hostKeys derives each device's SSH host key from one random seed kept in
// the lab directory: keys are stable across "lab down" and "lab up" (so
// known_hosts stays valid), unique per lab, and cost one file, not one per
// device.
type hostKeys struct{ seed []byte }

func loadHostKeys(dir string) (*hostKeys, error) {
	p := filepath.Join(dir, seedFile)
	seed, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		seed = make([]byte, 32)
		if _, err := rand.Read(seed); err != nil {
			return nil, fmt.Errorf("host key seed: %w", err)
		}
		if err := os.WriteFile(p, seed, 0o600); err != nil {
			return nil, fmt.Errorf("host key seed: %w", err)
		}
	} else if err != nil {
		return nil, fmt.Errorf("host key seed: %w", err)
	}
	if len(seed) != 32 {
		return nil, fmt.Errorf("host key seed %s: %d bytes, want 32", p, len(seed))
	}
	return &hostKeys{seed: seed}, nil
}

// signer returns the host key of a device.
func (k *hostKeys) signer(device string) (ssh.Signer, error) {
	h := sha256.Sum256(append(append([]byte{}, k.seed...), device...))
	return ssh.NewSignerFromKey(ed25519.NewKeyFromSeed(h[:]))
}

// WriteKnownHosts writes a known_hosts line for every device of the plan,
// under its lab address and port, so ssh and scrapligo verify host keys.
func WriteKnownHosts(dir string, plan *Plan) (string, error) {
	keys, err := loadHostKeys(dir)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	for _, d := range plan.Devices {
		s, err := keys.signer(d.Name)
		if err != nil {
			return "", fmt.Errorf("device %s: host key: %w", d.Name, err)
		}
		host := "[" + d.Addr.String() + "]:" + strconv.Itoa(plan.Ports.SSH)
		b.WriteString(host + " " + strings.TrimSpace(string(ssh.MarshalAuthorizedKey(s.PublicKey()))) + "\n")
	}
	p := filepath.Join(dir, KnownHostsFile)
	if err := os.WriteFile(p, []byte(b.String()), 0o644); err != nil {
		return "", fmt.Errorf("known_hosts: %w", err)
	}
	return p, nil
}

// EnsureClientKey returns the lab's own client key pair, made on first
// use: "tuyau lab" and tests log in with it without touching ~/.ssh.
func EnsureClientKey(dir string) (ssh.Signer, error) {
	p := filepath.Join(dir, ClientKeyFile)
	pemBytes, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		_, priv, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			return nil, err
		}
		blk, err := ssh.MarshalPrivateKey(priv, "tuyau lab client")
		if err != nil {
			return nil, err
		}
		pemBytes = pemEncode(blk.Type, blk.Bytes)
		if err := os.WriteFile(p, pemBytes, 0o600); err != nil {
			return nil, fmt.Errorf("client key: %w", err)
		}
		s, err := ssh.ParsePrivateKey(pemBytes)
		if err != nil {
			return nil, err
		}
		pub := ssh.MarshalAuthorizedKey(s.PublicKey())
		if err := os.WriteFile(p+".pub", pub, 0o644); err != nil {
			return nil, fmt.Errorf("client key: %w", err)
		}
		return s, nil
	} else if err != nil {
		return nil, fmt.Errorf("client key: %w", err)
	}
	return ssh.ParsePrivateKey(pemBytes)
}

// EnsurePassword returns the lab password, made random on first use and
// kept in a 0600 file: never printed, never in the inventory.
func EnsurePassword(dir string) (string, error) {
	p := filepath.Join(dir, PasswordFile)
	b, err := os.ReadFile(p)
	if err == nil {
		return strings.TrimSpace(string(b)), nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("lab password: %w", err)
	}
	raw := make([]byte, 12)
	if _, err := rand.Read(raw); err != nil {
		return "", err
	}
	pw := fmt.Sprintf("%x", raw)
	if err := os.WriteFile(p, []byte(pw+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("lab password: %w", err)
	}
	return pw, nil
}

// hostPort joins a lab address and port.
func hostPort(addr fmt.Stringer, port int) string {
	return net.JoinHostPort(addr.String(), strconv.Itoa(port))
}
