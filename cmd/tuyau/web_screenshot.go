package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/spf13/cobra"
)

type webShotOpts struct {
	Out      string
	Chromium string
	Width    int
	Height   int
	Wait     time.Duration
	Settle   time.Duration
}

func newWebScreenshotCmd(d *deps) *cobra.Command {
	var o webShotOpts
	c := &cobra.Command{Use: "screenshot URL", Short: "Save a PNG of a running web NOC once its live state is drawn (headless Chromium)",
		Long: `Opens URL (a running "tuyau web") in a headless Chromium, waits until the map
is drawn with the sink's state (the page's first state event applied), and
saves the window as a PNG: for a shift report, a ticket, or a check that the
wall screen shows what the sink holds. For a web NOC without a token (on
loopback): one with a token sends the browser to /login.`,
		Example: `  tuyau web screenshot http://127.0.0.1:9380/ --out noc.png
  tuyau web screenshot 'http://127.0.0.1:9380/#/site/brecey-mairie' --out brecey.png`,
		Args: cobra.ExactArgs(1), SilenceUsage: true,
		RunE: func(c *cobra.Command, args []string) error { return runWebScreenshot(c.Context(), d, o, args[0]) }}
	c.Flags().StringVar(&o.Out, "out", "noc.png", "PNG file to write")
	c.Flags().StringVar(&o.Chromium, "chromium", "", "Chromium binary (default: chromium, chromium-browser or google-chrome on PATH)")
	c.Flags().IntVar(&o.Width, "width", 1600, "window width")
	c.Flags().IntVar(&o.Height, "height", 1000, "window height")
	c.Flags().DurationVar(&o.Wait, "wait", 30*time.Second, "how long to wait for the state to be drawn")
	c.Flags().DurationVar(&o.Settle, "settle", 500*time.Millisecond, "time left after the state is drawn (the map's next frames)")
	return c
}

func runWebScreenshot(ctx context.Context, d *deps, o webShotOpts, url string) error {
	bin := o.Chromium
	if bin == "" {
		for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
			if p, err := exec.LookPath(name); err == nil {
				bin = p
				break
			}
		}
	}
	if bin == "" {
		return errors.New("no Chromium found (apt-get install chromium, or --chromium PATH)")
	}
	ctx, cancel := context.WithTimeout(ctx, o.Wait+30*time.Second)
	defer cancel()
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(bin), chromedp.NoSandbox,
		chromedp.WindowSize(o.Width, o.Height), chromedp.Flag("disable-gpu", true), chromedp.Flag("disable-dev-shm-usage", true))
	actx, acancel := chromedp.NewExecAllocator(ctx, opts...)
	defer acancel()
	bctx, bcancel := chromedp.NewContext(actx)
	defer bcancel()
	if err := chromedp.Do(bctx, chromedp.Navigate(url)); err != nil {
		return fmt.Errorf("chromium %s: open %s: %w", bin, url, err)
	}
	// The page sets noc.ready once the map is drawn and holds the state
	// the event stream sent; the header's "connecting" pill goes then.
	const drawn = `!!(window.noc && noc.ready === true && noc.state && noc.state.links && Object.keys(noc.state.links).length > 0)`
	deadline := time.Now().Add(o.Wait)
	for {
		ok, err := chromedp.Run(bctx, chromedp.Evaluate[bool](drawn))
		if err == nil && ok {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s: the state was not drawn within %s (is tuyau web reading a running sink?)", url, o.Wait)
		}
		time.Sleep(100 * time.Millisecond)
	}
	time.Sleep(o.Settle)
	png, err := chromedp.Run(bctx, chromedp.CaptureScreenshot())
	if err != nil {
		return fmt.Errorf("%s: screenshot: %w", url, err)
	}
	if err := os.WriteFile(o.Out, png, 0o644); err != nil {
		return fmt.Errorf("screenshot: %w", err)
	}
	fmt.Fprintf(d.stdout, "%s: %d bytes, %dx%d\n", o.Out, len(png), o.Width, o.Height)
	return nil
}
