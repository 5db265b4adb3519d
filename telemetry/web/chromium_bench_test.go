package web

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/performance"
	"github.com/chromedp/chromedp"

	"github.com/tuyau-net/tuyau/testlab/need"
)

// BenchmarkWeb10kChromium loads the 10,000-site generated network (every
// link up in a memory sink behind the collector's real HTTP API) in a
// headless Chromium, then pans it with the mouse. It reports the time from
// navigation to the first drawn frame, the page's JS heap and the render
// time of the frames drawn while panning (docs/noc.md quotes them):
//
//	go test -run '^$' -bench Web10k -benchtime 1x ./telemetry/web/
func BenchmarkWeb10kChromium(b *testing.B) {
	bin := need.Tool(b, "chromium", "apt-get install chromium (.ci/deps)")
	snap, topo := network(b, 10000)
	_, src := sinkWith(b, topo)
	srv := serve(b, Options{Source: src, Inventory: snap})
	mapBytes := size(b, srv.URL+"/api/map")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(bin), chromedp.NoSandbox,
		chromedp.WindowSize(1600, 1000), chromedp.Flag("disable-dev-shm-usage", true))
	actx, acancel := chromedp.NewExecAllocator(ctx, opts...)
	defer acancel()
	for b.Loop() {
		bctx, bcancel := chromedp.NewContext(actx)
		if err := chromedp.Do(bctx, chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
			_, err := cdp.Call(ctx, t, performance.Enable, performance.EnableParams{})
			return err
		})); err != nil {
			b.Fatal(err)
		}
		if err := chromedp.Do(bctx, chromedp.Navigate(srv.URL+"/")); err != nil {
			b.Fatal(err)
		}
		deadline := time.Now().Add(60 * time.Second)
		for {
			ok, _ := chromedp.Run(bctx, chromedp.Evaluate[bool](`!!(window.noc && noc.ready && noc.coloured && noc.map.frames > 1)`))
			if ok {
				break
			}
			if time.Now().After(deadline) {
				b.Fatal("the 10,000-site map did not render within 60 s")
			}
			time.Sleep(20 * time.Millisecond)
		}
		stateBytes := size(b, srv.URL+"/api/state")
		time.Sleep(300 * time.Millisecond) // the coloured frame
		keepScreenshot(b, bctx, "web-10k")
		first, err := chromedp.Run(bctx, chromedp.Evaluate[float64](`noc.map.firstRender`))
		if err != nil {
			b.Fatal(err)
		}
		coloured, _ := chromedp.Run(bctx, chromedp.Evaluate[float64](`noc.coloured`))
		counts, _ := chromedp.Run(bctx, chromedp.Evaluate[[]int](`[noc.map.sx.length, noc.map.cables.length]`))
		// Pan: drag across the map in 60 steps, each a real mouse move.
		before, _ := chromedp.Run(bctx, chromedp.Evaluate[int](`noc.map.frames`))
		start := time.Now()
		steps := []chromedp.Action[chromedp.Void]{chromedp.MouseEvent(chromedp.MousePressed, 700, 500, chromedp.ButtonLeft)}
		for i := 1; i <= 60; i++ {
			steps = append(steps, chromedp.MouseEvent(chromedp.MouseMoved, float64(700-6*i), float64(500-3*i), chromedp.ButtonLeft))
		}
		steps = append(steps, chromedp.MouseEvent(chromedp.MouseReleased, 340, 320, chromedp.ButtonLeft))
		if err := chromedp.Do(bctx, steps...); err != nil {
			b.Fatal(err)
		}
		panned := time.Since(start)
		// Then zoom in twice and out, as an operator looks closer.
		if err := chromedp.Do(bctx, chromedp.Evaluate[chromedp.Void](`noc.map.zoom(2); noc.map.zoom(2); noc.map.zoom(0.25)`)); err != nil {
			b.Fatal(err)
		}
		after, _ := chromedp.Run(bctx, chromedp.Evaluate[int](`noc.map.frames`))
		// The full renders: the first ones, and those once the view rests.
		time.Sleep(300 * time.Millisecond)
		renders, _ := chromedp.Run(bctx, chromedp.Evaluate[[]float64](`noc.map.renderMs`))
		blits, _ := chromedp.Run(bctx, chromedp.Evaluate[[]float64](`noc.map.blitMs`))
		slices.Sort(renders)
		slices.Sort(blits)
		m, err := heap(bctx)
		if err != nil {
			b.Fatal(err)
		}
		if after-before < 10 {
			b.Errorf("panning drew %d frames, want one per mouse move or so", after-before)
		}
		if len(blits) == 0 || len(renders) == 0 {
			b.Fatalf("no frames timed: %d full renders, %d moving frames", len(renders), len(blits))
		}
		perMove := panned / 62
		b.ReportMetric(first, "ms-first-render")
		b.ReportMetric(coloured, "ms-state-drawn")
		b.ReportMetric(m/1e6, "MB-js-heap")
		b.ReportMetric(float64(perMove.Microseconds())/1000, "ms-per-pan-move")
		b.ReportMetric(renders[len(renders)/2], "ms-full-render-p50")
		b.ReportMetric(float64(mapBytes+stateBytes)/1e6, "MB-sent")
		b.Logf("map %d kB, state %d kB (before gzip)", mapBytes/1000, stateBytes/1000)
		b.Logf("%d sites, %d cables: first render %.0f ms after navigation, state drawn at %.0f ms, JS heap %.1f MB; 62 mouse events of a drag in %s (%s each, %d frames, moving frame p50 %.2f ms max %.2f ms); full render p50 %.1f ms max %.1f ms (%d)",
			counts[0], counts[1], first, coloured, m/1e6, panned.Round(time.Millisecond), perMove.Round(100*time.Microsecond), after-before,
			blits[len(blits)/2], blits[len(blits)-1], renders[len(renders)/2], renders[len(renders)-1], len(renders))
		bcancel()
	}
}

// heap is the page's used JS heap in bytes (Performance.getMetrics).
func heap(ctx context.Context) (float64, error) {
	return chromedp.Run(ctx, func(ctx context.Context, t *chromedp.Target) (float64, error) {
		r, err := cdp.Call(ctx, t, performance.GetMetrics, cdp.Empty{})
		if err != nil {
			return 0, err
		}
		for _, m := range r.Metrics {
			if m.Name == "JSHeapUsedSize" {
				return m.Value, nil
			}
		}
		return 0, fmt.Errorf("no JSHeapUsedSize among %d metrics", len(r.Metrics))
	})
}

func size(b *testing.B, u string) int {
	resp, err := http.Get(u)
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	n, err := io.Copy(io.Discard, resp.Body)
	if err != nil {
		b.Fatal(err)
	}
	return int(n)
}

// keepScreenshot saves the page as $TUYAU_TEST_ARTIFACTS/noc/name.png
// (testdata/artifacts/noc by default, ignored by git), and in docs/img
// with TUYAU_DOCS_SCREENSHOTS=1.
func keepScreenshot(b *testing.B, ctx context.Context, name string) {
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		b.Fatal(err)
	}
	dir := os.Getenv("TUYAU_TEST_ARTIFACTS")
	if dir == "" {
		dir = filepath.Join("testdata", "artifacts")
	}
	dirs := []string{filepath.Join(dir, "noc")}
	if os.Getenv("TUYAU_DOCS_SCREENSHOTS") != "" {
		dirs = append(dirs, filepath.Join("..", "..", "docs", "img"))
	}
	for _, d := range dirs {
		if err := os.MkdirAll(d, 0o755); err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(d, name+".png"), png, 0o644); err != nil {
			b.Fatal(err)
		}
	}
}
