// Package report computes availability reports per member site from the
// state-change history (never the sampled streams): which core sites each
// member reached at every moment, from the link changes replayed through
// topology's cut analysis, with the outages and the root alarms that
// caused them, and the time no collector watched counted as unknown.
//
//	h, _ := redisReader.History(ctx) // or telemetry.HTTPReader.History
//	r, err := report.Availability(topo, h, report.Options{From: from, To: to, Alarms: alarms})
//	err = report.Write(os.Stdout, r, "html")
//
// docs/reports.md defines the figures.
package report
