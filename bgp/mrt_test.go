package bgp

import (
	"bytes"
	"context"
	"encoding/binary"
	"io"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/osrg/gobgp/v3/pkg/packet/bgp"
	"github.com/osrg/gobgp/v3/pkg/packet/mrt"
)

// readMRT parses an MRT file with GoBGP's mrt package: the peer table and,
// per prefix, the peer addresses and AS paths of its entries.
func readMRT(t *testing.T, b []byte) (peers []string, rib map[string][]string) {
	t.Helper()
	rib = map[string][]string{}
	var pt *mrt.PeerIndexTable
	for len(b) > 0 {
		if len(b) < mrt.MRT_COMMON_HEADER_LEN {
			t.Fatalf("mrt: %d trailing bytes", len(b))
		}
		h := &mrt.MRTHeader{}
		if err := h.DecodeFromBytes(b[:mrt.MRT_COMMON_HEADER_LEN]); err != nil {
			t.Fatal(err)
		}
		body := b[mrt.MRT_COMMON_HEADER_LEN : mrt.MRT_COMMON_HEADER_LEN+int(h.Len)]
		b = b[mrt.MRT_COMMON_HEADER_LEN+int(h.Len):]
		m, err := mrt.ParseMRTBody(h, body)
		if err != nil {
			t.Fatalf("mrt: subtype %d: %v", h.SubType, err)
		}
		switch x := m.Body.(type) {
		case *mrt.PeerIndexTable:
			pt = x
			for _, p := range x.Peers {
				peers = append(peers, p.IpAddress.String())
			}
		case *mrt.Rib:
			for _, e := range x.Entries {
				var path []string
				for _, a := range e.PathAttributes {
					if ap, ok := a.(*bgp.PathAttributeAsPath); ok {
						for _, seg := range ap.Value {
							for _, as := range seg.GetAS() {
								path = append(path, strconv.FormatUint(uint64(as), 10))
							}
						}
					}
				}
				rib[x.Prefix.String()] = append(rib[x.Prefix.String()], pt.Peers[e.PeerIndex].IpAddress.String()+" "+strings.Join(path, " "))
			}
		}
	}
	return peers, rib
}

// TestDumpMRT: the speaker's table (a path from Debian's gobgpd with
// add-path, one of its own, IPv4 and IPv6) written as TABLE_DUMPv2, read
// back with GoBGP's mrt package and with bgpdump, an independent reader.
func TestDumpMRT(t *testing.T) {
	bgpdump := needTool(t, "bgpdump", "bgpdump")
	speakerPort := freePort(t, "127.0.0.1")
	g := startGoBGPd(t, gobgpdOpts{speakerAddr: netip.MustParseAddr("127.0.0.1"), speakerPort: speakerPort, sendMaxPaths: 4})
	cfg := speakerConfig(t, g.addr, g.port, PeerConfig{HoldTime: 9, Keepalive: 3})
	cfg.Port = speakerPort
	sp := serveSpeaker(t, cfg)
	c := sp.Client()
	ctx := context.Background()
	waitFor(t, 20*time.Second, "session with gobgpd established", established(t, c, g.addr))
	g.must("global", "rib", "add", "-a", "ipv4", "172.16.0.0/28", "aspath", "4200000001,4200000001")
	if err := sp.Announce(ctx, netip.MustParsePrefix("198.51.100.0/24"), Attrs{}); err != nil {
		t.Fatal(err)
	}
	if err := sp.Announce(ctx, netip.MustParsePrefix("2001:db8:100::/48"), Attrs{NextHop: netip.MustParseAddr("2001:db8::1")}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "gobgpd's route at the speaker", func() (bool, string) {
		_, ok := routeFor(t, c, "172.16.0.0/28")
		return ok, "missing"
	})
	file := filepath.Join(t.TempDir(), "rib.mrt")
	st, err := c.WriteMRTFile(ctx, file)
	if err != nil {
		t.Fatal(err)
	}
	if st.Prefixes != 3 || st.Paths != 3 || st.Peers != 1 {
		t.Errorf("dump stats %+v, want 3 prefixes, 3 paths, 1 peer", st)
	}
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	peers, rib := readMRT(t, b)
	if !slices.Equal(peers, []string{"0.0.0.0", g.addr.String()}) {
		t.Errorf("peer index table %v, want the speaker then %s", peers, g.addr)
	}
	want := map[string][]string{
		"172.16.0.0/28":     {g.addr.String() + " 4200000001 4200000001"},
		"198.51.100.0/24":   {"0.0.0.0 "},
		"2001:db8:100::/48": {"0.0.0.0 "},
	}
	for p, w := range want {
		if !slices.Equal(rib[p], w) {
			t.Errorf("mrt (gobgp reader) %s = %q, want %q", p, rib[p], w)
		}
	}
	// The add-path entry went in an RFC 8050 record: check its subtype.
	subtypes := map[uint16]bool{}
	for r := bytes.NewReader(b); ; {
		var hdr [12]byte
		if _, err := io.ReadFull(r, hdr[:]); err != nil {
			break
		}
		subtypes[binary.BigEndian.Uint16(hdr[6:8])] = true
		r.Seek(int64(binary.BigEndian.Uint32(hdr[8:12])), io.SeekCurrent)
	}
	if !subtypes[uint16(mrt.RIB_IPV4_UNICAST_ADDPATH)] || !subtypes[uint16(mrt.RIB_IPV4_UNICAST)] || !subtypes[uint16(mrt.RIB_IPV6_UNICAST)] {
		t.Errorf("record subtypes %v: want RIB_IPV4_UNICAST_ADDPATH (gobgpd's path), RIB_IPV4_UNICAST and RIB_IPV6_UNICAST (ours)", subtypes)
	}

	// bgpdump -m: one line per entry, TABLE_DUMP2|time|B|peer|peer AS|prefix|AS path|...
	// and TABLE_DUMP2_AP (RFC 8050) with the path id after the prefix.
	out, err := exec.Command(bgpdump, "-m", file).Output()
	if err != nil {
		t.Fatalf("bgpdump: %v: %s", err, out)
	}
	got := map[string]string{}
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Split(l, "|")
		if len(f) > 7 && f[0] == "TABLE_DUMP2_AP" {
			f = slices.Delete(f, 6, 7)
		} else if len(f) < 7 || f[0] != "TABLE_DUMP2" {
			t.Errorf("bgpdump line %q", l)
			continue
		}
		got[f[5]] = f[3] + " " + f[6]
	}
	if !strings.Contains(string(out), "TABLE_DUMP2_AP|") {
		t.Errorf("bgpdump shows no add-path entry:\n%s", out)
	}
	wantDump := map[string]string{
		"172.16.0.0/28":     g.addr.String() + " 4200000001 4200000001",
		"198.51.100.0/24":   "0.0.0.0 ",
		"2001:db8:100::/48": "0.0.0.0 ",
	}
	for p, w := range wantDump {
		if got[p] != w {
			t.Errorf("bgpdump %s = %q, want %q; output:\n%s", p, got[p], w, out)
		}
	}
}
