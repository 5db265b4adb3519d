package telemetry

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"slices"
	"time"

	"github.com/openconfig/gnmi/proto/gnmi"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/proto"
)

// DialOptions say how the collector reaches its targets. TLS is the
// default; the credentials go in the per-RPC metadata as gNMI targets
// expect (username, password) and String never shows them.
type DialOptions struct {
	// Insecure disables TLS (labs only).
	Insecure bool
	// CAFile verifies the targets' certificates (the system pool when
	// empty); TLS, when set, is used as is (tests).
	CAFile string
	TLS    *tls.Config
	// Username and Password log in to every target.
	Username, Password string
	// Timeout bounds the wait for a target's first answer (10 s).
	Timeout time.Duration
	// MinBackoff and MaxBackoff bound the jittered exponential wait
	// between reconnection attempts (1 s and 60 s).
	MinBackoff, MaxBackoff time.Duration
}

// String hides the password.
func (o DialOptions) String() string {
	return fmt.Sprintf("tls %t ca %q user %q (password %t)", !o.Insecure, o.CAFile, o.Username, o.Password != "")
}

// GoString hides the password from %#v too.
func (o DialOptions) GoString() string { return o.String() }

func (o DialOptions) withDefaults() DialOptions {
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Second
	}
	if o.MinBackoff <= 0 {
		o.MinBackoff = time.Second
	}
	if o.MaxBackoff < o.MinBackoff {
		o.MaxBackoff = max(60*time.Second, o.MinBackoff)
	}
	return o
}

// transport builds the gRPC transport options once for all targets: the
// credentials and, over TLS, no read buffer of gRPC's own. tls.Conn
// already holds a decrypted record for the reads that follow, so gRPC's
// 32 KiB bufio.Reader above it only copied every byte once more (half of
// the collector's memmove, bench/telemetry/run PROFILE=1 at 200 x 48 at
// 1 s); over plain TCP it saves a read system call per frame and stays.
func (o DialOptions) transport() ([]grpc.DialOption, error) {
	if o.Insecure {
		return []grpc.DialOption{grpc.WithTransportCredentials(insecure.NewCredentials())}, nil
	}
	cfg := o.TLS
	if cfg == nil {
		cfg = &tls.Config{MinVersion: tls.VersionTLS12}
		if o.CAFile != "" {
			pem, err := os.ReadFile(o.CAFile)
			if err != nil {
				return nil, fmt.Errorf("gnmi ca: %w", err)
			}
			cfg.RootCAs = x509.NewCertPool()
			if !cfg.RootCAs.AppendCertsFromPEM(pem) {
				return nil, fmt.Errorf("gnmi ca %s: no certificate found", o.CAFile)
			}
		}
	}
	return []grpc.DialOption{grpc.WithTransportCredentials(credentials.NewTLS(cfg)), grpc.WithReadBufferSize(0)}, nil
}

// session streams one target until its context ends, reconnecting with
// jittered exponential backoff.
type session struct {
	t     Target
	o     DialOptions
	creds []grpc.DialOption // transport: credentials and buffers
	h     *health
	// connected runs when a stream's first message arrives, before its
	// updates are delivered (nil: nothing to do).
	connected func()
	deliver   func([]Update)
	log       *slog.Logger
	now       func() time.Time
	// firstWait is the wait for the first answer: Timeout, doubled after
	// each attempt that got none (up to the stream's staleness bound) so
	// that a target slow to build its initial snapshot, hundreds of them
	// starting at once on a loaded machine, is not cut off and asked again
	// in a loop that only adds to its load.
	firstWait time.Duration
}

// streamWindows are the HTTP/2 flow-control windows a session offers its
// target: 1 MiB for the stream and the connection instead of gRPC's
// 64 KiB, grown by its bandwidth estimate. A 48-port sample is two
// messages of about 30 KB: at 64 KiB the collector sent a WINDOW_UPDATE
// (and the estimate's pings), each TLS-encrypted and written, every 16
// KB received, 3 % of its CPU at 200 x 48 at 10 s (bench/telemetry/run
// PROFILE=1). A window bounds what a target may send ahead of the
// collector's reading; 1 MiB is a few samples.
var streamWindows = []grpc.DialOption{
	grpc.WithInitialWindowSize(1 << 20),
	grpc.WithInitialConnWindowSize(1 << 20),
}

// errStale ends a stream that has been silent longer than its
// subscription allows: a half-open TCP connection would otherwise hold
// the target "connected" forever.
var errStale = errors.New("no message within the subscription's intervals")

func (s *session) run(ctx context.Context) {
	if s.t.Address == "" {
		<-ctx.Done() // shown with its problem; nothing to dial
		return
	}
	backoff := s.o.MinBackoff
	for ctx.Err() == nil {
		began := s.now()
		err := s.stream(ctx)
		if ctx.Err() != nil {
			s.h.disconnected(s.now(), nil)
			return
		}
		s.h.disconnected(s.now(), err)
		s.log.Warn("gnmi stream ended", "target", s.t.Name, "address", s.t.Address, "err", err)
		if s.now().Sub(began) > 2*s.o.MaxBackoff {
			backoff = s.o.MinBackoff // it had been working: start over
		}
		// Full jitter in [backoff/2, backoff): many collectors' targets
		// coming back after an outage do not reconnect in lockstep.
		wait := backoff/2 + rand.N(backoff/2+1)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		backoff = min(2*backoff, s.o.MaxBackoff)
	}
}

// staleAfter is how long a stream may stay silent: three sample
// intervals or two heartbeats, whichever is longer.
func (s *session) staleAfter() time.Duration {
	var d time.Duration
	for _, sub := range s.t.Subscriptions {
		d = max(d, 3*sub.Interval, 2*sub.Heartbeat)
	}
	if d == 0 {
		return 0
	}
	return d + s.o.Timeout
}

func (s *session) stream(ctx context.Context) error {
	req, err := s.t.SubscribeRequest()
	if err != nil {
		return err
	}
	cc, err := grpc.NewClient(s.t.Address, append(slices.Clip(s.creds), streamWindows...)...)
	if err != nil {
		return fmt.Errorf("target %s (%s): %w", s.t.Name, s.t.Address, err)
	}
	defer cc.Close()
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	if s.o.Username != "" {
		ctx = metadata.AppendToOutgoingContext(ctx, "username", s.o.Username, "password", s.o.Password)
	}
	// The watchdog first bounds the wait for the first answer, then the
	// silence between messages.
	stale := s.staleAfter()
	if s.firstWait == 0 {
		s.firstWait = s.o.Timeout
	}
	watchdog := time.AfterFunc(s.firstWait, func() { cancel(errStale) })
	defer watchdog.Stop()
	// The responses come as bytes (frameCodec) for the wire decoder.
	st, err := gnmi.NewGNMIClient(cc).Subscribe(ctx, grpc.ForceCodecV2(frameCodec{}))
	if err != nil {
		return s.cause(ctx, err)
	}
	if err := st.Send(req); err != nil {
		return s.cause(ctx, err)
	}
	dec := NewDecoder(s.t)
	var resp gnmi.SubscribeResponse
	var fr frame
	var ups []Update // reused: the engine does not keep what it is given
	first := true
	for {
		if err := st.RecvMsg(&fr); err != nil {
			if errors.Is(err, io.EOF) {
				err = errors.New("target closed the stream")
			}
			err = s.cause(ctx, err)
			if first && errors.Is(err, errStale) {
				s.firstWait = min(2*s.firstWait, max(stale, s.o.Timeout))
			}
			return err
		}
		now := s.now()
		if first {
			first = false
			s.firstWait = s.o.Timeout
			s.h.connected(now)
			if s.connected != nil {
				s.connected()
			}
		}
		if stale > 0 {
			watchdog.Reset(stale)
		} else {
			watchdog.Stop()
		}
		skipped := dec.Skipped
		var ok bool
		if ups, _, ok = dec.Wire(fr.b, now, ups[:0]); !ok {
			// What the wire decoder declines: the gnmi message, decoded
			// as it always was.
			resp.Reset()
			if err := proto.Unmarshal(fr.b, &resp); err != nil {
				return fmt.Errorf("target %s (%s): response: %w", s.t.Name, s.t.Address, err)
			}
			if e := resp.GetError(); e != nil { //nolint:staticcheck // deprecated, still sent by old targets
				return fmt.Errorf("target error %d: %s", e.GetCode(), e.GetMessage())
			}
			ups, _ = dec.Response(&resp, now, ups[:0])
		}
		fr.shrink()
		s.h.saw(ups, dec.Skipped-skipped, now)
		if len(ups) > 0 {
			s.deliver(ups)
		}
	}
}

// cause prefers the watchdog's reason to the cancellation it caused.
func (s *session) cause(ctx context.Context, err error) error {
	if c := context.Cause(ctx); c != nil && errors.Is(c, errStale) {
		return errStale
	}
	return err
}
