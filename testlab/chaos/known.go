package chaos

// Findings are the violations chaos runs found that are understood but
// not fixed yet: each is still reported (in the table, as known) and
// does not fail a run. Remove an entry once its cause is fixed; a run
// then fails if it comes back.
var Findings = []Known{{
	Kind: CoreSiteFail, Invariant: InvDetect, Match: "missing site-loss",
	Why: "no site-loss root for a dead core site: its transit link, reported only by the dead router, keeps its last 'up' " +
		"and refutes the site candidate (telemetry/correlate.go bestCandidate), and the root is not looked for again once " +
		"target-unreachable rises (its RaiseAfter is longer than Correlation.Settle); the link-down and target-unreachable alarms are raised",
}}
