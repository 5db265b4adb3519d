package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/tuyau-net/tuyau/bgp"
	"github.com/tuyau-net/tuyau/telemetry"
)

type serveOpts struct {
	Parts           []string
	Lab, LabDir     string
	Redis           string
	Health          string
	CollectorListen string
	WebListen       string
	Speaker         string
	Secrets         string
	Interval        string
	ID              string
	Insecure        bool
	LogLevel        string
	StartTimeout    time.Duration
	StopTimeout     time.Duration
}

func newServeCmd(d *deps) *cobra.Command {
	var o serveOpts
	c := &cobra.Command{
		Use:   "serve",
		Short: "Run what tuyau.yaml enables (collector, alarms, BGP speaker, web NOC) in one process",
		Long: `serve is the NOC server's one long-running process (a systemd unit,
docs/serve.md): it runs the parts the serve: section of tuyau.yaml
enables, or those --parts names, each exactly as its own command runs it
("tuyau telemetry collect", "tuyau bgp serve", "tuyau web"):

  collector  gNMI collection, the alarm engine, its HTTP API and /metrics
  bgp        the BGP speaker, its route monitor and hosting failover; its
             alarms go straight into this process's alarm engine
  web        the web NOC, reading Redis (serve.redis) or this process's
             collector API

Parts start in that order, each once the one before is ready; any part
failing to start, or stopping on its own later, stops the whole process
with an error naming it (exit 1): let systemd restart it (Restart=on-failure)
rather than run a NOC with a silent hole. --health serves GET /healthz, one
line per part (200 when all run, 503 otherwise).

SIGTERM or SIGINT stop the parts in reverse order: the web first, then the
speaker without a NOTIFICATION (routers with graceful restart keep its
routes as stale), then the collector after its final flush to the sinks.
SIGHUP makes the collector re-read the inventory and the alarm rules; the
speaker and the web keep the inventory they started with (restart them).

Flags win over the environment (TUYAU_*), which wins over tuyau.yaml.
Errors in the serve: section name the file and line.`,
		Example: `  tuyau serve --config /etc/tuyau/tuyau.yaml
  tuyau serve -i examples/manche --parts collector,web --redis redis://127.0.0.1:6379
  tuyau serve -i inv.yaml --lab lab --parts collector,bgp,web --speaker dc1 --health 127.0.0.1:9379`,
		Args: cobra.NoArgs, SilenceUsage: true,
		RunE: func(c *cobra.Command, _ []string) error {
			set := map[string]string{}
			c.Flags().Visit(func(f *pflag.Flag) { set[f.Name] = f.Value.String() })
			return runServe(c.Context(), d, o, set)
		},
	}
	f := c.Flags()
	f.StringSliceVar(&o.Parts, "parts", nil, "parts to run, of collector,bgp,web (default: those serve: in tuyau.yaml enables)")
	f.StringVar(&o.Lab, "lab", "", "run every part against this running virtual lab (tuyau lab up)")
	f.StringVar(&o.LabDir, "lab-dir", "", "directory of the labs' state (env TUYAU_LAB_DIR)")
	f.StringVar(&o.Redis, "redis", "", "Redis the collector writes and the web reads (env TUYAU_REDIS_URL, serve.redis; password TUYAU_REDIS_PASSWORD)")
	f.StringVar(&o.Health, "health", "", "address of GET /healthz (env TUYAU_SERVE_HEALTH, serve.health); empty: none")
	f.StringVar(&o.CollectorListen, "collector-listen", "", "the collector's HTTP API (env TUYAU_TELEMETRY_LISTEN, serve.collector.listen; default "+telemetry.DefaultListen+")")
	f.StringVar(&o.WebListen, "web-listen", "", "the web NOC's address (env TUYAU_WEB_LISTEN, serve.web.listen; beyond loopback a token is required)")
	f.StringVar(&o.Speaker, "speaker", "", "the speaker to run (serve.bgp.speaker; the only one of the inventory by default)")
	f.StringVar(&o.Secrets, "secrets", "", "secrets file: gNMI/SSH login, BGP MD5 passwords (env TUYAU_SECRETS, serve.secrets)")
	f.StringVar(&o.Interval, "interval", "", "the collector's SAMPLE intervals, e.g. counters=10s,optics=30s (serve.collector.interval)")
	f.StringVar(&o.ID, "id", "", "collector id, unique among the network's collectors (serve.collector.id; default host-pid)")
	f.BoolVar(&o.Insecure, "insecure", false, "gNMI without TLS (labs only; serve.collector.insecure)")
	f.StringVar(&o.LogLevel, "log-level", "info", "debug|info|warn|error")
	f.DurationVar(&o.StartTimeout, "start-timeout", time.Minute, "how long each part may take to be ready")
	f.DurationVar(&o.StopTimeout, "stop-timeout", 30*time.Second, "how long each part may take to stop")
	return c
}

// pick applies the precedence: the flag when given, then the environment,
// then tuyau.yaml, then the default.
func pick(d *deps, set map[string]string, flag, flagVal, env, conf, def string) string {
	if _, ok := set[flag]; ok {
		return flagVal
	}
	if v := d.getenv(env); env != "" && v != "" {
		return v
	}
	if conf != "" {
		return conf
	}
	return def
}

// serveParts resolves which parts run: --parts, else the config.
func (o serveOpts) parts(sc serveConfig) ([]string, error) {
	var parts []string
	if len(o.Parts) > 0 {
		for _, p := range o.Parts {
			p = strings.TrimSpace(p)
			if !slices.Contains(serveParts, p) {
				return nil, fmt.Errorf("--parts: unknown part %q (known: %s)", p, strings.Join(serveParts, ", "))
			}
			if !slices.Contains(parts, p) {
				parts = append(parts, p)
			}
		}
	} else {
		for _, p := range serveParts {
			if sc.enabled(p) {
				parts = append(parts, p)
			}
		}
	}
	if len(parts) == 0 {
		where := "tuyau.yaml"
		if sc.file != "" {
			where = sc.file
		}
		return nil, fmt.Errorf("nothing to serve: %s enables no part (serve: collector:, bgp:, web:) and --parts names none", where)
	}
	// Start order whatever the order given: the speaker's alarms need the
	// collector, the web reads it.
	slices.SortFunc(parts, func(a, b string) int { return slices.Index(serveParts, a) - slices.Index(serveParts, b) })
	return parts, nil
}

func runServe(ctx context.Context, d *deps, o serveOpts, set map[string]string) error {
	conf, err := d.loadConfig()
	if err != nil {
		return err
	}
	sc, err := parseServe(&conf.Serve, conf.file)
	if err != nil {
		return err
	}
	parts, err := o.parts(sc)
	if err != nil {
		return err
	}
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(strings.ToUpper(o.LogLevel))); err != nil {
		return fmt.Errorf("--log-level: %w", err)
	}
	base := slog.New(slog.NewTextHandler(d.stderr, &slog.HandlerOptions{Level: lvl}))
	log := base.With("part", "serve")

	redisURL := pick(d, set, "redis", o.Redis, "TUYAU_REDIS_URL", sc.Redis, "")
	secrets := pick(d, set, "secrets", o.Secrets, "TUYAU_SECRETS", sc.Secrets, "")
	health := pick(d, set, "health", o.Health, "TUYAU_SERVE_HEALTH", sc.Health, "")
	labDir := pick(d, set, "lab-dir", o.LabDir, "TUYAU_LAB_DIR", "", "")

	// Every part starts from its own command's defaults, then the config
	// and the flags: one code path with the single commands.
	var co collectOpts
	co.flags(pflag.NewFlagSet("collect", pflag.ContinueOnError), d)
	cl := ""
	if sc.Collector.Listen != nil {
		cl = *sc.Collector.Listen
	}
	co.Listen = pick(d, set, "collector-listen", o.CollectorListen, "TUYAU_TELEMETRY_LISTEN", cl, co.Listen)
	if sc.Collector.Listen != nil && *sc.Collector.Listen == "" && set["collector-listen"] == "" && d.getenv("TUYAU_TELEMETRY_LISTEN") == "" {
		co.Listen = "" // listen: "" in the file says no API
	}
	co.Redis, co.Secrets, co.Lab, co.LabDir = redisURL, secrets, o.Lab, labDir
	co.Intervals = pick(d, set, "interval", o.Interval, "", sc.Collector.Interval, co.Intervals)
	co.Name = pick(d, set, "id", o.ID, "", sc.Collector.ID, co.Name)
	co.Insecure = o.Insecure || sc.Collector.Insecure
	co.CA = pick(d, set, "", "", "TUYAU_GNMI_CA", sc.Collector.CA, co.CA)
	co.TokenFile = pick(d, set, "", "", "", sc.Collector.TokenFile, co.TokenFile)
	for _, dv := range []struct {
		to   *time.Duration
		from time.Duration
	}{{&co.Flush, sc.Collector.Flush}, {&co.Poll, sc.Collector.Poll}, {&co.Lease, sc.Collector.Lease}} {
		if dv.from != 0 {
			*dv.to = dv.from
		}
	}

	bo := bgpOpts{Speaker: pick(d, set, "speaker", o.Speaker, "", sc.BGP.Speaker, ""), Secrets: secrets, Lab: o.Lab, LabDir: labDir}
	var bso bgpServeOpts
	bso.flags(pflag.NewFlagSet("bgp serve", pflag.ContinueOnError), d)
	bso.StateDir = pick(d, set, "", "", "TUYAU_STATE_DIR", sc.BGP.StateDir, bso.StateDir)
	if sc.BGP.Hosting != nil {
		bso.Hosting = *sc.BGP.Hosting
	}
	if sc.BGP.Monitor != nil {
		bso.Monitor = *sc.BGP.Monitor
	}

	var wo webOpts
	wo.webFlags(pflag.NewFlagSet("web", pflag.ContinueOnError), d)
	wo.Listen = pick(d, set, "web-listen", o.WebListen, "TUYAU_WEB_LISTEN", sc.Web.Listen, wo.Listen)
	wo.TokenFile = pick(d, set, "", "", "", sc.Web.TokenFile, wo.TokenFile)
	wo.TileURL = pick(d, set, "", "", "TUYAU_WEB_TILES", sc.Web.TileURL, wo.TileURL)
	if sc.Web.Interval != 0 {
		wo.Interval = sc.Web.Interval
	}
	wo.Redis = redisURL

	webTok := ""
	if slices.Contains(parts, "web") {
		if webTok, err = webToken(d, wo.TokenFile); err != nil {
			return fmt.Errorf("%s: serve.web.token_file: %w", sc.at("web.token_file"), err)
		}
	}
	given := map[string]string{}
	for k, v := range set {
		given[k] = v
	}
	if d.getenv("TUYAU_WEB_LISTEN") != "" && given["web-listen"] == "" {
		given["web-listen"] = d.getenv("TUYAU_WEB_LISTEN")
	}
	if redisURL != "" {
		given["redis"] = redisURL
	}
	if err := sc.validate(parts, webTok, given); err != nil {
		return err
	}
	if slices.Contains(parts, "bgp") {
		snap, err := d.loadInventory(ctx)
		if err != nil {
			return err
		}
		if _, err := bo.speaker(snap); err != nil {
			return fmt.Errorf("%s: serve.bgp: %w", sc.at("bgp.speaker"), err)
		}
	}

	sv := newServer(parts, base, o.StartTimeout, o.StopTimeout)
	if health != "" {
		stopHealth, addr, err := sv.serveHealth(health)
		if err != nil {
			return fmt.Errorf("%s: %w", sc.at("health"), err)
		}
		defer stopHealth()
		log.Info("health listening", "addr", "http://"+addr+"/healthz")
	}
	reload := make(chan struct{}, 1)
	co.reload = reload
	go func() {
		for range sighupUntil(ctx) {
			log.Info("SIGHUP: the collector re-reads the inventory and the alarm rules; the speaker and the web keep theirs")
			select {
			case reload <- struct{}{}:
			default:
			}
		}
	}()

	var col *telemetry.Collector
	apiURL := ""
	starts := map[string]func(ctx context.Context, p *servePart) error{
		"collector": func(ctx context.Context, p *servePart) error {
			o := co
			o.log = p.log
			o.ready = func(c *telemetry.Collector, api string) {
				col, apiURL = c, api
				p.setReady(api, func(context.Context) string { return collectorDetail(c) })
			}
			return runCollect(ctx, d, o)
		},
		"bgp": func(ctx context.Context, p *servePart) error {
			o := bso
			o.log = p.log
			if col != nil {
				o.sinks = []telemetry.EventSink{col}
			}
			o.ready = func(s *bgp.Speaker) {
				p.setReady("", func(ctx context.Context) string { return speakerDetail(ctx, s) })
			}
			b := bo
			return runBGPServe(ctx, d, &b, o)
		},
		"web": func(ctx context.Context, p *servePart) error {
			o := wo
			o.log = p.log
			if o.Redis == "" {
				o.Collector = apiURL
			}
			if b := (bgpOpts{Lab: bo.Lab, LabDir: bo.LabDir}); b.Lab != "" {
				lab, err := b.lab(ctx, d)
				if err != nil {
					return err
				}
				if snap, err := d.loadInventory(ctx); err == nil {
					o.apis = map[string]string{}
					for _, s := range snap.Speakers {
						o.apis[s.Name] = lab.api(s.Name)
					}
				}
			}
			o.ready = func(url string) { p.setReady(url, nil) }
			return runWeb(ctx, d, o)
		},
	}
	return sv.run(ctx, starts)
}

// sighupUntil is sighup, closed when ctx ends.
func sighupUntil(ctx context.Context) <-chan struct{} {
	in := sighup(ctx)
	out := make(chan struct{})
	go func() {
		defer close(out)
		for {
			select {
			case <-ctx.Done():
				return
			case <-in:
				select {
				case out <- struct{}{}:
				case <-ctx.Done():
					return
				}
			}
		}
	}()
	return out
}

func collectorDetail(c *telemetry.Collector) string {
	ts := c.Targets()
	up := 0
	for _, t := range ts {
		if t.Connected {
			up++
		}
	}
	return fmt.Sprintf("%d/%d targets connected", up, len(ts))
}

func speakerDetail(ctx context.Context, s *bgp.Speaker) string {
	cl := s.Client()
	if cl == nil {
		return "api not ready"
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	ps, err := cl.Peers(ctx)
	if err != nil {
		return "peers: " + err.Error()
	}
	up := 0
	for _, p := range ps {
		if p.State == "established" {
			up++
		}
	}
	return fmt.Sprintf("%d/%d sessions established", up, len(ps))
}

// errPartStopped: a part returned while nobody asked it to stop.
var errPartStopped = errors.New("stopped on its own")
