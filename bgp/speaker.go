package bgp

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	api "github.com/osrg/gobgp/v3/api"
	"github.com/osrg/gobgp/v3/pkg/apiutil"
	"github.com/osrg/gobgp/v3/pkg/packet/bgp"
	"github.com/osrg/gobgp/v3/pkg/server"
	apb "google.golang.org/protobuf/types/known/anypb"

	"github.com/tuyau-net/tuyau/inventory"
)

// Speaker runs one GoBGP server as the inventory describes it.
type Speaker struct {
	cfg    Config
	log    *slog.Logger
	events func(Event)
	mon    *Monitor
	ready  chan struct{}
	// exitOpen leaves the sessions open when Serve returns (WithGracefulExit).
	exitOpen bool

	mu      sync.Mutex
	reasons map[string]string // neighbor address -> last reason it is or went down
	state   map[string]api.PeerState_SessionState
	flaps   map[string]int
	client  *Client
}

// Option configures a Speaker.
type Option func(*Speaker)

// WithLogger sends the speaker's logs, GoBGP's included, to l.
// addPathSendMax bounds the paths per prefix sent with add-path: ours
// (one per prefix) plus whatever received paths iBGP lets through (none to
// a non-client router).
const addPathSendMax = 8

func WithLogger(l *slog.Logger) Option { return func(s *Speaker) { s.log = l } }

// WithEvents calls fn for every session event (up, down), from one
// goroutine, in order. fn must not block for long: cmd hands the events to
// telemetry's alarm engine.
func WithEvents(fn func(Event)) Option { return func(s *Speaker) { s.events = fn } }

// WithMonitor feeds m every path the speaker receives (as GoBGP's BMP
// route monitoring to a station of the monitor's on the loopback, see
// station) and its session events, and runs its checks while the speaker
// serves.
func WithMonitor(m *Monitor) Option { return func(s *Speaker) { s.mon = m } }

// WithGracefulExit makes Serve return at the end of ctx without closing
// the sessions, for a caller that exits the process right after ("tuyau bgp
// serve"): the kernel then closes the connections without a NOTIFICATION,
// which peers that negotiated graceful restart take as a restart (RFC
// 4724), keeping our routes as stale for the restart time. A Cease would
// not do: FRR flushes the routes of a peer that sends "peer de-configured"
// or an administrative reset (its bgp hard-administrative-reset default)
// even with the RFC 8538 notification flag. Without this option Serve
// stops GoBGP, which sends the Cease.
func WithGracefulExit() Option { return func(s *Speaker) { s.exitOpen = true } }

// NewSpeaker returns a speaker for cfg; Serve runs it.
func NewSpeaker(cfg Config, opts ...Option) *Speaker {
	s := &Speaker{cfg: cfg, log: slog.New(slog.DiscardHandler), ready: make(chan struct{}),
		reasons: map[string]string{}, state: map[string]api.PeerState_SessionState{}, flaps: map[string]int{}}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Ready is closed once the speaker's sessions are configured and its API
// answers.
func (s *Speaker) Ready() <-chan struct{} { return s.ready }

// Client returns the speaker's own client over its API, once Ready.
func (s *Speaker) Client() *Client {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.client
}

// Reason returns why the session with the peer at addr is not (or was
// last not) established, as GoBGP reported it, "" when nothing went wrong.
func (s *Speaker) Reason(addr netip.Addr) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.reasons[addr.String()]
}

// apiTarget is the GoBGP listen address of an API address.
func apiTarget(a string) string {
	if inventory.APIIsUnix(a) {
		return "unix://" + inventory.APISocketPath(a)
	}
	return a
}

// Serve runs the speaker until ctx ends, then stops it (see
// WithGracefulExit for a stop the peers take as a restart).
func (s *Speaker) Serve(ctx context.Context) error {
	if err := s.prepareSocket(); err != nil {
		return err
	}
	srv := server.NewBgpServer(server.GrpcListenAddress(apiTarget(s.cfg.API)),
		server.LoggerOption(&gobgpLogger{l: s.log, note: s.note}))
	go srv.Serve()
	defer func() {
		if s.exitOpen && ctx.Err() != nil {
			s.log.Info("bgp speaker exiting with its sessions open (graceful restart)", "speaker", s.cfg.Name)
			return
		}
		// StopBgp, then the API; Stop does both.
		done := make(chan struct{})
		go func() { srv.Stop(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			s.log.Warn("bgp speaker: stop took over 10 s", "speaker", s.cfg.Name)
		}
		if inventory.APIIsUnix(s.cfg.API) {
			os.Remove(inventory.APISocketPath(s.cfg.API))
		}
	}()
	port := s.cfg.Port
	if port == 0 {
		port = inventory.DefaultBGPPort
	}
	g := &api.Global{Asn: s.cfg.ASN, RouterId: s.cfg.RouterID.String(), ListenPort: int32(port)}
	if s.cfg.Listen.IsValid() {
		g.ListenAddresses = []string{s.cfg.Listen.String()}
	}
	if err := srv.StartBgp(ctx, &api.StartBgpRequest{Global: g}); err != nil {
		return fmt.Errorf("speaker %s: start BGP AS%d on %s port %d: %w", s.cfg.Name, s.cfg.ASN, s.cfg.Listen, port, err)
	}
	c, err := s.waitAPI(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	watchCtx, stopWatch := context.WithCancel(ctx)
	var wg sync.WaitGroup
	// The watchers end with watchCtx, also on an error return.
	defer func() { stopWatch(); wg.Wait() }()
	evs := make(chan *api.Peer, 64)
	err = srv.WatchEvent(watchCtx, &api.WatchEventRequest{Peer: &api.WatchEventRequest_Peer{}}, func(r *api.WatchEventResponse) {
		if p := r.GetPeer(); p != nil && p.Type == api.WatchEventResponse_PeerEvent_STATE {
			select {
			case evs <- p.Peer:
			case <-watchCtx.Done():
			}
		}
	})
	if err != nil {
		return fmt.Errorf("speaker %s: watch events: %w", s.cfg.Name, err)
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case p := <-evs:
				if s.peerEvent(p) == SessionUp {
					s.checkAddPathReceive(watchCtx, srv, p)
				}
			case <-watchCtx.Done():
				return
			}
		}
	}()
	if s.mon != nil {
		// The received paths reach the monitor as BMP route monitoring,
		// pre-policy: every path as received, whether best or not (a hijack
		// that loses the best-path selection is still one), as the raw
		// UPDATE (see station). Before any peer is added, so that GoBGP has
		// no table to dump to the station first.
		st, err := listenStation(s.mon, s.log)
		if err != nil {
			return fmt.Errorf("speaker %s: %w", s.cfg.Name, err)
		}
		wg.Add(1)
		go func() { defer wg.Done(); st.serve(watchCtx) }()
		if err := srv.AddBmp(ctx, &api.AddBmpRequest{Address: "127.0.0.1", Port: uint32(st.port()),
			Policy: api.AddBmpRequest_PRE, SysName: "tuyau-monitor"}); err != nil {
			return fmt.Errorf("speaker %s: monitor BMP station 127.0.0.1:%d: %w", s.cfg.Name, st.port(), err)
		}
		defer srv.DeleteBmp(context.Background(), &api.DeleteBmpRequest{Address: "127.0.0.1", Port: uint32(st.port())})
		select {
		case <-st.ready:
		case <-time.After(10 * time.Second):
			return fmt.Errorf("speaker %s: monitor BMP station 127.0.0.1:%d: GoBGP did not connect within 10 s", s.cfg.Name, st.port())
		case <-ctx.Done():
			return nil
		}
		c.Origins, c.Site = s.cfg.Origins, s.cfg.Site
		wg.Add(1)
		go func() { defer wg.Done(); s.mon.Run(watchCtx, c) }()
	}
	for _, p := range s.cfg.Peers {
		if err := srv.AddPeer(ctx, &api.AddPeerRequest{Peer: s.peerAPI(p)}); err != nil {
			return fmt.Errorf("speaker %s: peer %s (%s): %w", s.cfg.Name, p.Device, p.Address, err)
		}
	}
	c.Origins, c.Site = s.cfg.Origins, s.cfg.Site
	s.mu.Lock()
	s.client = c
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.client = nil
		s.mu.Unlock()
	}()
	s.log.Info("bgp speaker serving", "speaker", s.cfg.Name, "asn", s.cfg.ASN, "listen", s.cfg.Listen, "port", port,
		"api", s.cfg.API, "peers", len(s.cfg.Peers))
	close(s.ready)
	<-ctx.Done()
	s.log.Info("bgp speaker stopping", "speaker", s.cfg.Name)
	return nil
}

// prepareSocket makes the socket's directory (0700 when it creates it) and
// removes a socket a dead speaker left behind; a live one is an error.
func (s *Speaker) prepareSocket() error {
	if !inventory.APIIsUnix(s.cfg.API) {
		return nil
	}
	path := inventory.APISocketPath(s.cfg.API)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("speaker %s: api socket directory: %w", s.cfg.Name, err)
	}
	if _, err := os.Stat(path); err == nil {
		c, err := net.DialTimeout("unix", path, time.Second)
		if err == nil {
			c.Close()
			return fmt.Errorf("speaker %s: api socket %s: another speaker is serving it", s.cfg.Name, path)
		}
		if err := os.Remove(path); err != nil {
			return fmt.Errorf("speaker %s: stale api socket: %w", s.cfg.Name, err)
		}
	}
	return nil
}

// waitAPI waits for GoBGP's API to answer, and makes a unix socket 0600:
// the API has no authentication, so only the speaker's user may use it.
func (s *Speaker) waitAPI(ctx context.Context) (*Client, error) {
	deadline := time.Now().Add(10 * time.Second)
	for {
		if inventory.APIIsUnix(s.cfg.API) {
			if err := os.Chmod(inventory.APISocketPath(s.cfg.API), 0o600); err != nil && !errors.Is(err, os.ErrNotExist) {
				return nil, fmt.Errorf("speaker %s: api socket: %w", s.cfg.Name, err)
			}
		}
		// The socket exists once the API answers: chmod again then.
		c, err := Dial(ctx, s.cfg.API)
		if err == nil {
			pctx, cancel := context.WithTimeout(ctx, time.Second)
			_, err = c.api.GetBgp(pctx, &api.GetBgpRequest{})
			cancel()
			if err == nil && inventory.APIIsUnix(s.cfg.API) {
				err = os.Chmod(inventory.APISocketPath(s.cfg.API), 0o600)
			}
			if err == nil {
				return c, nil
			}
			c.Close()
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("speaker %s: api %s does not answer: %w", s.cfg.Name, s.cfg.API, err)
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

var (
	famV4 = &api.Family{Afi: api.Family_AFI_IP, Safi: api.Family_SAFI_UNICAST}
	famV6 = &api.Family{Afi: api.Family_AFI_IP6, Safi: api.Family_SAFI_UNICAST}
)

// peerAPI is a peer as GoBGP takes it: both unicast families, add-path
// receive (the core sends every site's path), graceful restart with the
// notification flag, GTSM and MD5 where configured.
func (s *Speaker) peerAPI(p PeerConfig) *api.Peer {
	peer := &api.Peer{
		Conf: &api.PeerConf{NeighborAddress: p.Address.String(), PeerAsn: p.ASN, LocalAsn: s.cfg.ASN,
			AuthPassword: p.Password, Description: p.Device},
		Transport: &api.Transport{PassiveMode: p.Passive},
		Timers: &api.Timers{Config: &api.TimersConfig{ConnectRetry: uint64(p.ConnectRetry),
			HoldTime: uint64(p.HoldTime), KeepaliveInterval: uint64(p.Keepalive), IdleHoldTimeAfterReset: 1}},
	}
	if s.cfg.Listen.IsValid() {
		peer.Transport.LocalAddress = s.cfg.Listen.String()
	}
	if p.Port != 0 {
		peer.Transport.RemotePort = uint32(p.Port)
	}
	if p.TTLSecurity > 0 {
		peer.TtlSecurity = &api.TtlSecurity{Enabled: true, TtlMin: uint32(256 - p.TTLSecurity)}
	}
	if p.GracefulRestart > 0 {
		peer.GracefulRestart = &api.GracefulRestart{Enabled: true, RestartTime: uint32(p.GracefulRestart), NotificationEnabled: true}
	}
	for _, f := range []*api.Family{famV4, famV6} {
		// Add-path send too: GoBGP advertises only its best path
		// otherwise, and a backup announcement (local-pref 100) loses to
		// the other site's primary the router reflects back (200), which
		// iBGP may not send on: the backup never left the speaker, and
		// was in no router's RIB (seen on real FRR, TestNetnsFailover).
		// With send, every path of ours goes; received ones still obey
		// iBGP's split horizon.
		af := &api.AfiSafi{Config: &api.AfiSafiConfig{Family: f, Enabled: true},
			AddPaths: &api.AddPaths{Config: &api.AddPathsConfig{Receive: true, SendMax: addPathSendMax}}}
		if p.GracefulRestart > 0 {
			af.MpGracefulRestart = &api.MpGracefulRestart{Config: &api.MpGracefulRestartConfig{Enabled: true}}
		}
		if p.MaxPrefixes > 0 {
			af.PrefixLimits = &api.PrefixLimit{Family: f, MaxPrefixes: uint32(p.MaxPrefixes)}
		}
		peer.AfiSafis = append(peer.AfiSafis, af)
	}
	return peer
}

// peerEvent turns a GoBGP state change into an Event, and returns its kind
// ("" for a change that is neither up nor down).
func (s *Speaker) peerEvent(p *api.Peer) EventKind {
	addr := p.GetConf().GetNeighborAddress()
	if addr == "" {
		addr = p.GetState().GetNeighborAddress()
	}
	st := p.GetState().GetSessionState()
	s.mu.Lock()
	was := s.state[addr]
	s.state[addr] = st
	var kind EventKind
	switch {
	case st == api.PeerState_ESTABLISHED && was != api.PeerState_ESTABLISHED:
		kind = SessionUp
		delete(s.reasons, addr)
	case was == api.PeerState_ESTABLISHED && st != api.PeerState_ESTABLISHED:
		kind = SessionDown
		s.flaps[addr]++
	}
	reason, flaps := s.reasons[addr], s.flaps[addr]
	s.mu.Unlock()
	if kind == "" {
		return kind
	}
	a, _ := netip.ParseAddr(addr)
	e := Event{Time: time.Now(), Speaker: s.cfg.Name, Kind: kind, Peer: a, Device: s.deviceOf(a),
		State: stateName(st), Reason: reason, Flaps: flaps}
	s.log.Info("bgp session "+string(kind), "speaker", s.cfg.Name, "peer", addr, "device", e.Device, "reason", reason, "flaps", flaps)
	if s.mon != nil {
		s.mon.Session(e)
	}
	if s.events != nil {
		s.events(e)
	}
	return kind
}

// checkAddPathReceive warns when a peer that came up does not receive
// add-path for a family it carries: GoBGP then sends it our best path alone
// (add-path send is negotiated only where the other end receives, v3.37.0
// pkg/server/fsm.go open2Cap), so a backup announcement beaten by a path we
// received never reaches it, and GoBGP withdraws ours once a received path
// becomes the best (pkg/server/server.go filterpath). FRR receives add-path
// by default; gobgpd and BIRD only when configured, and the virtual lab's
// routers did not until 2026-12-06: the demo's lost backup announcement.
func (s *Speaker) checkAddPathReceive(ctx context.Context, srv *server.BgpServer, p *api.Peer) {
	addr := p.GetConf().GetNeighborAddress()
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	var remote []*apb.Any
	if err := srv.ListPeer(ctx, &api.ListPeerRequest{Address: addr}, func(p *api.Peer) { remote = p.GetState().GetRemoteCap() }); err != nil {
		return
	}
	if missing := noAddPathReceive(remote); len(missing) > 0 {
		s.log.Warn("bgp peer does not receive add-path: it gets our best path alone, a backup announcement beaten by a received path never reaches it",
			"speaker", s.cfg.Name, "peer", addr, "device", s.deviceOf(netip.MustParseAddr(addr)), "families", missing)
	}
}

// noAddPathReceive lists the unicast families of a peer's capabilities
// (its OPEN) that it carries without receiving add-path.
func noAddPathReceive(caps []*apb.Any) []string {
	cs, err := apiutil.UnmarshalCapabilities(caps)
	if err != nil {
		return nil
	}
	carried := map[bgp.RouteFamily]bool{}
	receives := map[bgp.RouteFamily]bool{}
	for _, c := range cs {
		switch c := c.(type) {
		case *bgp.CapMultiProtocol:
			carried[c.CapValue] = true
		case *bgp.CapAddPath:
			for _, t := range c.Tuples {
				if t.Mode&bgp.BGP_ADD_PATH_RECEIVE != 0 {
					receives[t.RouteFamily] = true
				}
			}
		}
	}
	var out []string
	for _, f := range []bgp.RouteFamily{bgp.RF_IPv4_UC, bgp.RF_IPv6_UC} {
		if carried[f] && !receives[f] {
			out = append(out, f.String())
		}
	}
	return out
}

func (s *Speaker) deviceOf(a netip.Addr) string {
	for _, p := range s.cfg.Peers {
		if p.Address == a {
			return p.Device
		}
	}
	return ""
}

// note records what GoBGP says about a peer going or staying down.
func (s *Speaker) note(addr, reason string) {
	s.mu.Lock()
	s.reasons[addr] = reason
	s.mu.Unlock()
}

func stateName(st api.PeerState_SessionState) string {
	switch st {
	case api.PeerState_ESTABLISHED:
		return "established"
	case api.PeerState_IDLE:
		return "idle"
	case api.PeerState_CONNECT:
		return "connect"
	case api.PeerState_ACTIVE:
		return "active"
	case api.PeerState_OPENSENT:
		return "opensent"
	case api.PeerState_OPENCONFIRM:
		return "openconfirm"
	}
	return "unknown(" + strconv.Itoa(int(st)) + ")"
}

// Announce originates prefix at the speaker's site (hosting.Announcer).
func (s *Speaker) Announce(ctx context.Context, prefix netip.Prefix, a Attrs) error {
	c, err := s.readyClient()
	if err != nil {
		return err
	}
	if err := c.Announce(ctx, prefix, a); err != nil {
		return err
	}
	if s.mon != nil {
		s.mon.touch(prefix) // the watch of received paths does not carry ours
	}
	return nil
}

// Withdraw stops originating prefix.
func (s *Speaker) Withdraw(ctx context.Context, prefix netip.Prefix) error {
	c, err := s.readyClient()
	if err != nil {
		return err
	}
	if err := c.Withdraw(ctx, prefix); err != nil {
		return err
	}
	if s.mon != nil {
		s.mon.touch(prefix)
	}
	return nil
}

// Paths says which sites the core carries prefix from.
func (s *Speaker) Paths(ctx context.Context, prefix netip.Prefix) ([]Path, error) {
	c, err := s.readyClient()
	if err != nil {
		return nil, err
	}
	return c.Paths(ctx, prefix)
}

// ErrNotReady is returned by a speaker's methods before Serve made it ready.
var ErrNotReady = errors.New("bgp speaker not serving yet")

func (s *Speaker) readyClient() (*Client, error) {
	if c := s.Client(); c != nil {
		return c, nil
	}
	return nil, fmt.Errorf("speaker %s: %w", s.cfg.Name, ErrNotReady)
}
