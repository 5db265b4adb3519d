package noc

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"
)

type fakeBGP BGPState

func (f fakeBGP) BGP(context.Context) (BGPState, error) { return BGPState(f), nil }

func TestBGPPane(t *testing.T) {
	for _, tc := range []struct {
		name string
		bgp  BGPSource
		want []string
	}{
		{"no speaker: the inventory's services", nil, []string{"BGP speaker not running", "service hebergement  active ?"}},
		{"speaker down", fakeBGP{Note: "speaker sp1 does not answer", Services: []Service{{Name: "hebergement"}}},
			[]string{"(speaker sp1 does not answer)"}},
		{"speaker running", fakeBGP{Running: true,
			Sessions: []Session{{Device: "sp1", Peer: "stlo-r1 10.0.0.1", PeerASN: 65000, State: "ESTABLISHED", Since: t0.Add(-time.Hour)},
				{Device: "sp1", Peer: "cher-r1 10.0.0.2", PeerASN: 65000, State: "ACTIVE"}},
			Services: []Service{{Name: "hebergement", Known: true, ActiveSite: "cherbourg-dc", Sites: []string{"saint-lo-dc", "cherbourg-dc"}},
				{Name: "backup", Known: true}}},
			[]string{"BGP & hosting 4", "session ESTABLISHED  1h   sp1 stlo-r1 10.0.0.1 AS65000", "session ACTIVE", "active cherbourg-dc", "backup       active NONE (withdrawn)"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := New(context.Background(), Options{Source: fixture(), Inventory: inv(), BGP: tc.bgp, Now: func() time.Time { return t0 }, Width: 120, Height: 40})
			m.apply(Read(context.Background(), m.o))
			v := ansi.Strip(m.View())
			for _, w := range tc.want {
				if !strings.Contains(v, w) {
					t.Errorf("view lacks %q:\n%s", w, v)
				}
			}
		})
	}
}
