package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/tuyau-net/tuyau/telemetry"
)

// Run is one measured run: one lab size, both collectors streaming from it
// at once. Every figure is over the measured window only.
type Run struct {
	Size       int        `json:"size"`     // lab devices (targets)
	Ports      int        `json:"ports"`    // monitored interfaces per device
	Interval   string     `json:"interval"` // SAMPLE interval
	Flush      string     `json:"flush"`    // tuyau --flush
	Pinning    string     `json:"pinning"`  // how tuyau was confined
	Started    time.Time  `json:"started"`  // window start
	Seconds    float64    `json:"seconds"`  // window length
	LoadAvg    [3]float64 `json:"loadavg"`  // /proc/loadavg at the window's start
	LoadAvgEnd [3]float64 `json:"loadavg_end"`

	Targets   int `json:"targets"`
	Connected int `json:"connected"`
	// Leaves are what tuyau received in the window (TargetHealth.Leaves
	// deltas); both collectors carry the same subscriptions, so it is the
	// denominator of both CPU figures.
	Leaves       uint64  `json:"leaves"`
	LeavesPerSec float64 `json:"leaves_per_s"`
	// Expected and Received are the gap ledger's sample counts (objects,
	// not leaves) over the window; NewGaps the slots missed in it.
	Expected uint64 `json:"expected"`
	Received uint64 `json:"received"`
	NewGaps  uint64 `json:"new_gaps"`

	Tuyau Proc  `json:"tuyau"`
	Peer  *Proc `json:"gnmi_collector,omitempty"`
	Lab   Proc  `json:"lab"`

	Delay Delay `json:"delay"`
	// Arrival is the first leg of Delay: notification timestamp to
	// tuyau's receive (TargetHealth.Delay's histograms over the window),
	// the lab's queue and the network; the rest is tuyau and Redis.
	Arrival Arrival `json:"arrival"`
	// KeepsUp: every target connected, no gap in the window and the delay
	// not growing (last third's p99 within 1.5x + 50 ms of the first's).
	KeepsUp bool   `json:"keeps_up"`
	Why     string `json:"why,omitempty"`
	// GC is tuyau's garbage collector over the window (/api/v1/runtime).
	GC *GCFigures `json:"gc,omitempty"`
}

// GCFigures: the collections tuyau's runtime ran in the window, and the
// heap the last one marked (what holds pointers: the mark's work) and
// found live, at the end (telemetry.RuntimeStats).
type GCFigures struct {
	Cycles      float64 `json:"cycles"`
	ScanHeapMiB float64 `json:"scan_heap_mib"`
	LiveHeapMiB float64 `json:"live_heap_mib"`
}

// Proc is one process's cost over the window, from /proc.
type Proc struct {
	PID int `json:"pid"`
	// CPUSeconds is utime+stime of the process (all its threads) over the
	// window; Cores that over the window's length.
	CPUSeconds   float64 `json:"cpu_s"`
	Cores        float64 `json:"cores"`
	CPUPerMLeaf  float64 `json:"cpu_s_per_million_updates"`
	RSSMiB       float64 `json:"rss_mib"` // VmRSS at the end
	HWMMiB       float64 `json:"hwm_mib"` // VmHWM (peak RSS) at the end
	RSSKiBTarget float64 `json:"rss_kib_per_target"`
	HWMKiBTarget float64 `json:"hwm_kib_per_target"`
	// RunWait is the share of the window its threads spent runnable but
	// waiting for a CPU, summed over threads (0.5: half a thread's worth
	// of waiting): how much the machine, not the process, set its pace.
	RunWait float64 `json:"run_queue_wait"`
}

// Delay is Redis's clock at the XADD of an interface history entry (the
// entry id) minus the notification timestamp the entry carries (ts), in
// ms, over the entries written in the window.
type Delay struct {
	Entries int     `json:"entries"`
	P50     float64 `json:"p50_ms"`
	P99     float64 `json:"p99_ms"`
	Max     float64 `json:"max_ms"`
	// P99First and P99Last are the first and last thirds' p99: a
	// collector that falls behind shows a growing delay.
	P99First float64 `json:"p99_first_third_ms"`
	P99Last  float64 `json:"p99_last_third_ms"`
}

// Arrival is estimated from the targets' delay histograms summed over the
// window: a quantile interpolates within its bucket, as PromQL's
// histogram_quantile does, so it is as coarse as DelayBounds.
type Arrival struct {
	Notifications uint64  `json:"notifications"`
	MeanMs        float64 `json:"mean_ms"`
	P50           float64 `json:"p50_ms"`
	P99           float64 `json:"p99_ms"`
	Over10s       uint64  `json:"over_10s"`
}

// arrival sums the delay histograms' growth from h0 to h1 per target.
func arrival(h0, h1 []telemetry.TargetHealth) Arrival {
	before := map[string]telemetry.ArrivalDelay{}
	for _, h := range h0 {
		before[h.Name] = h.Delay
	}
	var cum [telemetry.DelayBuckets]uint64
	var n uint64
	var sum float64
	for _, h := range h1 {
		b := before[h.Name]
		if h.Delay.Count < b.Count {
			continue // not the same collector's counts
		}
		n += h.Delay.Count - b.Count
		sum += h.Delay.SumSeconds - b.SumSeconds
		for i := range cum {
			cum[i] += h.Delay.Buckets[i] - b.Buckets[i]
		}
	}
	a := Arrival{Notifications: n}
	if n == 0 {
		return a
	}
	a.MeanMs = sum / float64(n) * 1000
	a.Over10s = n - cum[len(cum)-1]
	a.P50, a.P99 = bucketQuantile(0.5, cum, n), bucketQuantile(0.99, cum, n)
	return a
}

// bucketQuantile interpolates the q quantile, in ms, within the bucket that
// holds it; beyond the last bound it is the last bound.
func bucketQuantile(q float64, cum [telemetry.DelayBuckets]uint64, n uint64) float64 {
	bounds := telemetry.DelayBounds()
	rank := q * float64(n)
	lo, below := 0.0, uint64(0)
	for i, c := range cum {
		if float64(c) >= rank {
			in := c - below
			if in == 0 {
				return bounds[i] * 1000
			}
			return (lo + (bounds[i]-lo)*(rank-float64(below))/float64(in)) * 1000
		}
		lo, below = bounds[i], c
	}
	return bounds[len(bounds)-1] * 1000
}

type procSample struct {
	ticks    uint64
	rss, hwm uint64 // KiB
	wait     uint64 // ns its threads spent runnable, waiting for a CPU (schedstat)
}

// runWait sums the run-queue wait of a process's threads
// (/proc/PID/task/TID/schedstat, second field, ns). A thread that ended
// in the window takes its wait with it: the figure is a lower bound, good
// enough for Go's long-lived threads.
func runWait(pid int) uint64 {
	dirs, err := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
	if err != nil {
		return 0
	}
	var sum uint64
	for _, d := range dirs {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%s/schedstat", pid, d.Name()))
		if err != nil {
			continue
		}
		if f := strings.Fields(string(b)); len(f) >= 2 {
			n, _ := strconv.ParseUint(f[1], 10, 64)
			sum += n
		}
	}
	return sum
}

func readProc(pid int) (procSample, error) {
	var s procSample
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return s, err
	}
	// Fields after the command name, which is in parentheses and may hold
	// spaces: state is field 3, utime 14, stime 15.
	rest := string(b[strings.LastIndexByte(string(b), ')')+2:])
	f := strings.Fields(rest)
	if len(f) < 13 {
		return s, fmt.Errorf("/proc/%d/stat: short", pid)
	}
	ut, _ := strconv.ParseUint(f[11], 10, 64)
	st, _ := strconv.ParseUint(f[12], 10, 64)
	s.ticks = ut + st
	s.wait = runWait(pid)
	fh, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return s, err
	}
	defer fh.Close()
	sc := bufio.NewScanner(fh)
	for sc.Scan() {
		k, v, _ := strings.Cut(sc.Text(), ":")
		n, _ := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		switch k {
		case "VmRSS":
			s.rss = n
		case "VmHWM":
			s.hwm = n
		}
	}
	return s, sc.Err()
}

func loadAvg() [3]float64 {
	var l [3]float64
	b, _ := os.ReadFile("/proc/loadavg")
	f := strings.Fields(string(b))
	for i := 0; i < 3 && i < len(f); i++ {
		l[i], _ = strconv.ParseFloat(f[i], 64)
	}
	return l
}

// clkTck is USER_HZ: 100 on every Linux architecture Go runs on.
const clkTck = 100

func measure(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("measure", flag.ContinueOnError)
	r := Run{}
	tuyauPID := fs.Int("tuyau", 0, "tuyau collector pid")
	peerPID := fs.Int("peer", 0, "gnmi_collector pid (0: none)")
	labPID := fs.Int("lab", 0, "lab pid")
	api := fs.String("api", "", "tuyau collector API address")
	redisAddr := fs.String("redis", "", "Redis address")
	dur := fs.Duration("duration", 30*time.Second, "measured window")
	fs.IntVar(&r.Size, "size", 0, "lab devices")
	fs.IntVar(&r.Ports, "ports", 48, "interfaces per device")
	fs.StringVar(&r.Interval, "interval", "", "SAMPLE interval (label)")
	fs.StringVar(&r.Flush, "flush", "", "tuyau --flush (label)")
	fs.StringVar(&r.Pinning, "pinning", "", "how tuyau was confined (label)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	api0 := telemetry.NewHTTPReader(*api)
	type snap struct {
		at                 time.Time
		tuyau, peer, lab   procSample
		hs                 []telemetry.TargetHealth
		leaves, exp, rcv   uint64
		gaps               uint64
		connected, targets int
	}
	take := func() (snap, error) {
		s := snap{at: time.Now()}
		var err error
		if s.tuyau, err = readProc(*tuyauPID); err != nil {
			return s, fmt.Errorf("tuyau collector: %w", err)
		}
		if *peerPID != 0 {
			if s.peer, err = readProc(*peerPID); err != nil {
				return s, fmt.Errorf("gnmi_collector: %w", err)
			}
		}
		if s.lab, err = readProc(*labPID); err != nil {
			return s, fmt.Errorf("lab: %w", err)
		}
		cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		if s.hs, err = api0.Targets(cctx); err != nil {
			return s, err
		}
		for _, h := range s.hs {
			s.leaves += h.Leaves
			s.exp += h.Expected
			s.rcv += h.Received
			s.gaps += h.Gaps
			s.targets++
			if h.Connected {
				s.connected++
			}
		}
		return s, nil
	}
	// The GC figures come from the collector's /api/v1/runtime, not a
	// scrape of /metrics: that costs the collector a second or more of
	// CPU at 200 x 48 and a heap of its own that the next collection marks.
	readGC := func() (telemetry.RuntimeStats, error) {
		cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		return api0.Runtime(cctx)
	}
	gc0, gcErr0 := readGC()
	r.LoadAvg = loadAvg()
	s0, err := take()
	if err != nil {
		return err
	}
	r.Started = s0.at
	time.Sleep(*dur)
	s1, err := take()
	if err != nil {
		return err
	}
	r.LoadAvgEnd = loadAvg()
	gc1, gcErr1 := readGC()
	r.Seconds = s1.at.Sub(s0.at).Seconds()
	r.Targets, r.Connected = s1.targets, s1.connected
	r.Leaves = s1.leaves - s0.leaves
	r.LeavesPerSec = float64(r.Leaves) / r.Seconds
	r.Expected, r.Received, r.NewGaps = s1.exp-s0.exp, s1.rcv-s0.rcv, s1.gaps-s0.gaps
	fig := func(pid int, a, b procSample) Proc {
		p := Proc{PID: pid, CPUSeconds: float64(b.ticks-a.ticks) / clkTck, RSSMiB: float64(b.rss) / 1024, HWMMiB: float64(b.hwm) / 1024}
		p.Cores = p.CPUSeconds / r.Seconds
		p.RunWait = float64(b.wait-a.wait) / 1e9 / r.Seconds
		if r.Leaves > 0 {
			p.CPUPerMLeaf = p.CPUSeconds / (float64(r.Leaves) / 1e6)
		}
		if r.Targets > 0 {
			p.RSSKiBTarget, p.HWMKiBTarget = float64(b.rss)/float64(r.Targets), float64(b.hwm)/float64(r.Targets)
		}
		return p
	}
	r.Tuyau = fig(*tuyauPID, s0.tuyau, s1.tuyau)
	r.Lab = fig(*labPID, s0.lab, s1.lab)
	if *peerPID != 0 {
		p := fig(*peerPID, s0.peer, s1.peer)
		r.Peer = &p
	}
	if r.Delay, err = delays(ctx, *redisAddr, s0.at, s1.at); err != nil {
		return err
	}
	r.Arrival = arrival(s0.hs, s1.hs)
	if gcErr0 == nil && gcErr1 == nil { // an older collector without the endpoint: left out
		r.GC = &GCFigures{Cycles: float64(gc1.GCCycles - gc0.GCCycles),
			ScanHeapMiB: float64(gc1.ScanHeapBytes) / (1 << 20), LiveHeapMiB: float64(gc1.LiveHeapBytes) / (1 << 20)}
	}
	var why []string
	if r.Connected < r.Targets {
		why = append(why, fmt.Sprintf("%d of %d targets connected", r.Connected, r.Targets))
	}
	if r.NewGaps > 0 {
		why = append(why, fmt.Sprintf("%d sample slots missed", r.NewGaps))
	}
	if r.Delay.Entries == 0 {
		why = append(why, "nothing written to Redis")
	} else if r.Delay.P99Last > 1.5*r.Delay.P99First+50 {
		why = append(why, fmt.Sprintf("delay grows: p99 %.0f ms then %.0f ms", r.Delay.P99First, r.Delay.P99Last))
	}
	r.KeepsUp, r.Why = len(why) == 0, strings.Join(why, "; ")
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// delays reads every interface history stream's entries written between
// t0 and t1.
func delays(ctx context.Context, addr string, t0, t1 time.Time) (Delay, error) {
	c := goredis.NewClient(&goredis.Options{Addr: addr, ReadTimeout: 30 * time.Second})
	defer c.Close()
	var keys []string
	iter := c.Scan(ctx, 0, "tuyau:*:hist:iface:*", 5000).Iterator()
	for iter.Next(ctx) {
		keys = append(keys, iter.Val())
	}
	if err := iter.Err(); err != nil {
		return Delay{}, fmt.Errorf("redis scan: %w", err)
	}
	lo, hi := strconv.FormatInt(t0.UnixMilli(), 10), strconv.FormatInt(t1.UnixMilli(), 10)
	third := (t1.UnixMilli() - t0.UnixMilli()) / 3
	var all, first, last []float64
	for i := 0; i < len(keys); i += 1000 {
		pipe := c.Pipeline()
		var cmds []*goredis.XMessageSliceCmd
		for _, k := range keys[i:min(i+1000, len(keys))] {
			cmds = append(cmds, pipe.XRange(ctx, k, lo, hi))
		}
		if _, err := pipe.Exec(ctx); err != nil && err != goredis.Nil {
			return Delay{}, fmt.Errorf("redis xrange: %w", err)
		}
		for _, cmd := range cmds {
			for _, m := range cmd.Val() {
				idMs, _, _ := strings.Cut(m.ID, "-")
				at, err1 := strconv.ParseInt(idMs, 10, 64)
				ts, err2 := strconv.ParseInt(fmt.Sprint(m.Values["ts"]), 10, 64)
				if err1 != nil || err2 != nil || ts <= 0 { // no timestamp yet (zero time)
					continue
				}
				d := float64(at - ts)
				all = append(all, d)
				switch {
				case at < t0.UnixMilli()+third:
					first = append(first, d)
				case at >= t1.UnixMilli()-third:
					last = append(last, d)
				}
			}
		}
	}
	return Delay{Entries: len(all), P50: pct(all, 0.50), P99: pct(all, 0.99), Max: pct(all, 1),
		P99First: pct(first, 0.99), P99Last: pct(last, 0.99)}, nil
}

func pct(v []float64, p float64) float64 {
	if len(v) == 0 {
		return 0
	}
	slices.Sort(v)
	i := int(p * float64(len(v)-1))
	return v[i]
}

// wait polls the collector until every target is connected and has sent
// data, or the timeout passes (an error that says how many were).
func wait(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("wait", flag.ContinueOnError)
	api := fs.String("api", "", "tuyau collector API address")
	timeout := fs.Duration("timeout", 240*time.Second, "give up after")
	if err := fs.Parse(args); err != nil {
		return err
	}
	start := time.Now()
	r := telemetry.NewHTTPReader(*api)
	conn, n := 0, 0
	for time.Since(start) < *timeout {
		time.Sleep(time.Second)
		hs, err := r.Targets(ctx)
		if err != nil {
			continue // not listening yet
		}
		conn, n = 0, len(hs)
		for _, h := range hs {
			if h.Connected && h.Leaves > 0 {
				conn++
			}
		}
		if n > 0 && conn == n {
			fmt.Printf("%d targets connected in %.0f s\n", n, time.Since(start).Seconds())
			return nil
		}
	}
	return fmt.Errorf("%d of %d targets connected after %s", conn, n, *timeout)
}
