package provisioning

import (
	"context"
	"errors"
	"fmt"

	"github.com/tuyau-net/tuyau/inventory"
)

// ErrRecordMismatch is returned when a recorded config cannot be applied
// to a device the way it would be reached now (another platform's text,
// another transport).
var ErrRecordMismatch = errors.New("recorded config cannot be applied this way")

// RollbackOptions select a rollback.
type RollbackOptions struct {
	Device string
	// To is how many recorded versions back (0 the latest, 1 the one
	// before: after an apply, the config the device had before it).
	To        int
	Transport string
	Who       string
	// PlanOnly computes and returns the rollback's plan, changing nothing.
	PlanOnly bool
	// Why is the audit entry's reason (default "to recorded version N").
	Why string
}

// RollbackResult is what a rollback did, or would do with PlanOnly.
type RollbackResult struct {
	Plan  DevicePlan
	Entry AuditEntry
}

// Rollback moves a device back to the config recorded opt.To versions ago
// (see Records.Version), saves it on the device and records the result.
// A record read with another platform or transport than the device is
// reached with now is refused before any change.
func Rollback(ctx context.Context, x *inventory.Index, reg *Registry, dial Dialer, rec *Records, opt RollbackOptions) (RollbackResult, error) {
	d := x.Device(opt.Device)
	if d == nil {
		return RollbackResult{}, fmt.Errorf("device %s: %w", opt.Device, ErrUnknownDevice)
	}
	target, err := rec.Version(ctx, opt.Device, opt.To)
	if err != nil {
		return RollbackResult{}, err
	}
	return RollbackTo(ctx, *d, reg, dial, rec, target, fmt.Sprintf("recorded version %d", opt.To), opt)
}

// RollbackTo moves device d back to target, a config read from it earlier
// (a recorded version, or the config a --confirm apply found before its
// push), named what in the diff and the audit entry: the one rollback
// path of "config rollback" and the confirm timer. It checks the device
// is then exactly on target, saves it on the device ("write memory") and
// records the result. A target read with another platform or transport
// than the device is reached with now is refused before any change.
func RollbackTo(ctx context.Context, d inventory.Device, reg *Registry, dial Dialer, rec *Records, target RecordedConfig, what string, opt RollbackOptions) (RollbackResult, error) {
	var res RollbackResult
	tr, err := pickTransport(d, opt.Transport)
	if err != nil {
		return res, err
	}
	p, err := reg.Get(platformName(d, tr))
	if err != nil {
		return res, err
	}
	if err := target.appliesTo(p.Name(), tr); err != nil {
		return res, fmt.Errorf("device %s: %s: %w", d.Name, what, err)
	}
	c, err := dial.Dial(ctx, d, tr)
	if err != nil {
		return res, err
	}
	defer c.Close()
	running, err := c.Running(ctx)
	if err != nil {
		return res, fmt.Errorf("device %s: rollback: read running config: %w", d.Name, err)
	}
	delta, err := p.Delta(running, target.Text)
	if err != nil {
		return res, fmt.Errorf("device %s: rollback: %w", d.Name, err)
	}
	res.Plan = DevicePlan{Device: d.Name, Platform: p.Name(), Transport: tr, RunningHash: hashBytes([]byte(delta.Have)),
		Diff:     delta.Diff(d.Name+" (running)", fmt.Sprintf("%s (%s)", d.Name, what)),
		Commands: delta.Commands, Replace: delta.Replace, Intended: string(target.Text)}
	if opt.PlanOnly {
		return res, nil
	}
	why := opt.Why
	if why == "" {
		why = "to " + what
	}
	e := AuditEntry{When: rec.Now().UTC(), Who: opt.Who, Action: "rollback", Device: d.Name, Result: RolledBack,
		Platform: p.Name(), Transport: tr, PlanHash: res.Plan.Hash(), Rollback: why}
	rerr := Restore(ctx, c, p, target.Text)
	if rerr != nil {
		e.Result, e.Error = Failed, rerr.Error()
	} else if sv, ok := c.(Saver); ok {
		switch err := sv.Save(ctx); {
		case errors.Is(err, errNoSave): // the transport persists by itself
		case err != nil:
			rerr = fmt.Errorf("device %s: rolled back, but not saved on the device (a restart would lose it): %w", d.Name, err)
			e.Error = rerr.Error()
		default:
			e.Saved = true
		}
	}
	configs := map[string]RecordedConfig{}
	if after, err := c.Running(ctx); err == nil {
		configs[d.Name] = RecordedConfig{Text: after, Platform: p.Name(), Transport: tr, Saved: e.Saved}
	}
	commit, _, err := rec.Save(ctx, "rollback "+d.Name, configs, []AuditEntry{e})
	e.Commit = commit
	res.Entry = e
	return res, errors.Join(rerr, err)
}

// appliesTo refuses a recorded config that is not the text of platform
// over transport.
func (c RecordedConfig) appliesTo(platform, transport string) error {
	if c.Platform != "" && c.Platform != platform {
		return fmt.Errorf("%w: it is %s text (read over %s), the device is reached as %s over %s (use --transport %s)",
			ErrRecordMismatch, c.Platform, c.Transport, platform, transport, c.Transport)
	}
	if c.Platform == "" && platform == "openconfig" {
		return fmt.Errorf("%w: it is CLI text, the device is reached over gnmi as openconfig (use --transport ssh)", ErrRecordMismatch)
	}
	if c.Transport != "" && c.Transport != transport {
		return fmt.Errorf("%w: it was read over %s, the device is reached over %s (use --transport %s)",
			ErrRecordMismatch, c.Transport, transport, c.Transport)
	}
	return nil
}
