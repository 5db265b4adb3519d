package chaos

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// The flags of `make chaos` (SEED=, DURATION=, FAULTS=, OUT=); the
// defaults are the CI run's short fixed seed.
var (
	seedFlag     = flag.Uint64("chaos.seed", envUint("CHAOS_SEED", 1), "seed of the fault schedule (replays a run)")
	durationFlag = flag.Duration("chaos.duration", envDuration("CHAOS_DURATION", 40*time.Second), "how long faults are started")
	faultsFlag   = flag.String("chaos.faults", os.Getenv("CHAOS_FAULTS"), "comma-separated fault kinds (default all)")
	outFlag      = flag.String("chaos.out", os.Getenv("CHAOS_OUT"), "file for the JSON report and timeline (default in the test's temp dir)")
)

// flagSet says whether a run was asked for (make chaos) rather than the
// CI default.
func flagSet() bool {
	set := false
	flag.Visit(func(f *flag.Flag) {
		if strings.HasPrefix(f.Name, "chaos.") {
			set = true
		}
	})
	for _, e := range []string{"CHAOS_SEED", "CHAOS_DURATION", "CHAOS_FAULTS"} {
		if os.Getenv(e) != "" {
			set = true
		}
	}
	return set
}

// quiet is go-redis's logger for the run: the sinks report what fails.
type quiet struct{}

func (quiet) Printf(context.Context, string, ...any) {}

func envUint(name string, def uint64) uint64 {
	if v, err := strconv.ParseUint(os.Getenv(name), 10, 64); err == nil {
		return v
	}
	return def
}

func envDuration(name string, def time.Duration) time.Duration {
	if v, err := time.ParseDuration(os.Getenv(name)); err == nil {
		return v
	}
	return def
}

// TestChaos runs the seeded schedule of faults against the system and
// fails on any violation, printing the table, the violations with the
// seed and the timeline to replay them. In CI: seed 1, 40 s of faults.
func TestChaos(t *testing.T) {
	if testing.Short() {
		t.Skip("a chaos run takes a minute or more")
	}
	kinds, err := ParseKinds(*faultsFlag)
	if err != nil {
		t.Fatal(err)
	}
	o := Options{Seed: *seedFlag, Duration: *durationFlag, Kinds: kinds}
	if !flagSet() {
		// The CI run: shorter holds, so 40 s visit most kinds; the kinds
		// that need the speakers or provisioning have tests of their own.
		o.HoldMin, o.HoldMax = 2*time.Second, 4*time.Second
		o.Kinds = slices.Clone(CIKinds)
	}
	// The speakers run when a kind needs them, or when make chaos fails
	// a core site: the hosting invariant judges that too.
	speakers := slices.Contains(o.Kinds, BGPRestart) || flagSet() && slices.Contains(o.Kinds, CoreSiteFail)
	rep := runChaos(t, SystemOptions{Speakers: speakers}, o)
	if len(rep.Faults) == 0 {
		t.Errorf("no fault injected")
	}
}

// runChaos starts the system, runs o against it (with the known findings,
// logging to t), closes it and checks the cleanup, prints the table, saves
// the report and fails t on any violation not known.
func runChaos(t *testing.T, so SystemOptions, o Options) *Report {
	t.Helper()
	return runChaosWith(t, so, func(*System) Options { return o })
}

// runChaosWith is runChaos with the options made once the system runs.
func runChaosWith(t *testing.T, so SystemOptions, opts func(*System) Options) *Report {
	t.Helper()
	goredis.SetLogger(quiet{}) // its dial errors while Redis is down are expected
	goroutines := runtime.NumGoroutine()
	sys := Start(t, so)
	ports := sys.listening()
	o := opts(sys)
	var pids []int
	ctx, cancel := context.WithTimeout(context.Background(), o.Duration+10*time.Minute)
	defer cancel()
	o.Logf, o.Known = t.Logf, Findings
	rep := Run(ctx, sys, o)
	if sys.bgp != nil {
		pids = sys.bgp.pids()
	}
	sys.Close()
	checkCleanup(rep, goroutines, ports, pids)

	var b bytes.Buffer
	rep.WriteTable(&b)
	fmt.Print(b.String())
	out := *outFlag
	if out == "" {
		out = filepath.Join(t.TempDir(), fmt.Sprintf("chaos-seed%d.json", *seedFlag))
	}
	if err := rep.Save(out); err != nil {
		t.Error(err)
	} else if *outFlag != "" {
		fmt.Printf("report and timeline: %s\n", out)
	}
	if bad := rep.Unknown(); len(bad) > 0 {
		var tl bytes.Buffer
		rep.WriteTimeline(&tl)
		t.Errorf("%d violations (seed %d, replay: %s); timeline:\n%s", len(bad), rep.Seed, rep.Replay, tl.String())
	}
	return rep
}

// listening are the TCP addresses the system serves: the lab's devices
// (SSH, gNMI) and redis-server; none may still accept once it is closed.
func (s *System) listening() []string {
	p := s.Lab.Plan()
	var out []string
	for _, srv := range append(slices.Clone(s.Redis.Sentinels), s.Redis.Servers...) {
		out = append(out, srv.Addr())
	}
	for _, d := range p.Devices {
		out = append(out, net.JoinHostPort(d.Addr.String(), strconv.Itoa(p.Ports.GNMI)), net.JoinHostPort(d.Addr.String(), strconv.Itoa(p.Ports.SSH)))
	}
	return out
}

const invCleanup = "the lab cleans up (goroutines, processes, ports)"

// goroutines counts this process's goroutines but GoBGP's Serve loops,
// which GoBGP v3 never ends (pkg/server/server.go: Stop stops the BGP
// side only), and returns the others' stacks.
func goroutines() (n, gobgp int, stacks string) {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	var keep []string
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, "gobgp/v3/pkg/server.(*BgpServer).Serve(") {
			gobgp++
			continue
		}
		keep = append(keep, g)
	}
	return len(keep), gobgp, strings.Join(keep, "\n\n")
}

// checkCleanup: once the system is closed, no goroutine is left over
// (within a few of the runtime's and the test framework's own), no
// address it served accepts connections, Redis is gone.
func checkCleanup(rep *Report, before int, addrs []string, pids []int) {
	rep.Check(invCleanup)
	deadline := time.Now().Add(20 * time.Second)
	n, gobgp, stacks := goroutines()
	for n > before+5 && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
		n, gobgp, stacks = goroutines()
	}
	if n > before+5 {
		rep.AddViolation(invCleanup, fmt.Sprintf("%d goroutines after Close, %d before Start; stacks:\n%s", n, before, stacks))
	}
	if gobgp > 0 {
		rep.Timeline = append(rep.Timeline, Event{AtMS: rep.ElapsedMS, What: "cleanup",
			Detail: fmt.Sprintf("%d GoBGP Serve goroutines left (one per lab device: GoBGP v3's Serve loop has no exit)", gobgp)})
	}
	for _, pid := range pids {
		// Reaped by Wait: a pid still there is a speaker left running
		// (or, rarely, the pid reused).
		if syscall.Kill(pid, 0) == nil {
			rep.AddViolation(invCleanup, fmt.Sprintf("speaker process %d still running", pid))
		}
	}
	for _, a := range addrs {
		if c, err := net.DialTimeout("tcp", a, time.Second); err == nil {
			c.Close()
			rep.AddViolation(invCleanup, a+" still accepts connections")
		}
	}
}

// TestChaosBGPRestart runs the speakers as real "tuyau bgp serve"
// processes and restarts each both ways (SIGKILL, SIGTERM), and fails the
// primary core site, while the hosting prefix is checked from every member
// router: never without a path beyond the failover budget, every path
// back after each restore.
func TestChaosBGPRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("builds tuyau, starts a lab and two speakers: a minute")
	}
	var faults []Fault
	for _, target := range []string{"dc1:KILL", "dc2:TERM", "dc2:KILL", "dc1:TERM"} {
		faults = append(faults, Fault{Kind: BGPRestart, Target: target, HoldMS: 2000})
	}
	// The primary site lost: the hosting must move to the other.
	faults = append(faults, Fault{Kind: CoreSiteFail, Target: "dc1", HoldMS: 2000})
	for i := range faults {
		faults[i].Seq = i + 1
	}
	rep := runChaos(t, SystemOptions{Speakers: true}, Options{Seed: 1, Faults: faults, Kinds: []Kind{BGPRestart, CoreSiteFail}})
	if len(rep.Faults) != len(faults) {
		t.Errorf("%d faults run, want %d", len(rep.Faults), len(faults))
	}
	if rep.Checks[invHosting] == 0 {
		t.Errorf("the hosting invariant was never checked")
	}
}

// TestChaosApplyKill interrupts a real provisioning apply by powering the
// router off at each point of it (half the commands pushed, all pushed but not
// saved, saved), restores it, and checks it is on its previous or intended config.
func TestChaosApplyKill(t *testing.T) {
	if testing.Short() {
		t.Skip("a lab and three interrupted applies: half a minute")
	}
	var faults []Fault
	sysOpts := SystemOptions{}
	rep := runChaosWith(t, sysOpts, func(s *System) Options {
		devs := deviceCandidates(s)
		for i, p := range killPoints {
			faults = append(faults, Fault{Seq: i + 1, Kind: ApplyKill, Target: devs[i%len(devs)].Target + "@" + p, HoldMS: 2000})
		}
		return Options{Seed: 1, Faults: faults, Kinds: []Kind{ApplyKill}}
	})
	if len(rep.Faults) != len(faults) {
		t.Errorf("%d faults run, want %d", len(rep.Faults), len(faults))
	}
	if rep.Checks[invApplied] != len(faults) {
		t.Errorf("%d half-applied checks, want one per fault (%d)", rep.Checks[invApplied], len(faults))
	}
}
