package sshcli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"regexp"
	"sync"
	"time"

	"golang.org/x/crypto/ssh"
)

// session is one SSH login whose shell is FRR's vtysh, on a PTY, driven
// on golang.org/x/crypto/ssh directly. A reader goroutine appends what the
// router sends to out and wakes the one waiting for it: waiting costs no
// CPU. (scrapligo, used before, polled its queue every 250 µs and tuyau's
// reads every 1 ms: with 20 routers each waiting for vtysh that was most
// of the client's CPU above OpenSSH's.)
type session struct {
	client *ssh.Client
	sess   *ssh.Session
	in     io.Writer

	mu   sync.Mutex
	out  []byte // read and not yet taken, without CR and ANSI escapes
	rerr error  // why reading stopped
	// more holds a token whenever out grew or reading stopped.
	more chan struct{}
	// prompt is the prompt that ended the last output taken whole: the
	// next command's echo follows it, and was read with it.
	prompt []byte
}

// The PTY is what scrapligo asked for, so vtysh and readline behave as
// they did under it: xterm, 255 rows, 80 columns, echo on.
const (
	ptyTerm      = "xterm"
	ptyRows      = 255
	ptyCols      = 80
	ptyBaudRate  = 115200
	readBufBytes = 32 << 10
)

// login opens the SSH connection, checks the host key with hostKey
// (known_hosts), offering the algorithms it holds for addr, starts the shell on
// a PTY and waits for vtysh's exec prompt. The whole login is bounded by
// timeout: the TCP connect, the handshake and vtysh's start.
func login(ctx context.Context, addr string, hostKey ssh.HostKeyCallback, algos []string, cr Credentials, timeout time.Duration) (*session, error) {
	var auth []ssh.AuthMethod
	if cr.PrivateKey != "" {
		b, err := os.ReadFile(cr.PrivateKey)
		if err != nil {
			return nil, fmt.Errorf("ssh key: %w", err)
		}
		signer, err := ssh.ParsePrivateKey(b)
		if err != nil {
			return nil, fmt.Errorf("ssh key %s: %w", cr.PrivateKey, err)
		}
		auth = append(auth, ssh.PublicKeys(signer))
	}
	if cr.Password != "" {
		pw := cr.Password
		auth = append(auth, ssh.Password(pw), ssh.KeyboardInteractive(func(_, _ string, qs []string, _ []bool) ([]string, error) {
			a := make([]string, len(qs))
			for i := range a {
				a[i] = pw
			}
			return a, nil
		}))
	}
	cfg := &ssh.ClientConfig{User: cr.Username, Auth: auth, HostKeyCallback: hostKey, HostKeyAlgorithms: algos, Timeout: timeout}

	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var nd net.Dialer
	conn, err := nd.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	// The handshake has no context: a deadline on the socket bounds it,
	// and cancellation closes the socket.
	dl, _ := ctx.Deadline()
	_ = conn.SetDeadline(dl)
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	s, err := start(ctx, conn, addr, cfg)
	stopped := stop()
	switch {
	case err != nil && ctx.Err() != nil:
		conn.Close()
		return nil, fmt.Errorf("%w (%v)", ctx.Err(), err)
	case err != nil:
		conn.Close()
		return nil, err
	case !stopped:
		s.close()
		return nil, ctx.Err()
	}
	_ = conn.SetDeadline(time.Time{})
	return s, nil
}

func start(ctx context.Context, conn net.Conn, addr string, cfg *ssh.ClientConfig) (*session, error) {
	c, chans, reqs, err := ssh.NewClientConn(conn, addr, cfg)
	if err != nil {
		return nil, err
	}
	client := ssh.NewClient(c, chans, reqs)
	sess, err := client.NewSession()
	if err != nil {
		client.Close()
		return nil, err
	}
	s := &session{client: client, sess: sess, more: make(chan struct{}, 1)}
	fail := func(err error) (*session, error) {
		s.close()
		return nil, err
	}
	if s.in, err = sess.StdinPipe(); err != nil {
		return fail(err)
	}
	stdout, err := sess.StdoutPipe()
	if err != nil {
		return fail(err)
	}
	modes := ssh.TerminalModes{ssh.ECHO: 1, ssh.TTY_OP_ISPEED: ptyBaudRate, ssh.TTY_OP_OSPEED: ptyBaudRate}
	if err := sess.RequestPty(ptyTerm, ptyRows, ptyCols, modes); err != nil {
		return fail(fmt.Errorf("pty: %w", err))
	}
	if err := sess.Shell(); err != nil {
		return fail(fmt.Errorf("shell: %w", err))
	}
	go s.read(stdout)
	// No pager, whatever VTYSH_PAGER the login has: typed ahead, so the
	// login waits for vtysh once. Before vtysh's readline starts, the PTY
	// echoes the line bare; readline then shows it after its prompt, and
	// that line, then a prompt alone, say vtysh took it.
	const noPager = "terminal length 0"
	if err := s.write([]byte(noPager + "\n")); err != nil {
		return fail(err)
	}
	var out []byte
	all, err := s.until(ctx, func(b []byte) bool {
		var ok bool
		out, ok = commandOutput(b, noPager)
		return ok
	})
	if err != nil {
		return fail(fmt.Errorf("no vtysh prompt: %w", err))
	}
	s.prompt = append([]byte(nil), lastLine(all)...)
	if l := bytes.TrimSpace(out); len(l) > 0 {
		return fail(fmt.Errorf("%s: %s", noPager, l))
	}
	return s, nil
}

// ansi is an escape sequence: readline's bracketed-paste switches wrap
// every prompt ("\x1b[?2004h"), and none belongs in config text.
var ansi = regexp.MustCompile(`\x1b(\[[0-9;?]*[ -/]*[@-~]|[@-Z\\-_])`)

// read appends what the router sends to out until the session ends.
func (s *session) read(r io.Reader) {
	buf := make([]byte, readBufBytes)
	var held []byte // an escape sequence cut at the end of a read
	for {
		n, err := r.Read(buf)
		if n > 0 {
			b := append(held, buf[:n]...)
			held = nil
			if i := bytes.LastIndexByte(b, 0x1b); i >= 0 && !ansi.Match(b[i:]) && len(b)-i < 16 {
				held = append([]byte(nil), b[i:]...)
				b = b[:i]
			}
			b = bytes.ReplaceAll(b, []byte("\r"), nil)
			if bytes.IndexByte(b, 0x1b) >= 0 {
				b = ansi.ReplaceAll(b, nil)
			}
			s.mu.Lock()
			s.out = append(s.out, b...)
			s.mu.Unlock()
			s.wake()
		}
		if err != nil {
			s.mu.Lock()
			s.rerr = err
			s.mu.Unlock()
			s.wake()
			return
		}
	}
}

func (s *session) wake() {
	select {
	case s.more <- struct{}{}:
	default:
	}
}

// next waits for output and returns all of it read so far.
func (s *session) next(ctx context.Context) ([]byte, error) {
	for {
		s.mu.Lock()
		b, err := s.out, s.rerr
		s.out = nil
		s.mu.Unlock()
		if len(b) > 0 {
			return b, nil
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				return nil, errors.New("session closed by the device")
			}
			return nil, err
		}
		select {
		case <-s.more:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// until reads until done holds for everything read, and returns it.
func (s *session) until(ctx context.Context, done func([]byte) bool) ([]byte, error) {
	var have []byte
	for {
		b, err := s.next(ctx)
		if err != nil {
			return have, err
		}
		have = append(have, b...)
		if done(have) {
			return have, nil
		}
	}
}

func (s *session) write(b []byte) error {
	_, err := s.in.Write(b)
	return err
}

// close ends the session; a read waiting on it returns an error.
func (s *session) close() error {
	s.sess.Close()
	return s.client.Close()
}

// lastLine is what follows b's last newline.
func lastLine(b []byte) []byte {
	return b[bytes.LastIndexByte(b, '\n')+1:]
}
