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
	configs := map[string]RecordedConfig{}
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

func readRunning(ctx context.Context, d inventory.Device, dial Dialer, transport string) (RecordedConfig, error) {
	tr, err := pickTransport(d, transport)
	if err != nil {
		return RecordedConfig{}, err
	}
	c, err := dial.Dial(ctx, d, tr)
	if err != nil {
		return RecordedConfig{}, err
	}
	defer c.Close()
	cfg, err := c.Running(ctx)
	if err != nil {
		return RecordedConfig{}, fmt.Errorf("device %s: read running config: %w", d.Name, err)
	}
	return RecordedConfig{Text: cfg, Platform: platformName(d, tr), Transport: tr}, nil
}

// platformName is the platform whose text a device's config is over a
// transport: gNMI speaks OpenConfig whatever the device.
func platformName(d inventory.Device, transport string) string {
	if transport == "gnmi" {
		return "openconfig"
	}
	return d.Platform
}
