package provisioning

import (
	"context"
	"errors"
	"fmt"
)

// HostState is what a device runs that its config cannot change: on FRR
// the interfaces' MTUs are the Linux host's (FRR 8.4 has no "mtu"
// command), and the defaults profile ("frr defaults") is read from
// frr.conf only when the daemons start.
type HostState struct {
	MTU      map[string]int
	Defaults string
}

// HostStateReader is implemented by connections to devices with such
// state; running is the config just read on the same session.
// ErrNoHostState says the device has none (its config sets everything).
type HostStateReader interface {
	HostState(ctx context.Context, running []byte) (HostState, error)
}

// ErrNoHostState is what HostStateReader answers on a device whose config
// sets everything tuyau manages.
var ErrNoHostState = errors.New("no state outside the config")

// frrDefaults is the defaults profile tuyau's FRR configs are written for.
const frrDefaults = "traditional"

// hostDrift reports, as dp.Drift, what the device runs that differs from
// the intent where tuyau cannot change it, with what to do.
func hostDrift(ctx context.Context, c Conn, in Intent, running []byte, dp *DevicePlan) error {
	hr, ok := c.(HostStateReader)
	if !ok {
		if pc, isPool := c.(*pooledConn); isPool {
			hr, ok = pc.Conn.(HostStateReader)
		}
	}
	if !ok {
		return nil
	}
	hs, err := hr.HostState(ctx, running)
	if errors.Is(err, ErrNoHostState) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read interfaces: %w", err)
	}
	for _, i := range in.Interfaces {
		if i.MTU <= 0 || i.Loopback {
			continue
		}
		got, seen := hs.MTU[i.Name]
		switch {
		case !seen:
			dp.Drift = append(dp.Drift, fmt.Sprintf("interface %s: absent from the host, so its MTU %d cannot be checked: create the interface", i.Name, i.MTU))
		case got != i.MTU:
			dp.Drift = append(dp.Drift, fmt.Sprintf("interface %s: MTU %d on the device, %d in the inventory; FRR cannot set it: "+
				"set it on the host (ip link set dev %s mtu %d, and in the host's network config so it survives a reboot)", i.Name, got, i.MTU, i.Name, i.MTU))
		}
	}
	if hs.Defaults != "" && hs.Defaults != frrDefaults {
		dp.Drift = append(dp.Drift, fmt.Sprintf("frr defaults %s on the device; tuyau's configs are written for frr defaults %s, "+
			"which only frr.conf sets at daemon start: check the BGP defaults this changes, or set it in frr.conf and restart FRR in a maintenance window", hs.Defaults, frrDefaults))
	}
	return nil
}
