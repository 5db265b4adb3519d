package provisioning

import (
	"fmt"

	"github.com/tuyau-net/tuyau/inventory"
)

// Rendered is one device's intended config.
type Rendered struct {
	Device   string `json:"device"`
	Platform string `json:"platform"`
	Config   []byte `json:"-"`
}

// Render renders the intended config of each named device (all devices
// when names is empty) with its inventory platform, or with platform when
// it is set (openconfig for gNMI).
func Render(x *inventory.Index, reg *Registry, names []string, platform string, opt Options) ([]Rendered, error) {
	if len(names) == 0 {
		for _, d := range x.Snapshot().Devices {
			names = append(names, d.Name)
		}
	}
	out := make([]Rendered, 0, len(names))
	for _, n := range names {
		r, err := RenderDevice(x, reg, n, platform, opt)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

// RenderDevice renders one device.
func RenderDevice(x *inventory.Index, reg *Registry, name, platform string, opt Options) (Rendered, error) {
	in, err := BuildIntent(x, name, opt)
	if err != nil {
		return Rendered{}, err
	}
	if platform == "" {
		platform = in.Platform
	}
	p, err := reg.Get(platform)
	if err != nil {
		return Rendered{}, fmt.Errorf("device %s: %w", name, err)
	}
	cfg, err := p.Render(in)
	if err != nil {
		return Rendered{}, fmt.Errorf("device %s: render %s: %w", name, platform, err)
	}
	return Rendered{Device: name, Platform: platform, Config: cfg}, nil
}
