package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/tuyau-net/tuyau/inventory/yamlstore"
	"github.com/tuyau-net/tuyau/telemetry"
	"github.com/tuyau-net/tuyau/testlab/need"
	"github.com/tuyau-net/tuyau/topology"
)

// runInBackground runs the CLI until the test ends.
func runInBackground(t *testing.T, ctx context.Context, name string, args ...string) *lockedBuffer {
	t.Helper()
	ctx, stop := context.WithCancel(ctx)
	var errs lockedBuffer
	exited := make(chan struct{})
	go func() {
		defer close(exited)
		run(ctx, args, strings.NewReader(""), &lockedBuffer{}, &errs, func(string) string { return "" })
	}()
	t.Cleanup(func() {
		stop()
		select {
		case <-exited:
		case <-time.After(30 * time.Second):
			t.Errorf("%s did not stop", name)
		}
	})
	return &errs
}

// browser is a headless Chromium driven over the DevTools protocol; the
// page's uncaught exceptions and console errors (a CSP refusal among them)
// fail the test.
func browser(t *testing.T, ctx context.Context) (bctx context.Context, pageProblems func() []string) {
	t.Helper()
	bin := need.Tool(t, "chromium", "apt-get install chromium (.ci/deps)")
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(bin), chromedp.NoSandbox,
		chromedp.WindowSize(1600, 1000), chromedp.Flag("disable-gpu", true), chromedp.Flag("disable-dev-shm-usage", true))
	actx, acancel := chromedp.NewExecAllocator(ctx, opts...)
	bctx, bcancel := chromedp.NewContext(actx)
	t.Cleanup(func() { bcancel(); acancel() })
	var mu sync.Mutex
	var problems []string
	keep := func(msg string) {
		mu.Lock()
		problems = append(problems, msg)
		mu.Unlock()
	}
	err := chromedp.Listen(bctx, func(ev any) {
		switch e := ev.(type) {
		case *runtime.EventExceptionThrown:
			keep(fmt.Sprintf("page exception: %s %v", e.ExceptionDetails.Text, e.ExceptionDetails.Exception))
		case *runtime.EventConsoleAPICalled:
			if e.Type == runtime.ConsoleAPICalledTypeError {
				var args []string
				for _, a := range e.Args {
					args = append(args, string(a.Value)+a.Description)
				}
				keep("page console error: " + strings.Join(args, " "))
			}
		}
	})
	if err == nil {
		err = chromedp.Do(bctx)
	}
	if err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	pageProblems = func() []string {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(problems)
	}
	return bctx, pageProblems
}

// waitJS evaluates expr until it is true or wait passes.
func waitJS(t *testing.T, ctx context.Context, what, expr string, wait time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	for {
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](expr))
		if err == nil && ok {
			return time.Since(start)
		}
		if time.Since(start) > wait {
			screenshot(t, ctx, "failed-"+strings.ReplaceAll(what, " ", "-"))
			dbg, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`JSON.stringify({states: noc.states, links: Object.keys(noc.state.links).length,
				first: Object.entries(noc.state.links).slice(0, 3), error: noc.state.error, alarms: noc.state.alarms.length, targets: noc.state.targets})`))
			t.Fatalf("%s: not true within %s: last error %v; page state %s\n%s", what, wait, err, dbg, expr)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	dirs := []string{nocArtifacts(t)}
	if os.Getenv("TUYAU_DOCS_SCREENSHOTS") != "" {
		dirs = append(dirs, filepath.Join("..", "..", "docs", "img"))
	}
	for _, d := range dirs {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(d, name+".png"), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestWebChromium runs the virtual lab of examples/manche, a collector
// and "tuyau web" on loopback, and a real headless Chromium: the map
// loads with every link drawn, a duct cut in the lab turns exactly the
// links in that duct red within 2 s of the sink having them down, the
// duct alarm appears and is acknowledged from the page, the link and
// member site pages fill in. Screenshots are kept as artifacts (and in
// docs/img with TUYAU_DOCS_SCREENSHOTS=1).
func TestWebChromium(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	bctx, problems := browser(t, ctx)
	defer func() {
		for _, p := range problems() {
			t.Error(p)
		}
	}()
	root := t.TempDir()
	snap, err := yamlstore.Open(example).Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	topo, err := topology.Build(snap, topology.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var inDuct, outside []string
	for _, l := range topo.Links {
		if slices.Contains(l.SRLGs, nocCut) {
			inDuct = append(inDuct, l.ID)
		} else if !l.External && l.ASite != l.BSite {
			outside = append(outside, l.ID)
		}
	}
	if len(inDuct) == 0 || len(outside) == 0 {
		t.Fatalf("duct %s: links in it %v, outside %d: the example changed", nocCut, inDuct, len(outside))
	}
	startForegroundLab(t, ctx, cancel, root, "web", snap, 30*time.Second)
	colAddr, webAddr := freeAddr(t), freeAddr(t)
	runInBackground(t, ctx, "collect", "telemetry", "collect", "-i", example, "--lab", "web", "--lab-dir", root, "--listen", colAddr,
		"--interval", "counters=1s,optics=1s", "--flush", "200ms", "--name", "col-web")
	webErr := runInBackground(t, ctx, "web", "web", "-i", example, "--collector", "http://"+colAddr, "--listen", webAddr,
		"--interval", "200ms", "--by", "night-shift")
	base := "http://" + webAddr

	// Until it serves.
	deadline := time.Now().Add(30 * time.Second)
	var resp *http.Response
	for {
		if resp, err = http.Get(base + "/"); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("tuyau web does not serve: %v\n%s", err, webErr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	resp.Body.Close()
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") {
		t.Errorf("Content-Security-Policy %q: want scripts from this origin only", csp)
	}

	// Content-Security-Policy refusals, counted from the first byte of the
	// page: the policy must never have to refuse anything of ours.
	if err := chromedp.Do(bctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{
			Source: `window.__csp = []; document.addEventListener('securitypolicyviolation', e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));`})
		return err
	})); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := chromedp.Do(bctx, chromedp.Navigate(base+"/")); err != nil {
		t.Fatal(err)
	}
	waitJS(t, bctx, "map drawn", `window.noc && noc.ready === true`, 20*time.Second)
	firstRender, _ := chromedp.Run(bctx, chromedp.Evaluate[float64](`noc.map.firstRender`))
	t.Logf("map drawn %.0f ms after navigation start (%s with the Go side)", firstRender, time.Since(start).Round(time.Millisecond))
	// Every link of the duct is up on the page; the links outside it that
	// are up now must stay so.
	waitJS(t, bctx, "links up", fmt.Sprintf(`[%s].every(id => ['up','mid','hi'].includes(noc.linkColor(id)))`, quoteJS(inDuct)), 90*time.Second)
	upNow, err := chromedp.Run(bctx, chromedp.Evaluate[[]string](fmt.Sprintf(`[%s].filter(id => noc.linkColor(id) !== 'down')`, quoteJS(outside))))
	if err != nil || len(upNow) < len(outside)/2 {
		t.Fatalf("links up outside the duct: %d of %d (%v)", len(upNow), len(outside), err)
	}
	outside = upNow
	// No speaker runs in this lab: the header names the inventory's
	// services with an unknown active site.
	waitJS(t, bctx, "hosting services", fmt.Sprintf(`document.querySelectorAll('#hosting-pills [data-service]').length === %d &&
		[...document.querySelectorAll('#hosting-pills [data-service]')].every(p => p.textContent.endsWith('@ ?'))`, len(snap.Services)), 10*time.Second)
	screenshot(t, bctx, "web-map")

	// When the sink has the duct's links down, to time the page against.
	api := telemetry.NewHTTPReader("http://" + colAddr)
	sinkDown := make(chan time.Time, 1)
	go func() {
		for ctx.Err() == nil {
			ls, _ := api.Links(ctx)
			down := 0
			for _, l := range ls {
				if slices.Contains(inDuct, l.ID) && l.Oper == "down" {
					down++
				}
			}
			if down == len(inDuct) {
				sinkDown <- time.Now()
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
	}()
	cutAt := time.Now()
	if out := runCLI(t, nil, "lab", "cut", "--srlg", nocCut, "--lab-dir", root, "--name", "web"); out.code != exitOK {
		t.Fatalf("lab cut: exit %d: %s", out.code, out.stderr)
	}
	red := fmt.Sprintf(`[%s].every(id => noc.linkColor(id) === 'down')`, quoteJS(inDuct))
	waitJS(t, bctx, "duct links red", red, 20*time.Second)
	shown := time.Now()
	select {
	case at := <-sinkDown:
		lag := shown.Sub(at)
		t.Logf("links down in the sink %s after the cut, red on the page %s after the sink", at.Sub(cutAt).Round(10*time.Millisecond), lag.Round(10*time.Millisecond))
		if lag > 2*time.Second {
			t.Errorf("the page turned the links red %s after the sink had them down, want within 2 s", lag)
		}
	case <-time.After(5 * time.Second):
		t.Error("the page shows links down that the sink never served down")
	}
	stillUp, _ := chromedp.Run(bctx, chromedp.Evaluate[bool](fmt.Sprintf(`[%s].every(id => noc.linkColor(id) !== 'down')`, quoteJS(outside))))
	if !stillUp {
		t.Errorf("links outside duct %s turned red too", nocCut)
	}
	alarmRow := `li[data-rule="duct"][data-id]`
	waitJS(t, bctx, "duct alarm listed", fmt.Sprintf(`[...document.querySelectorAll('%s')].some(li => li.textContent.includes(%q) && li.querySelector('button.ack'))`, alarmRow, nocCut), 10*time.Second)
	waitJS(t, bctx, "cut duct highlighted", fmt.Sprintf(`noc.map.cutDucts.has(%q)`, nocCut), 5*time.Second)
	screenshot(t, bctx, "web-cut")

	// Acknowledge from the page.
	if err := chromedp.Do(bctx, chromedp.SetValue(chromedp.ID("by"), "tester"),
		chromedp.Click(chromedp.CSS(alarmRow+` button.ack`))); err != nil {
		t.Fatal(err)
	}
	waitJS(t, bctx, "ack shown", fmt.Sprintf(`[...document.querySelectorAll('%s')].some(li => li.textContent.includes('acked by tester'))`, alarmRow), 10*time.Second)
	as, err := api.Alarms(ctx)
	if err != nil {
		t.Fatal(err)
	}
	acked := false
	for _, a := range as {
		acked = acked || a.Rule == "duct" && a.Object == nocCut && a.Acked && a.AckedBy == "tester"
	}
	if !acked {
		t.Errorf("the collector does not hold the duct alarm acknowledged by tester")
	}

	// The duct alarm's children, the links down in it, unfold under it.
	if err := chromedp.Do(bctx, chromedp.Click(chromedp.CSS(alarmRow+` button.fold`))); err != nil {
		t.Fatal(err)
	}
	waitJS(t, bctx, "children unfolded", fmt.Sprintf(`[%s].every(id => [...document.querySelectorAll('#alarms li.child')].some(li => li.textContent.includes(id)))`, quoteJS(inDuct)), 10*time.Second)

	// The link page of a cut link: its ends, cables, duct and history.
	if err := chromedp.Do(bctx, chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`location.hash = '#/link/' + encodeURIComponent(%q)`, inDuct[0]))); err != nil {
		t.Fatal(err)
	}
	waitJS(t, bctx, "link page", fmt.Sprintf(`(() => { const b = document.getElementById('detail-body').textContent;
		return b.includes('Cables') && b.includes(%q) && b.includes('Rx power against the budget') && !!document.getElementById('history') })()`, nocCut), 10*time.Second)
	screenshot(t, bctx, "web-link")

	// A member site that lost the hosting in the cut: its page shows both
	// core sites unreachable, as topology's cut analysis says.
	member := ""
	for _, a := range as {
		if a.Rule == "duct" && a.Object == nocCut && len(a.LoseHosting) > 0 {
			member = a.LoseHosting[0]
		}
	}
	if member == "" {
		t.Fatalf("the duct alarm names no member site losing the hosting")
	}
	if err := chromedp.Do(bctx, chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`location.hash = '#/site/' + encodeURIComponent(%q)`, member))); err != nil {
		t.Fatal(err)
	}
	waitJS(t, bctx, "site page", `(() => { const cs = [...document.querySelectorAll('#detail-body [data-core]')];
		return cs.length === 2 && cs.every(c => c.textContent.includes('unreachable')) && document.getElementById('hosting').textContent.includes('lost') })()`, 10*time.Second)
	screenshot(t, bctx, "web-site")

	// Restore the duct: the links come back and the member site's page
	// shows the outage over, in its availability of the last 24 h, with
	// the duct as its cause (telemetry/report over the collector's
	// state-change history).
	if out := runCLI(t, nil, "lab", "restore", "--srlg", nocCut, "--lab-dir", root, "--name", "web"); out.code != exitOK {
		t.Fatalf("lab restore: exit %d: %s", out.code, out.stderr)
	}
	waitJS(t, bctx, "duct links up again", fmt.Sprintf(`[%s].every(id => noc.linkColor(id) !== 'down')`, quoteJS(inDuct)), 60*time.Second)
	waitJS(t, bctx, "site availability", fmt.Sprintf(`(() => { const a = document.getElementById('availability');
		if (!a || a.dataset.window !== '24h') return false;
		const rows = [...a.querySelectorAll('tr[data-outage]')];
		const h = a.querySelector('[data-share=hosting]');
		return rows.length >= 1 && !rows[0].classList.contains('ongoing') && rows[0].querySelector('[data-cause]').dataset.cause.includes('duct:' + %q) &&
			h && /%%$/.test(h.textContent) && parseFloat(h.textContent) < 100 })()`, nocCut), 20*time.Second)
	if err := chromedp.Do(bctx, chromedp.Evaluate[chromedp.Void](`document.getElementById('availability').scrollIntoView()`)); err != nil {
		t.Fatal(err)
	}
	screenshot(t, bctx, "web-site-availability")
	// The 30-day window is one click away.
	if err := chromedp.Do(bctx, chromedp.Click(chromedp.CSS(`#availability button[data-window="30d"]`))); err != nil {
		t.Fatal(err)
	}
	waitJS(t, bctx, "30-day availability", fmt.Sprintf(`(() => { const a = document.getElementById('availability');
		return !!a && a.dataset.window === '30d' && [...a.querySelectorAll('[data-cause]')].some(c => c.dataset.cause.includes('duct:' + %q)) })()`, nocCut), 10*time.Second)
	if v, err := chromedp.Run(bctx, chromedp.Evaluate[[]string](`window.__csp`)); err != nil || len(v) > 0 {
		t.Errorf("Content-Security-Policy refusals on the page: %v (%v)", v, err)
	}

	// With a token the page sends the browser to the login form; the
	// token typed there opens the map.
	tokFile := filepath.Join(t.TempDir(), "web.token")
	if err := os.WriteFile(tokFile, []byte("wall-screen-token\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	lockedAddr := freeAddr(t)
	runInBackground(t, ctx, "web with a token", "web", "-i", example, "--collector", "http://"+colAddr, "--listen", lockedAddr, "--token-file", tokFile)
	locked := "http://" + lockedAddr
	for deadline := time.Now().Add(30 * time.Second); ; {
		if r, err := http.Get(locked + "/healthz"); err == nil {
			r.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("tuyau web with a token does not serve")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err := chromedp.Do(bctx, chromedp.Navigate(locked+"/")); err != nil {
		t.Fatal(err)
	}
	waitJS(t, bctx, "login form", `location.pathname === '/login' && !!document.querySelector('input[name=token]')`, 10*time.Second)
	if err := chromedp.Do(bctx, chromedp.SetValue(chromedp.CSS(`input[name=token]`), "wall-screen-token"),
		chromedp.Click(chromedp.CSS(`button[type=submit]`))); err != nil {
		t.Fatal(err)
	}
	waitJS(t, bctx, "map after login", `location.pathname === '/' && window.noc && noc.ready === true && noc.states > 0`, 20*time.Second)
}

func quoteJS(ids []string) string {
	q := make([]string, len(ids))
	for i, id := range ids {
		q[i] = fmt.Sprintf("%q", id)
	}
	return strings.Join(q, ",")
}
