package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/tuyau-net/tuyau/telemetry/web"
)

type webOpts struct {
	readerOpts
	Listen    string
	TokenFile string
	TileURL   string
	Interval  time.Duration
	By        string

	// What "tuyau serve" sets (no flags): the part's logger (nil: one on
	// stderr), the speakers' API addresses replacing the inventory's (a
	// speaker run in a lab), and ready, called once it listens.
	log  *slog.Logger
	apis map[string]string
	// lab, when set (--lab), is the virtual lab whose speakers ("tuyau bgp
	// serve --lab") the hosting header reads: their API sockets are in the
	// lab's directory, not at the inventory's api:.
	lab   labOpts
	ready func(url string)
}

func newWebCmd(d *deps) *cobra.Command {
	var o webOpts
	c := &cobra.Command{Use: "web", Short: "Live web NOC: the fiber map, alarms, links and member sites, from the sink",
		Long: `Serves a live web NOC: a map of the sites and cables coloured by state
and utilization (width by capacity, a cut duct highlighted), the alarm
list with acknowledgement, a page per link (both ends, cables, ducts, Rx
power against the budget, history) and per member site (its routes to
both core sites, its current state, and its availability over the last
24 h or 30 d with its outages and their causes, computed from the
state-change history as "tuyau report availability" does). It reads a running collector's HTTP API (--collector) or
Redis (--redis), never a collector's memory, and updates the browser over
Server-Sent Events. Every asset is in the binary: no internet needed.

It listens on loopback by default. To listen elsewhere set a token
(TUYAU_WEB_TOKEN or --token-file): every request then needs it, through
the /login page or "Authorization: Bearer TOKEN".`,
		Example: `  tuyau web -i examples/manche
  tuyau web -i examples/manche --redis redis://127.0.0.1:6379
  TUYAU_WEB_TOKEN=$(cat /etc/tuyau/web.token) tuyau web -i inv --listen 0.0.0.0:9380`,
		Args: cobra.NoArgs, SilenceUsage: true,
		RunE: func(c *cobra.Command, _ []string) error { return runWeb(c.Context(), d, o) }}
	o.flags(c, d)
	_ = c.Flags().MarkHidden("output")
	o.webFlags(c.Flags(), d)
	c.Flags().StringVar(&o.lab.Name, "lab", "", "read the BGP speakers of this virtual lab (tuyau bgp serve --lab): their API sockets in the lab's directory")
	c.Flags().StringVar(&o.lab.Dir, "lab-dir", "", "directory of the labs' state (env TUYAU_LAB_DIR)")
	c.AddCommand(newWebScreenshotCmd(d))
	return c
}

// webFlags registers web's own flags on f (the reader's aside); "tuyau
// serve" starts from their defaults on a throwaway set.
func (o *webOpts) webFlags(f *pflag.FlagSet, d *deps) {
	f.StringVar(&o.Listen, "listen", envOr(d, "TUYAU_WEB_LISTEN", web.DefaultListen), "address to serve on (env TUYAU_WEB_LISTEN); beyond loopback a token is required")
	f.StringVar(&o.TokenFile, "token-file", "", "file holding the access token (first line); TUYAU_WEB_TOKEN wins")
	f.StringVar(&o.TileURL, "tile-url", d.getenv("TUYAU_WEB_TILES"), "base-map tiles, https://host/{z}/{x}/{y}.png (env TUYAU_WEB_TILES); none: a plain background")
	f.DurationVar(&o.Interval, "interval", 500*time.Millisecond, "how often to read the sink")
	f.StringVar(&o.By, "by", "", "default name of acknowledgements (default TUYAU_USER or the login name)")
}

// webToken is TUYAU_WEB_TOKEN or the token file's first line; a token
// file without one is an error, not an open server.
func webToken(d *deps, file string) (string, error) {
	t, err := envOrFileToken(d, "TUYAU_WEB_TOKEN", file)
	if err == nil && t == "" && file != "" {
		return "", fmt.Errorf("--token-file %s: empty", file)
	}
	return t, err
}

func runWeb(ctx context.Context, d *deps, o webOpts) error {
	o.Output = "table"
	tok, err := webToken(d, o.TokenFile)
	if err != nil {
		return err
	}
	if err := web.CheckListen(o.Listen, tok); err != nil {
		return err
	}
	snap, err := d.loadInventory(ctx)
	if err != nil {
		return err
	}
	r, done, err := o.open(d)
	if err != nil {
		return err
	}
	defer done()
	by := o.By
	if by == "" {
		by = whoami(d)
	}
	log := o.log
	if log == nil {
		log = slog.New(slog.NewTextHandler(d.stderr, nil))
	}
	if o.lab.Name != "" {
		st, err := o.lab.running(ctx, d)
		if err != nil {
			return err
		}
		l := &bgpLab{st: st}
		o.apis = map[string]string{}
		for _, sp := range snap.Speakers {
			o.apis[sp.Name] = l.api(sp.Name)
		}
	}
	sv, err := newSpeakerView(ctx, snap, o.apis)
	if err != nil {
		return err
	}
	defer sv.Close()
	histFrom := "Redis"
	if o.Redis == "" {
		histFrom = "collector " + o.Collector
	}
	s, err := web.New(web.Options{Source: r, Acker: r, BGP: sv, Inventory: snap, Token: tok, TileURL: o.TileURL, User: by,
		HistoryName: histFrom, Interval: o.Interval, Logger: log})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", o.Listen)
	if err != nil {
		return fmt.Errorf("--listen %s: %w", o.Listen, err)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// The base context ends the event streams when we stop.
	srv := &http.Server{Handler: s, ReadHeaderTimeout: 5 * time.Second, BaseContext: func(net.Listener) context.Context { return ctx }}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	log.Info("web NOC listening", "addr", "http://"+ln.Addr().String(), "token", tok != "")
	if o.ready != nil {
		o.ready("http://" + ln.Addr().String())
	}
	err = s.Run(ctx)
	cancel()
	sctx, scancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer scancel()
	_ = srv.Shutdown(sctx)
	if serr := <-served; serr != nil && !errors.Is(serr, http.ErrServerClosed) {
		err = errors.Join(err, serr)
	}
	return err
}
