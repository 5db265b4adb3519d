package gnmitarget_test

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"sync"

	gpb "github.com/openconfig/gnmi/proto/gnmi"
	"google.golang.org/protobuf/encoding/prototext"

	"github.com/tuyau-net/tuyau/testlab/gnmitarget"
)

// router is a device that keeps its own config structs, the way a testlab
// virtual device keeps an FRR running config: its Backend renders a
// DeviceView and applies Edits to a copy it swaps in only if all succeed.
type router struct {
	gnmitarget.Notifier // Watch; Notify after every change

	mu  sync.Mutex
	cfg routerConfig
}

type routerConfig struct {
	ifaces    map[string]*routerIface
	neighbors map[string]*routerNeighbor
}

type routerIface struct {
	desc     string
	mtu      uint16
	shutdown bool
	addrs    []netip.Prefix
}

type routerNeighbor struct {
	remoteAS uint32
	desc     string
	shutdown bool
}

func (r *router) State(ctx context.Context) ([]gnmitarget.Leaf, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	v := gnmitarget.DeviceView{BGP: &gnmitarget.BGPView{AS: 65001}}
	for name, f := range r.cfg.ifaces {
		v.Interfaces = append(v.Interfaces, gnmitarget.InterfaceView{
			Name: name, Description: f.desc, MTU: f.mtu, Enabled: !f.shutdown, OperUp: !f.shutdown, Addresses: f.addrs,
		})
	}
	for addr, n := range r.cfg.neighbors {
		v.BGP.Neighbors = append(v.BGP.Neighbors, gnmitarget.NeighborView{
			Address: addr, PeerAS: n.remoteAS, Description: n.desc, Enabled: !n.shutdown, SessionState: "Active",
		})
	}
	return v.Leaves(), nil
}

func (r *router) Apply(ctx context.Context, changes []gnmitarget.Change) error {
	r.mu.Lock()
	next := r.cfg.clone()
	r.mu.Unlock()
	for _, c := range changes {
		e, err := gnmitarget.DecodeChange(c)
		if err != nil {
			return err
		}
		if err := next.apply(e); err != nil {
			return fmt.Errorf("%s: %w", c, err) // nothing applied
		}
	}
	r.mu.Lock()
	r.cfg = next
	r.mu.Unlock()
	r.Notify()
	return nil
}

func (c *routerConfig) apply(e gnmitarget.Edit) error {
	f := c.ifaces[e.Interface]
	if e.Interface != "" && f == nil {
		return fmt.Errorf("no interface %s", e.Interface)
	}
	switch e.Kind {
	case gnmitarget.EditInterfaceDescription:
		f.desc = e.String // "" on delete
	case gnmitarget.EditInterfaceMTU:
		f.mtu = uint16(e.Uint)
		if e.Delete {
			f.mtu = 1500
		}
	case gnmitarget.EditInterfaceEnabled:
		f.shutdown = !e.Bool && !e.Delete
	case gnmitarget.EditAddress:
		f.addrs = slices.DeleteFunc(f.addrs, func(p netip.Prefix) bool { return p.Addr() == e.Address.Addr() })
		if !e.Delete {
			f.addrs = append(f.addrs, e.Address)
		}
	case gnmitarget.EditSubinterface:
		f.addrs = nil
	case gnmitarget.EditNeighbor:
		delete(c.neighbors, e.Neighbor)
	case gnmitarget.EditNeighborPeerAS:
		if c.neighbors[e.Neighbor] == nil {
			c.neighbors[e.Neighbor] = &routerNeighbor{}
		}
		c.neighbors[e.Neighbor].remoteAS = e.Uint
	case gnmitarget.EditNeighborDescription:
		c.neighbors[e.Neighbor].desc = e.String
	case gnmitarget.EditNeighborEnabled:
		c.neighbors[e.Neighbor].shutdown = !e.Bool && !e.Delete
	}
	return nil
}

func (c routerConfig) clone() routerConfig {
	out := routerConfig{ifaces: map[string]*routerIface{}, neighbors: map[string]*routerNeighbor{}}
	for k, v := range c.ifaces {
		f := *v
		f.addrs = slices.Clone(v.addrs)
		out.ifaces[k] = &f
	}
	for k, v := range c.neighbors {
		n := *v
		out.neighbors[k] = &n
	}
	return out
}

// A device with its own config structs behind the target: a Set adds a
// neighbor and an address and shuts an interface, in one transaction.
func ExampleDeviceView() {
	r := &router{cfg: routerConfig{
		ifaces:    map[string]*routerIface{"eth1": {mtu: 1500}},
		neighbors: map[string]*routerNeighbor{},
	}}
	srv := gnmitarget.New(r)
	var req gpb.SetRequest
	_ = prototext.Unmarshal([]byte(`
		prefix: <elem: <name: "network-instances"> elem: <name: "network-instance" key: <key: "name" value: "default">>
		         elem: <name: "protocols"> elem: <name: "protocol" key: <key: "identifier" value: "BGP"> key: <key: "name" value: "BGP">>
		         elem: <name: "bgp"> elem: <name: "neighbors">>
		update: <path: <elem: <name: "neighbor" key: <key: "neighbor-address" value: "10.0.0.1">>>
		         val: <json_ietf_val: '{"neighbor-address": "10.0.0.1", "config": {"peer-as": 65002, "description": "r2"}}'>>`), &req)
	if _, err := srv.Set(context.Background(), &req); err != nil {
		fmt.Println(err)
	}
	_ = prototext.Unmarshal([]byte(`
		prefix: <elem: <name: "interfaces"> elem: <name: "interface" key: <key: "name" value: "eth1">>>
		update: <path: <elem: <name: "config">> val: <json_ietf_val: '{"enabled": false}'>>
		update: <path: <elem: <name: "subinterfaces">>
		         val: <json_ietf_val: '{"subinterface": [{"index": 0, "openconfig-if-ip:ipv4": {"addresses": {"address": [{"ip": "10.0.0.0", "config": {"prefix-length": 31}}]}}}]}'>>`), &req)
	if _, err := srv.Set(context.Background(), &req); err != nil {
		fmt.Println(err)
	}
	n := r.cfg.neighbors["10.0.0.1"]
	fmt.Printf("neighbor 10.0.0.1 remote-as %d description %s\n", n.remoteAS, n.desc)
	fmt.Printf("eth1 shutdown=%v addresses=%v\n", r.cfg.ifaces["eth1"].shutdown, r.cfg.ifaces["eth1"].addrs)
	// Output:
	// neighbor 10.0.0.1 remote-as 65002 description r2
	// eth1 shutdown=true addresses=[10.0.0.0/31]
}
