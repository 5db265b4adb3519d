package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"time"

	api "github.com/osrg/gobgp/v3/api"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

// result is one receiver's load, in seconds from the first poll that saw
// a prefix (the first update) and from the session's Established seen by
// the poll; index is when the monitor had observed every path too.
type result struct {
	Prefixes    uint64  `json:"prefixes"`
	EstToFull   float64 `json:"established_to_full_s"`
	FirstToFull float64 `json:"first_to_full_s"`
	FirstToIdx  float64 `json:"first_to_index_s,omitempty"`
	HWMKB       int     `json:"vmhwm_kb"`
	// CPU is the receiver's CPU time (user + system) over the same span
	// as EstToFull (to the index, with the monitor): what the load cost
	// the receiver, which a busy machine stretches far less than the
	// wall time.
	CPU  float64 `json:"cpu_s"`
	Poll string  `json:"poll"`
}

// counter reads a receiver: whether its session is established and how
// many prefixes it received.
type counter func(ctx context.Context) (bool, uint64, error)

// gobgpCounter asks a GoBGP (ours or gobgpd) over its API: ListPeer's
// per-family received counts, the same call for both.
func gobgpCounter(addr string) (counter, func(), error) {
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return nil, nil, fmt.Errorf("api %s: %w", addr, err)
	}
	c := api.NewGobgpApiClient(conn)
	return func(ctx context.Context) (bool, uint64, error) {
		ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		st, err := c.ListPeer(ctx, &api.ListPeerRequest{})
		if err != nil {
			return false, 0, fmt.Errorf("api %s: list peers: %w", addr, err)
		}
		var (
			up bool
			n  uint64
		)
		for {
			r, err := st.Recv()
			if err != nil {
				break
			}
			p := r.GetPeer()
			up = up || p.GetState().GetSessionState() == api.PeerState_ESTABLISHED
			for _, af := range p.GetAfiSafis() {
				n += af.GetState().GetReceived()
			}
		}
		return up, n, nil
	}, func() { conn.Close() }, nil
}

var birdRoutes = regexp.MustCompile(`Routes:\s+(\d+) imported`)

// birdCounter asks BIRD for its protocol's channel counters (`show
// protocols all`, constant time, unlike `show route count`).
func birdCounter(birdc, proto string) counter {
	return func(ctx context.Context) (bool, uint64, error) {
		ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		out, err := exec.CommandContext(ctx, birdc, "-s", os.Getenv("BIRD_SOCK"), "show", "protocols", "all", proto).Output()
		if err != nil {
			return false, 0, fmt.Errorf("birdc show protocols all %s: %w", proto, err)
		}
		s := string(out)
		var n uint64
		for _, m := range birdRoutes.FindAllStringSubmatch(s, -1) {
			v, _ := strconv.ParseUint(m[1], 10, 64)
			n += v
		}
		return strings.Contains(s, "Established"), n, nil
	}
}

func vmHWM(pid int) int {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Fields(l); len(f) >= 2 && f[0] == "VmHWM:" {
			v, _ := strconv.Atoi(f[1])
			return v
		}
	}
	return 0
}

// cpuSeconds is the process's user + system time, from /proc/PID/stat
// (in USER_HZ, 100 a second on Linux).
func cpuSeconds(pid int) float64 {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 13 {
		return 0
	}
	u, _ := strconv.ParseFloat(f[11], 64)
	k, _ := strconv.ParseFloat(f[12], 64)
	return (u + k) / 100
}

func monitorPaths(url string) (uint64, error) {
	r, err := http.Get(url)
	if err != nil {
		return 0, err
	}
	defer r.Body.Close()
	var st stats
	if err := json.NewDecoder(r.Body).Decode(&st); err != nil {
		return 0, err
	}
	return st.Stats.Paths, nil
}

func wait(args []string) error {
	fs := flag.NewFlagSet("wait", flag.ContinueOnError)
	kind := fs.String("kind", "gobgp", "gobgp or bird")
	addr := fs.String("api", "", "GoBGP API")
	birdc := fs.String("birdc", "birdc", "birdc binary (BIRD_SOCK: its socket)")
	proto := fs.String("proto", "feed", "BIRD protocol")
	total := fs.Uint64("n", 0, "prefixes of the feed")
	statsURL := fs.String("stats", "", "the speaker's /stats (monitor on): wait for its index too")
	pid := fs.Int("pid", 0, "receiver's pid (VmHWM)")
	poll := fs.Duration("poll", 100*time.Millisecond, "poll interval")
	timeout := fs.Duration("timeout", 10*time.Minute, "give up after")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var count counter
	switch *kind {
	case "gobgp":
		c, done, err := gobgpCounter(*addr)
		if err != nil {
			return err
		}
		defer done()
		count = c
	case "bird":
		count = birdCounter(*birdc, *proto)
	default:
		return fmt.Errorf("-kind %q: gobgp or bird", *kind)
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	var est, first, full, idx time.Time
	var n uint64
	var cpuEst, cpuEnd float64
	for {
		up, got, err := count(ctx)
		now := time.Now()
		if err != nil && ctx.Err() != nil {
			return fmt.Errorf("%d of %d prefixes after %s: %w", n, *total, *timeout, err)
		}
		if err == nil {
			n = got
			if up && est.IsZero() {
				est, cpuEst = now, cpuSeconds(*pid)
			}
			if n > 0 && first.IsZero() {
				first = now
				if est.IsZero() {
					est, cpuEst = now, cpuSeconds(*pid)
				}
			}
			if n >= *total && full.IsZero() {
				full = now
			}
		}
		if !full.IsZero() && *statsURL != "" && idx.IsZero() {
			if p, err := monitorPaths(*statsURL); err == nil && p >= *total {
				idx = now
			}
		}
		if !full.IsZero() && (*statsURL == "" || !idx.IsZero()) {
			cpuEnd = cpuSeconds(*pid)
			break
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%d of %d prefixes after %s", n, *total, *timeout)
		case <-time.After(*poll):
		}
	}
	r := result{Prefixes: n, EstToFull: full.Sub(est).Seconds(), FirstToFull: full.Sub(first).Seconds(),
		HWMKB: vmHWM(*pid), CPU: cpuEnd - cpuEst, Poll: poll.String()}
	if !idx.IsZero() {
		r.FirstToIdx = idx.Sub(first).Seconds()
	}
	return json.NewEncoder(os.Stdout).Encode(r)
}
