package testlab

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"sync"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/tuyau-net/tuyau/inventory"
	"github.com/tuyau-net/tuyau/testlab/gnmitarget"
	"github.com/tuyau-net/tuyau/testlab/vtysh"
)

// Options configure a running lab.
type Options struct {
	// Dir is the lab's state directory: host key seed, known_hosts,
	// startup configs. It must exist.
	Dir string
	// User and Password are the SSH credentials every device accepts.
	User, Password string
	// AuthorizedKeys are the public keys every device accepts for User.
	AuthorizedKeys []ssh.PublicKey
	// Bootstrap is the configuration devices boot with (default full).
	Bootstrap Bootstrap
	// GNMIInsecure serves gNMI without TLS; by default each device has a
	// certificate from the lab CA (ca.pem in Dir).
	GNMIInsecure bool
	// GNMIMinSample is the shortest SAMPLE interval the devices accept,
	// and what a sample_interval of 0 gets (DefaultGNMIMinSample when 0).
	GNMIMinSample time.Duration
	// GNMIBundle bounds the updates per gNMI notification (0: a
	// subscription's due leaves in one; 1: no bundling).
	GNMIBundle int
	Logger     *slog.Logger
	// Now is the clock; time.Now when nil.
	Now func() time.Time
}

// Lab is a running virtual lab: one Device per planned device and the
// link model between them.
type Lab struct {
	// grammar is the virtual vtysh's command set, one for every device.
	grammar *vtysh.Grammar
	plan    *Plan
	snap    *inventory.Snapshot
	opts    Options
	log     *slog.Logger
	now     func() time.Time

	hostKeys *hostKeys
	ca       *gnmitarget.LabCA // nil when gNMI runs without TLS
	// gnmiPaths is shared by every device's gNMI target: devices report
	// the same paths (eth1..ethN, their transceivers), held once.
	gnmiPaths *gnmitarget.PathCache

	// recomputeMu makes each recomputeLinks read the devices and evaluate
	// the links as one step: two refreshes (a fault's and the loop's)
	// interleaved could otherwise evaluate with views older than the other
	// one's, a rebooted device's links going down again until the next
	// refresh.
	recomputeMu sync.Mutex
	mu          sync.Mutex // guards faults, links, comp
	faults      faults
	links       []*linkState
	linkAt      map[portKey]int
	comp        map[string]int
	// ospfComp groups the routers joined by OSPF adjacencies over up links.
	ospfComp map[string]int
	devices  map[string]*Device
	order    []*Device

	// owned lists each device's lab addresses (primary first).
	owned map[string][]netip.Addr
	// endpoints are the hosting services' endpoints, one per service and
	// core site (service.go).
	endpoints []*endpoint

	kick   chan struct{}
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

type portKey struct{ device, iface string }

// Start brings up every device of the plan and returns once each one
// listens; BGP sessions then establish on their own.
func Start(ctx context.Context, plan *Plan, snap *inventory.Snapshot, o Options) (*Lab, error) {
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Bootstrap == "" {
		o.Bootstrap = BootstrapFull
	}
	if o.User == "" {
		return nil, errors.New("lab: no SSH user")
	}
	keys, err := loadHostKeys(o.Dir)
	if err != nil {
		return nil, fmt.Errorf("lab %s: %w", plan.Name, err)
	}
	l := &Lab{
		plan: plan, snap: snap, opts: o, log: o.Logger, now: o.Now, hostKeys: keys,
		faults: newFaults(), linkAt: map[portKey]int{}, devices: map[string]*Device{},
		owned: map[string][]netip.Addr{}, kick: make(chan struct{}, 1), gnmiPaths: gnmitarget.NewPathCache(),
		grammar: vtysh.NewGrammar(),
	}
	if !o.GNMIInsecure {
		if l.ca, err = loadCA(o.Dir, plan.Name); err != nil {
			return nil, fmt.Errorf("lab %s: %w", plan.Name, err)
		}
	}
	x := inventory.NewIndex(snap)
	for i, pl := range plan.Links {
		l.links = append(l.links, &linkState{Link: pl})
		l.linkAt[portKey{pl.A.Device, pl.A.Interface}] = i
		if pl.B.Device != "" {
			l.linkAt[portKey{pl.B.Device, pl.B.Interface}] = i
		}
	}
	for _, dp := range plan.Devices {
		l.owned[dp.Name] = append(l.owned[dp.Name], dp.Addr)
	}
	for _, m := range plan.Mapping {
		if m.Lab != l.owned[m.Device][0] {
			l.owned[m.Device] = append(l.owned[m.Device], m.Lab)
		}
	}
	for _, dp := range plan.Devices {
		inv := x.Device(dp.Name)
		var boot *vtysh.Config
		switch {
		case inv != nil:
			boot = bootConfig(x, inv, o.Bootstrap)
		case dp.Transit != nil:
			boot = transitConfig(dp)
		default:
			return nil, fmt.Errorf("lab %s: device %s is neither in the inventory nor a transit peer", plan.Name, dp.Name)
		}
		d, err := newDevice(l, dp, inv, boot)
		if err != nil {
			return nil, err
		}
		l.devices[dp.Name] = d
		d.seq = len(l.order)
		l.order = append(l.order, d)
	}
	runCtx, cancel := context.WithCancel(context.Background())
	l.cancel = cancel
	if err := l.startDevices(ctx); err != nil {
		cancel()
		l.closeDevices()
		return nil, err
	}
	if err := l.startEndpoints(ctx); err != nil {
		cancel()
		l.closeEndpoints()
		l.closeDevices()
		return nil, err
	}
	l.refresh(ctx)
	l.wg.Add(2)
	go l.loop(runCtx)
	go l.poll(runCtx)
	l.log.Info("lab up", "plan", plan.describe())
	return l, nil
}

// startDevices starts the devices a few at a time: listening is quick, and
// a bounded pool keeps a 500-device start from spawning 500 goroutines that
// all fight for two cores.
func (l *Lab) startDevices(ctx context.Context) error {
	const workers = 8
	work := make(chan *Device)
	errc := make(chan error, len(l.order))
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for d := range work {
				if err := d.start(ctx); err != nil {
					errc <- err
				}
			}
		}()
	}
	for _, d := range l.order {
		work <- d
	}
	close(work)
	wg.Wait()
	close(errc)
	var errs []error
	for err := range errc {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// Plan returns the lab's plan.
func (l *Lab) Plan() *Plan { return l.plan }

// Device returns a running device by name.
func (l *Lab) Device(name string) (*Device, bool) {
	d, ok := l.devices[name]
	return d, ok
}

// Close stops every device and waits for the lab's goroutines.
func (l *Lab) Close() error {
	l.cancel()
	l.wg.Wait()
	l.closeEndpoints()
	l.closeDevices()
	return nil
}

func (l *Lab) closeDevices() {
	var wg sync.WaitGroup
	for _, d := range l.order {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d.stop(context.Background())
		}()
	}
	wg.Wait()
}

// changed asks the background loop for a refresh: a config was edited.
func (l *Lab) changed() {
	select {
	case l.kick <- struct{}{}:
	default:
	}
}

// loop refreshes the lab after config changes, coalescing bursts: a pushed
// config of fifty lines causes one refresh, not fifty.
func (l *Lab) loop(ctx context.Context) {
	defer l.wg.Done()
	for {
		select {
		case <-ctx.Done():
			return
		case <-l.kick:
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(20 * time.Millisecond):
		}
		l.refresh(ctx)
	}
}

// poll tells the gNMI servers about what changes without a lab event:
// counters and prefix counts advancing (BGP session transitions notify
// on their own, speaker.watchPeers). It does not move the devices' state
// version, so a server whose ON_CHANGE subscriptions watch only other
// leaves reads nothing (gnmitarget.VersionedBackend). Each device is
// signalled once a second at its own point of the second (device i at
// i/n of it), as separate routers' clocks are: signalling all at once
// woke every subscription of a large lab on the same instant.
func (l *Lab) poll(ctx context.Context) {
	defer l.wg.Done()
	if len(l.order) == 0 {
		return
	}
	t := time.NewTicker(time.Second / time.Duration(len(l.order)))
	defer t.Stop()
	for i := 0; ; i = (i + 1) % len(l.order) {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			l.order[i].watch.signal()
		}
	}
}

// refresh recomputes every link from the faults and the devices' applied
// configs, then brings each device's BGP in line with it.
func (l *Lab) refresh(ctx context.Context) {
	l.recomputeLinks()
	// Every GoBGP instance first, then sessions and routes: an instance
	// started while others carry routes races with them in GoBGP's
	// package state (speaker.silence).
	for _, d := range l.order {
		if err := d.startBGP(ctx); err != nil {
			l.log.Warn("bgp start", "device", d.Name(), "err", err)
		}
	}
	for _, d := range l.order {
		if err := d.reconcileBGP(ctx); err != nil {
			l.log.Warn("bgp reconcile", "device", d.Name(), "err", err)
		}
	}
	for _, d := range l.order {
		d.watch.notify()
	}
}

func (l *Lab) recomputeLinks() {
	l.recomputeMu.Lock()
	defer l.recomputeMu.Unlock()
	views := make(map[string]*deviceView, len(l.order))
	for _, d := range l.order {
		views[d.Name()] = d.view()
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	end := func(dev, iface string) endView {
		v := views[dev]
		if v == nil {
			return endView{}
		}
		return endView{alive: v.alive, adminUp: !v.shut[iface]}
	}
	parent := map[string]string{}
	var find func(string) string
	find = func(x string) string {
		p, ok := parent[x]
		if !ok || p == x {
			return x
		}
		r := find(p)
		parent[x] = r
		return r
	}
	ospfParent := map[string]string{}
	var ofind func(string) string
	ofind = func(x string) string {
		p, ok := ospfParent[x]
		if !ok || p == x {
			return x
		}
		r := ofind(p)
		ospfParent[x] = r
		return r
	}
	for _, s := range l.links {
		// A circuit without a transit peer ends at a provider the lab
		// does not run: always up.
		b := endView{alive: true, adminUp: true}
		if s.B.Device != "" {
			b = end(s.B.Device, s.B.Interface)
		}
		s.evaluate(now, l.faults, end(s.A.Device, s.A.Interface), b)
		if s.up && s.B.Device != "" {
			parent[find(s.A.Device)] = find(s.B.Device)
			if va, vb := views[s.A.Device], views[s.B.Device]; va != nil && vb != nil && va.ospf.adjacent(s.A.Interface, vb.ospf, s.B.Interface) {
				ospfParent[ofind(s.A.Device)] = ofind(s.B.Device)
			}
		}
	}
	l.comp = map[string]int{}
	ids := map[string]int{}
	for _, d := range l.order {
		r := find(d.Name())
		if _, ok := ids[r]; !ok {
			ids[r] = len(ids)
		}
		l.comp[d.Name()] = ids[r]
	}
	l.ospfComp = map[string]int{}
	oids := map[string]int{}
	for _, d := range l.order {
		r := ofind(d.Name())
		if _, ok := oids[r]; !ok {
			oids[r] = len(oids)
		}
		l.ospfComp[d.Name()] = oids[r]
	}
}

// ospfConnected reports whether OSPF adjacencies over up links join two
// routers: the IGP that carries loopback-to-loopback sessions.
func (l *Lab) ospfConnected(a, b string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	ca, okA := l.ospfComp[a]
	cb, okB := l.ospfComp[b]
	return okA && okB && ca == cb
}

// linkOf returns a copy of the link state on a device port.
func (l *Lab) linkOf(device, iface string) (linkState, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	i, ok := l.linkAt[portKey{device, iface}]
	if !ok {
		return linkState{}, false
	}
	return *l.links[i], true
}

// portLinks returns copies of the links on a device's ports, by
// interface, and the lab time read under the same lock. Every link's mark
// is at or before that time (evaluate sets it under the lock), so counters
// integrated up to it are the link's at that instant. A time taken before
// the lock could precede a change a refresh made meanwhile: the counters
// were then extrapolated back at the new rate or state, standing for
// another instant than the one reported with them (rates above line rate).
func (l *Lab) portLinks(device string, ifaces []string) (map[string]linkState, time.Time) {
	out := make(map[string]linkState, len(ifaces))
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, name := range ifaces {
		if i, ok := l.linkAt[portKey{device, name}]; ok {
			out[name] = *l.links[i]
		}
	}
	return out, l.now()
}

// connected reports whether two devices can reach each other over up
// links: the lab's stand-in for an IGP carrying loopbacks.
func (l *Lab) connected(a, b string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	ca, okA := l.comp[a]
	cb, okB := l.comp[b]
	return okA && okB && ca == cb
}
