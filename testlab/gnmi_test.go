package testlab

import (
	"context"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	gpb "github.com/openconfig/gnmi/proto/gnmi"
	"github.com/openconfig/gnmic/pkg/api"
	"github.com/openconfig/gnmic/pkg/api/target"
)

// gnmicTarget connects gnmic's client library to a lab device over TLS,
// trusting the lab CA.
func (l *testLab) gnmic(t *testing.T, device string) *target.Target {
	t.Helper()
	d, _ := l.Device(device)
	tg, err := api.NewTarget(api.Name(device), api.Address(hostPort(d.Addr(), l.plan.Ports.GNMI)),
		api.Username("admin"), api.Password(l.password), api.TLSCA(filepath.Join(l.dir, CAFile)),
		api.Timeout(5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := tg.CreateGNMIClient(ctx); err != nil {
		t.Fatalf("gnmic connect to %s: %v", device, err)
	}
	t.Cleanup(func() { tg.Close() })
	return tg
}

// pathString renders a gNMI path with its keys, keys sorted.
func pathString(prefix, p *gpb.Path) string {
	var b strings.Builder
	for _, e := range append(prefix.GetElem(), p.GetElem()...) {
		b.WriteString("/" + e.GetName())
		keys := make([]string, 0, len(e.GetKey()))
		for k, v := range e.GetKey() {
			keys = append(keys, k+"="+v)
		}
		sort.Strings(keys)
		for _, k := range keys {
			b.WriteString("[" + k + "]")
		}
	}
	return b.String()
}

// gnmiGet returns the leaves under paths, PROTO-encoded, as path -> value.
func gnmiGet(t *testing.T, tg *target.Target, paths ...string) map[string]any {
	t.Helper()
	opts := []api.GNMIOption{api.EncodingPROTO()}
	for _, p := range paths {
		opts = append(opts, api.Path(p))
	}
	req, err := api.NewGetRequest(opts...)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	resp, err := tg.Get(ctx, req)
	if err != nil {
		t.Fatalf("gNMI Get %v: %v", paths, err)
	}
	out := map[string]any{}
	for _, n := range resp.GetNotification() {
		for _, u := range n.GetUpdate() {
			v := u.GetVal()
			var val any
			switch x := v.GetValue().(type) {
			case *gpb.TypedValue_StringVal:
				val = x.StringVal
			case *gpb.TypedValue_UintVal:
				val = x.UintVal
			case *gpb.TypedValue_DoubleVal:
				val = x.DoubleVal
			case *gpb.TypedValue_BoolVal:
				val = x.BoolVal
			default:
				val = v.String()
			}
			out[pathString(n.GetPrefix(), u.GetPath())] = val
		}
	}
	return out
}

// TestGNMIFollowsFaults reads a link's two ends, their optics and the BGP
// session over it through gNMI with gnmic, cuts the cable, and reads them
// again; then sets the neighbor shut through gNMI and checks the CLI sees
// it.
func TestGNMIFollowsFaults(t *testing.T) {
	snap := smallNet(t, 8)
	l := startTestLab(t, snap, BootstrapFull)
	ctx := context.Background()
	waitFor(t, 30*time.Second, "converged", func() (bool, string) { return l.allEstablished(ctx) })
	member, pop, memberAddr, _ := ebgpPair(t, l, snap)
	var lk Link
	for _, x := range l.plan.Links {
		if (x.A.Device == member.Name && x.B.Device == pop.Name) || (x.B.Device == member.Name && x.A.Device == pop.Name) {
			lk = x
		}
	}
	popEnd := lk.A
	if popEnd.Device != pop.Name {
		popEnd = lk.B
	}
	tg := l.gnmic(t, pop.Name)
	oper := fmt.Sprintf("/interfaces/interface[name=%s]/state/oper-status", popEnd.Interface)
	inOctets := fmt.Sprintf("/interfaces/interface[name=%s]/state/counters/in-octets", popEnd.Interface)
	power := fmt.Sprintf("/components/component[name=%s]/transceiver/state/input-power/instant", popEnd.Interface)
	session := fmt.Sprintf("/network-instances/network-instance[name=default]/protocols/protocol[identifier=BGP][name=BGP]/bgp/neighbors/neighbor[neighbor-address=%s]/state/session-state", memberAddr)

	before := gnmiGet(t, tg, oper, inOctets, power, session)
	if before[oper] != "UP" || before[session] != "ESTABLISHED" {
		t.Fatalf("before the cut: %v", before)
	}
	if p, ok := before[power].(float64); !ok || p < -30 || p > 5 {
		t.Errorf("input power before the cut = %v, want a live level", before[power])
	}
	time.Sleep(1100 * time.Millisecond)
	later := gnmiGet(t, tg, inOctets)
	if later[inOctets].(uint64) <= before[inOctets].(uint64) {
		t.Errorf("in-octets did not advance on an up link: %v then %v", before[inOctets], later[inOctets])
	}

	if _, err := l.Cut(ctx, lk.Cables[len(lk.Cables)/2]); err != nil {
		t.Fatal(err)
	}
	after := gnmiGet(t, tg, oper, inOctets, power, session)
	if after[oper] != "DOWN" || after[power] != losFloorDBm || after[session] == "ESTABLISHED" {
		t.Errorf("after the cut: %v", after)
	}
	time.Sleep(500 * time.Millisecond)
	if again := gnmiGet(t, tg, inOctets); again[inOctets] != after[inOctets] {
		t.Errorf("in-octets advanced on a cut link: %v then %v", after[inOctets], again[inOctets])
	}
	if _, err := l.Restore(ctx, Target{}); err != nil {
		t.Fatal(err)
	}

	// A gNMI Set lands in the running config the CLI shows.
	nb := fmt.Sprintf("/network-instances/network-instance[name=default]/protocols/protocol[identifier=BGP][name=BGP]/bgp/neighbors/neighbor[neighbor-address=%s]/config/enabled", memberAddr)
	set, err := api.NewSetRequest(api.Update(api.Path(nb), api.Value("false", "json_ietf")))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tg.Set(ctx, set); err != nil {
		t.Fatalf("gNMI Set: %v", err)
	}
	d, _ := l.Device(pop.Name)
	if run := d.Running().Config().Render(); !strings.Contains(run, "neighbor "+memberAddr+" shutdown") {
		t.Errorf("after gNMI Set enabled=false, running-config lacks the shutdown:\n%s", run)
	}
	if sum := d.BGPSummary(ctx, "ipv4 unicast", false); !strings.Contains(sum, "Idle (Admin)") {
		t.Errorf("after gNMI shutdown, show bgp summary:\n%s", sum)
	}
}

// TestGNMISubscribeSeesCut streams a link end's oper-status and input power
// ON_CHANGE with gnmic and checks a cut reaches the subscriber without
// polling: the lab notifies the gNMI servers after every fault.
func TestGNMISubscribeSeesCut(t *testing.T) {
	snap := smallNet(t, 8)
	l := startTestLab(t, snap, BootstrapBase)
	var lk linkState
	for _, s := range l.links {
		if s.up && s.optical && s.B.Circuit == "" {
			lk = *s
			break
		}
	}
	tg := l.gnmic(t, lk.A.Device)
	oper := fmt.Sprintf("/interfaces/interface[name=%s]/state/oper-status", lk.A.Interface)
	power := fmt.Sprintf("/components/component[name=%s]/transceiver/state/input-power/instant", lk.A.Interface)
	req, err := api.NewSubscribeRequest(api.SubscriptionListModeSTREAM(), api.EncodingPROTO(),
		api.Subscription(api.Path(oper), api.SubscriptionModeON_CHANGE()),
		api.Subscription(api.Path(power), api.SubscriptionModeON_CHANGE()))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	resp, errs := tg.SubscribeChan(ctx, req, "cut")
	seen := map[string]any{}
	read := func(until func() bool) {
		t.Helper()
		timeout := time.After(10 * time.Second)
		for !until() {
			select {
			case r := <-resp:
				for _, u := range r.Response.GetUpdate().GetUpdate() {
					key := pathString(r.Response.GetUpdate().GetPrefix(), u.GetPath())
					switch v := u.GetVal().GetValue().(type) {
					case *gpb.TypedValue_StringVal:
						seen[key] = v.StringVal
					case *gpb.TypedValue_DoubleVal:
						seen[key] = v.DoubleVal
					}
				}
			case e := <-errs:
				t.Fatalf("subscription: %v", e.Err)
			case <-timeout:
				t.Fatalf("subscription: waited 10 s, have %v", seen)
			}
		}
	}
	read(func() bool { return seen[oper] == "UP" })
	if _, err := l.Cut(context.Background(), lk.Cables[0]); err != nil {
		t.Fatal(err)
	}
	read(func() bool { return seen[oper] == "DOWN" && seen[power] == losFloorDBm })
}

// TestGNMIIPv6OnDevice sets an IPv6 address and a description full of
// colons on a virtual device through gNMI (gnmic's client, JSON_IETF), and
// checks the running config the CLI shows, the gNMI Get, and a delete of
// the subinterface removing both families.
func TestGNMIIPv6OnDevice(t *testing.T) {
	snap := smallNet(t, 4)
	l := startTestLab(t, snap, BootstrapFull)
	ctx := context.Background()
	dev := snap.Devices[0].Name
	ifc := ""
	for _, i := range snap.Devices[0].Interfaces {
		if i.Name != "lo" {
			ifc = i.Name
			break
		}
	}
	tg := l.gnmic(t, dev)
	base := fmt.Sprintf("/interfaces/interface[name=%s]", ifc)
	addr := base + "/subinterfaces/subinterface[index=0]/openconfig-if-ip:ipv6/addresses/address[ip=2001:db8:77::1]/config"
	set, err := api.NewSetRequest(
		api.Update(api.Path(addr), api.Value(`{"ip": "2001:db8:77::1", "prefix-length": 64}`, "json_ietf")),
		api.Update(api.Path(base+"/config/description"), api.Value(`"to r2: eth1 [2001:db8:77::2]"`, "json_ietf")))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tg.Set(ctx, set); err != nil {
		t.Fatalf("gNMI Set of an IPv6 address: %v", err)
	}
	d, _ := l.Device(dev)
	run := d.Running().Config().Render()
	for _, want := range []string{" ipv6 address 2001:db8:77::1/64", " description to r2: eth1 [2001:db8:77::2]"} {
		if !strings.Contains(run, want) {
			t.Errorf("running-config lacks %q after the Set:\n%s", want, run)
		}
	}
	pl := base + "/subinterfaces/subinterface[index=0]/ipv6/addresses/address[ip=2001:db8:77::1]/config/prefix-length"
	if got := gnmiGet(t, tg, pl); got[pl] != uint64(64) {
		t.Errorf("gNMI Get %s = %v, want 64", pl, got)
	}
	del, err := api.NewSetRequest(api.Delete(base + "/subinterfaces/subinterface[index=0]"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tg.Set(ctx, del); err != nil {
		t.Fatalf("gNMI delete of subinterface 0: %v", err)
	}
	if run := d.Running().Config().Render(); strings.Contains(run, "2001:db8:77::1") {
		t.Errorf("subinterface deleted, the IPv6 address stays:\n%s", run)
	}
}
