// Package topology turns an inventory snapshot into the network's two graphs
// (fiber and routed links), computes optical budgets, and answers what a cut
// breaks: every cable, duct and site failure, ranked by the member sites that
// lose the hosting core sites.
//
//	t, err := topology.Build(snap, topology.Options{})
//	if err != nil {
//		return err
//	}
//	a := topology.Analyze(t)
//	for _, f := range a.Cuts(topology.CutOptions{}) {
//		fmt.Println(f.Kind, f.Name, len(f.LoseHosting))
//	}
//	budgets, err := topology.Budgets(t, topology.BudgetOptions{MarginDB: 3})
//
// Member sites carry no transit: reachability to the core sites is
// computed over the backbone (core and aggregation sites), members hanging
// off it by their uplinks. See docs/topology.md for the models and sources.
package topology
