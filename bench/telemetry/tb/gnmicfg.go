package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	gpb "github.com/openconfig/gnmi/proto/gnmi"
	tpb "github.com/openconfig/gnmi/proto/target"
	"google.golang.org/protobuf/encoding/prototext"

	"github.com/tuyau-net/tuyau/inventory/yamlstore"
	"github.com/tuyau-net/tuyau/telemetry"
	"github.com/tuyau-net/tuyau/topology"
)

// labStatus is the part of "tuyau lab status -o json" the bench reads.
type labStatus struct {
	User  string `json:"user"`
	Ports struct {
		GNMI int `json:"gnmi"`
	} `json:"ports"`
	Devices []struct {
		Name string `json:"name"`
		Addr string `json:"addr"`
	} `json:"devices"`
}

// gnmiConfig prints gnmi_collector's configuration (a target.Configuration
// in proto text): one target per device tuyau collects from, each with
// exactly the SubscribeRequest tuyau sends it, so both collectors receive
// the same notifications from the lab.
func gnmiConfig(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("gnmicfg", flag.ContinueOnError)
	inv := fs.String("i", "", "inventory file")
	statusFile := fs.String("status", "", "tuyau lab status -o json output")
	pwFile := fs.String("password", "", "the lab's password file")
	interval := fs.Duration("interval", 10*time.Second, "SAMPLE interval of counters and optics")
	if err := fs.Parse(args); err != nil {
		return err
	}
	b, err := os.ReadFile(*statusFile)
	if err != nil {
		return err
	}
	var st labStatus
	if err := json.Unmarshal(b, &st); err != nil {
		return fmt.Errorf("%s: %w", *statusFile, err)
	}
	pw, err := os.ReadFile(*pwFile)
	if err != nil {
		return err
	}
	snap, err := yamlstore.Open(*inv).Load(ctx)
	if err != nil {
		return err
	}
	topo, err := topology.Build(snap, topology.Options{})
	if err != nil {
		return err
	}
	po := telemetry.PlanOptions{Addresses: map[string]string{},
		Intervals: map[telemetry.PathClass]time.Duration{telemetry.ClassCounters: *interval, telemetry.ClassOptics: *interval}}
	for _, d := range st.Devices {
		po.Addresses[d.Name] = net.JoinHostPort(d.Addr, strconv.Itoa(st.Ports.GNMI))
	}
	ts, err := telemetry.PlanTargets(snap, topo, po)
	if err != nil {
		return err
	}
	cfg := &tpb.Configuration{Request: map[string]*gpb.SubscribeRequest{}, Target: map[string]*tpb.Target{}}
	for _, t := range ts {
		if t.Address == "" {
			continue
		}
		req, err := t.SubscribeRequest()
		if err != nil {
			return err
		}
		cfg.Request[t.Name] = req
		cfg.Target[t.Name] = &tpb.Target{Addresses: []string{t.Address}, Request: t.Name,
			Credentials: &tpb.Credentials{Username: st.User, Password: strings.TrimSpace(string(pw))}}
	}
	out, err := prototext.MarshalOptions{Multiline: true}.Marshal(cfg)
	if err != nil {
		return err
	}
	_, err = os.Stdout.Write(out)
	return err
}
