package bgp

import (
	"fmt"
	"net/netip"
	"slices"

	"github.com/tuyau-net/tuyau/inventory"
)

// Config is what one speaker runs with, derived from the inventory by
// ConfigFor; tests build it directly.
type Config struct {
	Name     string     `json:"name"`
	ASN      uint32     `json:"asn"`
	RouterID netip.Addr `json:"router_id"`
	Site     string     `json:"site"`
	// Listen is the address sessions use; Port the BGP port (179 when 0,
	// -1 to accept no incoming connection: the speaker then only dials).
	Listen netip.Addr `json:"listen"`
	Port   int        `json:"port"`
	// API is the gRPC API: a unix socket path or a loopback host:port.
	API   string       `json:"api"`
	Peers []PeerConfig `json:"peers"`
	// Origins maps router ids (core routers' loopbacks, other speakers'
	// router ids) to the site they are at: Paths names the site each path
	// of a prefix comes from by its ORIGINATOR_ID.
	Origins map[netip.Addr]string `json:"origins,omitempty"`
}

// PeerConfig is one session of the speaker.
type PeerConfig struct {
	Device  string     `json:"device"`
	Address netip.Addr `json:"address"`
	ASN     uint32     `json:"asn"`
	// Port is the peer's BGP port, 179 when 0 (tests run peers elsewhere).
	Port int `json:"port,omitempty"`
	// Password is the TCP MD5 password, resolved from the secrets file;
	// never printed or marshalled.
	Password        string `json:"-"`
	TTLSecurity     int    `json:"ttl_security,omitempty"`
	HoldTime        int    `json:"hold_time,omitempty"`
	Keepalive       int    `json:"keepalive,omitempty"`
	GracefulRestart int    `json:"graceful_restart,omitempty"`
	MaxPrefixes     int    `json:"max_prefixes,omitempty"`
	// ConnectRetry in seconds, GoBGP's default (120) when 0.
	ConnectRetry int `json:"connect_retry,omitempty"`
	// Passive waits for the peer to connect.
	Passive bool `json:"passive,omitempty"`
}

// String shows a peer without its password.
func (p PeerConfig) String() string {
	return fmt.Sprintf("%s %s AS%d (password %t)", p.Device, p.Address, p.ASN, p.Password != "")
}

// GoString hides the password from %#v too.
func (p PeerConfig) GoString() string { return p.String() }

// ConfigFor builds the named speaker's config from the inventory;
// password resolves password_secret keys (Passwords.Lookup) and may be nil
// when no peer has one.
func ConfigFor(snap *inventory.Snapshot, name string, password func(key string) (string, error)) (Config, error) {
	sp := snap.Speaker(name)
	if sp == nil {
		var names []string
		for _, s := range snap.Speakers {
			names = append(names, s.Name)
		}
		return Config{}, fmt.Errorf("speaker %q is not in the inventory (speakers: %v)", name, names)
	}
	cfg := Config{Name: sp.Name, ASN: sp.ASN, RouterID: sp.RouterID, Site: sp.Site, Listen: sp.Listen,
		Port: sp.BGPPort(), API: sp.API, Origins: map[netip.Addr]string{}}
	x := inventory.NewIndex(snap)
	for _, p := range sp.Peers {
		d := x.Device(p.Device)
		if d == nil {
			return Config{}, fmt.Errorf("speaker %s (%s): peer device %q is not defined", sp.Name, sp.Src, p.Device)
		}
		pc := PeerConfig{Device: d.Name, Address: p.PeerAddress(d), ASN: d.ASN, TTLSecurity: p.TTLSecurity,
			HoldTime: p.HoldTime, Keepalive: p.Keepalive, GracefulRestart: p.GracefulRestart, MaxPrefixes: p.MaxPrefixes}
		if !pc.Address.IsValid() {
			return Config{}, fmt.Errorf("speaker %s peer %s (%s): no address and no loopback", sp.Name, d.Name, p.Src)
		}
		if p.PasswordSecret != "" {
			if password == nil {
				return Config{}, fmt.Errorf("speaker %s peer %s (%s): password_secret %q: no secrets file given (--secrets or TUYAU_SECRETS)", sp.Name, d.Name, p.Src, p.PasswordSecret)
			}
			pw, err := password(p.PasswordSecret)
			if err != nil {
				return Config{}, fmt.Errorf("speaker %s peer %s (%s): %w", sp.Name, d.Name, p.Src, err)
			}
			pc.Password = pw
		}
		cfg.Peers = append(cfg.Peers, pc)
	}
	for _, d := range snap.Devices {
		if d.Role == inventory.RoleCore && d.Loopback.IsValid() {
			cfg.Origins[d.Loopback] = d.Site
		}
	}
	for _, s := range snap.Speakers {
		if s.RouterID.IsValid() {
			cfg.Origins[s.RouterID] = s.Site
		}
	}
	return cfg, nil
}

// Speakers lists the speakers of the inventory, for a flag's help and errors.
func Speakers(snap *inventory.Snapshot) []string {
	var out []string
	for _, s := range snap.Speakers {
		out = append(out, s.Name)
	}
	slices.Sort(out)
	return out
}
