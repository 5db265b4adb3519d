package telemetry

import "testing"

func TestSiteLinks(t *testing.T) {
	link := func(a, b, oper string) LinkState {
		return LinkState{Oper: oper, A: LinkEnd{Site: a}, B: LinkEnd{Site: b}}
	}
	links := []LinkState{
		link("dc1", "pop1", "up"), link("pop2", "dc1", "down"), link("dc1", "", "up"), // a circuit
		link("dc1", "dc1", "down"), // inside the room
		link("dc1", "pop3", "unknown"), link("pop1", "pop2", "down"),
	}
	for _, tc := range []struct {
		site      string
		up, total int
	}{{"dc1", 2, 3}, {"pop1", 1, 2}, {"nowhere", 0, 0}} {
		if up, total := SiteLinks(links, tc.site); up != tc.up || total != tc.total {
			t.Errorf("SiteLinks(%s) = %d up of %d, want %d of %d", tc.site, up, total, tc.up, tc.total)
		}
	}
}
