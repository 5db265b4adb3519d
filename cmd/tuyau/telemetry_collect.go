package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/tuyau-net/tuyau/provisioning/sshcli"
	"github.com/tuyau-net/tuyau/telemetry"
	"github.com/tuyau-net/tuyau/telemetry/sink/memory"
	"github.com/tuyau-net/tuyau/telemetry/sink/prom"
	"github.com/tuyau-net/tuyau/telemetry/sink/redis"
	"github.com/tuyau-net/tuyau/topology"
)

type collectOpts struct {
	Listen    string
	Lab       string
	LabDir    string
	Insecure  bool
	CA        string
	Secrets   string
	Intervals string
	Heartbeat time.Duration
	Port      int
	Flush     time.Duration
	Linger    time.Duration
	MarkEvery time.Duration
	Poll      time.Duration
	Redis     string
	Replicas  int
	Name      string
	TokenFile string
	Lease     time.Duration
	// CPUProfile and HeapProfile are pprof files written at shutdown
	// (bench/telemetry profiles the collector under load with them).
	CPUProfile  string
	HeapProfile string

	// What "tuyau serve" sets (no flags): the part's logger (nil: a text
	// logger on stderr), its reload requests (nil: SIGHUP, as the single
	// command), and ready, called once the collector exists and its API
	// listens (the in-process event sink of serve's BGP speaker).
	log    *slog.Logger
	reload <-chan struct{}
	ready  func(col *telemetry.Collector, api string)
}

func newTelemetryCollectCmd(d *deps) *cobra.Command {
	var o collectOpts
	c := &cobra.Command{
		Use:   "collect",
		Short: "Stream gNMI from every gnmi device of the inventory until stopped",
		Long: `collect subscribes to every device with the gnmi transport: counters and
optical power sampled (--interval), oper-status and BGP session-state on
change with a heartbeat. It keeps the latest state in memory, serves it on
--listen (GET /api/v1/targets|links|interfaces|alarms, POST
/api/v1/alarms/ID/ack, POST /api/v1/events from "tuyau bgp serve",
/healthz, Prometheus /metrics) and writes to Redis with --redis.

TLS is the default (--ca to trust a private CA, --insecure for labs only).
Credentials: TUYAU_GNMI_USERNAME/TUYAU_GNMI_PASSWORD, else the SSH ones
(TUYAU_SSH_USERNAME/TUYAU_SSH_PASSWORD or --secrets); never logged.

With --redis, collectors of one network sharing a Redis share its targets
under leases with fencing tokens (--lease; each needs its own --id): each
streams the targets it holds, and the holder of the engine lease runs the
alarms over every target's data, read back from Redis. At start (and on
taking the engine over) the alarms and baselines are restored from Redis.
docs/telemetry.md "Several collectors".

Alarm rules come from the alarms: section of tuyau.yaml (--config;
docs/telemetry.md "Alarm rules"); rules that do not parse or validate
refuse the start, with the file and line.

SIGHUP re-reads the inventory and the alarm rules (the inventory is also
re-read every --poll; a bad file then keeps the running plan and rules);
SIGTERM or SIGINT stop it after a final flush.`,
		Example: `  tuyau telemetry collect -i examples/manche --ca /etc/tuyau/gnmi-ca.pem
  tuyau telemetry collect -i examples/manche --lab lab --interval counters=1s,optics=5s`,
		Args: cobra.NoArgs, SilenceUsage: true,
		RunE: func(c *cobra.Command, _ []string) error {
			return runCollect(c.Context(), d, o)
		},
	}
	o.flags(c.Flags(), d)
	return c
}

// flags registers collect's flags on f; "tuyau serve" registers them on
// a throwaway set to start from the same defaults.
func (o *collectOpts) flags(f *pflag.FlagSet, d *deps) {
	f.StringVar(&o.Listen, "listen", envOr(d, "TUYAU_TELEMETRY_LISTEN", telemetry.DefaultListen), "HTTP API address (env TUYAU_TELEMETRY_LISTEN); empty: none")
	f.StringVar(&o.Lab, "lab", "", "collect from this running virtual lab (addresses, CA and credentials from its state)")
	f.StringVar(&o.LabDir, "lab-dir", "", "directory of the labs' state (env TUYAU_LAB_DIR)")
	f.BoolVar(&o.Insecure, "insecure", false, "gNMI without TLS (labs only)")
	f.StringVar(&o.CA, "ca", d.getenv("TUYAU_GNMI_CA"), "CA certificate the targets' certificates are checked against (env TUYAU_GNMI_CA; default: system pool)")
	f.StringVar(&o.Secrets, "secrets", d.getenv("TUYAU_SECRETS"), "secrets file (YAML, ssh: username/password) (env TUYAU_SECRETS)")
	f.StringVar(&o.Intervals, "interval", "", "SAMPLE intervals per class, e.g. counters=10s,optics=30s (default 10s each)")
	f.DurationVar(&o.Heartbeat, "heartbeat", telemetry.DefaultHeartbeat, "heartbeat of the ON_CHANGE paths")
	f.IntVar(&o.Port, "port", telemetry.DefaultGNMIPort, "gNMI port on the devices' management addresses")
	f.DurationVar(&o.Flush, "flush", time.Second, "how often the targets' health goes to the sinks and the timed rules are looked at")
	f.DurationVar(&o.Linger, "linger", 20*time.Millisecond, "how long new data waits for more before it goes to the sinks (negative: until the next --flush)")
	f.DurationVar(&o.MarkEvery, "mark-every", telemetry.DefaultMarkEvery, "how often the collector running the alarms marks the change history as watched (docs/reports.md)")
	f.DurationVar(&o.Poll, "poll", 30*time.Second, "how often the inventory is re-read for changes (0: only on SIGHUP)")
	f.IntVar(&o.Replicas, "redis-replicas", -1, "with --redis: alarms and state changes count as written once on this many replicas (WAIT), else they are sent again, so a failover loses none (default: 1 with redis-sentinel://, 0 otherwise)")
	f.StringVar(&o.Redis, "redis", d.getenv("TUYAU_REDIS_URL"), "also write to Redis: redis://host:port or redis-sentinel://h1,h2/master (env TUYAU_REDIS_URL; password TUYAU_REDIS_PASSWORD)")
	f.StringVar(&o.Name, "id", "", "collector id, unique among the network's collectors, in what it writes and in the leases (default host-pid)")
	f.StringVar(&o.Name, "name", "", "same as --id")
	f.DurationVar(&o.Lease, "lease", 10*time.Second, "with --redis: lease period of the targets shared with other collectors (a dead collector's targets move within 2 periods)")
	f.StringVar(&o.TokenFile, "token-file", "", "file holding the API token that lets non-loopback clients acknowledge (env TUYAU_API_TOKEN)")
	f.StringVar(&o.CPUProfile, "cpuprofile", "", "write a pprof CPU profile of the whole run to this file")
	f.StringVar(&o.HeapProfile, "heapprofile", "", "write a pprof heap profile to this file at shutdown")
}

// collectGOGC is the collector's GOGC unless the environment sets one.
const collectGOGC = 200

func runCollect(ctx context.Context, d *deps, o collectOpts) error {
	log := o.log
	if log == nil {
		log = slog.New(slog.NewTextHandler(d.stderr, nil))
	}
	// The collector's heap is small and mostly long-lived state (the
	// engine, the memory sink, the decoders' path tables): at GOGC's
	// default the garbage collector was a tenth of its CPU per update
	// (bench/telemetry/run, PROFILE=1). Twice the headroom halves the
	// collections for about a third more resident memory; GOGC set in
	// the environment wins.
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(collectGOGC)
	}
	stop, err := startProfiles(ctx, o.CPUProfile, o.HeapProfile)
	if err != nil {
		return err
	}
	defer stop()
	ivs, err := telemetry.ParseIntervals(o.Intervals)
	if err != nil {
		return fmt.Errorf("--interval: %w", err)
	}
	po := telemetry.PlanOptions{Port: o.Port, Intervals: ivs, Heartbeat: o.Heartbeat}
	dial := telemetry.DialOptions{Insecure: o.Insecure, CAFile: o.CA}
	if o.Lab != "" {
		if err := labTargets(ctx, d, o, &po, &dial); err != nil {
			return err
		}
	} else if err := gnmiCredentials(d, o, &dial); err != nil {
		return err
	}
	load := func(ctx context.Context) (telemetry.Planned, error) {
		snap, err := d.loadInventory(ctx)
		if err != nil {
			return telemetry.Planned{}, err
		}
		rules, err := d.alarmRules()
		if err != nil {
			return telemetry.Planned{}, err
		}
		p, err := telemetry.Plan(snap, po, topology.BudgetOptions{})
		p.Rules = &rules
		return p, err
	}
	token, err := apiToken(d, o.TokenFile)
	if err != nil {
		return err
	}
	planned, err := load(ctx)
	if err != nil {
		return err
	}
	if o.Name == "" {
		h, _ := os.Hostname()
		o.Name = fmt.Sprintf("%s-%d", h, os.Getpid())
	}
	mem := memory.New(memory.Options{})
	sinks := []telemetry.Sink{mem}
	var rd *redis.Sink
	var leases *redis.Leases
	if o.Redis != "" {
		client, err := redis.ParseURL(o.Redis, d.getenv("TUYAU_REDIS_PASSWORD"))
		if err != nil {
			return err
		}
		defer client.Close()
		network := networkName(ctx, d)
		leases = redis.NewLeases(client, network, o.Name, nil, redis.LeaseOptions{TTL: o.Lease, Logger: log})
		// Behind Sentinel, a write the primary acknowledged but had not
		// replicated yet is gone once a replica is promoted (and so is one
		// the demoted primary took before the collector followed the
		// switch): alarms and state changes wait for a replica's WAIT.
		replicas := o.Replicas
		if replicas < 0 {
			replicas = 0
			if strings.HasPrefix(o.Redis, "redis-sentinel://") {
				replicas = 1
			}
		}
		rd = redis.New(client, redis.Options{Network: network, Collector: o.Name, Logger: log, WaitReplicas: replicas,
			OnRefused: func(r redis.Refusal) { leases.Lost(r.Target) }})
		sinks = append(sinks, rd)
	}
	engine := telemetry.NewEngine(planned.Topo, planned.Budgets, telemetry.EngineOptions{Logger: log, Rules: *planned.Rules})
	mo := prom.Options{Sinks: promStats(rd), Logger: log}
	if leases != nil {
		mo.Leases = leases // each collector exports what it collects
	}
	metrics := prom.New(engine, mo)
	sinks = append(sinks, metrics)
	poll := o.Poll
	if poll == 0 {
		poll = -1
	}
	co := telemetry.CollectorOptions{Name: o.Name, Engine: engine, Sinks: sinks,
		Dial: dial, Flush: o.Flush, Linger: o.Linger, Load: load, Poll: poll, Logger: log, MarkEvery: o.MarkEvery}
	if rd != nil {
		co.Leases, co.Shared = leases, rd.Reader()
	}
	col, err := telemetry.NewCollector(planned, co)
	if err != nil {
		return err
	}
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	if rd != nil {
		// Acknowledgements given through Redis (another collector's API,
		// a script) reach this engine too.
		go func() {
			for a := range rd.Reader().Subscribe(runCtx, "") {
				if err := col.AckShared(runCtx, a.ID, a.By); err != nil {
					log.Warn("ack from redis", "alarm", a.ID, "err", err)
				}
			}
		}()
	}
	reload := o.reload
	if reload == nil {
		reload = sighup(runCtx)
	}
	go func() {
		for {
			select {
			case <-runCtx.Done():
				return
			case <-reload:
				log.Info("reload: re-reading the inventory and the alarm rules")
				col.Reload()
			}
		}
	}()
	var srv *http.Server
	apiURL := ""
	if o.Listen != "" {
		ln, err := net.Listen("tcp", o.Listen)
		if err != nil {
			return fmt.Errorf("--listen %s: %w", o.Listen, err)
		}
		srv = &http.Server{Handler: telemetry.NewAPI(mem, telemetry.APIOptions{Acker: col, Events: col, Token: token, Logger: log, Metrics: metrics.Handler()}),
			ReadHeaderTimeout: 5 * time.Second}
		go func() {
			if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				log.Error("http api", "err", err)
			}
		}()
		apiURL = "http://" + ln.Addr().String()
		log.Info("api listening", "addr", apiURL)
	}
	if o.ready != nil {
		o.ready(col, apiURL)
	}
	log.Info("collecting", "targets", len(planned.Targets), "collector", o.Name, "dial", dial.String())
	err = col.Run(ctx)
	cancel()
	if leases != nil && !errors.Is(context.Cause(ctx), errCollectorKilled) {
		// Hand the targets over now rather than when the leases expire,
		// once the final flush is in Redis under our tokens.
		fctx, fcancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		if ferr := rd.Flush(fctx); ferr != nil {
			log.Warn("final flush to redis", "err", ferr)
		}
		if rerr := leases.Release(fctx); rerr != nil {
			log.Warn("release leases", "err", rerr)
		}
		fcancel()
	}
	if srv != nil {
		sctx, scancel := context.WithTimeout(context.Background(), 5*time.Second)
		_ = srv.Shutdown(sctx)
		scancel()
	}
	for _, s := range sinks {
		if cerr := s.Close(); cerr != nil {
			err = errors.Join(err, cerr)
		}
	}
	log.Info("collector stopped")
	if errors.Is(ctx.Err(), context.Canceled) && err == nil {
		return nil
	}
	return err
}

// sighup turns SIGHUP into reload requests until ctx ends: the single
// commands' reload; "tuyau serve" owns the signal and fans it out.
func sighup(ctx context.Context) <-chan struct{} {
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGHUP)
	out := make(chan struct{}, 1)
	go func() {
		defer signal.Stop(sig)
		for {
			select {
			case <-ctx.Done():
				return
			case <-sig:
				select {
				case out <- struct{}{}:
				default: // one pending reload is enough
				}
			}
		}
	}()
	return out
}

// errCollectorKilled, as the cause of collect's context, stops it as a
// crash would leave its leases: held until they expire, not released (the
// takeover tests kill a collector in-process this way).
var errCollectorKilled = errors.New("collector killed")

// promStats lists the sinks whose buffers and drops /metrics reports.
func promStats(rd *redis.Sink) []prom.StatsSource {
	if rd == nil {
		return nil
	}
	return []prom.StatsSource{rd}
}

func networkName(ctx context.Context, d *deps) string {
	if s, err := d.loadInventory(ctx); err == nil {
		return s.Network.Name
	}
	return ""
}

// gnmiCredentials reads the gNMI login: TUYAU_GNMI_*, else the SSH
// credentials (environment or --secrets), as provisioning does.
func gnmiCredentials(d *deps, o collectOpts, dial *telemetry.DialOptions) error {
	dial.Username, dial.Password = d.getenv("TUYAU_GNMI_USERNAME"), d.getenv("TUYAU_GNMI_PASSWORD")
	if dial.Username != "" {
		return nil
	}
	c, err := sshcli.LoadCredentials(d.getenv, o.Secrets)
	if err != nil {
		return fmt.Errorf("gnmi credentials: set TUYAU_GNMI_USERNAME/TUYAU_GNMI_PASSWORD, or: %w", err)
	}
	dial.Username, dial.Password = c.Username, c.Password
	return nil
}

// labTargets points the plan at a running lab's devices, with its CA and
// credentials, as "tuyau config --lab" does.
func labTargets(ctx context.Context, d *deps, o collectOpts, po *telemetry.PlanOptions, dial *telemetry.DialOptions) error {
	lo := labOpts{Dir: o.LabDir, Name: o.Lab}
	st, err := lo.running(ctx, d)
	if err != nil {
		return err
	}
	pw, err := os.ReadFile(st.Password)
	if err != nil {
		return fmt.Errorf("lab %s: password: %w", lo.Name, err)
	}
	po.Addresses = map[string]string{}
	for _, dev := range st.Devices {
		po.Addresses[dev.Name] = net.JoinHostPort(dev.Addr, fmt.Sprint(st.Ports.GNMI))
	}
	dial.Username, dial.Password = st.User, strings.TrimSpace(string(pw))
	if st.GNMICA == "" {
		dial.Insecure = true
	} else if dial.CAFile == "" {
		dial.CAFile = st.GNMICA
	}
	return nil
}

// apiToken is TUYAU_API_TOKEN, or the first line of the token file.
func apiToken(d *deps, file string) (string, error) {
	return envOrFileToken(d, "TUYAU_API_TOKEN", file)
}

// envOrFileToken is the token in the environment variable env, or else
// the first line of file ("" without either): the API's and the web's.
func envOrFileToken(d *deps, env, file string) (string, error) {
	if t := d.getenv(env); t != "" || file == "" {
		return t, nil
	}
	b, err := os.ReadFile(filepath.Clean(file))
	if err != nil {
		return "", fmt.Errorf("--token-file: %w", err)
	}
	line, _, _ := strings.Cut(string(b), "\n")
	return strings.TrimSpace(line), nil
}

// startProfiles starts a CPU profile into cpu and returns what stops it;
// the heap profile goes into heap ("" for none) as soon as ctx ends,
// while the sessions still hold their state.
func startProfiles(ctx context.Context, cpu, heap string) (func(), error) {
	var cf *os.File
	if cpu != "" {
		f, err := os.Create(cpu)
		if err != nil {
			return nil, fmt.Errorf("--cpuprofile: %w", err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			f.Close()
			return nil, fmt.Errorf("--cpuprofile: %w", err)
		}
		cf = f
	}
	heapDone := make(chan struct{})
	go func() {
		defer close(heapDone)
		<-ctx.Done()
		if heap == "" {
			return
		}
		if f, err := os.Create(heap); err == nil {
			runtime.GC()
			_ = pprof.WriteHeapProfile(f)
			f.Close()
		}
	}()
	return func() {
		if cf != nil {
			pprof.StopCPUProfile()
			cf.Close()
		}
		if ctx.Err() != nil {
			<-heapDone
		}
	}, nil
}
