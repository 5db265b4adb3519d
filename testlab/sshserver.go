package testlab

import (
	"bufio"
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/tuyau-net/tuyau/testlab/vtysh"
)

// sshServer lands every login in a vtysh session of its device, like an
// FRR box whose login shell is vtysh.
type sshServer struct {
	dev *Device
	cfg *ssh.ServerConfig

	mu    sync.Mutex
	ln    net.Listener
	conns map[net.Conn]bool
	wg    sync.WaitGroup
}

func newSSHServer(d *Device, hostKey ssh.Signer) *sshServer {
	s := &sshServer{dev: d, conns: map[net.Conn]bool{}}
	o := d.lab.opts
	s.cfg = &ssh.ServerConfig{
		PasswordCallback: func(c ssh.ConnMetadata, pw []byte) (*ssh.Permissions, error) {
			if o.Password != "" && c.User() == o.User && subtle.ConstantTimeCompare(pw, []byte(o.Password)) == 1 {
				return nil, nil
			}
			return nil, fmt.Errorf("password rejected for %q", c.User())
		},
		PublicKeyCallback: func(c ssh.ConnMetadata, key ssh.PublicKey) (*ssh.Permissions, error) {
			if c.User() == o.User {
				for _, k := range o.AuthorizedKeys {
					if subtle.ConstantTimeCompare(k.Marshal(), key.Marshal()) == 1 {
						return nil, nil
					}
				}
			}
			return nil, fmt.Errorf("public key rejected for %q", c.User())
		},
		ServerVersion: "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3",
	}
	s.cfg.AddHostKey(hostKey)
	return s
}

func (s *sshServer) listen(ctx context.Context, addr string) error {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("ssh listen: %w", err)
	}
	s.mu.Lock()
	s.ln = ln
	s.mu.Unlock()
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.mu.Lock()
			s.conns[c] = true
			s.mu.Unlock()
			s.wg.Add(1)
			go func() {
				defer s.wg.Done()
				s.serveConn(c)
				s.mu.Lock()
				delete(s.conns, c)
				s.mu.Unlock()
			}()
		}
	}()
	return nil
}

// close stops listening and drops every session, as a power-off does.
func (s *sshServer) close() {
	s.mu.Lock()
	if s.ln != nil {
		s.ln.Close()
		s.ln = nil
	}
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
}

// handshakeTimeout bounds a client that connects and says nothing.
const handshakeTimeout = 10 * time.Second

func (s *sshServer) serveConn(c net.Conn) {
	defer c.Close()
	c.SetDeadline(time.Now().Add(handshakeTimeout))
	sc, chans, reqs, err := ssh.NewServerConn(c, s.cfg)
	if err != nil {
		return
	}
	c.SetDeadline(time.Time{})
	defer sc.Close()
	go ssh.DiscardRequests(reqs)
	for nc := range chans {
		if nc.ChannelType() != "session" {
			nc.Reject(ssh.UnknownChannelType, "only sessions")
			continue
		}
		ch, creqs, err := nc.Accept()
		if err != nil {
			continue
		}
		go s.serveSession(ch, creqs)
	}
}

func (s *sshServer) serveSession(ch ssh.Channel, reqs <-chan *ssh.Request) {
	defer ch.Close()
	pty := false
	for req := range reqs {
		switch req.Type {
		case "pty-req":
			pty = true
			req.Reply(true, nil)
		case "env", "window-change":
			req.Reply(true, nil)
		case "shell":
			req.Reply(true, nil)
			go discard(reqs)
			s.interactive(ch, pty)
			ch.SendRequest("exit-status", false, ssh.Marshal(struct{ Status uint32 }{0}))
			return
		case "exec":
			var p struct{ Command string }
			if err := ssh.Unmarshal(req.Payload, &p); err != nil {
				req.Reply(false, nil)
				continue
			}
			req.Reply(true, nil)
			go discard(reqs)
			status := s.execute(ch, p.Command)
			ch.SendRequest("exit-status", false, ssh.Marshal(struct{ Status uint32 }{status}))
			return
		default:
			req.Reply(false, nil)
		}
	}
}

func discard(reqs <-chan *ssh.Request) {
	for r := range reqs {
		if r.WantReply {
			r.Reply(false, nil)
		}
	}
}

// execute runs "ssh device 'cmd'" like "vtysh -c cmd": one line, or
// several separated by newlines, from enable mode.
func (s *sshServer) execute(ch ssh.Channel, command string) uint32 {
	sess := vtysh.NewSession(s.dev.run, s.dev)
	status := uint32(0)
	for _, line := range strings.Split(command, "\n") {
		out := sess.Exec(context.Background(), line)
		if strings.HasPrefix(out, "%") {
			status = 1
		}
		io.WriteString(ch, out)
	}
	return status
}

const banner = "\nHello, this is FRRouting (version " + vtysh.Version + ").\n" +
	"Copyright 1996-2005 Kunihiro Ishiguro, et al.\n\n"

// interactive runs a vtysh shell. With a terminal it echoes what is typed
// and ends lines with CRLF, as a real one does; scrapligo relies on the
// echo to find where its command's output starts.
func (s *sshServer) interactive(ch ssh.Channel, pty bool) {
	out := func(text string) {
		if pty {
			text = strings.ReplaceAll(text, "\n", "\r\n")
		}
		io.WriteString(ch, text)
	}
	sess := vtysh.NewSession(s.dev.run, s.dev)
	out(banner)
	out(sess.Prompt())
	r := bufio.NewReader(ch)
	var line []byte
	lastCR := false
	for {
		b, err := r.ReadByte()
		if err != nil {
			return
		}
		switch {
		case b == '\n' && lastCR:
			lastCR = false
			continue
		case b == '\r' || b == '\n':
			lastCR = b == '\r'
			if pty {
				io.WriteString(ch, "\r\n")
			}
			out(sess.Exec(context.Background(), string(line)))
			line = line[:0]
			if sess.Closed() {
				return
			}
			out(sess.Prompt())
			continue
		case b == 0x7f || b == 0x08:
			if len(line) > 0 {
				line = line[:len(line)-1]
				if pty {
					io.WriteString(ch, "\b \b")
				}
			}
		case b == 0x03: // Ctrl-C abandons the line
			line = line[:0]
			out("\n" + sess.Prompt())
		case b == 0x1a: // Ctrl-Z is "end"
			line = line[:0]
			sess.Exec(context.Background(), "end")
			out("\n" + sess.Prompt())
		case b == 0x04 && len(line) == 0: // Ctrl-D on an empty line leaves
			if sess.Node() == vtysh.NodeEnable {
				return
			}
			sess.Exec(context.Background(), "end")
			out("\n" + sess.Prompt())
		case b == 0x1b: // drop escape sequences (arrow keys)
			if next, err := r.ReadByte(); err == nil && next == '[' {
				r.ReadByte()
			}
		case b >= 0x20 && b < 0x7f || b >= 0x80:
			line = append(line, b)
			if pty {
				ch.Write([]byte{b})
			}
		}
		lastCR = false
	}
}

var errClosed = errors.New("closed")
