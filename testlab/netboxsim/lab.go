package netboxsim

import (
	"context"
	"fmt"
	"net"

	"github.com/tuyau-net/tuyau/inventory"
	"github.com/tuyau-net/tuyau/inventory/netbox"
)

// Lab is a simulator listening on a socket, filled with an inventory.
type Lab struct {
	Sim  *Server
	URL  string
	done chan error
}

// StartLab listens on addr ("127.0.0.1:8000", or port 0 for any), creates
// tuyau's custom fields and pushes snap through the real NetBox backend, so
// that what the lab serves is exactly what a push would leave in NetBox.
// It serves until ctx is done; Wait returns then.
func StartLab(ctx context.Context, addr, token string, snap *inventory.Snapshot, opts Options) (*Lab, error) {
	opts.Tokens = append(opts.Tokens, token)
	latency := opts.Latency
	opts.Latency = 0 // filled at full speed, served with the latency asked for
	sim := New(opts)
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("netbox lab: %w", err)
	}
	serveCtx, cancel := context.WithCancel(ctx)
	lab := &Lab{Sim: sim, URL: "http://" + ln.Addr().String(), done: make(chan error, 1)}
	go func() { lab.done <- sim.Serve(serveCtx, ln) }()
	fail := func(err error) (*Lab, error) {
		cancel()
		<-lab.done
		return nil, fmt.Errorf("netbox lab: %w", err)
	}
	nb, err := netbox.New(lab.URL, netbox.WithToken(token), netbox.WithLogger(sim.opts.Logger))
	if err != nil {
		return fail(err)
	}
	if opts.Brownfield != nil {
		// A NetBox filled by hand: no tuyau custom fields, nothing pushed.
		if err := sim.Brownfield(*opts.Brownfield); err != nil {
			return fail(err)
		}
		sim.SetLatency(latency)
		context.AfterFunc(ctx, cancel)
		return lab, nil
	}
	if _, err := nb.Bootstrap(ctx); err != nil {
		return fail(err)
	}
	if snap != nil {
		if _, err := nb.Push(ctx, snap, false, false); err != nil {
			return fail(err)
		}
	}
	sim.SetLatency(latency)
	context.AfterFunc(ctx, cancel)
	return lab, nil
}

// Wait returns when the lab has stopped serving.
func (l *Lab) Wait() error { return <-l.done }
