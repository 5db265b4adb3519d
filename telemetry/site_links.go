package telemetry

// SiteLinks counts the links that connect a site to the rest of the
// network: routed links and circuits with exactly one end at the site (a
// link inside the site's room does not connect it), among those whose state
// is known, and how many of them are up. The hosting failover reads it
// as one input of a core site's health.
func SiteLinks(links []LinkState, site string) (up, total int) {
	for _, l := range links {
		if (l.A.Site == site) == (l.B.Site == site) || l.Oper == "unknown" || l.Oper == "" {
			continue
		}
		total++
		if l.Oper == "up" {
			up++
		}
	}
	return up, total
}
