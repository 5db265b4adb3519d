package provisioning

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/tuyau-net/tuyau/inventory"
)

// PlanFormat is the version of the saved plan file.
const PlanFormat = 1

// Plan is what an apply will do, device by device. It can be saved as JSON
// and applied later; it knows nothing about display.
type Plan struct {
	Format    int          `json:"format_version"`
	CreatedAt time.Time    `json:"created_at"`
	Devices   []DevicePlan `json:"devices"`
}

// DevicePlan is the change planned for one device.
type DevicePlan struct {
	Device    string `json:"device"`
	Platform  string `json:"platform"`
	Transport string `json:"transport"`
	// RunningHash is the SHA-256 of the normalized running config the plan
	// was made from; apply refuses the device if it changed since.
	RunningHash string `json:"running_sha256"`
	Diff        string `json:"diff"`
	// Commands are exactly what apply sends, in order.
	Commands []string `json:"commands"`
	Replace  bool     `json:"replace,omitempty"`
	// Intended is the rendered config; apply checks the device ends on it.
	Intended string `json:"intended"`
	Checks   Checks `json:"checks"`
	// Unsaved is set when the running config differs from the one the
	// device boots with: a restart or reboot would silently revert to
	// it. It is drift of its own, reported even when the running config
	// is on the intent; apply saves the device once it is. UnsavedDiff
	// goes from the startup config to the running config.
	Unsaved     string `json:"unsaved,omitempty"`
	UnsavedDiff string `json:"unsaved_diff,omitempty"`
	// Drift is what differs from the intent but tuyau cannot change on
	// this platform (an FRR router's MTUs belong to the Linux host), each
	// with what to do: reported on every plan, never pushed.
	Drift []string `json:"drift,omitempty"`
	Error string   `json:"error,omitempty"`
}

// Changed reports whether apply would touch the device.
func (p DevicePlan) Changed() bool { return len(p.Commands) > 0 && p.Error == "" }

// NeedsSave reports whether apply would only save the device: its running
// config is on the intent but is not the one it boots with.
func (p DevicePlan) NeedsSave() bool { return !p.Changed() && p.Unsaved != "" && p.Error == "" }

// Hash identifies the planned change in the audit log.
func (p DevicePlan) Hash() string {
	b, _ := json.Marshal(struct {
		D, R string
		C    []string
	}{p.Device, p.RunningHash, p.Commands})
	return hashBytes(b)
}

// Changes counts the devices with pending changes.
func (p *Plan) Changes() int {
	n := 0
	for _, d := range p.Devices {
		if d.Changed() {
			n++
		}
	}
	return n
}

// Unsaved counts the devices whose running config is not saved.
func (p *Plan) Unsaved() int {
	n := 0
	for _, d := range p.Devices {
		if d.Unsaved != "" && d.Error == "" {
			n++
		}
	}
	return n
}

// Err joins the per-device errors of the plan.
func (p *Plan) Err() error {
	var errs []error
	for _, d := range p.Devices {
		switch {
		case d.Error == "":
		case strings.HasPrefix(d.Error, "device "+d.Device):
			errs = append(errs, errors.New(d.Error))
		default:
			errs = append(errs, fmt.Errorf("device %s: %s", d.Device, d.Error))
		}
	}
	return errors.Join(errs...)
}

// PlanOptions select what to plan.
type PlanOptions struct {
	// Devices to plan; all devices of the inventory when empty.
	Devices []string
	// Transport forces "ssh" or "gnmi"; otherwise the first of the device's
	// transports tuyau speaks (ssh before gnmi, ssh only for platforms
	// applied over SSH: see support.go).
	Transport string
	Parallel  int
	Render    Options
	Now       func() time.Time
	// Startup knows the config tuyau last saved on each device (the
	// records), for devices that cannot show their startup config.
	Startup StartupSource
}

// StartupReader is implemented by connections that can show the config
// the device boots with ("show startup-config" on EOS and IOS-XE).
// ErrNoStartup says the device cannot.
type StartupReader interface {
	Startup(ctx context.Context) ([]byte, error)
}

// ErrNoStartup is what StartupReader answers on a device that cannot show
// its startup config: FRR 8.4's vtysh has no "show startup-config".
var ErrNoStartup = errors.New("the device cannot show its startup config")

// StartupSource knows the config tuyau last made each device's startup
// config; ok is false for a device tuyau never saved.
type StartupSource interface {
	Startup(ctx context.Context, device string) (cfg RecordedConfig, ok bool, err error)
}

// MakePlan renders the intent of each device, reads its running config
// and computes the change. It never changes a device. Unknown devices and
// render errors fail before any connection is made; a device that cannot
// be reached gets its Error set and the others are still planned.
func MakePlan(ctx context.Context, x *inventory.Index, reg *Registry, dial Dialer, opt PlanOptions) (*Plan, error) {
	names := opt.Devices
	if len(names) == 0 {
		for _, d := range x.Snapshot().Devices {
			names = append(names, d.Name)
		}
	}
	type job struct {
		dev       inventory.Device
		platform  Platform
		transport string
		want      []byte
		checks    Checks
		in        Intent
	}
	jobs := make([]job, 0, len(names))
	for _, n := range names {
		d := x.Device(n)
		if d == nil {
			return nil, fmt.Errorf("device %s: %w", n, ErrUnknownDevice)
		}
		tr, err := pickTransport(*d, opt.Transport)
		if err != nil {
			return nil, err
		}
		platform := d.Platform
		if tr == "gnmi" {
			platform = "openconfig"
		}
		p, err := reg.Get(platform)
		if err != nil {
			return nil, fmt.Errorf("device %s: %w", n, err)
		}
		in, err := BuildIntent(x, n, opt.Render)
		if err != nil {
			return nil, err
		}
		cfg, err := p.Render(in)
		if err != nil {
			return nil, fmt.Errorf("device %s: render %s: %w", n, platform, err)
		}
		jobs = append(jobs, job{*d, p, tr, cfg, checksOf(in), in})
	}
	now := time.Now
	if opt.Now != nil {
		now = opt.Now
	}
	plan := &Plan{Format: PlanFormat, CreatedAt: now().UTC(), Devices: make([]DevicePlan, len(jobs))}
	forEach(ctx, len(jobs), opt.Parallel, func(ctx context.Context, i int) {
		j := jobs[i]
		dp := DevicePlan{Device: j.dev.Name, Platform: j.platform.Name(), Transport: j.transport,
			Intended: string(j.want), Checks: j.checks}
		if err := planDevice(ctx, j.dev, j.platform, dial, opt.Startup, &j.in, &dp); err != nil {
			dp.Error = err.Error()
		}
		plan.Devices[i] = dp
	})
	farEnds(x, plan, opt.Transport)
	return plan, ctx.Err()
}

// PlanConfig plans one device towards a config given as text rather than
// rendered from the inventory (a config from elsewhere, generated test
// configs): it reads the device's running config over transport and
// computes the change. It never changes the device.
func PlanConfig(ctx context.Context, dev inventory.Device, p Platform, dial Dialer, transport string, intended []byte) (DevicePlan, error) {
	dp := DevicePlan{Device: dev.Name, Platform: p.Name(), Transport: transport, Intended: string(intended)}
	err := planDevice(ctx, dev, p, dial, nil, nil, &dp)
	return dp, err
}

func planDevice(ctx context.Context, dev inventory.Device, p Platform, dial Dialer, startup StartupSource, in *Intent, dp *DevicePlan) error {
	c, err := dial.Dial(ctx, dev, dp.Transport)
	if err != nil {
		return err
	}
	defer c.Close()
	running, err := c.Running(ctx)
	if err != nil {
		return fmt.Errorf("read running config: %w", err)
	}
	d, err := p.Delta(running, []byte(dp.Intended))
	if err != nil {
		return err
	}
	dp.RunningHash = hashBytes([]byte(d.Have))
	dp.Diff = d.Diff(dev.Name+" (running)", dev.Name+" (intended)")
	dp.Commands, dp.Replace = d.Commands, d.Replace
	if in != nil {
		if err := hostDrift(ctx, c, *in, running, dp); err != nil {
			return err
		}
	}
	return checkSaved(ctx, c, dev, p, startup, running, dp)
}

// checkSaved sets dp.Unsaved when running is not the config the device
// boots with: read from the device where it can show it, otherwise the
// config tuyau last saved on it (the records). A device tuyau never saved
// and that cannot show its startup config is not judged. Transports
// whose changes persist by themselves (gNMI Set) are not Savers and have
// nothing unsaved.
func checkSaved(ctx context.Context, c Conn, dev inventory.Device, p Platform, src StartupSource, running []byte, dp *DevicePlan) error {
	if !saves(c) {
		return nil
	}
	var saved []byte
	how := "the device's startup config"
	if sr, ok := c.(StartupReader); ok {
		b, err := sr.Startup(ctx)
		switch {
		case err == nil:
			saved = b
		case !errors.Is(err, ErrNoStartup):
			return fmt.Errorf("read startup config: %w", err)
		}
	}
	if saved == nil && src != nil {
		rc, ok, err := src.Startup(ctx, dev.Name)
		if err != nil {
			return err
		}
		if !ok || rc.Platform != "" && rc.Platform != p.Name() {
			return nil
		}
		saved = rc.Text
		how = "the config tuyau saved on it"
		if !rc.When.IsZero() {
			how += " at " + rc.When.UTC().Format(time.RFC3339)
		}
		how += ", as the device cannot show its startup config; a save by hand since is not seen"
	}
	if saved == nil {
		return nil
	}
	d, err := p.Delta(saved, running)
	if err != nil {
		return fmt.Errorf("compare with the startup config: %w", err)
	}
	if !d.Changed() {
		return nil
	}
	dp.Unsaved = fmt.Sprintf("running config not saved: it differs from %s by %s, lost to a restart or reboot; "+
		"apply saves it once it is on the intent (or run \"write memory\" on the device)", how, countOf(len(d.Commands), "command"))
	dp.UnsavedDiff = d.Diff(dev.Name+" (startup)", dev.Name+" (running)")
	return nil
}

func countOf(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

func pickTransport(d inventory.Device, force string) (string, error) {
	if force != "" {
		if force != "ssh" && force != "gnmi" {
			return "", fmt.Errorf("transport %q: want ssh or gnmi", force)
		}
		if len(d.Transports) > 0 && !slices.Contains(d.Transports, force) {
			return "", fmt.Errorf("device %s: transport %s not in its transports %v", d.Name, force, d.Transports)
		}
		if force == "ssh" {
			if err := SSHRefusal(d.Name, d.Platform); err != nil {
				return "", err
			}
		}
		return force, nil
	}
	// SSH first where the platform is planned and applied over SSH (FRR);
	// others go over gNMI when the device has it, and are refused over SSH
	// (support.go) rather than planned as a full replace of raw CLI text.
	sshRefused := SSHRefusal(d.Name, d.Platform)
	if (len(d.Transports) == 0 || slices.Contains(d.Transports, "ssh")) && sshRefused == nil {
		return "ssh", nil
	}
	if slices.Contains(d.Transports, "gnmi") {
		return "gnmi", nil
	}
	if sshRefused != nil {
		return "", sshRefused
	}
	return "", fmt.Errorf("device %s: no supported transport in %v (want ssh or gnmi)", d.Name, d.Transports)
}

func hashBytes(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// forEach runs fn for 0..n-1 with at most parallel at once and waits; it
// stops starting new work when ctx is done.
func forEach(ctx context.Context, n, parallel int, fn func(context.Context, int)) {
	if parallel <= 0 {
		parallel = 10
	}
	sem := make(chan struct{}, parallel)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			wg.Wait()
			return
		}
		// When a slot frees and ctx is done by then, select picks either
		// case at random: check again so that no work starts after a stop.
		if ctx.Err() != nil {
			<-sem
			wg.Wait()
			return
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			fn(ctx, i)
		}()
	}
	wg.Wait()
}
