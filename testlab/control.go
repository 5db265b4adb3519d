package testlab

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"time"
)

// Request is one command on a lab's control socket: one JSON object per
// connection, answered by one Response.
type Request struct {
	Op     string  `json:"op"` // status, cut, cut-srlg, degrade, errors, load, kill, restore, fail-service, restore-service, shutdown
	Cable  string  `json:"cable,omitempty"`
	SRLG   string  `json:"srlg,omitempty"`
	Device string  `json:"device,omitempty"`
	DB     float64 `json:"db,omitempty"`
	// Errors and Discards are per second (op errors); Percent is the load
	// (op load). Cable names the cable or link for both.
	Errors   float64 `json:"errors,omitempty"`
	Discards float64 `json:"discards,omitempty"`
	Percent  float64 `json:"percent,omitempty"`
	// Site, Service and Mode name the hosting endpoints of ops
	// fail-service and restore-service (Service "" is every service).
	Site    string `json:"site,omitempty"`
	Service string `json:"service,omitempty"`
	Mode    string `json:"mode,omitempty"`
	// Brief asks op status to leave the devices' BGP out (LabStatus.Brief).
	Brief bool `json:"brief,omitempty"`
}

// Response answers a Request.
type Response struct {
	Error  string       `json:"error,omitempty"`
	Result *FaultResult `json:"result,omitempty"`
	Status *LabStatus   `json:"status,omitempty"`
}

// serveControl answers requests on the socket until ctx ends; shutdown is
// called for the shutdown op.
func (l *Lab) serveControl(ctx context.Context, path string, shutdown func()) (func(), error) {
	os.Remove(path)
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "unix", path)
	if err != nil {
		return nil, fmt.Errorf("control socket %s: %w", path, err)
	}
	os.Chmod(path, 0o600)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go l.answer(ctx, c, shutdown)
		}
	}()
	return func() {
		ln.Close()
		<-done
		os.Remove(path)
	}, nil
}

func (l *Lab) answer(ctx context.Context, c net.Conn, shutdown func()) {
	defer c.Close()
	c.SetDeadline(time.Now().Add(2 * time.Minute))
	var req Request
	if err := json.NewDecoder(bufio.NewReader(c)).Decode(&req); err != nil {
		json.NewEncoder(c).Encode(Response{Error: "bad request: " + err.Error()})
		return
	}
	var resp Response
	var res FaultResult
	var err error
	switch req.Op {
	case "status":
		st := l.status(ctx, req.Brief)
		resp.Status = &st
	case "cut":
		res, err = l.Cut(ctx, req.Cable)
	case "cut-srlg":
		res, err = l.CutSRLG(ctx, req.SRLG)
	case "degrade":
		res, err = l.Degrade(ctx, req.Cable, req.DB)
	case "errors":
		res, err = l.InjectErrors(ctx, req.Cable, ErrorRate{Errors: req.Errors, Discards: req.Discards})
	case "load":
		res, err = l.Load(ctx, req.Cable, req.Percent)
	case "kill":
		res, err = l.Kill(ctx, req.Device)
	case "restore":
		res, err = l.Restore(ctx, Target{Cable: req.Cable, SRLG: req.SRLG, Device: req.Device})
	case "fail-service":
		res, err = l.FailService(ctx, req.Site, req.Service, req.Mode)
	case "restore-service":
		res, err = l.RestoreService(ctx, req.Site, req.Service)
	case "shutdown":
		json.NewEncoder(c).Encode(Response{})
		shutdown()
		return
	default:
		err = fmt.Errorf("unknown op %q", req.Op)
	}
	if req.Op != "status" {
		resp.Result = &res
	}
	if err != nil {
		resp.Error = err.Error()
		resp.Result = nil
	}
	json.NewEncoder(c).Encode(resp)
}

// ErrNotRunning is returned when a lab's control socket does not answer.
var ErrNotRunning = errors.New("lab process not running")

// control sends one request to the lab in dir.
func control(ctx context.Context, dir string, req Request) (*Response, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	var d net.Dialer
	c, err := d.DialContext(ctx, "unix", (&State{Dir: dir}).Socket())
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNotRunning, err)
	}
	defer c.Close()
	if dl, ok := ctx.Deadline(); ok {
		c.SetDeadline(dl)
	}
	if err := json.NewEncoder(c).Encode(req); err != nil {
		return nil, fmt.Errorf("control %s: %w", req.Op, err)
	}
	var resp Response
	if err := json.NewDecoder(c).Decode(&resp); err != nil {
		return nil, fmt.Errorf("control %s: %w", req.Op, err)
	}
	if resp.Error != "" {
		return &resp, errors.New(resp.Error)
	}
	return &resp, nil
}
