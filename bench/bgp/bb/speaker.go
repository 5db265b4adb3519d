package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	_ "net/http/pprof" // profiles of the receiver under load: PROFILE=1 in bench/bgp/run
	"net/netip"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/tuyau-net/tuyau/bgp"
)

// hostingPrefix is the hosting service's prefix the monitor owns (origin
// ours); the hijack is hostingHijack from the feeder's AS.
var (
	hostingPrefix = netip.MustParsePrefix("198.51.100.0/24")
	hostingHijack = netip.MustParsePrefix("198.51.100.128/25")
)

// stats is what the speaker's /stats answers: the monitor's counters and
// each alarm raised, with the time it was handed to the alarm sink.
type stats struct {
	Monitor bool             `json:"monitor"`
	Stats   bgp.MonitorStats `json:"stats"`
	Alarms  []alarmSeen      `json:"alarms"`
}

type alarmSeen struct {
	Rule   string    `json:"rule"`
	Object string    `json:"object"`
	Active bool      `json:"active"`
	Time   time.Time `json:"time"`
}

func speaker(args []string) error {
	fs := flag.NewFlagSet("speaker", flag.ContinueOnError)
	listen := fs.String("listen", "127.0.0.21", "BGP address")
	port := fs.Int("port", 0, "BGP port")
	apiAddr := fs.String("api", "", "GoBGP gRPC API (loopback host:port)")
	peer := fs.String("peer", "127.0.0.10", "feeder address")
	peerPort := fs.Int("peer-port", 0, "feeder BGP port")
	peerASN := fs.Uint("peer-asn", 65001, "feeder AS")
	statsAddr := fs.String("stats", "", "HTTP address for /stats and /debug/pprof")
	monitor := fs.Bool("monitor", true, "run the route monitor")
	members := fs.Int("members", 1000, "member LANs of ours among the feed (monitor)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	cfg := bgp.Config{Name: "bench", ASN: 65000, RouterID: netip.MustParseAddr("10.255.9.21"), Site: "dc1",
		Listen: netip.MustParseAddr(*listen), Port: *port, API: *apiAddr,
		Peers: []bgp.PeerConfig{{Device: "feeder", Address: netip.MustParseAddr(*peer), ASN: uint32(*peerASN),
			Port: *peerPort, Passive: true, HoldTime: 90, Keepalive: 30}}}
	var (
		mu   sync.Mutex
		seen []alarmSeen
	)
	opts := []bgp.Option{bgp.WithLogger(log)}
	var mon *bgp.Monitor
	if *monitor {
		mc := bgp.MonitorConfig{Speaker: cfg.Name, ASN: cfg.ASN, MissingGrace: time.Hour,
			Devices: map[netip.Addr]string{cfg.Peers[0].Address: "feeder"}}
		for i := range *members {
			mc.Prefixes = append(mc.Prefixes, bgp.OwnedPrefix{Prefix: v4prefix(i), Kind: bgp.KindMemberLAN,
				Site: fmt.Sprintf("member-%d", i), Origins: []uint32{uint32(*peerASN)}, Required: true})
		}
		mc.Prefixes = append(mc.Prefixes, bgp.OwnedPrefix{Prefix: hostingPrefix, Kind: bgp.KindHosting,
			Service: "hosting", Origins: []uint32{cfg.ASN}})
		mon = bgp.NewMonitor(mc, func(a bgp.Alarm) {
			now := time.Now()
			mu.Lock()
			seen = append(seen, alarmSeen{Rule: a.Rule, Object: a.Object, Active: a.Active, Time: now})
			mu.Unlock()
		}, bgp.WithMonitorLogger(log))
		opts = append(opts, bgp.WithMonitor(mon))
	}
	if *statsAddr != "" {
		ln, err := net.Listen("tcp", *statsAddr)
		if err != nil {
			return fmt.Errorf("stats %s: %w", *statsAddr, err)
		}
		http.HandleFunc("/stats", func(w http.ResponseWriter, _ *http.Request) {
			st := stats{Monitor: mon != nil}
			if mon != nil {
				st.Stats = mon.Stats()
			}
			mu.Lock()
			st.Alarms = append(st.Alarms, seen...)
			mu.Unlock()
			json.NewEncoder(w).Encode(st)
		})
		srv := &http.Server{ReadHeaderTimeout: 5 * time.Second}
		go srv.Serve(ln)
		defer srv.Close()
	}
	return bgp.NewSpeaker(cfg, opts...).Serve(ctx)
}
