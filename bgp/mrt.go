package bgp

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"time"

	api "github.com/osrg/gobgp/v3/api"
	"github.com/osrg/gobgp/v3/pkg/apiutil"
	"github.com/osrg/gobgp/v3/pkg/packet/bgp"
	"github.com/osrg/gobgp/v3/pkg/packet/mrt"
)

// MRTStats says what a dump wrote.
type MRTStats struct {
	Peers    int `json:"peers"`
	Prefixes int `json:"prefixes"`
	Paths    int `json:"paths"`
}

// DumpMRT writes the speaker's global table as MRT TABLE_DUMPv2 (RFC
// 6396): a PEER_INDEX_TABLE (entry 0 the speaker itself, for its own
// routes, then every configured peer), then one RIB record per prefix and
// kind of entry. Paths received with an add-path identifier go in the
// RFC 8050 *_ADDPATH records (the core's route reflectors send every
// site's path so), the others in the plain RIB_IPV4_UNICAST and
// RIB_IPV6_UNICAST ones, so bgpdump and gobgp read both.
func (c *Client) DumpMRT(ctx context.Context, w io.Writer) (MRTStats, error) {
	var st MRTStats
	gctx, cancel := context.WithTimeout(ctx, callTimeout)
	g, err := c.api.GetBgp(gctx, &api.GetBgpRequest{})
	cancel()
	if err != nil {
		return st, fmt.Errorf("bgp api: global: %w", err)
	}
	rid := g.GetGlobal().GetRouterId()
	peers := []*mrt.Peer{mrt.NewPeer(rid, "0.0.0.0", g.GetGlobal().GetAsn(), true)}
	index := map[string]uint16{"": 0, "0.0.0.0": 0, "::": 0, "<nil>": 0}
	pctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	ps, err := c.api.ListPeer(pctx, &api.ListPeerRequest{})
	if err != nil {
		return st, fmt.Errorf("bgp api: list peers: %w", err)
	}
	for {
		r, err := ps.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return st, fmt.Errorf("bgp api: list peers: %w", err)
		}
		addr := r.GetPeer().GetConf().GetNeighborAddress()
		id := r.GetPeer().GetState().GetRouterId()
		if id == "" {
			id = "0.0.0.0"
		}
		index[addr] = uint16(len(peers))
		peers = append(peers, mrt.NewPeer(id, addr, r.GetPeer().GetConf().GetPeerAsn(), true))
	}
	st.Peers = len(peers) - 1
	bw := bufio.NewWriterSize(w, 1<<16)
	now := uint32(time.Now().Unix())
	write := func(sub mrt.MRTSubTyper, body mrt.Body) error {
		m, err := mrt.NewMRTMessage(now, mrt.TABLE_DUMPv2, sub, body)
		if err != nil {
			return err
		}
		b, err := m.Serialize()
		if err != nil {
			return err
		}
		_, err = bw.Write(b)
		return err
	}
	if err := write(mrt.PEER_INDEX_TABLE, mrt.NewPeerIndexTable(rid, "tuyau", peers)); err != nil {
		return st, fmt.Errorf("mrt: peer index table: %w", err)
	}
	seq := uint32(0)
	for _, fam := range []*api.Family{famV4, famV6} {
		lctx, cancel := context.WithTimeout(ctx, 5*time.Minute) // a full table streams for a while
		ls, err := c.api.ListPath(lctx, &api.ListPathRequest{TableType: api.TableType_GLOBAL, Family: fam, SortType: api.ListPathRequest_PREFIX})
		if err != nil {
			cancel()
			return st, fmt.Errorf("bgp api: list paths: %w", err)
		}
		for {
			r, err := ls.Recv()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				cancel()
				return st, fmt.Errorf("bgp api: list paths: %w", err)
			}
			d := r.GetDestination()
			pfx, err := netip.ParsePrefix(d.GetPrefix())
			if err != nil {
				cancel()
				return st, fmt.Errorf("mrt: prefix %q: %w", d.GetPrefix(), err)
			}
			var plain, addpath []*mrt.RibEntry
			for _, p := range d.GetPaths() {
				attrs, err := apiutil.GetNativePathAttributes(p)
				if err != nil {
					cancel()
					return st, fmt.Errorf("mrt: %s: path attributes: %w", pfx, err)
				}
				i, ok := index[p.GetNeighborIp()]
				if !ok {
					i = 0
				}
				t := uint32(0)
				if p.GetAge() != nil {
					t = uint32(p.GetAge().AsTime().Unix())
				}
				if p.GetIdentifier() != 0 {
					addpath = append(addpath, mrt.NewRibEntry(i, t, p.GetIdentifier(), attrs, true))
				} else {
					plain = append(plain, mrt.NewRibEntry(i, t, 0, attrs, false))
				}
				st.Paths++
			}
			st.Prefixes++
			v4 := pfx.Addr().Is4()
			for k, es := range [][]*mrt.RibEntry{plain, addpath} {
				if len(es) == 0 {
					continue
				}
				var nlri bgp.AddrPrefixInterface
				sub := mrt.RIB_IPV6_UNICAST
				if v4 {
					nlri, sub = bgp.NewIPAddrPrefix(uint8(pfx.Bits()), pfx.Addr().String()), mrt.RIB_IPV4_UNICAST
				} else {
					nlri = bgp.NewIPv6AddrPrefix(uint8(pfx.Bits()), pfx.Addr().String())
				}
				if k == 1 {
					sub += mrt.RIB_IPV4_UNICAST_ADDPATH - mrt.RIB_IPV4_UNICAST
				}
				if err := write(sub, mrt.NewRib(seq, nlri, es)); err != nil {
					cancel()
					return st, fmt.Errorf("mrt: %s: %w", pfx, err)
				}
				seq++
			}
		}
		cancel()
	}
	if err := bw.Flush(); err != nil {
		return st, fmt.Errorf("mrt: write: %w", err)
	}
	return st, nil
}

// WriteMRTFile dumps the table to path, atomically (a temporary file
// renamed over it), mode 0640.
func (c *Client) WriteMRTFile(ctx context.Context, path string) (MRTStats, error) {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*")
	if err != nil {
		return MRTStats{}, fmt.Errorf("mrt %s: %w", path, err)
	}
	defer os.Remove(f.Name())
	st, err := c.DumpMRT(ctx, f)
	if err == nil {
		err = f.Chmod(0o640)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		return st, fmt.Errorf("mrt %s: %w", path, err)
	}
	return st, nil
}
