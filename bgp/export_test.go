package bgp

import (
	"context"
	"net/netip"
	"testing"

	api "github.com/osrg/gobgp/v3/api"
)

// srvPeer reads one peer as GoBGP's API shows it, for counters PeerStatus
// does not carry.
func (s *Speaker) srvPeer(t *testing.T, addr netip.Addr, fn func(*api.Peer)) {
	t.Helper()
	st, err := s.Client().api.ListPeer(context.Background(), &api.ListPeerRequest{Address: addr.String()})
	if err != nil {
		t.Fatal(err)
	}
	r, err := st.Recv()
	if err != nil {
		t.Fatal(err)
	}
	fn(r.Peer)
}
