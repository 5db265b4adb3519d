package bgp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"strings"
	"time"

	api "github.com/osrg/gobgp/v3/api"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/tuyau-net/tuyau/inventory"
)

// callTimeout bounds every API call: the speaker is local, so a call that
// takes longer is a speaker in trouble.
const callTimeout = 10 * time.Second

// Client talks to a speaker (tuyau's or any GoBGP) over GoBGP's gRPC API.
type Client struct {
	conn *grpc.ClientConn
	api  api.GobgpApiClient
	// Origins maps router ids to sites, for Paths (Config.Origins).
	Origins map[netip.Addr]string
	// Site is the speaker's own site: its own announcements are from there.
	Site string
}

// Dial connects to a speaker's API: a unix socket path or a loopback
// host:port. The API has no authentication, so Dial refuses anything else
// (the inventory does too).
func Dial(ctx context.Context, addr string) (*Client, error) {
	target := addr
	if inventory.APIIsUnix(addr) {
		target = "unix://" + inventory.APISocketPath(addr)
	}
	conn, err := grpc.NewClient(target, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return nil, fmt.Errorf("bgp api %s: %w", addr, err)
	}
	return &Client{conn: conn, api: api.NewGobgpApiClient(conn)}, nil
}

// Close closes the connection.
func (c *Client) Close() error { return c.conn.Close() }

// PeerStatus is one session as `tuyau bgp peers` shows it.
type PeerStatus struct {
	Device     string     `json:"device"`
	Address    netip.Addr `json:"address"`
	ASN        uint32     `json:"asn"`
	State      string     `json:"state"`
	Admin      string     `json:"admin"`
	Uptime     Duration   `json:"uptime"`
	Received   uint64     `json:"received"`
	Accepted   uint64     `json:"accepted"`
	Advertised uint64     `json:"advertised"`
	Flaps      uint32     `json:"flaps"`
	MD5        bool       `json:"md5"`
	GTSM       bool       `json:"gtsm"`
	// Reason says why a session that is not established is down.
	Reason string `json:"reason,omitempty"`
}

// Duration is a time.Duration that marshals as seconds.
type Duration time.Duration

// MarshalJSON writes whole seconds.
func (d Duration) MarshalJSON() ([]byte, error) {
	return []byte(strconv.FormatInt(int64(time.Duration(d)/time.Second), 10)), nil
}

// Peers lists the speaker's sessions.
func (c *Client) Peers(ctx context.Context) ([]PeerStatus, error) {
	return c.listPeers(ctx, true)
}

// PeerCounts lists the speaker's sessions without their advertised
// counts (Advertised 0): GoBGP computes those by running the export
// policy over its whole table, on its main loop, in the way of every
// UPDATE received meanwhile (seconds at a full table). The monitor's
// baseline needs only the received counts.
func (c *Client) PeerCounts(ctx context.Context) ([]PeerStatus, error) {
	return c.listPeers(ctx, false)
}

func (c *Client) listPeers(ctx context.Context, advertised bool) ([]PeerStatus, error) {
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	st, err := c.api.ListPeer(ctx, &api.ListPeerRequest{EnableAdvertised: advertised})
	if err != nil {
		return nil, fmt.Errorf("bgp api: list peers: %w", err)
	}
	out := []PeerStatus{}
	for {
		r, err := st.Recv()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("bgp api: list peers: %w", err)
		}
		out = append(out, peerStatus(r.Peer))
	}
}

func peerStatus(p *api.Peer) PeerStatus {
	s := p.GetState()
	a, _ := netip.ParseAddr(p.GetConf().GetNeighborAddress())
	ps := PeerStatus{Device: p.GetConf().GetDescription(), Address: a, ASN: p.GetConf().GetPeerAsn(),
		State: stateName(s.GetSessionState()), Flaps: s.GetFlops(),
		MD5:  p.GetConf().GetAuthPassword() != "" || s.GetAuthPassword() != "",
		GTSM: p.GetTtlSecurity().GetEnabled()}
	switch s.GetAdminState() {
	case api.PeerState_UP:
		ps.Admin = "up"
	case api.PeerState_DOWN:
		ps.Admin = "down"
	case api.PeerState_PFX_CT:
		ps.Admin = "prefix-limit"
	}
	if s.GetSessionState() == api.PeerState_ESTABLISHED {
		if up := p.GetTimers().GetState().GetUptime(); up != nil {
			ps.Uptime = Duration(time.Since(up.AsTime()).Truncate(time.Second))
		}
	}
	for _, af := range p.GetAfiSafis() {
		ps.Received += af.GetState().GetReceived()
		ps.Accepted += af.GetState().GetAccepted()
		ps.Advertised += af.GetState().GetAdvertised()
	}
	if s.GetSessionState() != api.PeerState_ESTABLISHED {
		ps.Reason = downReason(p, ps)
	}
	return ps
}

// downReason says, from what GoBGP's API shows, why a session is down.
func downReason(p *api.Peer, ps PeerStatus) string {
	m := p.GetState().GetMessages()
	switch {
	case ps.Admin == "prefix-limit":
		return "prefix limit exceeded: Cease sent (RFC 4486 maximum number of prefixes reached); stays down until `gobgp neighbor " + ps.Address.String() + " enable`"
	case ps.Admin == "down":
		return "administratively shut down"
	case m.GetReceived().GetOpen() == 0 && ps.MD5:
		return "no BGP OPEN ever received: TCP MD5 configured, so a password mismatch (or none on the peer) drops every segment; else the peer is unreachable or not configured"
	case m.GetReceived().GetOpen() == 0:
		return "no BGP OPEN ever received: the peer is unreachable, not configured for us, or requires a password (TCP MD5)"
	case m.GetReceived().GetNotification() > 0:
		return fmt.Sprintf("the peer sent %d NOTIFICATION(s); see the speaker's log", m.GetReceived().GetNotification())
	}
	return "connecting"
}

// Attrs are the attributes an announcement carries.
type Attrs struct {
	// NextHop is where traffic for the prefix goes (the hosting endpoint
	// at the speaker's site); unset, the speaker's own address (IPv4) is
	// used. An IPv6 prefix needs an IPv6 next hop.
	NextHop   netip.Addr `json:"next_hop,omitzero"`
	LocalPref uint32     `json:"local_pref,omitempty"`
	MED       uint32     `json:"med,omitempty"`
	// Prepend repeats the speaker's AS: only useful on eBGP sessions, an
	// iBGP peer drops a path carrying its own AS.
	Prepend int `json:"as_path_prepend,omitempty"`
	// Communities are "ASN:VALUE" or large "A:B:C" communities.
	Communities []string `json:"communities,omitempty"`
}

// Announce originates prefix with attrs; announcing again replaces them.
func (c *Client) Announce(ctx context.Context, prefix netip.Prefix, a Attrs) error {
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	asn := uint32(0)
	if a.Prepend > 0 {
		r, err := c.api.GetBgp(ctx, &api.GetBgpRequest{})
		if err != nil {
			return fmt.Errorf("announce %s: %w", prefix, err)
		}
		asn = r.GetGlobal().GetAsn()
	}
	p, err := newPath(prefix, a, asn, false)
	if err != nil {
		return fmt.Errorf("announce %s: %w", prefix, err)
	}
	if _, err := c.api.AddPath(ctx, &api.AddPathRequest{TableType: api.TableType_GLOBAL, Path: p}); err != nil {
		return fmt.Errorf("announce %s: %w", prefix, err)
	}
	return nil
}

// Withdraw stops originating prefix; withdrawing what is not announced is
// not an error.
func (c *Client) Withdraw(ctx context.Context, prefix netip.Prefix) error {
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	p, err := newPath(prefix, Attrs{}, 0, true)
	if err != nil {
		return fmt.Errorf("withdraw %s: %w", prefix, err)
	}
	if _, err := c.api.DeletePath(ctx, &api.DeletePathRequest{TableType: api.TableType_GLOBAL, Family: p.Family, Path: p}); err != nil {
		return fmt.Errorf("withdraw %s: %w", prefix, err)
	}
	return nil
}

// SoftReset asks the peer to send its routes again (ROUTE-REFRESH, RFC
// 2918) when in is set, and sends ours again otherwise.
func (c *Client) SoftReset(ctx context.Context, peer netip.Addr, in bool) error {
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	dir := api.ResetPeerRequest_OUT
	if in {
		dir = api.ResetPeerRequest_IN
	}
	if _, err := c.api.ResetPeer(ctx, &api.ResetPeerRequest{Address: peer.String(), Soft: true, Direction: dir}); err != nil {
		return fmt.Errorf("soft reset %s: %w", peer, err)
	}
	return nil
}

// Reset restarts the session with the peer; one shut down at its prefix
// limit is enabled again (GoBGP keeps it down until then).
func (c *Client) Reset(ctx context.Context, peer netip.Addr) error {
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	st, err := c.api.ListPeer(ctx, &api.ListPeerRequest{Address: peer.String()})
	if err != nil {
		return fmt.Errorf("reset %s: %w", peer, err)
	}
	r, err := st.Recv()
	if err != nil {
		return fmt.Errorf("reset %s: %w", peer, err)
	}
	if r.GetPeer().GetState().GetAdminState() != api.PeerState_UP {
		if _, err := c.api.EnablePeer(ctx, &api.EnablePeerRequest{Address: peer.String()}); err != nil {
			return fmt.Errorf("reset %s: enable: %w", peer, err)
		}
		return nil
	}
	if _, err := c.api.ResetPeer(ctx, &api.ResetPeerRequest{Address: peer.String()}); err != nil {
		return fmt.Errorf("reset %s: %w", peer, err)
	}
	return nil
}

func familyOf(p netip.Prefix) *api.Family {
	if p.Addr().Is4() {
		return famV4
	}
	return famV6
}

// parseCommunities splits "ASN:VALUE" and "A:B:C" strings.
func parseCommunities(cs []string) (std []uint32, large [][3]uint32, err error) {
	for _, c := range cs {
		parts := strings.Split(c, ":")
		var n []uint32
		for _, p := range parts {
			v, err := strconv.ParseUint(p, 10, 32)
			if err != nil {
				return nil, nil, fmt.Errorf("community %q: want ASN:VALUE or A:B:C", c)
			}
			n = append(n, uint32(v))
		}
		switch {
		case len(n) == 2 && n[0] <= 0xffff && n[1] <= 0xffff:
			std = append(std, n[0]<<16|n[1])
		case len(n) == 3:
			large = append(large, [3]uint32{n[0], n[1], n[2]})
		default:
			return nil, nil, fmt.Errorf("community %q: want ASN:VALUE (16-bit each) or A:B:C", c)
		}
	}
	return std, large, nil
}
