package sshcli

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// ErrUnknownHost is returned for a host absent from known_hosts when trust
// on first use is off.
var ErrUnknownHost = errors.New("host key not in known_hosts (use --trust-on-first-use to record it)")

// hostKeys manages the known_hosts file: the check of every login's host
// key and, when allowed, recording a first-seen key.
type hostKeys struct {
	path string
	tofu bool
	mu   sync.Mutex
	// db is the file parsed once for all logins (nil: not yet, or
	// a first-used key was added since); probe asks it which keys it
	// holds for a host.
	db    ssh.HostKeyCallback
	probe ssh.PublicKey
}

// load parses the file unless it is parsed already; h.mu is held. An
// absent file is nil, nil.
func (h *hostKeys) load() (ssh.HostKeyCallback, error) {
	if h.db != nil {
		return h.db, nil
	}
	if _, err := os.Stat(h.path); errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	cb, err := knownhosts.New(h.path)
	if err != nil {
		return nil, fmt.Errorf("known_hosts %s: %w", h.path, err)
	}
	h.db = cb
	return cb, nil
}

// callback checks a login's host key against the file.
func (h *hostKeys) callback() (ssh.HostKeyCallback, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	cb, err := h.load()
	if err == nil && cb == nil {
		err = fmt.Errorf("known_hosts %s: %w", h.path, os.ErrNotExist)
	}
	return cb, err
}

// algorithms returns the key types known_hosts holds for addr, so the
// handshake asks for a key it can check instead of failing on an RSA key
// when only ed25519 is recorded. Empty means the host is unknown. It asks
// knownhosts itself with a throwaway key: the KeyError lists the keys it
// knows, hashed entries and patterns included.
func (h *hostKeys) algorithms(addr string) ([]string, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	cb, err := h.load()
	if cb == nil || err != nil {
		return nil, err
	}
	if h.probe == nil {
		pub, _, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			return nil, err
		}
		if h.probe, err = ssh.NewPublicKey(pub); err != nil {
			return nil, err
		}
	}
	probe := h.probe
	host, port, _ := net.SplitHostPort(addr)
	remote := &net.TCPAddr{IP: net.ParseIP(host)}
	remote.Port, _ = strconv.Atoi(port)
	var ke *knownhosts.KeyError
	if err := cb(addr, remote, probe); !errors.As(err, &ke) {
		return nil, nil
	}
	var algos []string
	for _, w := range ke.Want {
		algos = append(algos, algorithmsFor(w.Key.Type())...)
	}
	slices.Sort(algos)
	return slices.Compact(algos), nil
}

func algorithmsFor(keyType string) []string {
	if keyType == ssh.KeyAlgoRSA {
		return []string{ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSASHA256, ssh.KeyAlgoRSA}
	}
	return []string{keyType}
}

// ensure makes sure addr's key is in known_hosts, recording it on first use
// when allowed, and returns the algorithms to offer.
func (h *hostKeys) ensure(ctx context.Context, addr string, timeout time.Duration) ([]string, error) {
	algos, err := h.algorithms(addr)
	if err != nil || len(algos) > 0 {
		return algos, err
	}
	if !h.tofu {
		return nil, fmt.Errorf("%s: %w", addr, ErrUnknownHost)
	}
	key, err := fetchHostKey(ctx, addr, timeout)
	if err != nil {
		return nil, fmt.Errorf("%s: trust on first use: %w", addr, err)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if err := os.MkdirAll(filepath.Dir(h.path), 0o700); err != nil {
		return nil, fmt.Errorf("known_hosts: %w", err)
	}
	f, err := os.OpenFile(h.path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		return nil, fmt.Errorf("known_hosts: %w", err)
	}
	defer f.Close()
	if _, err := fmt.Fprintln(f, knownhosts.Line([]string{knownhosts.Normalize(addr)}, key)); err != nil {
		return nil, fmt.Errorf("known_hosts: %w", err)
	}
	h.db = nil // read again, with the key just added
	return algorithmsFor(key.Type()), nil
}

// fetchHostKey runs a handshake only far enough to see the server's key.
func fetchHostKey(ctx context.Context, addr string, timeout time.Duration) (ssh.PublicKey, error) {
	var got ssh.PublicKey
	errSeen := errors.New("host key seen")
	d := net.Dialer{Timeout: timeout}
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(timeout))
	cfg := &ssh.ClientConfig{User: "tuyau-hostkey", Timeout: timeout,
		HostKeyCallback: func(_ string, _ net.Addr, k ssh.PublicKey) error { got = k; return errSeen }}
	_, _, _, err = ssh.NewClientConn(conn, addr, cfg)
	if got != nil {
		return got, nil
	}
	return nil, err
}
