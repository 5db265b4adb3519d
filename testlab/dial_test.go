package testlab

import (
	"context"
	"strconv"
	"testing"
	"time"
)

// TestSessionUpSoonAfterSecondEnd configures a session's second end a
// few seconds after the first end's attempt failed, as an apply pushed to
// both routers in parallel does: the session must establish within seconds,
// as on FRR. Both ends used to dial, each closing the other's attempts
// during GoBGP's 5 s idle hold, and the session took 39 s to over a
// minute (member sessions seen Idle in TestConfigApplyConfirmVirtualLab
// under load).
func TestSessionUpSoonAfterSecondEnd(t *testing.T) {
	snap := smallNet(t, 8)
	l := startTestLab(t, snap, BootstrapBase)
	ctx := context.Background()
	member, pop, memberAddr, popAddr := ebgpPair(t, l, snap)
	dm, _ := l.Device(member.Name)
	dp, _ := l.Device(pop.Name)
	mAS, pAS := strconv.Itoa(int(member.ASN)), strconv.Itoa(int(pop.ASN))
	state := func(d *Device) string {
		_, _, ns := d.Neighbors(ctx, "")
		if len(ns) == 0 {
			return "absent"
		}
		return ns[0].State + " " + ns[0].DownReason
	}
	for _, late := range []time.Duration{2500 * time.Millisecond, 3500 * time.Millisecond, 4500 * time.Millisecond} {
		// The POP runs BGP without the member: the member's first
		// attempt is refused by the POP's BGP and sends it idle.
		vtyshPush(t, dp, "router bgp "+pAS, "no bgp ebgp-requires-policy")
		vtyshPush(t, dm, "router bgp "+mAS, "no bgp ebgp-requires-policy", "neighbor "+popAddr+" remote-as "+pAS)
		time.Sleep(late)
		vtyshPush(t, dp, "router bgp "+pAS, "neighbor "+memberAddr+" remote-as "+mAS)
		start := time.Now()
		// One dial (1 to 2 s) after at most one idle hold (5 s): 12 s is
		// generous; two dialing ends took 13 s to over a minute.
		waitFor(t, 12*time.Second, "session up after the second end, "+late.String()+" late", func() (bool, string) {
			a, b := state(dm), state(dp)
			return a == "Established " && b == "Established ", a + " / " + b
		})
		t.Logf("second end %v late: up after %v", late, time.Since(start).Round(time.Millisecond))
		vtyshPush(t, dp, "no router bgp "+pAS)
		vtyshPush(t, dm, "no router bgp "+mAS)
	}
}
