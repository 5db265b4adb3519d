package provisioning

import (
	"context"
	"fmt"
	"strings"

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

// Saver is implemented by connections that can make the running config the
// one the device boots with (FRR and EOS "write memory"). Apply, confirm
// and rollback save after a change is kept: an unsaved change is lost to
// the next daemon restart or reboot, silently.
type Saver interface {
	Save(ctx context.Context) error
}

// CommandError is a command the device rejected, with its position in
// the batch (1-based) and the context it was sent in.
type CommandError struct {
	Position, Total int
	Command         string
	// Context is the configuration context the command was sent in, as
	// "router bgp 65000 > address-family ipv4 unicast"; "" at the root.
	Context string
	// Message is the device's answer ("% Can not configure ...").
	Message string
	// Others are the later rejections of the same batch, one line each.
	Others []string
}

func (e *CommandError) Error() string {
	s := fmt.Sprintf("command %d of %d %q", e.Position, e.Total, e.Command)
	if e.Context != "" {
		s += " (in " + e.Context + ")"
	}
	s += " rejected: " + e.Message
	if len(e.Others) > 0 {
		s += fmt.Sprintf("; %d more rejected: %s", len(e.Others), strings.Join(e.Others, "; "))
	}
	return s
}
