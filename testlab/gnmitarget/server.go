package gnmitarget

import (
	"context"
	"crypto/subtle"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"

	gpb "github.com/openconfig/gnmi/proto/gnmi"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

// Server is the gNMI target of one device. Build it with New and run it
// with Serve.
type Server struct {
	gpb.UnimplementedGNMIServer

	backend   Backend
	name      string
	log       *slog.Logger
	cert      *tls.Certificate
	insecure  bool
	user      string
	password  string
	now       func() time.Time
	minSample time.Duration
	bundle    int           // most updates per notification; 0: no limit
	timeout   time.Duration // bound on each backend call
	schema    *schema

	setMu   sync.Mutex     // one Set at a time
	pending *pendingCommit // a commit awaiting confirmation; guarded by setMu

	aligned bool    // SAMPLE and heartbeat grids are the epoch's (WithSampleOffset)
	offset  float64 // of the period, the grids' offset when aligned

	readMu sync.Mutex    // one slot read at a time; guards cur and free
	cur    *sharedRead   // the last slot read
	free   []*sharedRead // released reads, their buffers reused

	paths   *PathCache // parsed leaf paths, maybe shared with other targets
	cacheMu sync.Mutex
	layout  *layout // the paths of the last State, in its order

	watchMu  sync.Mutex
	watchers map[chan struct{}]struct{}

	serveCtx context.Context // done when Serve returns; ends streams
}

// Option configures a Server.
type Option func(*Server)

// WithTLS serves TLS with cert (see LabCA.Issue). A Server needs WithTLS
// or WithInsecure.
func WithTLS(cert tls.Certificate) Option { return func(s *Server) { s.cert = &cert } }

// WithInsecure serves plaintext gRPC, for tests and tools that cannot do
// TLS.
func WithInsecure() Option { return func(s *Server) { s.insecure = true } }

// WithCredentials makes every RPC carry "username" and "password"
// metadata equal to these, or fail with codes.Unauthenticated. Without
// it, any caller is served.
func WithCredentials(user, password string) Option {
	return func(s *Server) { s.user, s.password = user, password }
}

// WithName sets the target name used in logs.
func WithName(name string) Option { return func(s *Server) { s.name = name } }

// WithLogger sets where the server logs; by default it does not.
func WithLogger(l *slog.Logger) Option { return func(s *Server) { s.log = l } }

// WithClock sets the clock for notification timestamps.
func WithClock(now func() time.Time) Option { return func(s *Server) { s.now = now } }

// WithMinSampleInterval sets the shortest SAMPLE and heartbeat interval
// accepted (default 10ms); shorter requests fail with InvalidArgument, and a
// sample_interval of 0 samples at this interval, the lowest the target
// supports.
func WithMinSampleInterval(d time.Duration) Option { return func(s *Server) { s.minSample = d } }

// WithMaxUpdatesPerNotification bounds how many updates a Subscribe
// bundles into one notification (0, the default: all the leaves of one
// subscription that are due together; 1 turns bundling off, every leaf
// in a notification of its own with its own timestamp). gNMI asks a target
// that bundles to let the operator turn it off and bound it.
func WithMaxUpdatesPerNotification(n int) Option {
	return func(s *Server) { s.bundle = max(n, 0) }
}

// WithPathCache makes the server parse its backend's leaf paths through c,
// which several servers may share: the devices of a lab report the same
// paths (eth1 to eth48, their transceivers), parsed and held once for all.
func WithPathCache(c *PathCache) Option { return func(s *Server) { s.paths = c } }

// WithBackendTimeout bounds each State and Apply call (default 5s), so a
// stuck device fails RPCs with DeadlineExceeded instead of hanging them.
func WithBackendTimeout(d time.Duration) Option { return func(s *Server) { s.timeout = d } }

// New returns the gNMI target for backend.
func New(backend Backend, opts ...Option) *Server {
	s := &Server{
		backend:   backend,
		log:       slog.New(slog.DiscardHandler),
		now:       time.Now,
		minSample: 10 * time.Millisecond,
		timeout:   5 * time.Second,
		schema:    newSchema(),
		watchers:  map[chan struct{}]struct{}{},
		serveCtx:  context.Background(),
	}
	for _, o := range opts {
		o(s)
	}
	if s.paths == nil {
		s.paths = NewPathCache()
	}
	return s
}

// Serve answers gNMI on lis until ctx is done, then stops: open
// subscriptions end, in-flight unary calls get a grace period. It closes
// lis. A Server serves one listener at a time.
func (s *Server) Serve(ctx context.Context, lis net.Listener) error {
	var opts []grpc.ServerOption
	switch {
	case s.cert != nil:
		opts = append(opts, grpc.Creds(credentials.NewTLS(&tls.Config{
			Certificates: []tls.Certificate{*s.cert},
			MinVersion:   tls.VersionTLS12,
		})))
	case !s.insecure:
		lis.Close()
		return fmt.Errorf("gnmi target %s: no TLS certificate (use WithTLS, or WithInsecure for plaintext)", s.name)
	}
	opts = append(opts,
		grpc.UnaryInterceptor(func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
			if err := s.authorize(ctx); err != nil {
				return nil, err
			}
			return h(ctx, req)
		}),
		grpc.StreamInterceptor(func(srv any, ss grpc.ServerStream, _ *grpc.StreamServerInfo, h grpc.StreamHandler) error {
			if err := s.authorize(ss.Context()); err != nil {
				return err
			}
			return h(srv, ss)
		}),
	)
	g := grpc.NewServer(opts...)
	gpb.RegisterGNMIServer(g, s)

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	s.serveCtx = ctx
	s.backend.Watch(ctx, s.broadcast)

	done := make(chan struct{})
	go func() {
		defer close(done)
		<-ctx.Done()
		// Streams watch ctx and return; unary calls get a moment.
		stopped := make(chan struct{})
		go func() { g.GracefulStop(); close(stopped) }()
		select {
		case <-stopped:
		case <-time.After(2 * time.Second):
			g.Stop()
		}
	}()
	s.log.Info("gnmi target serving", "target", s.name, "addr", lis.Addr().String(), "tls", s.cert != nil)
	err := g.Serve(lis)
	cancel()
	<-done
	if errors.Is(err, grpc.ErrServerStopped) {
		err = nil
	}
	if err != nil {
		return fmt.Errorf("gnmi target %s on %s: %w", s.name, lis.Addr(), err)
	}
	return nil
}

func (s *Server) authorize(ctx context.Context) error {
	if s.user == "" && s.password == "" {
		return nil
	}
	md, _ := metadata.FromIncomingContext(ctx)
	u, p := first(md.Get("username")), first(md.Get("password"))
	okU := subtle.ConstantTimeCompare([]byte(u), []byte(s.user)) == 1
	okP := subtle.ConstantTimeCompare([]byte(p), []byte(s.password)) == 1
	if !okU || !okP {
		s.log.Info("gnmi authentication failed", "target", s.name, "user", u)
		return status.Error(codes.Unauthenticated, "bad or missing username/password metadata")
	}
	return nil
}

func first(v []string) string {
	if len(v) == 0 {
		return ""
	}
	return v[0]
}

// broadcast wakes every subscription waiting for changes; a wake-up
// already pending stands for this one too.
func (s *Server) broadcast() {
	s.watchMu.Lock()
	defer s.watchMu.Unlock()
	for c := range s.watchers {
		select {
		case c <- struct{}{}:
		default:
		}
	}
}

func (s *Server) watch() (<-chan struct{}, func()) {
	c := make(chan struct{}, 1)
	s.watchMu.Lock()
	s.watchers[c] = struct{}{}
	s.watchMu.Unlock()
	return c, func() {
		s.watchMu.Lock()
		delete(s.watchers, c)
		s.watchMu.Unlock()
	}
}

// Models are the OpenConfig modules whose paths this target serves.
var Models = []*gpb.ModelData{
	{Name: "openconfig-interfaces", Organization: "OpenConfig working group", Version: "3.7.1"},
	{Name: "openconfig-if-ip", Organization: "OpenConfig working group", Version: "3.5.1"},
	{Name: "openconfig-platform", Organization: "OpenConfig working group", Version: "0.30.0"},
	{Name: "openconfig-platform-transceiver", Organization: "OpenConfig working group", Version: "0.14.0"},
	{Name: "openconfig-network-instance", Organization: "OpenConfig working group", Version: "4.4.1"},
	{Name: "openconfig-bgp", Organization: "OpenConfig working group", Version: "9.8.0"},
}

// Capabilities lists the models, the encodings and the gNMI version.
func (s *Server) Capabilities(context.Context, *gpb.CapabilityRequest) (*gpb.CapabilityResponse, error) {
	models := make([]*gpb.ModelData, len(Models))
	for i, m := range Models {
		models[i] = proto.Clone(m).(*gpb.ModelData)
	}
	return &gpb.CapabilityResponse{
		SupportedModels:    models,
		SupportedEncodings: []gpb.Encoding{gpb.Encoding_JSON, gpb.Encoding_JSON_IETF, gpb.Encoding_PROTO},
		GNMIVersion:        gnmiVersion(),
	}, nil
}

// gnmiVersion is the version the gnmi.proto we compile against declares.
func gnmiVersion() string {
	opts := gpb.File_github_com_openconfig_gnmi_proto_gnmi_gnmi_proto.Options()
	if v, ok := proto.GetExtension(opts, gpb.E_GnmiService).(string); ok && v != "" {
		return v
	}
	return "0.10.0"
}
