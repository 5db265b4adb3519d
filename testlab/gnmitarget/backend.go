package gnmitarget

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// Backend is the device behind one gNMI target: the server reads its
// state, hands it validated changes and listens for its change signals.
// The virtual devices of testlab implement it on their running config and
// link model; MemBackend is the reference implementation.
type Backend interface {
	// State returns every leaf the device has now, config and state, each
	// at its concrete path. The server treats the result as read-only and
	// does not keep it past the call that asked for it.
	State(ctx context.Context) ([]Leaf, error)
	// Apply makes all changes or none. Changes are already validated
	// against the writable schema (see Change); an error rejects the
	// whole gNMI Set, so Apply must leave the device as it was.
	Apply(ctx context.Context, changes []Change) error
	// Watch calls notify after every change of state that ON_CHANGE
	// subscribers should see, until ctx is done. notify does not block
	// and may be called from any goroutine; calls may be coalesced. The
	// server calls Watch once per Serve.
	Watch(ctx context.Context, notify func())
}

// TimedBackend is a Backend that says when the state it returns was
// taken. Notifications carry that time (gNMI: the time the data was
// collected), not the time they are sent: a collector computes rates
// over the timestamps of two samples, and a sample whose counters were
// read at t but stamped when it left, a moment later under load, makes
// the counter delta look faster than the link (over 100 %). A Backend
// without it is stamped just before its State call.
type TimedBackend interface {
	Backend
	// StateAt is State and the instant its values stand for.
	StateAt(ctx context.Context) ([]Leaf, time.Time, error)
}

// AppendBackend is a TimedBackend that can append its state to a slice the
// caller reuses: a subscription session reads its device at every sample,
// and a fresh slice of every leaf per read per subscriber was a large
// load lab's main garbage (with two collectors on 200 devices x 48 ports
// at 1 s, garbage collection took half of the lab's CPU). The server
// treats dst's old contents as its own scratch and keeps nothing of the
// result past the read's use.
type AppendBackend interface {
	TimedBackend
	// AppendStateAt is StateAt appending to dst[:0].
	AppendStateAt(ctx context.Context, dst []Leaf) ([]Leaf, time.Time, error)
}

// VersionedBackend is a Backend that can tell, without reading its state,
// that nothing moved but its volatile leaves. A STREAM session woken by a
// change signal with only ON_CHANGE subscriptions then reads nothing when
// the version is the one of its last read and none of its ON_CHANGE
// subscriptions covers a volatile leaf: a device whose counters advance
// all the time may signal every second, and reading its whole state for
// each subscriber to find its oper-status unchanged was most of a large
// lab's CPU.
type VersionedBackend interface {
	Backend
	// StateVersion changes whenever a leaf that is not volatile may have
	// changed; it is read before the State that it stands for.
	StateVersion() uint64
	// Volatile reports whether the leaf at path (as State gives it) moves
	// without StateVersion changing, like counters.
	Volatile(path string) bool
}

// Leaf is one OpenConfig leaf of the device.
//
// Path is a concrete path in ParsePath syntax, such as
// "/interfaces/interface[name=eth1]/state/counters/in-octets". Value is
// one of string, bool, int8..int64, uint8..uint64, float32 or float64;
// the Go type is the YANG type: uint64 counters are encoded as strings in
// JSON_IETF (RFC 7951), uint32 and smaller as numbers, float64 (decimal64
// in the models, like optical power in dBm) as strings in JSON_IETF and
// numbers in JSON, and as double_val in PROTO.
type Leaf struct {
	Path  string
	Value any
}

// Op is what a Change does.
type Op int

// The two change operations.
const (
	// OpSet sets the leaf at Path to Value, creating the list entries
	// along Path that do not exist yet (a new BGP neighbor or address).
	OpSet Op = iota + 1
	// OpDelete removes the leaf at Path, which then takes its default,
	// or, when Path ends at a list entry, that whole entry.
	OpDelete
)

func (o Op) String() string {
	switch o {
	case OpSet:
		return "set"
	case OpDelete:
		return "delete"
	}
	return fmt.Sprintf("Op(%d)", int(o))
}

// Change is one validated change of the writable subset. Path is
// canonical (Path.String of a concrete path) and matches one of the
// patterns in WritablePaths, or for OpDelete one of the list entries in
// CreatableLists. Value has the Go type of the leaf: string for
// descriptions, bool for enabled, uint16 for mtu, uint8 for prefix-length,
// uint32 for peer-as.
//
// A Set produces deletes first (whole entries, then leaves), then sets:
// those of config/peer-as and config/prefix-length first, then the rest,
// each group sorted by path. So a new neighbor arrives as OpSet of its
// config/peer-as (always present) before its other leaves, and a removed
// one as a single OpDelete of .../neighbor[neighbor-address=X].
// Deleting a leaf that an entry cannot lack (peer-as, prefix-length) is
// refused; the entry is deleted instead.
type Change struct {
	Op    Op
	Path  string
	Value any
}

// Match reports whether the change's path matches pattern (ParsePath
// syntax, "*" for any key value) exactly, and returns the path's keys by
// name, later elements winning: for
// "/interfaces/interface[name=*]/config/mtu" it returns {"name": "eth1"}.
func (c Change) Match(pattern string) (map[string]string, bool) {
	pp, err := ParsePath(pattern)
	if err != nil {
		return nil, false
	}
	cp, err := ParsePath(c.Path)
	if err != nil || !pp.MatchExact(cp) {
		return nil, false
	}
	keys := map[string]string{}
	for _, e := range cp {
		for k, v := range e.Keys {
			keys[k] = v
		}
	}
	return keys, true
}

func (c Change) String() string {
	if c.Op == OpDelete {
		return "delete " + c.Path
	}
	return fmt.Sprintf("set %s = %v", c.Path, c.Value)
}

// Paths of the leaves a virtual device reports, for building Leaf.Path.
// Key values here never need escaping: interface names, IP addresses and
// component names in the lab hold no "]" or "\".

// InterfacePath is the path of leaf (like "state/oper-status") of interface name.
func InterfacePath(name, leaf string) string {
	return "/interfaces/interface[name=" + name + "]/" + leaf
}

// AddressPath is the path of leaf (like "config/prefix-length") of address
// ip on subinterface index of interface name: under ipv4 or ipv6 as the
// address is (openconfig-if-ip keeps the families apart).
func AddressPath(name string, index uint32, ip, leaf string) string {
	af := "ipv4"
	if strings.Contains(ip, ":") {
		af = "ipv6"
	}
	return fmt.Sprintf("/interfaces/interface[name=%s]/subinterfaces/subinterface[index=%d]/%s/addresses/address[ip=%s]/%s", name, index, af, ip, leaf)
}

// NeighborPath is the path of leaf (like "state/session-state") of the BGP
// neighbor addr in the default network instance.
func NeighborPath(addr, leaf string) string {
	return bgpPrefix + "/neighbors/neighbor[neighbor-address=" + addr + "]/" + leaf
}

// TransceiverChannelPath is the path of leaf (like "state/input-power/instant")
// of physical channel index of the transceiver component.
func TransceiverChannelPath(component string, index int, leaf string) string {
	return fmt.Sprintf("/components/component[name=%s]/transceiver/physical-channels/channel[index=%d]/%s", component, index, leaf)
}

// TransceiverPath is the path of a module-level transceiver leaf (like
// "state/input-power/instant", the total over channels).
func TransceiverPath(component, leaf string) string {
	return "/components/component[name=" + component + "]/transceiver/" + leaf
}

const bgpPrefix = "/network-instances/network-instance[name=default]/protocols/protocol[identifier=BGP][name=BGP]/bgp"
