package testlab

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"maps"
	"net/netip"
	"slices"
	"strconv"
	"time"

	api "github.com/osrg/gobgp/v3/api"
	"github.com/osrg/gobgp/v3/pkg/apiutil"
	gobgplog "github.com/osrg/gobgp/v3/pkg/log"
	"github.com/osrg/gobgp/v3/pkg/packet/bgp"
	"github.com/osrg/gobgp/v3/pkg/server"
)

// bgpGlobal is what a GoBGP instance is started with; a change restarts it.
type bgpGlobal struct {
	asn      uint32
	routerID string
	port     int
	listen   string // joined listen addresses, compared as a whole
}

// peerSpec is one neighbor as the device's applied config asks for it,
// already translated to lab addresses.
type peerSpec struct {
	remote   netip.Addr
	port     uint32
	local    netip.Addr
	peerAS   uint32
	localAS  uint32
	v4, v6   bool
	rrClient bool
	// addPath is "addpath-tx-all-paths": every path, not only the best.
	addPath     bool
	clusterID   string
	keepalive   uint64
	hold        uint64
	multihop    uint32
	description string
	// passive: only the other end dials (see Device.dialsFirst).
	passive bool
}

// peerRun is a neighbor as the speaker runs it.
type peerRun struct {
	spec peerSpec
}

// speaker is one device's BGP: a GoBGP server driven from the applied
// config and the lab's link state.
type speaker struct {
	log    *slog.Logger
	srv    *server.BgpServer
	global bgpGlobal
	peers  map[netip.Addr]*peerRun
	paths  map[netip.Prefix][]byte // network -> GoBGP path uuid
	// policy is the policies in force, as their JSON.
	policy string
	// downSince and drops remember established sessions removed because
	// their transport broke: "show bgp summary" shows how long they have
	// been down and how often they dropped, as FRR does.
	downSince map[netip.Addr]time.Time
	drops     map[netip.Addr]uint32
	// onPeer is called at every session state change GoBGP reports (the
	// device tells its gNMI servers: ON_CHANGE session-state); unwatch
	// ends that watch with the instance.
	onPeer  func()
	unwatch context.CancelFunc
}

func newSpeaker(log *slog.Logger) *speaker {
	return &speaker{log: log, peers: map[netip.Addr]*peerRun{}, paths: map[netip.Prefix][]byte{},
		downSince: map[netip.Addr]time.Time{}, drops: map[netip.Addr]uint32{}}
}

// stop shuts the GoBGP instance down for good (the lab closes, the
// device's BGP global changed or went away); its sessions close.
func (s *speaker) stop(ctx context.Context) {
	if s.srv == nil {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if s.unwatch != nil {
		s.unwatch()
		s.unwatch = nil
	}
	s.silence(ctx)
	if err := s.srv.StopBgp(ctx, &api.StopBgpRequest{}); err != nil {
		s.log.Warn("stop bgp", "err", err)
	}
	s.srv.Stop()
	s.srv = nil
	s.global = bgpGlobal{}
	s.policy = ""
}

// silence is a power-off: every session closes and the announced networks
// go, but the GoBGP instance stays, so that the reboot needs no StartBgp.
// GoBGP v3's StartBgp writes package-level route selection settings that
// every other instance in the process reads while it handles updates: a
// data race whenever one lab device boots while others carry routes (seen
// by -race in TestCollectorLab after a kill and restore). Its listener
// stays open while the device is off: a connection to a dead device is
// accepted and closed at once (no neighbor is configured), where a real
// one times out; the lab's own devices do not try, their transport to a
// dead device is down.
func (s *speaker) silence(ctx context.Context) {
	if s.srv == nil {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	s.quiesce(ctx)
	for addr := range s.peers {
		if err := s.srv.DeletePeer(ctx, &api.DeletePeerRequest{Address: addr.String()}); err != nil {
			s.log.Warn("power off: delete neighbor", "neighbor", addr, "err", err)
		}
	}
	for n, id := range s.paths {
		if err := s.srv.DeletePath(ctx, &api.DeletePathRequest{Uuid: id}); err != nil {
			s.log.Warn("power off: withdraw", "network", n, "err", err)
		}
	}
	clear(s.peers)
	clear(s.paths)
}

// ensure runs a GoBGP instance with global g, restarting one that runs
// with another.
func (s *speaker) ensure(ctx context.Context, g bgpGlobal) error {
	if s.srv != nil && s.global != g {
		s.stop(ctx)
	}
	if s.srv == nil {
		return s.start(ctx, g)
	}
	return nil
}

// quiesce brings every session to Idle before StopBgp. GoBGP v3's StopBgp
// deletes the peers and, in the same step, clears the global config that
// their sessions' goroutines still read until they notice (an UPDATE being
// received reads the confederation from it: a data race -race reported in
// TestCollectorLab after a kill). A peer set administratively down ends
// its session first, and GoBGP records it Idle only once the goroutines of
// the state it left have returned; Idle reads nothing of the global
// config. Idle under admin down is final, so the wait ends.
func (s *speaker) quiesce(ctx context.Context) {
	if len(s.peers) == 0 {
		return
	}
	wake := make(chan struct{}, 1)
	wctx, unwatch := context.WithCancel(ctx)
	defer unwatch()
	// Peer events wake the wait at once; the ticker covers any missed.
	if err := s.srv.WatchEvent(wctx, &api.WatchEventRequest{Peer: &api.WatchEventRequest_Peer{}}, func(*api.WatchEventResponse) {
		select {
		case wake <- struct{}{}:
		default:
		}
	}); err != nil {
		s.log.Warn("stop bgp: watch peers", "err", err)
	}
	for addr := range s.peers {
		if err := s.srv.DisablePeer(ctx, &api.DisablePeerRequest{Address: addr.String(), Communication: "device powered off"}); err != nil {
			s.log.Warn("stop bgp: disable neighbor", "neighbor", addr, "err", err)
		}
	}
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		idle := true
		err := s.srv.ListPeer(ctx, &api.ListPeerRequest{}, func(p *api.Peer) {
			if p.GetState().GetSessionState() != api.PeerState_IDLE {
				idle = false
			}
		})
		if err != nil || idle {
			return
		}
		select {
		case <-ctx.Done():
			s.log.Warn("stop bgp: sessions still not idle", "err", ctx.Err())
			return
		case <-wake:
		case <-tick.C:
		}
	}
}

// desired is what a reconcile aims for.
type desired struct {
	global   *bgpGlobal // nil: no router bgp
	peers    map[netip.Addr]peerSpec
	up       map[netip.Addr]bool // transport reachable and not shut down
	networks []netip.Prefix
	// policies are the per-peer rules of the import and export policies.
	policies map[netip.Addr]policyPeer
}

// reconcile brings GoBGP to the desired state: the peers that are
// configured, not shut down and reachable, and the networks announced.
func (s *speaker) reconcile(ctx context.Context, d desired) error {
	if d.global == nil {
		s.stop(ctx)
		return nil
	}
	if err := s.ensure(ctx, *d.global); err != nil {
		return err
	}
	var errs []error
	// A peer whose transport is down or that is shut down is removed from
	// GoBGP rather than disabled: GoBGP holds a re-enabled peer idle for 5 s
	// after each failure, and two such peers kept missing each other. A
	// fresh peer connects at once, as FRR does when a link comes back.
	for addr, p := range s.peers {
		if spec, ok := d.peers[addr]; !ok || spec != p.spec || !d.up[addr] {
			s.noteDrop(ctx, addr)
			if err := s.srv.DeletePeer(ctx, &api.DeletePeerRequest{Address: addr.String()}); err != nil {
				errs = append(errs, fmt.Errorf("delete neighbor %s: %w", addr, err))
			}
			delete(s.peers, addr)
		}
	}
	for addr, spec := range d.peers {
		if _, ok := s.peers[addr]; ok || !d.up[addr] {
			continue
		}
		if err := s.srv.AddPeer(ctx, &api.AddPeerRequest{Peer: spec.toAPI()}); err != nil {
			errs = append(errs, fmt.Errorf("add neighbor %s: %w", addr, err))
			continue
		}
		s.peers[addr] = &peerRun{spec: spec}
		delete(s.downSince, addr)
	}
	if err := s.setPolicies(ctx, d.policies); err != nil {
		errs = append(errs, err)
	}
	want := map[netip.Prefix]bool{}
	for _, n := range d.networks {
		want[n] = true
		if _, ok := s.paths[n]; ok {
			continue
		}
		id, err := s.addNetwork(ctx, n)
		if err != nil {
			errs = append(errs, fmt.Errorf("network %s: %w", n, err))
			continue
		}
		s.paths[n] = id
	}
	for n, id := range s.paths {
		if !want[n] {
			if err := s.srv.DeletePath(ctx, &api.DeletePathRequest{Uuid: id}); err != nil {
				errs = append(errs, fmt.Errorf("withdraw %s: %w", n, err))
			}
			delete(s.paths, n)
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("bgp: %v", errs)
	}
	return nil
}

func (s *speaker) start(ctx context.Context, g bgpGlobal) error {
	srv := server.NewBgpServer(server.LoggerOption(gobgpLogger{s.log}))
	go srv.Serve()
	listen := splitListen(g.listen)
	err := srv.StartBgp(ctx, &api.StartBgpRequest{Global: &api.Global{
		Asn: g.asn, RouterId: g.routerID, ListenPort: int32(g.port), ListenAddresses: listen,
	}})
	if err != nil {
		srv.Stop()
		return fmt.Errorf("start bgp AS %d on %v port %d: %w", g.asn, listen, g.port, err)
	}
	s.srv, s.global = srv, g
	if s.onPeer != nil {
		// The watch lives as long as the instance, not the request that
		// started it: stop cancels it.
		wctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
		onPeer := s.onPeer
		if err := srv.WatchEvent(wctx, &api.WatchEventRequest{Peer: &api.WatchEventRequest_Peer{}}, func(*api.WatchEventResponse) { onPeer() }); err != nil {
			cancel()
			s.log.Warn("bgp: watch peers", "err", err)
		} else {
			s.unwatch = cancel
		}
	}
	return nil
}

func (s *speaker) addNetwork(ctx context.Context, n netip.Prefix) ([]byte, error) {
	origin := bgp.NewPathAttributeOrigin(bgp.BGP_ORIGIN_ATTR_TYPE_IGP)
	var nlri bgp.AddrPrefixInterface
	var attrs []bgp.PathAttributeInterface
	if n.Addr().Is4() {
		nlri = bgp.NewIPAddrPrefix(uint8(n.Bits()), n.Addr().String())
		attrs = []bgp.PathAttributeInterface{origin, bgp.NewPathAttributeNextHop("0.0.0.0")}
	} else {
		nlri = bgp.NewIPv6AddrPrefix(uint8(n.Bits()), n.Addr().String())
		attrs = []bgp.PathAttributeInterface{origin, bgp.NewPathAttributeMpReachNLRI("::", []bgp.AddrPrefixInterface{nlri})}
	}
	p, err := apiutil.NewPath(nlri, false, attrs, time.Now())
	if err != nil {
		return nil, err
	}
	r, err := s.srv.AddPath(ctx, &api.AddPathRequest{TableType: api.TableType_GLOBAL, Path: p})
	if err != nil {
		return nil, err
	}
	return r.Uuid, nil
}

var (
	famV4 = &api.Family{Afi: api.Family_AFI_IP, Safi: api.Family_SAFI_UNICAST}
	famV6 = &api.Family{Afi: api.Family_AFI_IP6, Safi: api.Family_SAFI_UNICAST}
)

// connectRetry is short so a restored link comes back within seconds; FRR's
// default of 120 s would make every fault test slow.
const connectRetry = 1

func (p peerSpec) toAPI() *api.Peer {
	peer := &api.Peer{
		Conf: &api.PeerConf{
			NeighborAddress: p.remote.String(), PeerAsn: p.peerAS, LocalAsn: p.localAS,
			Description: p.description,
		},
		Transport: &api.Transport{LocalAddress: p.local.String(), RemotePort: p.port, PassiveMode: p.passive},
		Timers: &api.Timers{Config: &api.TimersConfig{
			ConnectRetry: connectRetry, HoldTime: p.hold, KeepaliveInterval: p.keepalive,
			IdleHoldTimeAfterReset: 1,
		}},
	}
	if p.multihop > 0 {
		peer.EbgpMultihop = &api.EbgpMultihop{Enabled: true, MultihopTtl: p.multihop}
	}
	if p.rrClient {
		peer.RouteReflector = &api.RouteReflector{RouteReflectorClient: true, RouteReflectorClusterId: p.clusterID}
	}
	for _, f := range []struct {
		on  bool
		fam *api.Family
	}{{p.v4, famV4}, {p.v6, famV6}} {
		if !f.on {
			continue
		}
		// FRR advertises add-path receive on every family unless told
		// "disable-addpath-rx"; GoBGP only when asked. Without it a peer
		// may not send us add-path (GoBGP v3.37.0 pkg/server/fsm.go
		// open2Cap: send only where the other end receives), and sends its
		// best path alone: a tuyau speaker's backup announcement, beaten
		// by the primary the router reflects back to it, never reached the
		// router, and GoBGP withdraws it from a non-add-path iBGP peer as
		// soon as the reflected primary becomes its best (server.go
		// filterpath, "withdraw the old best which was injected locally").
		// That was the demo's stuck bgp-hosting-sites after a core site's
		// reboot (TestRouterKeepsBackupAnnouncement).
		af := &api.AfiSafi{Config: &api.AfiSafiConfig{Family: f.fam, Enabled: true},
			AddPaths: &api.AddPaths{Config: &api.AddPathsConfig{Receive: true}}}
		if p.addPath {
			// GoBGP's send-max is 8 bits: 255 stands for FRR's "all".
			af.AddPaths.Config.SendMax = 255
		}
		peer.AfiSafis = append(peer.AfiSafis, af)
	}
	return peer
}

func splitListen(s string) []string {
	var out []string
	start := 0
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] == ',' {
			if i > start {
				out = append(out, s[start:i])
			}
			start = i + 1
		}
	}
	return out
}

// gobgpLogger sends GoBGP's logs to slog: its info messages (every state
// change of every peer) at debug level, so a 500-device lab stays quiet.
type gobgpLogger struct{ l *slog.Logger }

func attrs(f gobgplog.Fields) []any {
	out := make([]any, 0, 2*len(f))
	for k, v := range f {
		out = append(out, k, v)
	}
	return out
}

func (g gobgpLogger) Panic(msg string, f gobgplog.Fields) { g.l.Error(msg, attrs(f)...) }
func (g gobgpLogger) Fatal(msg string, f gobgplog.Fields) { g.l.Error(msg, attrs(f)...) }
func (g gobgpLogger) Error(msg string, f gobgplog.Fields) { g.l.Warn(msg, attrs(f)...) }
func (g gobgpLogger) Warn(msg string, f gobgplog.Fields)  { g.l.Debug(msg, attrs(f)...) }
func (g gobgpLogger) Info(msg string, f gobgplog.Fields)  { g.l.Debug(msg, attrs(f)...) }
func (g gobgpLogger) Debug(string, gobgplog.Fields)       {}
func (g gobgpLogger) SetLevel(gobgplog.LogLevel)          {}
func (g gobgpLogger) GetLevel() gobgplog.LogLevel         { return gobgplog.InfoLevel }

// asString renders an ASN as FRR prints it.
func asString(a uint32) string { return strconv.FormatUint(uint64(a), 10) }

// setPolicies installs the device's import and export policies (policy.go)
// when they changed.
//
// Lab addresses are loopback addresses, which real routers refuse as next
// hops (gobgpd: "invalid nexthop address"; FRR: martian). The device
// advertises instead the inventory address its session source stands for,
// so a real peer accepts the routes and every table shows inventory
// addressing.
//
// A route reflector does not send the routes it learned over iBGP to its
// iBGP peers that are not its clients (the other reflector). GoBGP does not
// drop, on import, a route carrying its own cluster id, so two reflectors
// that exchange their clients' routes keep each other's copy alive after
// the client withdraws it: a ghost route FRR would not have. Both
// reflectors hear every client directly, so nothing is lost but the path
// through the other reflector.
func (s *speaker) setPolicies(ctx context.Context, peers map[netip.Addr]policyPeer) error {
	addrs := slices.SortedFunc(maps.Keys(peers), netip.Addr.Compare)
	key, _ := json.Marshal(struct {
		A []netip.Addr
		P map[netip.Addr]policyPeer
	}{addrs, peers})
	if string(key) == s.policy {
		return nil
	}
	req := &api.SetPoliciesRequest{}
	export := &api.Policy{Name: "lab-export"}
	imp := &api.Policy{Name: "lab-import"}
	for i, a := range addrs {
		p := peers[a]
		set := "lab-peer-" + strconv.Itoa(i)
		req.DefinedSets = append(req.DefinedSets, &api.DefinedSet{
			DefinedType: api.DefinedType_NEIGHBOR, Name: set, List: []string{netip.PrefixFrom(a, a.BitLen()).String()},
		})
		nb := &api.MatchSet{Type: api.MatchSet_ANY, Name: set}
		if p.NoReflect {
			for fam, is4 := range map[string]bool{"v4": true, "v6": false} {
				ds := &api.DefinedSet{DefinedType: api.DefinedType_PREFIX, Name: set + "-reflect-" + fam}
				for _, r := range p.Reflect {
					if r.Addr().Is4() == is4 {
						ds.Prefixes = append(ds.Prefixes, &api.Prefix{IpPrefix: r.String(), MaskLengthMin: uint32(r.Bits()), MaskLengthMax: uint32(r.Bits())})
					}
				}
				if len(ds.Prefixes) == 0 {
					continue
				}
				req.DefinedSets = append(req.DefinedSets, ds)
				export.Statements = append(export.Statements, &api.Statement{
					Name: ds.Name,
					Conditions: &api.Conditions{NeighborSet: nb, RouteType: api.Conditions_ROUTE_TYPE_INTERNAL,
						PrefixSet: &api.MatchSet{Type: api.MatchSet_ANY, Name: ds.Name}},
					Actions: &api.Actions{RouteAction: api.RouteAction_ACCEPT},
				})
			}
			export.Statements = append(export.Statements, &api.Statement{
				Name:       set + "-no-reflect",
				Conditions: &api.Conditions{NeighborSet: nb, RouteType: api.Conditions_ROUTE_TYPE_INTERNAL},
				Actions:    &api.Actions{RouteAction: api.RouteAction_REJECT},
			})
		}
		if p.NextHop.IsValid() {
			// Over eBGP every route leaves with our next hop; over iBGP only
			// the routes we originate do, reflected ones keep theirs.
			cond := &api.Conditions{NeighborSet: nb}
			if p.IBGP {
				cond.RouteType = api.Conditions_ROUTE_TYPE_LOCAL
			}
			export.Statements = append(export.Statements, &api.Statement{
				Name: set + "-next-hop", Conditions: cond,
				Actions: &api.Actions{RouteAction: api.RouteAction_NONE, Nexthop: &api.NexthopAction{Address: p.NextHop.String()}},
			})
		}
		if p.Out != nil {
			st, ds := p.Out.statements(set+"-out", set)
			export.Statements = append(export.Statements, st...)
			req.DefinedSets = append(req.DefinedSets, ds...)
		}
		if p.In != nil {
			st, ds := p.In.statements(set+"-in", set)
			imp.Statements = append(imp.Statements, st...)
			req.DefinedSets = append(req.DefinedSets, ds...)
		}
	}
	for _, pol := range []*api.Policy{export, imp} {
		if len(pol.Statements) > 0 {
			req.Policies = append(req.Policies, pol)
		}
	}
	if err := s.srv.SetPolicies(ctx, req); err != nil {
		return fmt.Errorf("policies: %w", err)
	}
	// SetPolicies drops the policies named in its assignments; attach each
	// to its global direction on its own.
	for _, a := range []struct {
		pol *api.Policy
		dir api.PolicyDirection
	}{{export, api.PolicyDirection_EXPORT}, {imp, api.PolicyDirection_IMPORT}} {
		if len(a.pol.Statements) == 0 {
			continue
		}
		err := s.srv.SetPolicyAssignment(ctx, &api.SetPolicyAssignmentRequest{Assignment: &api.PolicyAssignment{
			Name: "global", Direction: a.dir, Policies: []*api.Policy{{Name: a.pol.Name}}, DefaultAction: api.RouteAction_ACCEPT,
		}})
		if err != nil {
			return fmt.Errorf("policy assignment %s: %w", a.pol.Name, err)
		}
	}
	s.policy = string(key)
	// Peers already up get the new policies on a soft reset, as FRR
	// applies a changed route-map without dropping the session.
	for a := range s.peers {
		s.srv.ResetPeer(ctx, &api.ResetPeerRequest{Address: a.String(), Soft: true, Direction: api.ResetPeerRequest_BOTH})
	}
	return nil
}

// noteDrop records that an established session is about to be removed.
func (s *speaker) noteDrop(ctx context.Context, addr netip.Addr) {
	s.srv.ListPeer(ctx, &api.ListPeerRequest{Address: addr.String()}, func(p *api.Peer) {
		if p.GetState().GetSessionState() == api.PeerState_ESTABLISHED {
			s.downSince[addr] = time.Now()
			s.drops[addr]++
		}
	})
}
