package testlab

import (
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io/fs"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"syscall"
)

// Each lab on a machine owns a slot: a /16 of 127.0.0.0/8 and three ports.
// Slots are handed out under an flock on the registry, so two "lab up" at
// once never pick the same one.
const (
	firstBlock = 16    // slot 0 is 127.16.0.0/16
	maxSlots   = 200   // up to 127.215.0.0/16
	basePort   = 17000 // slot s uses 17000+3s .. 17000+3s+2
)

// slotBlock and slotPorts give a slot's addresses and ports.
func slotBlock(slot int) netip.Prefix {
	return netip.PrefixFrom(netip.AddrFrom4([4]byte{127, byte(firstBlock + slot), 0, 0}), 16)
}

func slotPorts(slot int) Ports {
	p := basePort + 3*slot
	return Ports{SSH: p, GNMI: p + 1, BGP: p + 2}
}

type registry struct {
	Labs map[string]int `json:"labs"` // lab name -> slot
}

var labNameRE = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?$`)

// checkName refuses names that would not make a safe directory name.
func checkName(name string) error {
	if !labNameRE.MatchString(name) {
		return fmt.Errorf("lab name %q: want lowercase letters, digits and '-', up to 32", name)
	}
	return nil
}

// withRegistry runs fn with the registry of root locked and saves what fn
// leaves in it.
func withRegistry(root string, fn func(r *registry) error) error {
	if err := os.MkdirAll(root, 0o755); err != nil {
		return fmt.Errorf("lab registry: %w", err)
	}
	lock, err := os.OpenFile(filepath.Join(root, "registry.lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return fmt.Errorf("lab registry: %w", err)
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return fmt.Errorf("lab registry lock: %w", err)
	}
	defer syscall.Flock(int(lock.Fd()), syscall.LOCK_UN)
	p := filepath.Join(root, "registry.json")
	r := &registry{Labs: map[string]int{}}
	b, err := os.ReadFile(p)
	switch {
	case err == nil:
		if err := json.Unmarshal(b, r); err != nil {
			return fmt.Errorf("lab registry %s: %w", p, err)
		}
		if r.Labs == nil {
			r.Labs = map[string]int{}
		}
	case !errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("lab registry: %w", err)
	}
	if err := fn(r); err != nil {
		return err
	}
	b, _ = json.MarshalIndent(r, "", "  ")
	tmp := p + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return fmt.Errorf("lab registry: %w", err)
	}
	return os.Rename(tmp, p)
}

// allocate gives lab name a slot: its own if it had one, else a free slot
// whose ports nobody on the machine listens on.
func allocate(root, name string) (slot int, err error) {
	err = withRegistry(root, func(r *registry) error {
		if s, ok := r.Labs[name]; ok {
			slot = s
			return nil
		}
		used := map[int]bool{}
		for _, s := range r.Labs {
			used[s] = true
		}
		// Start from a slot picked by the lab's directory and name, so that
		// labs under different roots (tests running side by side, two
		// users) rarely try the same slot at the same moment; the flock
		// already orders labs sharing a root.
		h := fnv.New32a()
		h.Write([]byte(root + "\x00" + name))
		first := int(h.Sum32() % maxSlots)
		for i := 0; i < maxSlots; i++ {
			s := (first + i) % maxSlots
			if used[s] || !portsFree(slotBlock(s), slotPorts(s)) {
				continue
			}
			r.Labs[name] = s
			slot = s
			return nil
		}
		return fmt.Errorf("lab %s: all %d lab slots are taken or their ports are busy", name, maxSlots)
	})
	return slot, err
}

// release gives a lab's slot back.
func release(root, name string) error {
	return withRegistry(root, func(r *registry) error {
		delete(r.Labs, name)
		return nil
	})
}

// portsFree checks that the slot's ports can be bound on its first
// address: a listener on 0.0.0.0 elsewhere on the machine would collide.
func portsFree(block netip.Prefix, p Ports) bool {
	addr := block.Addr().Next()
	for _, port := range []int{p.SSH, p.GNMI, p.BGP} {
		ln, err := net.Listen("tcp", hostPort(addr, port))
		if err != nil {
			return false
		}
		ln.Close()
	}
	return true
}

// registered reports whether lab name holds a slot.
func registered(root, name string) bool {
	ok := false
	withRegistry(root, func(r *registry) error {
		_, ok = r.Labs[name]
		return nil
	})
	return ok
}
