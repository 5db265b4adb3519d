package prom

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/tuyau-net/tuyau/inventory"
	"github.com/tuyau-net/tuyau/inventory/synth"
	"github.com/tuyau-net/tuyau/telemetry"
	"github.com/tuyau-net/tuyau/telemetry/sink/memory"
	"github.com/tuyau-net/tuyau/telemetry/sink/redis"
	"github.com/tuyau-net/tuyau/testlab"
	"github.com/tuyau-net/tuyau/testlab/labtest"
	"github.com/tuyau-net/tuyau/testlab/need"
	"github.com/tuyau-net/tuyau/topology"
)

// promServer is a real Prometheus started for one test.
type promServer struct {
	url string
	out *syncBuffer
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// startPrometheus runs Debian's prometheus on loopback with a temporary
// configuration scraping target (host:port, path /metrics) every
// interval, and waits until it is ready. It is stopped at cleanup.
func startPrometheus(t *testing.T, target string, interval time.Duration, ruleFiles ...string) *promServer {
	t.Helper()
	bin := need.Tool(t, "prometheus", "apt install prometheus")
	dir := t.TempDir()
	cfg := fmt.Sprintf(`global:
  scrape_interval: %[1]s
  scrape_timeout: %[1]s
  evaluation_interval: %[1]s
scrape_configs:
  - job_name: tuyau
    static_configs:
      - targets: [%[2]q]
`, interval, target)
	if len(ruleFiles) > 0 {
		cfg += "rule_files:\n"
		for _, f := range ruleFiles {
			abs, err := filepath.Abs(f)
			if err != nil {
				t.Fatal(err)
			}
			cfg += fmt.Sprintf("  - %q\n", abs)
		}
	}
	cfgFile := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(cfgFile, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ { // the port is picked before prometheus binds it: retry a lost race
		port := freePort(t)
		out := &syncBuffer{}
		cmd := exec.Command(bin, "--config.file="+cfgFile, "--storage.tsdb.path="+filepath.Join(dir, fmt.Sprintf("data%d", attempt)),
			"--web.listen-address=127.0.0.1:"+strconv.Itoa(port), "--log.level=warn")
		cmd.Stdout, cmd.Stderr = out, out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		exited := make(chan struct{})
		go func() {
			_ = cmd.Wait()
			close(exited)
		}()
		stop := func() {
			_ = cmd.Process.Kill()
			<-exited
		}
		p := &promServer{url: "http://127.0.0.1:" + strconv.Itoa(port), out: out}
		deadline := time.Now().Add(20 * time.Second)
		for {
			select {
			case <-exited:
				lastErr = fmt.Errorf("prometheus exited:\n%s", out.String())
			default:
				if resp, err := http.Get(p.url + "/-/ready"); err == nil {
					resp.Body.Close()
					if resp.StatusCode == http.StatusOK {
						t.Cleanup(stop)
						return p
					}
				}
				if time.Now().Before(deadline) {
					time.Sleep(100 * time.Millisecond)
					continue
				}
				stop()
				lastErr = fmt.Errorf("prometheus not ready within 20 s:\n%s", out.String())
			}
			break
		}
	}
	t.Fatal(lastErr)
	return nil
}

// promSample is one element of an instant vector.
type promSample struct {
	Metric map[string]string `json:"metric"`
	Value  [2]any            `json:"value"`
}

func (s promSample) float(t *testing.T) float64 {
	t.Helper()
	str, _ := s.Value[1].(string)
	v, err := strconv.ParseFloat(str, 64)
	if err != nil {
		t.Fatalf("sample %v: %v", s, err)
	}
	return v
}

// query runs an instant query through /api/v1/query.
func (p *promServer) query(expr string) ([]promSample, error) {
	resp, err := http.Get(p.url + "/api/v1/query?query=" + url.QueryEscape(expr))
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var r struct {
		Status    string `json:"status"`
		Error     string `json:"error"`
		ErrorType string `json:"errorType"`
		Data      struct {
			ResultType string          `json:"resultType"`
			Result     json.RawMessage `json:"result"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &r); err != nil {
		return nil, fmt.Errorf("query %s: %d %s", expr, resp.StatusCode, body)
	}
	if r.Status != "success" {
		return nil, fmt.Errorf("query %s: %s: %s", expr, r.ErrorType, r.Error)
	}
	var out []promSample
	switch r.Data.ResultType {
	case "vector":
		if err := json.Unmarshal(r.Data.Result, &out); err != nil {
			return nil, fmt.Errorf("query %s: %w", expr, err)
		}
	case "scalar":
		var v [2]any
		if err := json.Unmarshal(r.Data.Result, &v); err != nil {
			return nil, fmt.Errorf("query %s: %w", expr, err)
		}
		out = []promSample{{Value: v}}
	default:
		return nil, fmt.Errorf("query %s: result type %s", expr, r.Data.ResultType)
	}
	return out, nil
}

// waitQuery polls expr until ok accepts its result.
func (p *promServer) waitQuery(t *testing.T, d time.Duration, expr string, ok func([]promSample) bool) []promSample {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		res, err := p.query(expr)
		if err == nil && ok(res) {
			return res
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %v %v after %v\nprometheus:\n%s", expr, res, err, d, p.out.String())
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// labCollector is a virtual lab, a collector streaming from it into the
// engine and the memory sink, and the collector's HTTP API with /metrics:
// what "tuyau telemetry collect --lab" runs.
type labCollector struct {
	lab     *testlab.Lab
	snap    *inventory.Snapshot
	planned telemetry.Planned
	engine  *telemetry.Engine
	col     *telemetry.Collector
	api     *httptest.Server
	x       *Exporter
}

// labConfig shapes startLabCollector: the generated network's size, the
// sample interval, an optional Redis sink and alarm rules.
type labConfig struct {
	sites    int
	interval time.Duration
	redisURL string
	rules    telemetry.Rules
}

func startLabCollector(t *testing.T, lc labConfig) *labCollector {
	t.Helper()
	iv := lc.interval
	snap, err := synth.Generate(synth.Options{Sites: lc.sites, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	pw, err := testlab.EnsurePassword(dir)
	if err != nil {
		t.Fatal(err)
	}
	plan := labtest.Plan(t, "prom", snap)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	lab, err := testlab.Start(ctx, plan, snap, testlab.Options{Dir: dir, User: "noc", Password: pw, Bootstrap: testlab.BootstrapFull})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lab.Close() })
	addrs := map[string]string{}
	for _, d := range plan.Devices {
		addrs[d.Name] = fmt.Sprintf("%s:%d", d.Addr, plan.Ports.GNMI)
	}
	p, err := telemetry.Plan(snap, telemetry.PlanOptions{Addresses: addrs,
		Intervals: map[telemetry.PathClass]time.Duration{telemetry.ClassCounters: iv, telemetry.ClassOptics: iv}, Heartbeat: 5 * iv},
		topology.BudgetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	eng := telemetry.NewEngine(p.Topo, p.Budgets, telemetry.EngineOptions{Rules: lc.rules})
	mem := memory.New(memory.Options{})
	sinks := []telemetry.Sink{mem}
	var stats []StatsSource
	if lc.redisURL != "" {
		client, err := redis.ParseURL(lc.redisURL, "")
		if err != nil {
			t.Fatal(err)
		}
		rd := redis.New(client, redis.Options{Network: "promtest", Collector: "prom-test"})
		t.Cleanup(func() {
			rd.Close()
			client.Close()
		})
		sinks, stats = append(sinks, rd), append(stats, rd)
	}
	x := New(eng, Options{Sinks: stats})
	sinks = append(sinks, x)
	col, err := telemetry.NewCollector(p, telemetry.CollectorOptions{Name: "prom-test", Engine: eng, Sinks: sinks,
		Dial: telemetry.DialOptions{CAFile: filepath.Join(dir, testlab.CAFile), Username: "noc", Password: pw, Timeout: 5 * time.Second,
			MinBackoff: 100 * time.Millisecond, MaxBackoff: time.Second},
		Flush: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	runCtx, stop := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = col.Run(runCtx)
	}()
	t.Cleanup(func() {
		stop()
		<-done
	})
	api := httptest.NewServer(telemetry.NewAPI(mem, telemetry.APIOptions{Acker: col, Metrics: x.Handler()}))
	t.Cleanup(api.Close)
	return &labCollector{lab: lab, snap: snap, planned: p, engine: eng, col: col, api: api, x: x}
}

// TestPrometheusScrapesCollector runs a real Prometheus scraping a
// collector that streams from a virtual lab, and checks through
// Prometheus's query API that what it stored is what the engine holds:
// every target up, a link's receive power, an interface's octet counter
// and its rate, then the target of a killed device down with its
// interfaces' series gone stale, and up again after the restore.
func TestPrometheusScrapesCollector(t *testing.T) {
	const iv = 500 * time.Millisecond
	lc := startLabCollector(t, labConfig{sites: 4, interval: iv})
	prom := startPrometheus(t, lc.api.Listener.Addr().String(), iv)
	nTargets := len(lc.planned.Targets)

	prom.waitQuery(t, 30*time.Second, `count(tuyau_target_up == 1)`, func(r []promSample) bool {
		return len(r) == 1 && r[0].float(t) == float64(nTargets)
	})
	// A link with light at both ends: its worst end's power, static in
	// the lab, is what the engine holds.
	var link telemetry.LinkState
	waitEngine(t, 30*time.Second, "a link up with rx power and counters", func() bool {
		for _, l := range lc.engine.State().Links {
			if l.Oper == "up" && l.HasRx && l.HasBudget && l.A.HasCounters && l.A.InBps > 0 && l.B.Device != "" {
				link = l
				return true
			}
		}
		return false
	})
	res := prom.waitQuery(t, 10*time.Second, fmt.Sprintf(`tuyau_link_rx_power_dbm{link=%q}`, link.ID), func(r []promSample) bool { return len(r) == 1 })
	if got := res[0].float(t); got != link.MeasuredRxDBm {
		t.Errorf("tuyau_link_rx_power_dbm{link=%q} = %v in Prometheus, engine has %v", link.ID, got, link.MeasuredRxDBm)
	}
	if res[0].Metric["a_site"] != link.A.Site || res[0].Metric["b_site"] != link.B.Site || res[0].Metric["job"] != "tuyau" {
		t.Errorf("labels %v: want a_site %s, b_site %s, job tuyau", res[0].Metric, link.A.Site, link.B.Site)
	}
	end := fmt.Sprintf(`{device=%q,interface=%q}`, link.A.Device, link.A.Interface)
	res = prom.waitQuery(t, 10*time.Second, `tuyau_interface_optical_rx_power_dbm`+end, func(r []promSample) bool { return len(r) == 1 })
	if got := res[0].float(t); got != link.A.RxDBm {
		t.Errorf("tuyau_interface_optical_rx_power_dbm%s = %v, engine has %v", end, got, link.A.RxDBm)
	}
	if res[0].Metric["remote_device"] != link.B.Device || res[0].Metric["link"] != link.ID || res[0].Metric["site"] != link.A.Site {
		t.Errorf("labels %v: want remote_device %s, link %s, site %s", res[0].Metric, link.B.Device, link.ID, link.A.Site)
	}
	if got := res[0].Metric["remote_interface"]; got != link.B.Interface {
		t.Errorf("remote_interface %q, want %q", got, link.B.Interface)
	}
	res = prom.waitQuery(t, 10*time.Second, fmt.Sprintf(`tuyau_link_rx_margin_db{link=%q}`, link.ID), func(r []promSample) bool { return len(r) == 1 })
	if got, want := res[0].float(t), link.MeasuredRxDBm-link.SensitivityDBm; got != want {
		t.Errorf("tuyau_link_rx_margin_db{link=%q} = %v, engine: measured %v - sensitivity %v", link.ID, got, link.MeasuredRxDBm, link.SensitivityDBm)
	}

	// The octet counter: what Prometheus stored lies between what the
	// engine held before and after, and its rate is the engine's.
	before := endOf(lc.engine, link.ID, 0)
	time.Sleep(3 * iv)
	after := endOf(lc.engine, link.ID, 0)
	res = prom.waitQuery(t, 10*time.Second, `tuyau_interface_receive_bytes_total`+end, func(r []promSample) bool { return len(r) == 1 })
	if got := res[0].float(t); got < float64(before.InOctets) || got > float64(after.InOctets) || before.InOctets == after.InOctets {
		t.Errorf("tuyau_interface_receive_bytes_total%s = %v; the engine held %d then %d", end, got, before.InOctets, after.InOctets)
	}
	// bits per second as the docs' dashboard computes it, against the
	// engine's rate from the device's own timestamps, once the window is
	// full (rate divides by the window, so a series younger than it reads
	// low); the scrape and the sample intervals beat against each other,
	// and a loaded CI machine delays scrapes, hence the tolerance (an idle
	// run agrees within 1 %; a unit error would be 8x off).
	ctr := `tuyau_interface_receive_bytes_total` + end
	res = prom.waitQuery(t, 20*time.Second, `rate(`+ctr+`[5s]) * 8 and count_over_time(`+ctr+`[5s]) >= 10`, func(r []promSample) bool {
		return len(r) == 1 && r[0].float(t) > 0
	})
	if got, want := res[0].float(t), after.InBps; got < 0.75*want || got > 1.25*want {
		t.Errorf("rate(...[5s])*8 = %.0f bit/s in Prometheus, engine has %.0f", got, want)
	}
	t.Logf("link %s: rx %.2f dBm, margin %.2f dB; %s in: Prometheus %.0f bit/s, engine %.0f bit/s",
		link.ID, link.MeasuredRxDBm, link.MeasuredRxDBm-link.SensitivityDBm, end, res[0].float(t), after.InBps)

	// Kill the link's A device: its target goes down in Prometheus and its
	// interfaces' counters go stale (no longer published).
	victim := link.A.Device
	ctx := context.Background()
	if _, err := lc.lab.Kill(ctx, victim); err != nil {
		t.Fatal(err)
	}
	prom.waitQuery(t, 20*time.Second, fmt.Sprintf(`tuyau_target_up{target=%q}`, victim), func(r []promSample) bool {
		return len(r) == 1 && r[0].float(t) == 0
	})
	prom.waitQuery(t, 10*time.Second, `tuyau_interface_receive_bytes_total`+end, func(r []promSample) bool { return len(r) == 0 })
	prom.waitQuery(t, 10*time.Second, fmt.Sprintf(`tuyau_interface_oper_state{device=%q,interface=%q,state="unknown"}`, link.A.Device, link.A.Interface),
		func(r []promSample) bool { return len(r) == 1 && r[0].float(t) == 1 })
	prom.waitQuery(t, 10*time.Second, fmt.Sprintf(`count(tuyau_target_up == 1)`), func(r []promSample) bool {
		return len(r) == 1 && r[0].float(t) == float64(nTargets-1)
	})
	if _, err := lc.lab.Restore(ctx, testlab.Target{Device: victim}); err != nil {
		t.Fatal(err)
	}
	prom.waitQuery(t, 30*time.Second, fmt.Sprintf(`tuyau_target_up{target=%q} == 1 and tuyau_target_reconnects_total{target=%q} >= 1`, victim, victim),
		func(r []promSample) bool { return len(r) == 1 })

	// What Prometheus scraped passes promtool's lint as well.
	if promtool, err := exec.LookPath("promtool"); err == nil {
		body := scrape(t, lc.x.Handler())
		cmd := exec.Command(promtool, "check", "metrics")
		cmd.Stdin = bytes.NewReader([]byte(body))
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("promtool check metrics on the lab's scrape: %v\n%s", err, out)
		}
	}
}

func endOf(eng *telemetry.Engine, link string, i int) telemetry.LinkEnd {
	for _, l := range eng.State().Links {
		if l.ID == link {
			if i == 0 {
				return l.A
			}
			return l.B
		}
	}
	return telemetry.LinkEnd{}
}

func waitEngine(t *testing.T, d time.Duration, what string, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(d); !ok(); time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("engine: no %s within %v", what, d)
		}
	}
}
