package testlab

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestMD5PasswordMismatch checks that a session whose ends give different
// "neighbor X password" stays down on both ends, as TCP MD5 drops the
// other side's SYNs, and comes up once both give the same one.
func TestMD5PasswordMismatch(t *testing.T) {
	snap := smallNet(t, 8)
	l := startTestLab(t, snap, BootstrapFull)
	ctx := context.Background()
	waitFor(t, 30*time.Second, "all sessions established", func() (bool, string) { return l.allEstablished(ctx) })
	state := func(d *Device, addr string) NeighborState {
		_, _, ns := d.Neighbors(ctx, "ipv4 unicast")
		for _, n := range ns {
			if n.Address == addr {
				return n
			}
		}
		return NeighborState{}
	}
	// A direct session between two routers of the inventory, up.
	var a, b *Device
	var toB, toA string
	for _, d := range snap.Devices {
		for _, s := range d.BGPSessions {
			if s.PeerDevice == "" {
				continue
			}
			p := snap.Devices[0]
			for _, x := range snap.Devices {
				if x.Name == s.PeerDevice {
					p = x
				}
			}
			for _, ps := range p.BGPSessions {
				da, _ := l.Device(d.Name)
				db, _ := l.Device(p.Name)
				if ps.PeerDevice == d.Name && ps.PeerASN != s.PeerASN &&
					state(da, s.PeerAddress.String()).State == "Established" && state(db, ps.PeerAddress.String()).State == "Established" {
					a, b = da, db
					toB, toA = s.PeerAddress.String(), ps.PeerAddress.String()
				}
			}
			if a != nil {
				break
			}
		}
		if a != nil {
			break
		}
	}
	if a == nil {
		t.Fatal("no established eBGP session between two routers of the inventory")
	}
	asn := func(d *Device) string { return strconv.FormatUint(uint64(d.Running().Config().BGP.ASN), 10) }
	vtyshPush(t, a, "router bgp "+asn(a), "neighbor "+toB+" password s3cret-a")
	waitFor(t, 10*time.Second, "session down on both ends with one password", func() (bool, string) {
		sa, sb := state(a, toB), state(b, toA)
		ok := sa.State != "Established" && sb.State != "Established" &&
			strings.Contains(sa.DownReason, "MD5") && strings.Contains(sb.DownReason, "MD5")
		return ok, sa.State + " " + sa.DownReason + " / " + sb.State + " " + sb.DownReason
	})
	if r := state(a, toB).DownReason; strings.Contains(r, "s3cret") {
		t.Errorf("the reason shows the password: %q", r)
	}
	vtyshPush(t, b, "router bgp "+asn(b), "neighbor "+toA+" password s3cret-b")
	time.Sleep(500 * time.Millisecond)
	if sa := state(a, toB); sa.State == "Established" || !strings.Contains(sa.DownReason, "MD5") {
		t.Errorf("different passwords: %s %q, want down on MD5", sa.State, sa.DownReason)
	}
	vtyshPush(t, b, "router bgp "+asn(b), "neighbor "+toA+" password s3cret-a")
	waitFor(t, 30*time.Second, "session up with the same password", func() (bool, string) {
		sa, sb := state(a, toB), state(b, toA)
		return sa.State == "Established" && sb.State == "Established", sa.State + " " + sa.DownReason + " / " + sb.State + " " + sb.DownReason
	})
}
