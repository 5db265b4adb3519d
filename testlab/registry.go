package testlab

import (
	"context"
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
	"time"
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
	Labs map[string]int `json:"labs"` // lab name -> slot, for labs that are up
	// Kept remembers the slot of a lab that is down, so its next up gets the
	// same addresses and ports and its known_hosts stays valid; other labs
	// do not take it. down --purge forgets it.
	Kept map[string]int `json:"kept,omitempty"`
}

// ErrSlotBusy is returned by Up when something listens on the ports of the
// lab's own slot longer than Up waits for them.
var ErrSlotBusy = errors.New("ports busy")

// slotWait bounds how long Up waits for its own slot's ports: the listeners
// of a lab process that is still exiting close within milliseconds, anything
// longer is another program.
const slotWait = 5 * time.Second

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
	r := &registry{Labs: map[string]int{}, Kept: map[string]int{}}
	b, err := os.ReadFile(p)
	switch {
	case err == nil:
		if err := json.Unmarshal(b, r); err != nil {
			return fmt.Errorf("lab registry %s: %w", p, err)
		}
		if r.Labs == nil {
			r.Labs = map[string]int{}
		}
		if r.Kept == nil {
			r.Kept = map[string]int{}
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

// allocate gives lab name a slot: the one it holds or held before its last
// down, else a free slot whose ports nobody on the machine listens on. The
// lab's own slot may still be busy for a moment (a lab process that is
// exiting); allocate retries it for up to wait, then fails with
// ErrSlotBusy rather than move the lab to other addresses.
func allocate(ctx context.Context, root, name string, wait time.Duration) (int, error) {
	deadline := time.Now().Add(wait)
	retry := time.NewTicker(50 * time.Millisecond)
	defer retry.Stop()
	for {
		slot, err := tryAllocate(root, name)
		if !errors.Is(err, ErrSlotBusy) || !time.Now().Before(deadline) {
			return slot, err
		}
		select {
		case <-ctx.Done():
			return 0, fmt.Errorf("%w; gave up waiting: %w", err, ctx.Err())
		case <-retry.C:
		}
	}
}

// tryAllocate is one attempt of allocate under the registry lock; on
// ErrSlotBusy it returns the slot it waits for.
func tryAllocate(root, name string) (slot int, err error) {
	err = withRegistry(root, func(r *registry) error {
		if s, ok := r.Labs[name]; ok {
			slot = s
			return nil
		}
		used := map[int]string{}
		for n, s := range r.Kept {
			used[s] = n
		}
		for n, s := range r.Labs {
			used[s] = n
		}
		if s, ok := r.Kept[name]; ok && used[s] == name {
			slot = s
			block, ports := slotBlock(s), slotPorts(s)
			if err := portsFree(block, ports); err != nil {
				return fmt.Errorf("lab %s: slot %d (%s, ports %d-%d): %w: %w; stop what listens there, or tuyau lab down --purge gives the lab a new slot (and new keys)",
					name, s, block, ports.SSH, ports.BGP, ErrSlotBusy, err)
			}
			r.Labs[name] = s
			delete(r.Kept, name)
			return nil
		}
		first := firstSlot(root, name)
		for i := 0; i < maxSlots; i++ {
			s := (first + i) % maxSlots
			if _, taken := used[s]; taken || portsFree(slotBlock(s), slotPorts(s)) != nil {
				continue
			}
			r.Labs[name] = s
			delete(r.Kept, name)
			slot = s
			return nil
		}
		return fmt.Errorf("lab %s: all %d lab slots are taken or their ports are busy (labs that are down keep theirs until tuyau lab down --purge)", name, maxSlots)
	})
	return slot, err
}

// firstSlot is where the search for a new lab's slot starts: a slot picked
// by the lab's directory and name, so that labs under different roots (tests
// running side by side, two users) rarely try the same slot at the same
// moment; the flock already orders labs sharing a root.
func firstSlot(root, name string) int {
	h := fnv.New32a()
	h.Write([]byte(root + "\x00" + name))
	return int(h.Sum32() % maxSlots)
}

// release gives a lab's slot back; with keep the slot stays the lab's for
// its next up.
func release(root, name string, keep bool) error {
	return withRegistry(root, func(r *registry) error {
		s, ok := r.Labs[name]
		delete(r.Labs, name)
		switch {
		case !keep:
			delete(r.Kept, name)
		case ok:
			r.Kept[name] = s
		}
		return nil
	})
}

// portsFree checks that the slot's ports can be bound on its first
// address (a listener on 0.0.0.0 elsewhere on the machine would collide),
// returning the first bind error.
func portsFree(block netip.Prefix, p Ports) error {
	addr := block.Addr().Next()
	for _, port := range []int{p.SSH, p.GNMI, p.BGP} {
		ln, err := net.Listen("tcp", hostPort(addr, port))
		if err != nil {
			return err
		}
		ln.Close()
	}
	return nil
}

// registered reports whether lab name holds a slot (up) or keeps one for
// its next up (kept).
func registered(root, name string) (up, kept bool) {
	withRegistry(root, func(r *registry) error {
		_, up = r.Labs[name]
		_, kept = r.Kept[name]
		return nil
	})
	return up, kept
}
