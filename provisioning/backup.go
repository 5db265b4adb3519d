package provisioning

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/tuyau-net/tuyau/inventory"
)

// Backup reads the running config of every device (all when names is
// empty) and commits them to the records. Unreachable devices are
// reported and the others are still saved.
func Backup(ctx context.Context, x *inventory.Index, dial Dialer, rec *Records, names []string, transport string, parallel int) (commit string, changed []string, err error) {
	if len(names) == 0 {
		for _, d := range x.Snapshot().Devices {
			names = append(names, d.Name)
		}
	}
	var mu sync.Mutex
	configs := map[string][]byte{}
	var errs []error
	devs := make([]inventory.Device, 0, len(names))
	for _, n := range names {
		d := x.Device(n)
		if d == nil {
			return "", nil, fmt.Errorf("device %s: %w", n, ErrUnknownDevice)
		}
		devs = append(devs, *d)
	}
	forEach(ctx, len(devs), parallel, func(ctx context.Context, i int) {
		d := devs[i]
		cfg, err := readRunning(ctx, d, dial, transport)
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			errs = append(errs, err)
			return
		}
		configs[d.Name] = cfg
	})
	if len(configs) > 0 {
		commit, changed, err = rec.Save(ctx, fmt.Sprintf("backup of %d devices", len(configs)), configs, nil)
		if err != nil {
			errs = append(errs, err)
		}
	}
	return commit, changed, errors.Join(errs...)
}

func readRunning(ctx context.Context, d inventory.Device, dial Dialer, transport string) ([]byte, error) {
	tr, err := pickTransport(d, transport)
	if err != nil {
		return nil, err
	}
	c, err := dial.Dial(ctx, d, tr)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	cfg, err := c.Running(ctx)
	if err != nil {
		return nil, fmt.Errorf("device %s: read running config: %w", d.Name, err)
	}
	return cfg, nil
}

// Rollback moves a device back to the config recorded n versions ago
// (see Records.Version) and records the result.
func Rollback(ctx context.Context, x *inventory.Index, reg *Registry, dial Dialer, rec *Records, device string, n int, transport, who string) (AuditEntry, error) {
	d := x.Device(device)
	if d == nil {
		return AuditEntry{}, fmt.Errorf("device %s: %w", device, ErrUnknownDevice)
	}
	target, err := rec.Version(ctx, device, n)
	if err != nil {
		return AuditEntry{}, err
	}
	tr, err := pickTransport(*d, transport)
	if err != nil {
		return AuditEntry{}, err
	}
	platform := d.Platform
	if tr == "gnmi" {
		platform = "openconfig"
	}
	p, err := reg.Get(platform)
	if err != nil {
		return AuditEntry{}, err
	}
	c, err := dial.Dial(ctx, *d, tr)
	if err != nil {
		return AuditEntry{}, err
	}
	defer c.Close()
	e := AuditEntry{When: rec.Now().UTC(), Who: who, Action: "rollback", Device: device, Result: RolledBack,
		Rollback: fmt.Sprintf("to recorded version %d", n)}
	rerr := Restore(ctx, c, p, target)
	if rerr != nil {
		e.Result, e.Error = Failed, rerr.Error()
	}
	after, err := c.Running(ctx)
	if err != nil {
		after = nil
	}
	configs := map[string][]byte{}
	if after != nil {
		configs[device] = after
	}
	commit, _, err := rec.Save(ctx, "rollback "+device, configs, []AuditEntry{e})
	e.Commit = commit
	return e, errors.Join(rerr, err)
}
