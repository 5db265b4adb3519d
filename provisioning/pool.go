package provisioning

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/tuyau-net/tuyau/inventory"
)

// Pool keeps sessions open between the steps of one command (plan, then
// apply, then records) so each device is logged in to once: an SSH login
// that starts vtysh costs more than reading the config. A session that
// failed once is closed, never reused.
type Pool struct {
	dial Dialer
	mu   sync.Mutex
	idle map[string][]*pooledConn
	// reuse is how long a running config read on a session may stand in
	// for the next read on that same session; 0 reads every time.
	reuse time.Duration
	now   func() time.Time
	// secrets, when set, redacts what is read and resolves what is pushed.
	secrets *Secrets
}

// RedactSecrets makes the pool the boundary passwords do not cross: every
// config read through it has its passwords replaced by tokens, every push
// has the tokens replaced by the passwords, and the device's answers and
// errors are scrubbed of them (Secrets).
func (p *Pool) RedactSecrets(s *Secrets) { p.secrets = s }

// NewPool wraps a dialer. Close the pool when the command is done.
func NewPool(d Dialer) *Pool { return &Pool{dial: d, idle: map[string][]*pooledConn{}, now: time.Now} }

// ReuseReads lets a running config read on a session answer the next read
// on the same session within d, until the session's first push.
// "tuyau config apply" without a saved plan reads each device to plan and
// at once again to check the plan is not stale: on FRR each read costs the
// router about 8 ms of CPU (vtysh asks every daemon), and the second one, on
// the same login a moment later, only narrows a race the push still has.
// Reads after a push (verify, rollback) always go to the device.
func (p *Pool) ReuseReads(d time.Duration) { p.reuse = d }

// Dial implements Dialer, reusing an idle session to the device.
func (p *Pool) Dial(ctx context.Context, dev inventory.Device, transport string) (Conn, error) {
	key := dev.Name + "\x00" + transport
	p.mu.Lock()
	if l := p.idle[key]; len(l) > 0 {
		c := l[len(l)-1]
		p.idle[key] = l[:len(l)-1]
		p.mu.Unlock()
		c.closed = false
		return c, nil
	}
	p.mu.Unlock()
	c, err := p.dial.Dial(ctx, dev, transport)
	if err != nil {
		return nil, err
	}
	return &pooledConn{Conn: c, pool: p, key: key}, nil
}

// Close closes every idle session.
func (p *Pool) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	var errs []error
	for k, l := range p.idle {
		for _, c := range l {
			errs = append(errs, c.Conn.Close())
		}
		delete(p.idle, k)
	}
	return errors.Join(errs...)
}

type pooledConn struct {
	Conn
	pool   *Pool
	key    string
	broken bool
	closed bool
	// last is the last running config read on this session, at lastAt,
	// kept only until the session's first push: after a push every read
	// (verify, rollback) must see the device.
	last   []byte
	lastAt time.Time
	pushed bool
}

func (c *pooledConn) Running(ctx context.Context) ([]byte, error) {
	if c.last != nil && c.pool.reuse > 0 && c.pool.now().Sub(c.lastAt) < c.pool.reuse {
		b := c.last
		c.last = nil // one reuse per read: a third read goes to the device
		return b, nil
	}
	b, err := c.Conn.Running(ctx)
	b = c.pool.secrets.Redact(b)
	err = c.pool.secrets.scrubErr(err)
	c.broken = c.broken || err != nil
	c.last, c.lastAt = nil, time.Time{}
	if err == nil && !c.pushed {
		c.last, c.lastAt = b, c.pool.now()
	}
	return b, err
}

func (c *pooledConn) Push(ctx context.Context, d Delta) error {
	c.last, c.pushed = nil, true
	cmds, err := c.pool.secrets.Resolve(d.Commands)
	if err != nil {
		return fmt.Errorf("device %s: %w", c.key[:strings.IndexByte(c.key, 0)], err)
	}
	d.Commands = cmds
	err = c.pool.secrets.scrubErr(c.Conn.Push(ctx, d))
	c.broken = c.broken || err != nil
	return err
}

// PushConfirmed passes a confirmed commit through (see confirmsCommits),
// its commands' secrets resolved as Push does.
func (c *pooledConn) PushConfirmed(ctx context.Context, d Delta, id string, window time.Duration) error {
	cc, ok := c.Conn.(CommitConfirmer)
	if !ok {
		return errors.New("transport has no confirmed commit")
	}
	c.last, c.pushed = nil, true
	cmds, err := c.pool.secrets.Resolve(d.Commands)
	if err != nil {
		return fmt.Errorf("device %s: %w", c.key[:strings.IndexByte(c.key, 0)], err)
	}
	d.Commands = cmds
	err = c.pool.secrets.scrubErr(cc.PushConfirmed(ctx, d, id, window))
	c.broken = c.broken || err != nil
	return err
}

// ConfirmCommit passes a commit's confirm through.
func (c *pooledConn) ConfirmCommit(ctx context.Context, id string) error {
	cc, ok := c.Conn.(CommitConfirmer)
	if !ok {
		return errors.New("transport has no confirmed commit")
	}
	c.last = nil
	err := c.pool.secrets.scrubErr(cc.ConfirmCommit(ctx, id))
	c.broken = c.broken || err != nil
	return err
}

// CancelCommit passes a commit's cancel through.
func (c *pooledConn) CancelCommit(ctx context.Context, id string) error {
	cc, ok := c.Conn.(CommitConfirmer)
	if !ok {
		return errors.New("transport has no confirmed commit")
	}
	c.last = nil
	err := c.pool.secrets.scrubErr(cc.CancelCommit(ctx, id))
	c.broken = c.broken || err != nil
	return err
}

// confirmsCommits reports whether c's transport has confirmed commits.
func confirmsCommits(c Conn) (CommitConfirmer, bool) {
	if pc, ok := c.(*pooledConn); ok {
		if _, ok := pc.Conn.(CommitConfirmer); !ok {
			return nil, false
		}
		return pc, true
	}
	cc, ok := c.(CommitConfirmer)
	return cc, ok
}

// Status passes post-check reads through when the session can do them.
func (c *pooledConn) Status(ctx context.Context) (Status, error) {
	sr, ok := c.Conn.(StatusReader)
	if !ok {
		return Status{}, errors.New("transport cannot read status for post-checks")
	}
	st, err := sr.Status(ctx)
	c.broken = c.broken || err != nil
	return st, err
}

// Save passes "write memory" through when the session can do it.
func (c *pooledConn) Save(ctx context.Context) error {
	sv, ok := c.Conn.(Saver)
	if !ok {
		return errNoSave
	}
	err := sv.Save(ctx)
	c.broken = c.broken || err != nil
	return err
}

// Startup passes a startup config read through when the session can do it.
func (c *pooledConn) Startup(ctx context.Context) ([]byte, error) {
	sr, ok := c.Conn.(StartupReader)
	if !ok {
		return nil, ErrNoStartup
	}
	b, err := sr.Startup(ctx)
	b = c.pool.secrets.Redact(b)
	err = c.pool.secrets.scrubErr(err)
	c.broken = c.broken || err != nil && !errors.Is(err, ErrNoStartup)
	return b, err
}

// saves reports whether the connection's transport has a save: changes
// made over it are lost to a restart until saved.
func saves(c Conn) bool {
	if pc, ok := c.(*pooledConn); ok {
		c = pc.Conn
	}
	_, ok := c.(Saver)
	return ok
}

// Close returns a healthy session to the pool.
func (c *pooledConn) Close() error {
	if c.closed {
		return nil
	}
	c.closed = true
	if c.broken {
		return c.Conn.Close()
	}
	c.pool.mu.Lock()
	c.pool.idle[c.key] = append(c.pool.idle[c.key], c)
	c.pool.mu.Unlock()
	return nil
}
