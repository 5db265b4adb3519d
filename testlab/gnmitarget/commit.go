package gnmitarget

import (
	"context"
	"time"

	gpb "github.com/openconfig/gnmi/proto/gnmi"
	"github.com/openconfig/gnmi/proto/gnmi_ext"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// The commit confirmed extension (openconfig/reference gnmi-commit-confirmed):
// a Set carrying commit{id, rollback_duration} applies at once and is
// rolled back unless a Set carrying confirm{id} arrives in time; cancel{id}
// rolls back at once, set_rollback_duration{id} moves the deadline. One
// commit may be pending at a time, and other Sets are refused with
// FAILED_PRECONDITION until it ends (as the spec says): a rollback over
// changes made since would undo them too. A commit without a
// rollback_duration gets the spec's default of 10 minutes; an action
// naming another id than the pending commit's is INVALID_ARGUMENT, one
// with no commit pending FAILED_PRECONDITION (spec 3.2.2-3.2.4).

// defaultRollback is the spec's window when a commit gives none.
const defaultRollback = 10 * time.Minute

// rollbackDuration is a commit's window: absent or zero (proto3 cannot
// tell them apart once a client fills the message, as gnmic does) means
// the default; a negative one is refused.
func rollbackDuration(c *gnmi_ext.Commit) (time.Duration, error) {
	d := c.GetCommit().GetRollbackDuration().AsDuration()
	switch {
	case d < 0:
		return 0, status.Errorf(codes.InvalidArgument, "commit %s: rollback_duration %s is negative", c.GetId(), d)
	case d == 0:
		return defaultRollback, nil
	}
	return d, nil
}

// pendingCommit is a commit awaiting confirmation.
type pendingCommit struct {
	id     string
	before *configView // the writable config the rollback restores
	timer  *time.Timer
}

func commitExtension(req *gpb.SetRequest) (*gnmi_ext.Commit, error) {
	var c *gnmi_ext.Commit
	for _, e := range req.GetExtension() {
		if ce := e.GetCommit(); ce != nil {
			if c != nil {
				return nil, status.Error(codes.InvalidArgument, "more than one commit extension")
			}
			c = ce
		}
	}
	if c != nil && c.GetId() == "" {
		return nil, status.Error(codes.InvalidArgument, "commit extension without an id")
	}
	return c, nil
}

// checkCommitWindow refuses a Set while another commit awaits its
// confirmation. Callers hold setMu.
func (s *Server) checkCommitWindow(c *gnmi_ext.Commit) error {
	if s.pending == nil {
		if c != nil {
			_, err := rollbackDuration(c)
			return err
		}
		return nil
	}
	return status.Errorf(codes.FailedPrecondition, "commit %s awaits confirmation: confirm or cancel it first", s.pending.id)
}

// armRollback starts the confirmation window of a commit just applied.
// Callers hold setMu.
func (s *Server) armRollback(c *gnmi_ext.Commit, before *configView) {
	p := &pendingCommit{id: c.GetId(), before: before}
	d, _ := rollbackDuration(c) // checked by checkCommitWindow
	p.timer = time.AfterFunc(d, func() { s.expire(p) })
	s.pending = p
	s.log.Info("gnmi commit awaiting confirmation", "target", s.name, "commit", p.id, "rollback_in", d)
}

// commitAction answers a Set carrying confirm, cancel or
// set_rollback_duration. Callers hold setMu.
func (s *Server) commitAction(ctx context.Context, req *gpb.SetRequest, c *gnmi_ext.Commit) (*gpb.SetResponse, error) {
	if len(req.GetDelete())+len(req.GetReplace())+len(req.GetUpdate()) > 0 {
		return nil, status.Errorf(codes.InvalidArgument, "commit %s: confirm, cancel and set_rollback_duration carry no changes", c.GetId())
	}
	p := s.pending
	if p == nil {
		return nil, status.Errorf(codes.FailedPrecondition, "commit %s: no commit awaits confirmation", c.GetId())
	}
	if p.id != c.GetId() {
		return nil, status.Errorf(codes.InvalidArgument, "commit %s is not the pending commit (%s)", c.GetId(), p.id)
	}
	switch {
	case c.GetConfirm() != nil:
		p.timer.Stop()
		s.pending = nil
		s.log.Info("gnmi commit confirmed", "target", s.name, "commit", p.id)
	case c.GetCancel() != nil:
		p.timer.Stop()
		s.pending = nil
		if err := s.rollback(ctx, p); err != nil {
			return nil, err
		}
	case c.GetSetRollbackDuration() != nil:
		d := c.GetSetRollbackDuration().GetRollbackDuration().AsDuration()
		if d <= 0 {
			return nil, status.Errorf(codes.InvalidArgument, "commit %s: rollback_duration must be positive", p.id)
		}
		p.timer.Reset(d)
	default:
		return nil, status.Errorf(codes.InvalidArgument, "commit %s: no action", c.GetId())
	}
	return &gpb.SetResponse{Prefix: req.GetPrefix(), Timestamp: s.now().UnixNano()}, nil
}

// expire rolls back a commit whose window closed unconfirmed.
func (s *Server) expire(p *pendingCommit) {
	s.setMu.Lock()
	defer s.setMu.Unlock()
	if s.pending != p {
		return // confirmed or cancelled while the timer fired
	}
	s.pending = nil
	// The device outlives this RPC and even Serve: roll back regardless.
	ctx := context.WithoutCancel(s.serveCtx)
	if err := s.rollback(ctx, p); err != nil {
		s.log.Error("gnmi commit rollback failed", "target", s.name, "commit", p.id, "err", err)
	}
}

// rollback restores the writable config saved before commit p. Callers
// hold setMu.
func (s *Server) rollback(ctx context.Context, p *pendingCommit) error {
	state, err := s.readState(ctx)
	if err != nil {
		return err
	}
	changes := s.schema.diff(s.schema.view(state), p.before)
	if err := s.apply(ctx, changes); err != nil {
		return err
	}
	s.log.Info("gnmi commit rolled back", "target", s.name, "commit", p.id, "changes", len(changes))
	return nil
}
