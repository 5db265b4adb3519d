package inventory

import (
	"net/netip"
	"strconv"
	"strings"
)

// Speaker is an instance of tuyau's own BGP speaker (package bgp): it runs
// at a core site and peers over iBGP with that site's core routers, which
// treat it as a route-reflector client sending it every path (add-path), so
// it sees each site's announcement of a hosting prefix and announces its own
// site's hosting endpoints. One speaker per core site is the intended design.
type Speaker struct {
	Name string `json:"name" yaml:"name"`
	// ASN is the speaker's AS: the network's own for iBGP with the core.
	ASN      uint32     `json:"asn" yaml:"asn"`
	RouterID netip.Addr `json:"router_id" yaml:"router_id"`
	// Site is the core site the speaker runs at.
	Site string `json:"site" yaml:"site"`
	// Listen is the address the speaker's sessions use: the core routers
	// configure it as their neighbor, and the speaker binds to it.
	Listen netip.Addr `json:"listen" yaml:"listen"`
	// Port is the BGP port, 179 when 0.
	Port int `json:"port,omitempty" yaml:"port,omitempty"`
	// API is where GoBGP's gRPC API is served: the path of a unix socket
	// (absolute, created mode 0600) or a loopback host:port.
	API   string        `json:"api" yaml:"api"`
	Peers []SpeakerPeer `json:"peers" yaml:"peers"`
	// HostingNextHop and HostingNextHop6 are the next hops the speaker
	// gives the hosting prefixes it announces for its site: where the
	// site's hosting platform (its load balancers, the service's gateway)
	// takes the traffic, an address the core routers resolve through the
	// IGP or a connected subnet. It must not be an address of a router
	// (FRR drops a path whose next hop is its own address) nor the router
	// id (which says who announces, not where the traffic goes). Unset:
	// the listen address of that family (the speaker runs on the hosting
	// platform, as an ExaBGP health check does); a site hosting IPv6
	// prefixes with an IPv4 listen address needs HostingNextHop6.
	HostingNextHop  netip.Addr `json:"hosting_next_hop,omitzero" yaml:"hosting_next_hop,omitempty"`
	HostingNextHop6 netip.Addr `json:"hosting_next_hop6,omitzero" yaml:"hosting_next_hop6,omitempty"`
	Src             Source     `json:"-" yaml:"-"`
}

// NextHops returns the next hops of the speaker's hosting announcements
// per family (see HostingNextHop); invalid when the family has none.
func (s Speaker) NextHops() (v4, v6 netip.Addr) {
	v4, v6 = s.HostingNextHop, s.HostingNextHop6
	if !v4.IsValid() && s.Listen.Is4() {
		v4 = s.Listen
	}
	if !v6.IsValid() && s.Listen.Is6() {
		v6 = s.Listen
	}
	return v4, v6
}

// SpeakerPeer is one core router a speaker peers with.
type SpeakerPeer struct {
	Device string `json:"device" yaml:"device"`
	// Address is the router's address for the session; its loopback when unset.
	Address netip.Addr `json:"address,omitzero" yaml:"address,omitempty"`
	// PasswordSecret names a key of the secrets file (bgp.passwords) holding
	// the TCP MD5 password; the password itself is never in the inventory.
	PasswordSecret string `json:"password_secret,omitempty" yaml:"password_secret,omitempty"`
	// TTLSecurity is GTSM (RFC 5082): the number of hops the peer may be
	// away; 0 turns it off.
	TTLSecurity int `json:"ttl_security,omitempty" yaml:"ttl_security,omitempty"`
	// HoldTime and Keepalive in seconds; 0 keeps the defaults (90 and 30).
	HoldTime  int `json:"hold_time,omitempty" yaml:"hold_time,omitempty"`
	Keepalive int `json:"keepalive,omitempty" yaml:"keepalive,omitempty"`
	// GracefulRestart is the restart time in seconds advertised (RFC 4724);
	// 0 turns graceful restart off.
	GracefulRestart int `json:"graceful_restart,omitempty" yaml:"graceful_restart,omitempty"`
	// MaxPrefixes caps the routes accepted from the router per family: over
	// it the session is closed with a Cease (RFC 4486 subcode 1) and stays
	// down until reset. 0 means no limit (the core sends its full view).
	MaxPrefixes int    `json:"max_prefixes,omitempty" yaml:"max_prefixes,omitempty"`
	Src         Source `json:"-" yaml:"-"`
}

// DefaultBGPPort is the port a speaker without one listens on.
const DefaultBGPPort = 179

// BGPPort returns the speaker's BGP port.
func (s Speaker) BGPPort() int {
	if s.Port == 0 {
		return DefaultBGPPort
	}
	return s.Port
}

// PeerAddress returns the address the speaker reaches the peer's router
// at: the peer's address, else the router's loopback in the listen
// address's family.
func (p SpeakerPeer) PeerAddress(d *Device) netip.Addr {
	if p.Address.IsValid() {
		return p.Address
	}
	if d == nil {
		return netip.Addr{}
	}
	return d.Loopback
}

// Speaker returns the named speaker, or nil.
func (s *Snapshot) Speaker(name string) *Speaker {
	for i := range s.Speakers {
		if s.Speakers[i].Name == name {
			return &s.Speakers[i]
		}
	}
	return nil
}

// SpeakersOf returns the speakers that peer with a device, with the peer
// entry naming it.
func (s *Snapshot) SpeakersOf(device string) []SpeakerSession {
	var out []SpeakerSession
	for i := range s.Speakers {
		for j := range s.Speakers[i].Peers {
			if s.Speakers[i].Peers[j].Device == device {
				out = append(out, SpeakerSession{Speaker: &s.Speakers[i], Peer: &s.Speakers[i].Peers[j]})
			}
		}
	}
	return out
}

// SpeakerSession is one speaker's session with one router.
type SpeakerSession struct {
	Speaker *Speaker
	Peer    *SpeakerPeer
}

// HasSpeakerAt reports whether a speaker runs at the site: the core routers
// there leave the hosting prefixes to it instead of originating them.
func (s *Snapshot) HasSpeakerAt(site string) bool {
	for _, sp := range s.Speakers {
		if sp.Site == site {
			return true
		}
	}
	return false
}

// APIIsUnix reports whether an API address is a unix socket path.
func APIIsUnix(api string) bool {
	return strings.HasPrefix(api, "/") || strings.HasPrefix(api, "unix:")
}

// APISocketPath returns the path of a unix socket API address.
func APISocketPath(api string) string { return strings.TrimPrefix(api, "unix:") }

// checkAPI says what is wrong with an API address, "" when it is fine.
func checkAPI(api string) string {
	if api == "" {
		return "has no api (a unix socket path or a loopback host:port)"
	}
	if APIIsUnix(api) {
		if p := APISocketPath(api); !strings.HasPrefix(p, "/") || len(p) > 107 {
			return "api " + strconv.Quote(api) + ": a unix socket path must be absolute and under 108 bytes"
		}
		return ""
	}
	i := strings.LastIndex(api, ":")
	if i < 0 {
		return "api " + strconv.Quote(api) + ": want a unix socket path or host:port"
	}
	host, port := strings.Trim(api[:i], "[]"), api[i+1:]
	n, err := strconv.Atoi(port)
	if err != nil || n <= 0 || n > 65535 {
		return "api " + strconv.Quote(api) + ": port " + strconv.Quote(port) + " is not 1..65535"
	}
	if host == "localhost" {
		return ""
	}
	a, err := netip.ParseAddr(host)
	if err != nil || !a.IsLoopback() {
		// GoBGP's API has no authentication: anyone who reaches it can
		// announce prefixes for the network.
		return "api " + strconv.Quote(api) + ": the gRPC API has no authentication; serve it on a unix socket or a loopback address"
	}
	return ""
}
