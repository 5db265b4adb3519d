package netns

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"syscall"
	"time"

	"github.com/tuyau-net/tuyau/inventory"
)

// State is everything a lab made, written before it is made so Down can
// remove it after a crash. It is also what Status and the fault functions
// read: the CLI runs each in its own process.
type State struct {
	Name    string      `json:"name"`
	Created time.Time   `json:"created"`
	Phase   string      `json:"phase"` // creating, up
	Config  ConfigLevel `json:"config"`
	// Dir holds the lab's files: host keys, sshd configs, known_hosts.
	Dir string `json:"dir"`
	// Bridge is the host-side management bridge; HostAddr is its address.
	Bridge string `json:"bridge"`
	// Wire is the namespace standing for the fiber plant: the middle of
	// every routed link and the far end of every unlinked port.
	Wire       string       `json:"wire"`
	MgmtPrefix netip.Prefix `json:"mgmt_prefix"`
	HostAddr   netip.Addr   `json:"host_addr"`
	User       string       `json:"user"`
	KnownHosts string       `json:"known_hosts"`
	Devices    []Device     `json:"devices"`
	Links      []Link       `json:"links"`
	// Cables maps each cable carrying a routed link to its shared-risk groups.
	Cables map[string][]string `json:"cables"`
	Faults Faults              `json:"faults"`
}

// Device is one router of the lab.
type Device struct {
	Name string               `json:"name"`
	Role inventory.DeviceRole `json:"role"`
	// Netns is the network namespace; Pathspace the FRR pathspace (-N).
	Netns     string `json:"netns"`
	Pathspace string `json:"pathspace"`
	Hostname  string `json:"hostname"`
	// Mgmt is the device's address on the management bridge, where sshd listens.
	Mgmt     netip.Prefix `json:"mgmt"`
	HostVeth string       `json:"host_veth"`
	// Dir holds the device's sshd files inside the lab's Dir.
	Dir        string  `json:"dir"`
	Interfaces []Iface `json:"interfaces"`
	// Transit is set on the routers the lab adds for transit providers.
	Transit *TransitPeer `json:"transit,omitempty"`
	// Paths are directories outside Dir the lab created for the device
	// (FRR config and run dirs, /etc/netns entry); Down removes them.
	Paths []string `json:"paths"`
}

// Iface is an inventory interface as the lab built it.
type Iface struct {
	Name string `json:"name"` // in the inventory
	// Ifname is the Linux name inside the namespace (15 characters at most).
	Ifname string `json:"ifname"`
	// Kind is "loopback", "veth" (a routed link) or "unlinked" (no peer in
	// the lab: a transit circuit, a planned cable, an empty port; a veth
	// whose far end sits down in the Wire namespace, so it shows no
	// carrier, as an unplugged port does).
	Kind string `json:"kind"`
	MTU  int    `json:"mtu,omitempty"`
}

// Link is a routed link. Each end is a veth whose peer sits in the Wire
// namespace, where a bridge joins the two peers: taking a peer down is a
// fiber cut (the device's interface stays administratively up and loses
// carrier), and the device's own config never fights the lab's faults.
type Link struct {
	A End `json:"a"`
	B End `json:"b"`
	// WireA and WireB are the peers of A and B in the Wire namespace,
	// WireBridge the bridge joining them.
	WireA      string `json:"wire_a"`
	WireB      string `json:"wire_b"`
	WireBridge string `json:"wire_bridge"`
	// Cables are the cables the link rides, patch cords included.
	Cables []string `json:"cables"`
}

// End is one side of a link.
type End struct {
	Device    string `json:"device"`
	Interface string `json:"interface"`
	Ifname    string `json:"ifname"`
}

// Faults are the faults in force.
type Faults struct {
	Cables  []string `json:"cables,omitempty"`
	Devices []string `json:"devices,omitempty"`
}

// String names a link the way an engineer reads it.
func (l Link) String() string {
	return l.A.Device + ":" + l.A.Interface + " -- " + l.B.Device + ":" + l.B.Interface
}

// device returns the named device or nil.
func (s *State) device(name string) *Device {
	for i := range s.Devices {
		if s.Devices[i].Name == name {
			return &s.Devices[i]
		}
	}
	return nil
}

// linkUp reports whether a link should be up given the faults in force.
func (s *State) linkUp(l Link) bool {
	if slices.Contains(s.Faults.Devices, l.A.Device) || slices.Contains(s.Faults.Devices, l.B.Device) {
		return false
	}
	for _, c := range l.Cables {
		if slices.Contains(s.Faults.Cables, c) {
			return false
		}
	}
	return true
}

func readState(path string) (*State, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("lab state %s: %w", path, err)
	}
	var s State
	if err := json.Unmarshal(data, &s); err != nil {
		return nil, fmt.Errorf("lab state %s: %w", path, err)
	}
	return &s, nil
}

// writeState replaces the state file atomically, so a crash never leaves
// half a file that Down cannot read.
func writeState(path string, s *State) error {
	data, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return fmt.Errorf("lab state %s: %w", path, err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("lab state %s: %w", path, err)
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(data, '\n'), 0o600); err != nil {
		return fmt.Errorf("lab state %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("lab state %s: %w", path, err)
	}
	return nil
}

// lockState serializes the processes that change a lab (a fault from one
// terminal, a restore from another). The lock file sits beside the state
// file and is removed by Down.
func lockState(path string) (unlock func(), err error) {
	// After a reboot the state directory (in /run) is gone; Sweep still
	// takes the lock.
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("lab state %s: lock: %w", path, err)
	}
	f, err := os.OpenFile(path+".lock", os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lab state %s: lock: %w", path, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, fmt.Errorf("lab state %s: lock: %w", path, err)
	}
	return func() { syscall.Flock(int(f.Fd()), syscall.LOCK_UN); f.Close() }, nil
}
