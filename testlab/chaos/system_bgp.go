package chaos

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/tuyau-net/tuyau/inventory"
	"github.com/tuyau-net/tuyau/inventory/yamlstore"
	"github.com/tuyau-net/tuyau/provisioning"
	"github.com/tuyau-net/tuyau/provisioning/sshcli"
)

// speakers are tuyau's BGP speakers as the system runs them: one real
// "tuyau bgp serve --lab" process per core site, against the lab (which
// Start publishes for the CLI), the first core site's running the hosting
// failover, the other's started with --hosting=false, as .ci/demo and
// TestBGPLabFailover run them.
type speakers struct {
	bin, root, lab   string
	env              []string
	dir              string
	prefix           netip.Prefix      // the hosting service's IPv4 prefix
	sites            map[string]string // hosting next hop -> core site
	siteNH           map[string]string // core site -> its hosting next hop
	members, routers []string          // member routers; core and aggregation routers
	order            []string          // speaker names, the hosting one last

	mu    sync.Mutex
	procs map[string]*speakerProc
}

// speakerProc is one "tuyau bgp serve" process.
type speakerProc struct {
	name string
	args []string
	log  string
	cmd  *exec.Cmd
	done chan struct{}
	err  error // of Wait, once done
}

// hostingConfig is the failover's tuyau.yaml: TestBGPLabFailover's short
// timers (a site is down after 2 failed probes 200 ms apart, the machine
// steps every 100 ms), so a run of minutes sees failovers in seconds.
const hostingConfig = "hosting:\n" +
	"  hosting: {interval: 500ms, fast-interval: 200ms, timeout: 400ms, rise: 2, fall: 2, startup-hold: 2s, step: 100ms}\n" +
	"  backup: {interval: 500ms, fast-interval: 200ms, timeout: 400ms, rise: 2, fall: 2, startup-hold: 2s, step: 100ms}\n"

// tuyauBinary is the tuyau the system runs: TUYAU_BIN (make chaos builds
// bin/tuyau), else one built into dir.
func tuyauBinary(ctx context.Context, dir string) (string, error) {
	if b := os.Getenv("TUYAU_BIN"); b != "" {
		return b, nil
	}
	goTool := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(goTool); err != nil {
		goTool = "go"
	}
	bin := filepath.Join(dir, "tuyau")
	cmd := exec.CommandContext(ctx, goTool, "build", "-o", bin, "github.com/tuyau-net/tuyau/cmd/tuyau")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build cmd/tuyau: %w\n%s", err, out)
	}
	return bin, nil
}

// startSpeakers applies the core routers' rendered config (their side of
// the speakers' sessions), then starts a speaker per core site and waits
// until every router holds the hosting prefix.
func (s *System) startSpeakers(ctx context.Context, root, dir string) error {
	sp := &speakers{root: root, lab: s.Lab.Plan().Name, dir: filepath.Join(dir, "speakers"), sites: map[string]string{},
		siteNH: map[string]string{}, procs: map[string]*speakerProc{}}
	if err := os.MkdirAll(sp.dir, 0o700); err != nil {
		return err
	}
	for _, svc := range s.Snap.Services {
		if svc.Name == "hosting" {
			for _, p := range svc.Prefixes {
				if p.Addr().Is4() {
					sp.prefix = p
				}
			}
		}
	}
	if !sp.prefix.IsValid() {
		return errors.New("speakers: the network has no hosting service with an IPv4 prefix")
	}
	for _, k := range s.Snap.Speakers {
		nh, _ := k.NextHops()
		sp.sites[nh.String()], sp.siteNH[k.Site] = k.Site, nh.String()
		sp.order = append(sp.order, k.Name)
	}
	slices.Sort(sp.order)
	if len(sp.order) != 2 {
		return fmt.Errorf("speakers: %d in the inventory, want one per core site", len(sp.order))
	}
	// The hosting failover runs at the first core site's speaker, started
	// last: it dials the other's API.
	sp.order[0], sp.order[1] = sp.order[1], sp.order[0]
	for _, d := range s.Snap.Devices {
		switch d.Role {
		case inventory.RoleMember:
			sp.members = append(sp.members, d.Name)
		case inventory.RoleCore, inventory.RoleAggregation:
			sp.routers = append(sp.routers, d.Name)
		}
	}
	slices.Sort(sp.members)
	slices.Sort(sp.routers)

	var cores []string
	for _, d := range s.Snap.Devices {
		if d.Role == inventory.RoleCore {
			cores = append(cores, d.Name)
		}
	}
	if err := s.applyRendered(ctx, cores); err != nil {
		return err
	}
	bin, err := tuyauBinary(ctx, dir)
	if err != nil {
		return err
	}
	sp.bin = bin
	inv, cfg := filepath.Join(dir, "inventory.yaml"), filepath.Join(dir, "tuyau.yaml")
	if err := yamlstore.WriteFile(inv, s.Snap); err != nil {
		return fmt.Errorf("speakers: inventory: %w", err)
	}
	if err := os.WriteFile(cfg, []byte(hostingConfig), 0o600); err != nil {
		return err
	}
	sp.env = append(os.Environ(), "TUYAU_INVENTORY="+inv, "TUYAU_CONFIG="+cfg, "TUYAU_LAB_DIR="+root, "TUYAU_RECORDS="+filepath.Join(dir, "records"))
	for i, name := range sp.order {
		args := []string{"bgp", "serve", "--lab", sp.lab, "--lab-dir", root, "--speaker", name}
		if i == 0 {
			args = append(args, "--hosting=false")
		} else {
			args = append(args, "--state-dir", filepath.Join(dir, "state-"+name))
		}
		p := &speakerProc{name: name, args: args, log: filepath.Join(sp.dir, name+".log")}
		sp.procs[name] = p
		if err := sp.start(p); err != nil {
			sp.stopAll()
			return err
		}
		if i == 0 {
			// The hosting speaker dials this one's API at start.
			if err := waitSocket(ctx, filepath.Join(root, sp.lab, "bgp-"+name+".sock"), 30*time.Second); err != nil {
				sp.stopAll()
				return fmt.Errorf("speaker %s: %w (log %s)", name, err, p.log)
			}
		}
	}
	s.bgp = sp
	deadline := time.Now().Add(60 * time.Second)
	for {
		v := s.hostingView(ctx)
		ok, why := v.complete(sp)
		if ok {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("speakers: the hosting not in every RIB after 60 s: %s (%s)\n%s", why, v.describe(sp), sp.logTails(20))
		}
		sleep(ctx, 200*time.Millisecond)
	}
}

func waitSocket(ctx context.Context, path string, within time.Duration) error {
	deadline := time.Now().Add(within)
	for {
		var d net.Dialer
		c, err := d.DialContext(ctx, "unix", path)
		if err == nil {
			c.Close()
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("API socket %s: %w", path, err)
		}
		sleep(ctx, 100*time.Millisecond)
	}
}

// logTails are the last n lines of each speaker's log.
func (sp *speakers) logTails(n int) string {
	var b strings.Builder
	for _, name := range sp.order {
		out, _ := os.ReadFile(sp.procs[name].log)
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		fmt.Fprintf(&b, "--- speaker %s (%s):\n%s\n", name, sp.procs[name].log, strings.Join(lines[max(0, len(lines)-n):], "\n"))
	}
	return b.String()
}

// start runs p anew; its output goes to its log (appended across restarts).
func (sp *speakers) start(p *speakerProc) error {
	logf, err := os.OpenFile(p.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	fmt.Fprintf(logf, "--- %s start\n", time.Now().UTC().Format(time.RFC3339Nano))
	cmd := exec.Command(sp.bin, p.args...)
	cmd.Env, cmd.Stdout, cmd.Stderr = sp.env, logf, logf
	// Its own process group: a signal to it reaches nothing else.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return fmt.Errorf("speaker %s: start %s: %w", p.name, sp.bin, err)
	}
	done := make(chan struct{})
	sp.mu.Lock()
	p.cmd, p.done, p.err = cmd, done, nil
	sp.mu.Unlock()
	go func() {
		err := cmd.Wait()
		logf.Close()
		sp.mu.Lock()
		p.err = err
		sp.mu.Unlock()
		close(done)
	}()
	return nil
}

// signal sends sig to p's process (by the pid this system started) and
// waits up to within for it to exit; past that it is SIGKILLed.
func (sp *speakers) signal(p *speakerProc, sig syscall.Signal, within time.Duration) (exited time.Duration, err error) {
	sp.mu.Lock()
	cmd, done := p.cmd, p.done
	sp.mu.Unlock()
	if cmd == nil {
		return 0, fmt.Errorf("speaker %s: not running", p.name)
	}
	t0 := time.Now()
	if err := cmd.Process.Signal(sig); err != nil {
		return 0, fmt.Errorf("speaker %s (pid %d): %v: %w", p.name, cmd.Process.Pid, sig, err)
	}
	select {
	case <-done:
		return time.Since(t0), nil
	case <-time.After(within):
		cmd.Process.Kill()
		<-done
		return time.Since(t0), fmt.Errorf("speaker %s (pid %d): still running %s after %v: killed", p.name, cmd.Process.Pid, within, sig)
	}
}

func (sp *speakers) running(name string) bool {
	sp.mu.Lock()
	defer sp.mu.Unlock()
	p := sp.procs[name]
	if p == nil || p.done == nil {
		return false
	}
	select {
	case <-p.done:
		return false
	default:
		return true
	}
}

// exitStatus says how p's last process ended ("" while it runs).
func (sp *speakers) exitStatus(p *speakerProc) string {
	sp.mu.Lock()
	defer sp.mu.Unlock()
	select {
	case <-p.done:
	default:
		return ""
	}
	if p.err == nil {
		return "exit 0"
	}
	return p.err.Error()
}

// stopAll stops every speaker: SIGTERM, SIGKILL after 10 s.
func (sp *speakers) stopAll() {
	for _, name := range sp.order {
		if p := sp.procs[name]; p != nil && sp.running(name) {
			sp.signal(p, syscall.SIGTERM, 10*time.Second)
		}
	}
}

// pids are the speakers' running processes (for the cleanup check).
func (sp *speakers) pids() []int {
	sp.mu.Lock()
	defer sp.mu.Unlock()
	var out []int
	for _, p := range sp.procs {
		if p.cmd != nil && p.cmd.Process != nil {
			out = append(out, p.cmd.Process.Pid)
		}
	}
	return out
}

// sshDialer is the production SSH transport to the lab's routers.
func (s *System) sshDialer() *sshcli.Dialer {
	p := s.Lab.Plan()
	targets := map[string]string{}
	for _, d := range p.Devices {
		targets[d.Name] = net.JoinHostPort(d.Addr.String(), strconv.Itoa(p.Ports.SSH))
	}
	return &sshcli.Dialer{KnownHosts: s.knownHosts, Credentials: sshcli.Credentials{Username: "noc", Password: s.password},
		Targets: targets, Timeout: 10 * time.Second}
}

// applyRendered plans and applies the inventory's rendered config on devs
// through provisioning (what "tuyau config apply --lab" does), and fails
// unless every one ends applied (or was already on it).
func (s *System) applyRendered(ctx context.Context, devs []string) error {
	x := inventory.NewIndex(s.Snap)
	reg := provisioning.Builtin()
	dial := s.sshDialer()
	plan, err := provisioning.MakePlan(ctx, x, reg, dial, provisioning.PlanOptions{Devices: devs})
	if err != nil {
		return fmt.Errorf("config plan %v: %w", devs, err)
	}
	if err := plan.Err(); err != nil {
		return fmt.Errorf("config plan %v: %w", devs, err)
	}
	all := map[string]inventory.Device{}
	for _, d := range s.Snap.Devices {
		all[d.Name] = d
	}
	var bad []string
	for _, r := range provisioning.Apply(ctx, plan, reg, all, dial, provisioning.ApplyOptions{}) {
		if r.Outcome != provisioning.Applied && r.Outcome != provisioning.Unchanged {
			bad = append(bad, fmt.Sprintf("%s: %s %s %s", r.Device, r.Outcome, r.Error, r.RollbackError))
		}
	}
	if len(bad) > 0 {
		return fmt.Errorf("config apply: %s", strings.Join(bad, "; "))
	}
	return nil
}
