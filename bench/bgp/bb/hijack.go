package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"time"

	"github.com/tuyau-net/tuyau/bgp"
)

// hijack enables the feeder's hijack protocol (a more-specific of the
// hosting prefix from the feeder's AS) and times until the speaker's
// monitor hands the bgp-origin-hijack alarm over: from just before birdc
// runs, so BIRD's own reconfiguration and the UPDATE's trip are counted.
// It then withdraws it and waits for the clear, ready for the next run.
func hijack(args []string) error {
	fs := flag.NewFlagSet("hijack", flag.ContinueOnError)
	birdc := fs.String("birdc", "birdc", "birdc binary (BIRD_SOCK: the feeder's socket)")
	proto := fs.String("proto", "hijack", "the feeder's static protocol holding the hijack")
	statsURL := fs.String("stats", "", "the speaker's /stats")
	timeout := fs.Duration("timeout", 60*time.Second, "give up after")
	if err := fs.Parse(args); err != nil {
		return err
	}
	find := func(active bool) (time.Time, error) {
		r, err := http.Get(*statsURL)
		if err != nil {
			return time.Time{}, err
		}
		defer r.Body.Close()
		var st stats
		if err := json.NewDecoder(r.Body).Decode(&st); err != nil {
			return time.Time{}, err
		}
		var last time.Time
		for _, a := range st.Alarms {
			if a.Rule == bgp.RuleOriginHijack && a.Active == active {
				last = a.Time
			}
		}
		return last, nil
	}
	run := func(verb string, active bool) (float64, error) {
		before, _ := find(active)
		ctx, cancel := context.WithTimeout(context.Background(), *timeout)
		defer cancel()
		t0 := time.Now()
		if out, err := exec.CommandContext(ctx, *birdc, "-s", os.Getenv("BIRD_SOCK"), verb, *proto).CombinedOutput(); err != nil {
			return 0, fmt.Errorf("birdc %s %s: %w: %s", verb, *proto, err, out)
		}
		for {
			if t, err := find(active); err == nil && t.After(before) && t.After(t0) {
				return t.Sub(t0).Seconds(), nil
			}
			select {
			case <-ctx.Done():
				return 0, fmt.Errorf("no %s of %s within %s", map[bool]string{true: "raise", false: "clear"}[active], bgp.RuleOriginHijack, *timeout)
			case <-time.After(5 * time.Millisecond):
			}
		}
	}
	raise, err := run("enable", true)
	if err != nil {
		return err
	}
	clear, err := run("disable", false)
	if err != nil {
		// Keep the raise: it is the goal's number.
		json.NewEncoder(os.Stdout).Encode(map[string]float64{"raise_s": raise})
		return err
	}
	return json.NewEncoder(os.Stdout).Encode(map[string]float64{"raise_s": raise, "clear_s": clear})
}
