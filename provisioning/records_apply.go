package provisioning

import (
	"context"
)

// RecordApply commits an apply to the records: first, in a commit of its
// own, the config each changed device had before the apply when the
// records do not already end on it (a device never recorded, a change
// made by hand since), so "rollback DEVICE" (version 1) undoes exactly
// this apply even the first time; then the configs after the apply and
// one audit entry per device touched. It returns the apply's commit.
func RecordApply(ctx context.Context, rec *Records, plan *Plan, res []Result, who string) (string, error) {
	before := map[string]RecordedConfig{}
	after := map[string]RecordedConfig{}
	var audit []AuditEntry
	var touched []string
	for _, r := range res {
		if r.Outcome != Unchanged && r.Before != nil {
			touched = append(touched, r.Device)
		}
	}
	last, err := rec.Latest(ctx, touched)
	if err != nil {
		return "", err
	}
	for i, r := range res {
		if r.Outcome == Unchanged {
			continue
		}
		if r.Before != nil {
			if l, ok := last[r.Device]; !ok || string(l) != string(r.Before) {
				before[r.Device] = RecordedConfig{Text: r.Before, Platform: r.Platform, Transport: r.Transport}
			}
		}
		if r.After != nil {
			after[r.Device] = RecordedConfig{Text: r.After, Platform: r.Platform, Transport: r.Transport, Saved: r.Saved}
		}
		e := AuditEntry{When: rec.Now().UTC(), Who: who, Action: "apply", Device: r.Device,
			Platform: r.Platform, Transport: r.Transport, Saved: r.Saved,
			PlanHash: plan.Devices[i].Hash(), Result: r.Outcome, Error: r.Error, CommitID: r.CommitID}
		if r.Outcome == RolledBack {
			e.Rollback = r.Error
		}
		if r.RollbackError != "" {
			e.Error += "; rollback failed: " + r.RollbackError
		}
		audit = append(audit, e)
	}
	if len(before) > 0 {
		if _, _, err := rec.save(ctx, "before apply", before, nil, false); err != nil {
			return "", err
		}
	}
	commit, _, err := rec.Save(ctx, "apply", after, audit)
	return commit, err
}
