package netns

import (
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"path/filepath"
	"regexp"
)

// ConfigLevel says how much of the inventory the initial FRR config carries.
type ConfigLevel string

const (
	// ConfigBootstrap is what a router has before provisioning: hostname,
	// interfaces with their addresses, loopback, forwarding. Provisioning
	// pushes the rest.
	ConfigBootstrap ConfigLevel = "bootstrap"
	// ConfigIGP adds OSPF on the core and aggregation links and loopbacks.
	ConfigIGP ConfigLevel = "igp"
	// ConfigBGP adds the BGP sessions of the inventory (iBGP to the route
	// reflectors over loopbacks, eBGP to members and transit) so BGP can be
	// tested without provisioning.
	ConfigBGP ConfigLevel = "bgp"
)

// ConfigLevels lists the valid levels.
var ConfigLevels = []ConfigLevel{ConfigBootstrap, ConfigIGP, ConfigBGP}

// DefaultStateDir holds the state files of the labs on this machine.
const DefaultStateDir = "/run/tuyau/netns"

// DefaultMgmtRange is where lab management prefixes are taken from: the
// benchmarking range (RFC 2544), never routed, so a lab cannot shadow a
// real network of the host.
var DefaultMgmtRange = netip.MustParsePrefix("198.18.0.0/15")

// Options shape a lab. The zero value is valid except for credentials:
// give a Password, AuthorizedKeys or both.
type Options struct {
	// Name tells labs apart: namespaces, FRR pathspaces and host interfaces
	// are derived from it. Lowercase letters, digits and '-', up to 16
	// characters; "lab" by default.
	Name string
	// StateDir holds the state file and the lab's files (DefaultStateDir).
	StateDir string
	// Config is the initial FRR config (ConfigBootstrap by default).
	Config ConfigLevel
	// User is the SSH login ("tuyau" by default); it lands in vtysh.
	User string
	// Password enables password login; it is stored only as a crypt hash.
	Password string
	// AuthorizedKeys enables public-key login (authorized_keys format).
	AuthorizedKeys []byte
	// MgmtPrefix is the management network between the host and the
	// devices; by default a free block of DefaultMgmtRange.
	MgmtPrefix netip.Prefix
	// Parallel bounds how many devices are set up at once (4 by default).
	Parallel int
	// Log receives progress; nothing is logged when nil.
	Log *slog.Logger
}

var labName = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,14}[a-z0-9])?$`)

// ErrLabExists is returned by Up when a state file for the name exists.
var ErrLabExists = errors.New("lab exists")

func (o Options) withDefaults() (Options, error) {
	if o.Name == "" {
		o.Name = "lab"
	}
	if !labName.MatchString(o.Name) {
		return o, fmt.Errorf("lab name %q: want 1 to 16 lowercase letters, digits or '-'", o.Name)
	}
	if o.StateDir == "" {
		o.StateDir = DefaultStateDir
	}
	abs, err := filepath.Abs(o.StateDir)
	if err != nil {
		return o, fmt.Errorf("state dir %s: %w", o.StateDir, err)
	}
	o.StateDir = abs
	if o.Config == "" {
		o.Config = ConfigBootstrap
	}
	switch o.Config {
	case ConfigBootstrap, ConfigIGP, ConfigBGP:
	default:
		return o, fmt.Errorf("config level %q: want one of %v", o.Config, ConfigLevels)
	}
	if o.User == "" {
		o.User = "tuyau"
	}
	if !userName.MatchString(o.User) {
		return o, fmt.Errorf("ssh user %q: want a lowercase POSIX user name", o.User)
	}
	if o.Password == "" && len(o.AuthorizedKeys) == 0 {
		return o, errors.New("lab ssh: give a password, authorized keys or both")
	}
	if o.Parallel <= 0 {
		o.Parallel = 4
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	return o, nil
}

var userName = regexp.MustCompile(`^[a-z_][a-z0-9_-]{0,30}$`)

// StatePath is where the state file of lab name lives under stateDir
// (DefaultStateDir when empty).
func StatePath(stateDir, name string) string {
	if stateDir == "" {
		stateDir = DefaultStateDir
	}
	return filepath.Join(stateDir, name+".json")
}
