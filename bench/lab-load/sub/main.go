// Command sub subscribes to every device of a running lab as a telemetry
// collector would (counters and optics SAMPLE, oper-status ON_CHANGE, over
// TLS with the lab's CA and password) and prints, as JSON, how many leaves
// per second it received over the measured window. It is the load of
// bench/lab-load: what the lab serves, not what a collector makes of it.
//
//	tuyau lab status -o json > status.json
//	sub -status status.json -dir LABDIR -interval 1s -warmup 15s -measure 60s
package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	gpb "github.com/openconfig/gnmi/proto/gnmi"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
)

type labStatus struct {
	User   string `json:"user"`
	GNMICA string `json:"gnmi_ca"`
	Ports  struct {
		GNMI int `json:"gnmi"`
	} `json:"ports"`
	Devices []struct {
		Name  string `json:"name"`
		Addr  string `json:"addr"`
		Role  string `json:"role"`
		Alive bool   `json:"alive"`
	} `json:"devices"`
}

type result struct {
	Targets       int     `json:"targets"`
	Connected     int64   `json:"connected"`
	Interval      string  `json:"interval"`
	MeasuredSecs  float64 `json:"measured_s"`
	Leaves        int64   `json:"leaves"`
	LeavesPerSec  float64 `json:"leaves_per_s"`
	Notifications int64   `json:"notifications"`
	Errors        int64   `json:"errors"`
	FirstError    string  `json:"first_error,omitempty"`
	// ExpectedPerSec is what the subscriptions promise: the sampled leaves
	// of every device's initial sync, once per interval.
	ExpectedPerSec float64 `json:"expected_leaves_per_s"`
	// LagP99Ms is the 99th percentile of receive time minus notification
	// timestamp over the window: a lab that cannot keep up lags.
	LagP99Ms float64 `json:"lag_p99_ms"`
}

func main() {
	statusFile := flag.String("status", "", "tuyau lab status -o json output")
	dir := flag.String("dir", "", "lab directory (password file)")
	interval := flag.Duration("interval", time.Second, "sample interval of counters and optics")
	warmup := flag.Duration("warmup", 15*time.Second, "time to connect and sync before measuring")
	measure := flag.Duration("measure", 60*time.Second, "measured window")
	limit := flag.Int("targets", 0, "subscribe to the first N devices only (0: all)")
	flag.Parse()
	if err := run(*statusFile, *dir, *interval, *warmup, *measure, *limit); err != nil {
		fmt.Fprintln(os.Stderr, "sub:", err)
		os.Exit(1)
	}
}

func run(statusFile, dir string, interval, warmup, measure time.Duration, limit int) error {
	b, err := os.ReadFile(statusFile)
	if err != nil {
		return err
	}
	var st labStatus
	if err := json.Unmarshal(b, &st); err != nil {
		return fmt.Errorf("%s: %w", statusFile, err)
	}
	pw, err := os.ReadFile(filepath.Join(dir, "password"))
	if err != nil {
		return err
	}
	creds := insecure.NewCredentials()
	if st.GNMICA != "" {
		pem, err := os.ReadFile(st.GNMICA)
		if err != nil {
			return err
		}
		pool := x509.NewCertPool()
		pool.AppendCertsFromPEM(pem)
		creds = credentials.NewTLS(&tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12})
	}
	ctx, cancel := context.WithTimeout(context.Background(), warmup+measure+10*time.Second)
	defer cancel()
	ctx = metadata.AppendToOutgoingContext(ctx, "username", st.User, "password", strings.TrimSpace(string(pw)))

	var measuring atomic.Bool
	var leaves, notes, errs, connected, sampled atomic.Int64
	var mu sync.Mutex
	var firstErr string
	lags := make([]int64, 0, 1<<20)
	var wg sync.WaitGroup
	n := 0
	for _, d := range st.Devices {
		if d.Role == "transit" || (limit > 0 && n >= limit) {
			continue
		}
		n++
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := subscribe(ctx, d.Addr, st.Ports.GNMI, creds, interval, &connected, &sampled, func(nt *gpb.Notification) {
				if !measuring.Load() {
					return
				}
				leaves.Add(int64(len(nt.GetUpdate())))
				notes.Add(1)
				lag := time.Now().UnixNano() - nt.GetTimestamp()
				mu.Lock()
				if len(lags) < cap(lags) {
					lags = append(lags, lag)
				}
				mu.Unlock()
			})
			if err != nil && ctx.Err() == nil {
				errs.Add(1)
				mu.Lock()
				if firstErr == "" {
					firstErr = d.Name + ": " + err.Error()
				}
				mu.Unlock()
			}
		}()
	}
	time.Sleep(warmup)
	start := time.Now()
	measuring.Store(true)
	time.Sleep(measure)
	measuring.Store(false)
	el := time.Since(start).Seconds()
	cancel()
	wg.Wait()
	r := result{Targets: n, Connected: connected.Load(), Interval: interval.String(), MeasuredSecs: el,
		Leaves: leaves.Load(), LeavesPerSec: float64(leaves.Load()) / el, Notifications: notes.Load(),
		Errors: errs.Load(), FirstError: firstErr, LagP99Ms: p99(lags) / 1e6,
		ExpectedPerSec: float64(sampled.Load()) / interval.Seconds()}
	return json.NewEncoder(os.Stdout).Encode(r)
}

func subscribe(ctx context.Context, addr string, port int, creds credentials.TransportCredentials, interval time.Duration, connected, sampled *atomic.Int64, got func(*gpb.Notification)) error {
	cc, err := grpc.NewClient(fmt.Sprintf("%s:%d", addr, port), grpc.WithTransportCredentials(creds))
	if err != nil {
		return err
	}
	defer cc.Close()
	stream, err := gpb.NewGNMIClient(cc).Subscribe(ctx)
	if err != nil {
		return err
	}
	path := func(s ...string) *gpb.Path {
		p := &gpb.Path{}
		for _, e := range s {
			name, key, _ := strings.Cut(e, "[")
			pe := &gpb.PathElem{Name: name}
			if key != "" {
				k, v, _ := strings.Cut(strings.TrimSuffix(key, "]"), "=")
				pe.Key = map[string]string{k: v}
			}
			p.Elem = append(p.Elem, pe)
		}
		return p
	}
	iv := uint64(interval)
	req := &gpb.SubscribeRequest{Request: &gpb.SubscribeRequest_Subscribe{Subscribe: &gpb.SubscriptionList{
		Mode: gpb.SubscriptionList_STREAM, Encoding: gpb.Encoding_PROTO,
		Subscription: []*gpb.Subscription{
			{Path: path("interfaces", "interface[name=*]", "state", "counters"), Mode: gpb.SubscriptionMode_SAMPLE, SampleInterval: iv},
			{Path: path("components", "component[name=*]", "transceiver", "physical-channels", "channel[index=*]", "state"), Mode: gpb.SubscriptionMode_SAMPLE, SampleInterval: iv},
			{Path: path("interfaces", "interface[name=*]", "state", "oper-status"), Mode: gpb.SubscriptionMode_ON_CHANGE, HeartbeatInterval: uint64(60 * time.Second)},
		},
	}}}
	if err := stream.Send(req); err != nil {
		return err
	}
	synced := false
	for {
		r, err := stream.Recv()
		if err != nil {
			return err
		}
		if r.GetSyncResponse() && !synced {
			synced = true
			connected.Add(1)
		}
		if u := r.GetUpdate(); u != nil {
			if !synced {
				for _, up := range u.GetUpdate() {
					if el := up.GetPath().GetElem(); len(el) == 0 || el[len(el)-1].GetName() != "oper-status" {
						sampled.Add(1)
					}
				}
			}
			got(u)
		}
	}
}

func p99(xs []int64) float64 {
	if len(xs) == 0 {
		return 0
	}
	// A partial selection would do; a sort of a million is quick enough.
	s := append([]int64(nil), xs...)
	sortInts(s)
	return float64(s[len(s)*99/100])
}

func sortInts(s []int64) { slices.Sort(s) }
