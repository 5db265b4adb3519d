package topology

import "github.com/tuyau-net/tuyau/inventory"

// Check returns what the topology finds wrong in a snapshot that is
// otherwise valid, as warnings tied to the inventory's positions: member
// sites that reach no core site even with every link up. A snapshot
// without two core sites has no topology to check and gets none.
func Check(snap *inventory.Snapshot, o Options) inventory.Problems {
	t, err := Build(snap, o)
	if err != nil {
		return nil
	}
	src := make(map[string]inventory.Source, len(snap.Sites))
	for _, s := range snap.Sites {
		if _, dup := src[s.Slug]; !dup {
			src[s.Slug] = s.Src
		}
	}
	var ps inventory.Problems
	for _, s := range Analyze(t).Isolated() {
		at := src[s.Site]
		ps = append(ps, inventory.Problem{Src: at, Where: at.String(), Object: "site " + s.Site, Severity: inventory.SeverityWarning,
			Msg: "member site reaches neither core site " + t.CoreA + " nor " + t.CoreB + " even with every link up: " + s.Reason})
	}
	return ps
}
