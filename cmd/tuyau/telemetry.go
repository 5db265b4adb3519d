package main

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/tuyau-net/tuyau/telemetry"
	"github.com/tuyau-net/tuyau/telemetry/sink/redis"
)

func newTelemetryCmd(d *deps) *cobra.Command {
	c := &cobra.Command{
		Use:   "telemetry",
		Short: "Stream gNMI from the inventory's devices; show targets, links and alarms",
		Long: `telemetry collect subscribes to every device with the gnmi transport, with
paths computed from the inventory (docs/telemetry.md), and serves what it
holds over a local HTTP API. The other commands read a running collector
(--collector URL) or Redis (--redis URL).`,
	}
	c.AddCommand(newTelemetryCollectCmd(d), newTelemetryTargetsCmd(d), newTelemetryLinksCmd(d),
		newTelemetryAlarmsCmd(d), newTelemetryAckCmd(d))
	return c
}

// readerOpts choose where the read commands read: a collector's HTTP API
// or Redis.
type readerOpts struct {
	Collector string
	Redis     string
	Network   string
	Output    string
}

func (o *readerOpts) flags(c *cobra.Command, d *deps) {
	c.Flags().StringVar(&o.Collector, "collector", envOr(d, "TUYAU_COLLECTOR", "http://"+telemetry.DefaultListen), "running collector's HTTP API (env TUYAU_COLLECTOR)")
	c.Flags().StringVar(&o.Redis, "redis", d.getenv("TUYAU_REDIS_URL"), "read Redis instead: redis://host:port or redis-sentinel://h1,h2/master (env TUYAU_REDIS_URL; password TUYAU_REDIS_PASSWORD)")
	c.Flags().StringVar(&o.Network, "network", "", "network name of the Redis keys (default: the inventory's, else default)")
	c.Flags().StringVarP(&o.Output, "output", "o", "table", "table|json")
}

// telemetryReader is what the read commands need.
type telemetryReader interface {
	telemetry.Reader
	telemetry.Acker
}

func (o *readerOpts) open(d *deps) (telemetryReader, func(), error) {
	if err := checkFormat(o.Output, "table", "json"); err != nil {
		return nil, nil, err
	}
	if o.Redis != "" {
		c, err := redis.ParseURL(o.Redis, d.getenv("TUYAU_REDIS_PASSWORD"))
		if err != nil {
			return nil, nil, err
		}
		net := o.Network
		if net == "" {
			if s, err := d.loadInventory(context.Background()); err == nil {
				net = s.Network.Name
			}
		}
		return redis.NewReader(c, net), func() { c.Close() }, nil
	}
	if o.Collector == "" {
		return nil, nil, fmt.Errorf("no collector: give --collector URL or --redis URL")
	}
	tok, _ := apiToken(d, "")
	return telemetry.NewHTTPReader(o.Collector, telemetry.WithToken(tok)), func() {}, nil
}

// hintEmpty says on stderr, when Redis gave no `what` under the network
// read, which networks Redis does hold: a reader without -i or --network
// reads the embedded inventory's network, which is rarely the collector's.
// It is a hint only: an error finding the networks is not the command's.
func hintEmpty(ctx context.Context, d *deps, r telemetryReader, what string) {
	rr, ok := r.(*redis.Reader)
	if !ok {
		return
	}
	if known, err := rr.HasNetwork(ctx); err != nil || known {
		return // the network is there and simply has none
	}
	nets, err := rr.Networks(ctx)
	if err != nil || slices.Contains(nets, rr.Network()) {
		return
	}
	if len(nets) == 0 {
		fmt.Fprintf(d.stderr, "no %s: Redis holds no tuyau network (is a collector writing to it with --redis?)\n", what)
		return
	}
	fmt.Fprintf(d.stderr, "no %s under network %q in Redis, which holds %s: give --network NAME or -i INVENTORY\n", what, rr.Network(), strings.Join(nets, ", "))
}
