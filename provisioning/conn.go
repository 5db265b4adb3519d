package provisioning

import (
	"context"

	"github.com/tuyau-net/tuyau/inventory"
)

// Conn is an open management session to one device, as plan and apply use
// it. The SSH and gNMI transports implement it; tests fake it by hand.
type Conn interface {
	// Running returns the device's running config as the platform shows it.
	Running(ctx context.Context) ([]byte, error)
	// Push sends a delta: commands in configuration mode, or a whole
	// config to load when d.Replace. A rejected command is an error.
	Push(ctx context.Context, d Delta) error
	Close() error
}

// StatusReader is implemented by connections that can read operational
// state for post-checks.
type StatusReader interface {
	Status(ctx context.Context) (Status, error)
}

// Status is the operational state post-checks look at.
type Status struct {
	// InterfacesUp maps interface names to their operational state.
	InterfacesUp map[string]bool `json:"interfaces_up"`
	// BGP maps neighbor addresses to their session state ("Established"...).
	BGP map[string]string `json:"bgp"`
}

// Dialer opens connections; transport is "ssh" or "gnmi".
type Dialer interface {
	Dial(ctx context.Context, dev inventory.Device, transport string) (Conn, error)
}
