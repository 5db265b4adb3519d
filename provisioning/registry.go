package provisioning

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
)

// Platform turns an Intent into one network operating system's config and
// knows how that OS shows its running config and takes changes.
type Platform interface {
	// Name is the inventory's platform value: frr, eos, iosxe, junos, srlinux, openconfig.
	Name() string
	Render(in Intent) ([]byte, error)
	// Delta normalizes both configs and computes what to send so the device
	// runs want; it never talks to the device.
	Delta(running, want []byte) (Delta, error)
}

// Delta is the difference between a running and an intended config.
type Delta struct {
	// Have and Want are the normalized configs the diff is made of.
	Have, Want string
	// Commands are sent in order, in configuration mode; for replace-style
	// platforms (Replace true) Commands holds the whole config to load.
	Commands []string
	Replace  bool
	// diff, when set, shows the change on the device's own text.
	diff func(nameA, nameB string) string
}

// Diff returns the change as a unified diff: on the device's own text
// with its line numbers where the platform can, else between the
// normalized configs.
func (d Delta) Diff(nameA, nameB string) string {
	if d.diff != nil {
		return d.diff(nameA, nameB)
	}
	return UnifiedDiff(nameA, nameB, d.Have, d.Want)
}

// Changed reports whether anything would be sent.
func (d Delta) Changed() bool { return len(d.Commands) > 0 }

// ErrUnknownDevice is returned for a device name the inventory lacks.
var ErrUnknownDevice = errors.New("not in the inventory")

// ErrUnknownPlatform is returned for a platform no registry entry handles.
var ErrUnknownPlatform = errors.New("unknown platform")

// Registry maps platform names to their renderers. It is a value: build one
// in main (Builtin lists them all) and pass it down.
type Registry struct {
	platforms map[string]Platform
}

// NewRegistry returns a registry holding the given platforms.
func NewRegistry(ps ...Platform) *Registry {
	r := &Registry{platforms: map[string]Platform{}}
	for _, p := range ps {
		r.Register(p)
	}
	return r
}

// Builtin returns a new registry with every platform tuyau ships.
func Builtin() *Registry {
	return NewRegistry(FRR{}, EOS{}, IOSXE{}, Junos{}, SRLinux{}, OpenConfig{})
}

// Register adds or replaces a platform.
func (r *Registry) Register(p Platform) { r.platforms[p.Name()] = p }

// Get returns the platform by name; an unknown name lists the known ones.
func (r *Registry) Get(name string) (Platform, error) {
	if p, ok := r.platforms[name]; ok {
		return p, nil
	}
	return nil, fmt.Errorf("platform %q: %w (known: %s)", name, ErrUnknownPlatform, strings.Join(r.Names(), ", "))
}

// Names lists the registered platforms, sorted.
func (r *Registry) Names() []string {
	names := make([]string, 0, len(r.platforms))
	for n := range r.platforms {
		names = append(names, n)
	}
	sort.Strings(names)
	return slices.Clip(names)
}
