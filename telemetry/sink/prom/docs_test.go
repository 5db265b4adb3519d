package prom

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/tuyau-net/tuyau/telemetry"
	"github.com/tuyau-net/tuyau/testlab/need"
	"github.com/tuyau-net/tuyau/testlab/redislab"
)

const (
	docsFile      = "../../../docs/telemetry.md"
	dashboardFile = "../../../docs/grafana/tuyau-dashboard.json"
	alertsFile    = "../../../docs/prometheus/tuyau-alerts.yml"
)

// docExpr is a PromQL expression found in the docs, and where.
type docExpr struct {
	where, expr string
}

var (
	promqlStrings  = regexp.MustCompile(`"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|` + "`[^`]*`")
	promqlBraces   = regexp.MustCompile(`\{[^{}]*\}`)
	promqlBrackets = regexp.MustCompile(`\[[^\[\]]*\]`)
	promqlLabelSet = regexp.MustCompile(`\b(by|without|on|ignoring|group_left|group_right)\s*\([^()]*\)`)
	promqlIdent    = regexp.MustCompile(`[a-zA-Z_:][a-zA-Z0-9_:]*`)
	// Aggregation operators, set and binary keywords, and the literals
	// a tokenizer would otherwise take for metric names.
	promqlKeywords = []string{"and", "or", "unless", "by", "without", "on", "ignoring", "group_left", "group_right",
		"bool", "offset", "atan2", "sum", "min", "max", "avg", "count", "stddev", "stdvar", "topk", "bottomk",
		"quantile", "count_values", "group", "limitk", "limit_ratio", "inf", "nan", "Inf", "NaN"}
)

// metricNames returns the metric names an expression selects: the
// identifiers left once strings, label matchers, ranges, label lists and
// function calls are set aside.
func metricNames(expr string) []string {
	s := promqlStrings.ReplaceAllString(expr, `""`)
	s = promqlBraces.ReplaceAllString(s, " ")
	s = promqlBrackets.ReplaceAllString(s, " ")
	s = promqlLabelSet.ReplaceAllString(s, " ")
	var out []string
	for _, loc := range promqlIdent.FindAllStringIndex(s, -1) {
		id := s[loc[0]:loc[1]]
		if loc[0] > 0 && strings.ContainsAny(s[loc[0]-1:loc[0]], "0123456789.") {
			continue // the exponent or unit of a number: 1e9, 2h
		}
		if next := strings.TrimLeft(s[loc[1]:], " \t\n"); strings.HasPrefix(next, "(") {
			continue // a function or an aggregation
		}
		if slices.Contains(promqlKeywords, id) || slices.Contains(out, id) {
			continue
		}
		out = append(out, id)
	}
	return out
}

func TestMetricNames(t *testing.T) {
	for _, c := range []struct {
		expr string
		want []string
	}{
		{`rate(tuyau_interface_receive_bytes_total{site=~"a|b"}[5m]) * 8`, []string{"tuyau_interface_receive_bytes_total"}},
		{`max by (link) (rate(x_total[5m])) / on (link) group_left (ducts) max by (link) (y_bytes)`, []string{"x_total", "y_bytes"}},
		{`bottomk(10, m{a="sum(b)"}) > 1e9 and on (target) up == 1`, []string{"m", "up"}},
		{`time() - t_seconds{job="x"} > 2^20`, []string{"t_seconds"}},
		{`count(a == 1) or vector(0)`, []string{"a"}},
		{`sum without (instance) (a:rule:rate5m)`, []string{"a:rule:rate5m"}},
	} {
		if got := metricNames(c.expr); !slices.Equal(got, c.want) {
			t.Errorf("metricNames(%q) = %q, want %q", c.expr, got, c.want)
		}
	}
}

// docsExprs reads the promql blocks of docs/telemetry.md: one expression
// a line, a line starting with spaces continuing the one above, #
// comments.
func docsExprs(t *testing.T) []docExpr {
	t.Helper()
	b, err := os.ReadFile(docsFile)
	if err != nil {
		t.Fatal(err)
	}
	var out []docExpr
	in := false
	for i, line := range strings.Split(string(b), "\n") {
		switch {
		case strings.HasPrefix(line, "```promql"):
			in = true
		case in && strings.HasPrefix(line, "```"):
			in = false
		case !in || strings.TrimSpace(line) == "" || strings.HasPrefix(strings.TrimSpace(line), "#"):
		case strings.HasPrefix(line, " ") && len(out) > 0:
			out[len(out)-1].expr += "\n" + line
		default:
			out = append(out, docExpr{where: fmt.Sprintf("docs/telemetry.md:%d", i+1), expr: line})
		}
	}
	if len(out) == 0 {
		t.Fatal("docs/telemetry.md: no promql block")
	}
	return out
}

// alertExprs reads the rule file's expressions.
func alertExprs(t *testing.T) []docExpr {
	t.Helper()
	b, err := os.ReadFile(alertsFile)
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Groups []struct {
			Name  string `yaml:"name"`
			Rules []struct {
				Alert  string `yaml:"alert"`
				Record string `yaml:"record"`
				Expr   string `yaml:"expr"`
			} `yaml:"rules"`
		} `yaml:"groups"`
	}
	if err := yaml.Unmarshal(b, &f); err != nil {
		t.Fatalf("%s: %v", alertsFile, err)
	}
	var out []docExpr
	for _, g := range f.Groups {
		for _, r := range g.Rules {
			out = append(out, docExpr{where: "tuyau-alerts.yml " + g.Name + "/" + r.Alert + r.Record, expr: r.Expr})
		}
	}
	return out
}

var grafanaVar = regexp.MustCompile(`\$\{?([a-zA-Z_][a-zA-Z0-9_]*)\}?`)

// dashboardExprs reads every panel target's expr and every template
// variable's label_values() query; Grafana's interval variables become
// 5m and the dashboard's own variables .* (they are only used in regex
// matchers, where that means "all").
func dashboardExprs(t *testing.T) (exprs []docExpr, labelValues [][2]string) {
	t.Helper()
	b, err := os.ReadFile(dashboardFile)
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		Templating struct {
			List []struct {
				Name  string `json:"name"`
				Type  string `json:"type"`
				Query any    `json:"query"`
			} `json:"list"`
		} `json:"templating"`
	}
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatalf("%s: %v", dashboardFile, err)
	}
	vars := map[string]bool{"__rate_interval": true, "__interval": true, "__range": true}
	lv := regexp.MustCompile(`^label_values\(\s*([a-zA-Z_:][a-zA-Z0-9_:]*)\s*,\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\)$`)
	for _, v := range d.Templating.List {
		vars[v.Name] = true
		if v.Type != "query" {
			continue
		}
		q, _ := v.Query.(string)
		if m, ok := v.Query.(map[string]any); ok {
			q, _ = m["query"].(string)
		}
		sm := lv.FindStringSubmatch(q)
		if sm == nil {
			t.Errorf("dashboard variable %s: query %q is not label_values(metric, label)", v.Name, q)
			continue
		}
		labelValues = append(labelValues, [2]string{sm[1], sm[2]})
	}
	var raw any
	if err := json.Unmarshal(b, &raw); err != nil {
		t.Fatal(err)
	}
	var walk func(path string, v any)
	walk = func(path string, v any) {
		switch v := v.(type) {
		case map[string]any:
			title, _ := v["title"].(string)
			if title != "" {
				path = title
			}
			for k, c := range v {
				if e, ok := c.(string); ok && k == "expr" {
					for _, m := range grafanaVar.FindAllStringSubmatch(e, -1) {
						if !vars[m[1]] {
							t.Errorf("dashboard panel %q: variable $%s is not defined", path, m[1])
						}
					}
					e = grafanaVar.ReplaceAllStringFunc(e, func(s string) string {
						if strings.Contains(s, "__") {
							return "5m"
						}
						return ".*"
					})
					exprs = append(exprs, docExpr{where: "dashboard panel " + path, expr: e})
					continue
				}
				walk(path, c)
			}
		case []any:
			for _, c := range v {
				walk(path, c)
			}
		}
	}
	walk("", raw)
	if len(exprs) == 0 {
		t.Fatal("dashboard: no expr")
	}
	return exprs, labelValues
}

// prometheusOwn are the series Prometheus makes itself for each target.
var prometheusOwn = []string{"up", "scrape_duration_seconds", "scrape_samples_scraped", "scrape_series_added"}

// TestDocsQueries checks every PromQL expression of docs/telemetry.md,
// the Grafana dashboard and the alerting rules against a real Prometheus
// scraping a collector on the lab (with a Redis sink, so that the sink
// series exist): each parses and evaluates, each metric it names is in the
// collector's /metrics, and Prometheus evaluates the rule file without
// error. promtool checks the rule file too.
func TestDocsQueries(t *testing.T) {
	promtool := need.Tool(t, "promtool", "apt install prometheus")
	if out, err := exec.Command(promtool, "check", "rules", alertsFile).CombinedOutput(); err != nil {
		t.Fatalf("promtool check rules %s: %v\n%s", alertsFile, err, out)
	}
	docs := docsExprs(t)
	alerts := alertExprs(t)
	dash, labelValues := dashboardExprs(t)
	all := slices.Concat(docs, alerts, dash)
	t.Logf("%d expressions: %d in docs/telemetry.md, %d alerting rules, %d dashboard queries", len(all), len(docs), len(alerts), len(dash))

	srv := redislab.Start(t)
	rules := telemetry.DefaultRules()
	rules.Optics.BaselineSamples = 3 // so that the drift series exists within the test
	const iv = 500 * time.Millisecond
	lc := startLabCollector(t, labConfig{sites: 4, interval: iv, redisURL: srv.URL(), rules: rules})
	// An event from another package (the BGP speaker), so that an alarm
	// is active and tuyau_alarms_active_by_rule has a series.
	lc.engine.Ingest(telemetry.Event{Source: "bgp", Rule: "bgp-session-down", Severity: telemetry.SevMajor, ObjectKind: "peer",
		Object: "192.0.2.1", Active: true, Message: "test"})
	prom := startPrometheus(t, lc.api.Listener.Addr().String(), iv, alertsFile)

	want := map[string][]string{}
	for _, e := range all {
		for _, n := range metricNames(e.expr) {
			want[n] = append(want[n], e.where)
		}
	}
	for _, lv := range labelValues {
		want[lv[0]] = append(want[lv[0]], "dashboard variable")
	}
	// Every name, in what the collector serves: some series need data
	// first (a drift needs a baseline, a flush timestamp a flush).
	var missing []string
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(250 * time.Millisecond) {
		body := scrape(t, lc.x.Handler())
		missing = missing[:0]
		for n := range want {
			if !slices.Contains(prometheusOwn, n) && !strings.Contains(body, "\n"+n+"{") && !strings.Contains(body, "\n"+n+" ") {
				missing = append(missing, n)
			}
		}
		if len(missing) == 0 || time.Now().After(deadline) {
			break
		}
	}
	slices.Sort(missing)
	for _, n := range missing {
		t.Errorf("metric %s (used by %s) is not in the collector's /metrics", n, strings.Join(want[n], ", "))
	}
	prom.waitQuery(t, 30*time.Second, `count(tuyau_link_rx_drift_db) > 0 and count(tuyau_sink_up) > 0`, func(r []promSample) bool { return len(r) == 1 })

	// Each expression parses and evaluates in Prometheus itself.
	for _, e := range all {
		if _, err := prom.query(e.expr); err != nil {
			t.Errorf("%s: %v", e.where, err)
		}
	}
	for _, lv := range labelValues {
		vals := prom.labelValues(t, lv[0], lv[1])
		if len(vals) == 0 {
			t.Errorf("dashboard variable label_values(%s, %s): no values", lv[0], lv[1])
		}
	}
	// The rule file as Prometheus loaded it: every group, every rule
	// evaluated without error.
	prom.waitRules(t, 15*time.Second, len(alerts))
}

// labelValues asks /api/v1/label/NAME/values?match[]=METRIC.
func (p *promServer) labelValues(t *testing.T, metric, label string) []string {
	t.Helper()
	resp, err := http.Get(p.url + "/api/v1/label/" + label + "/values?match[]=" + url.QueryEscape(metric))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var r struct {
		Status string   `json:"status"`
		Data   []string `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil || r.Status != "success" {
		t.Fatalf("label values %s %s: %v %s", metric, label, err, r.Status)
	}
	return r.Data
}

// waitRules waits until Prometheus has evaluated all n rules with health
// ok, and fails on any rule in error.
func (p *promServer) waitRules(t *testing.T, d time.Duration, n int) {
	t.Helper()
	type rule struct {
		Name      string `json:"name"`
		Health    string `json:"health"`
		LastError string `json:"lastError"`
	}
	var rs []rule
	for deadline := time.Now().Add(d); ; time.Sleep(250 * time.Millisecond) {
		resp, err := http.Get(p.url + "/api/v1/rules")
		if err != nil {
			t.Fatal(err)
		}
		var r struct {
			Data struct {
				Groups []struct {
					Rules []rule `json:"rules"`
				} `json:"groups"`
			} `json:"data"`
		}
		err = json.NewDecoder(resp.Body).Decode(&r)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		rs = rs[:0]
		ok := 0
		for _, g := range r.Data.Groups {
			for _, x := range g.Rules {
				rs = append(rs, x)
				if x.LastError != "" || x.Health == "err" {
					t.Fatalf("Prometheus evaluates rule %s with an error: %s", x.Name, x.LastError)
				}
				if x.Health == "ok" {
					ok++
				}
			}
		}
		if len(rs) == n && ok == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("rules loaded by Prometheus: %+v, want %d all ok", rs, n)
		}
	}
}
