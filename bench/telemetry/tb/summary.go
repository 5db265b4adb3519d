package main

import (
	"cmp"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// stat is the median, min and max of one figure over a size's runs.
type stat struct{ med, lo, hi float64 }

func statOf(v []float64) stat {
	if len(v) == 0 {
		return stat{}
	}
	s := slices.Clone(v)
	slices.Sort(s)
	m := s[len(s)/2]
	if len(s)%2 == 0 {
		m = (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	return stat{m, s[0], s[len(s)-1]}
}

func (s stat) String() string { return fmt.Sprintf("%.2f (%.2f-%.2f)", s.med, s.lo, s.hi) }
func (s stat) int() string    { return fmt.Sprintf("%.0f (%.0f-%.0f)", s.med, s.lo, s.hi) }

// summary prints, per size, medians (min-max) of the runs in dir, the
// ratios tuyau / gnmi_collector, and how each figure grows from the
// smallest size to the largest.
func summary(args []string) error {
	if len(args) != 1 {
		return fmt.Errorf("usage: tb summary DIR")
	}
	files, err := filepath.Glob(filepath.Join(args[0], "*.json"))
	if err != nil {
		return err
	}
	type key struct {
		size     int
		interval string
	}
	groups := map[key][]Run{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		var r Run
		if err := json.Unmarshal(b, &r); err != nil {
			return fmt.Errorf("%s: %w", f, err)
		}
		k := key{r.Size, r.Interval}
		groups[k] = append(groups[k], r)
	}
	if len(groups) == 0 {
		return fmt.Errorf("%s: no runs", args[0])
	}
	keys := make([]key, 0, len(groups))
	for k := range groups {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b key) int { return cmp.Or(cmp.Compare(a.interval, b.interval), cmp.Compare(a.size, b.size)) })

	type row struct {
		k                                     key
		runs, up                              int
		leaves, tCPU, pCPU, ratio, tRSS, tHWM stat
		pRSS, p99, p50, tCores, pCores, lab   stat
		arr99                                 stat
		load                                  stat
		pinning, flush                        string
	}
	var rows []row
	for _, k := range keys {
		rs := groups[k]
		col := func(f func(Run) float64) stat {
			var v []float64
			for _, r := range rs {
				v = append(v, f(r))
			}
			return statOf(v)
		}
		rw := row{k: k, runs: len(rs), pinning: rs[0].Pinning, flush: rs[0].Flush}
		for _, r := range rs {
			if r.KeepsUp {
				rw.up++
			}
		}
		peer := func(f func(Proc) float64) func(Run) float64 {
			return func(r Run) float64 {
				if r.Peer == nil {
					return 0
				}
				return f(*r.Peer)
			}
		}
		rw.leaves = col(func(r Run) float64 { return r.LeavesPerSec })
		rw.tCPU = col(func(r Run) float64 { return r.Tuyau.CPUPerMLeaf })
		rw.pCPU = col(peer(func(p Proc) float64 { return p.CPUPerMLeaf }))
		rw.ratio = col(func(r Run) float64 {
			if r.Peer == nil || r.Peer.CPUPerMLeaf == 0 {
				return 0
			}
			return r.Tuyau.CPUPerMLeaf / r.Peer.CPUPerMLeaf
		})
		rw.tRSS = col(func(r Run) float64 { return r.Tuyau.RSSKiBTarget })
		rw.tHWM = col(func(r Run) float64 { return r.Tuyau.HWMKiBTarget })
		rw.pRSS = col(peer(func(p Proc) float64 { return p.RSSKiBTarget }))
		rw.p99 = col(func(r Run) float64 { return r.Delay.P99 })
		rw.p50 = col(func(r Run) float64 { return r.Delay.P50 })
		rw.arr99 = col(func(r Run) float64 { return r.Arrival.P99 })
		rw.tCores = col(func(r Run) float64 { return r.Tuyau.Cores })
		rw.pCores = col(peer(func(p Proc) float64 { return p.Cores }))
		rw.lab = col(func(r Run) float64 { return r.Lab.Cores })
		rw.load = col(func(r Run) float64 { return r.LoadAvg[0] })
		rows = append(rows, rw)
	}

	fmt.Printf("\n%s: median (min-max) of each size's runs; CPU s per million updates = utime+stime of the process over the\n", args[0])
	fmt.Printf("window / leaves tuyau received in it (both collectors carry the same subscriptions); delay = Redis XADD time - notification ts\n\n")
	fmt.Printf("%-14s %5s %-20s %-20s %-22s %-18s %-20s %-18s %-18s %-14s %-12s %s\n", "size@interval", "runs", "leaves/s",
		"tuyau CPU s/M", "gnmi_collector CPU s/M", "ratio tuyau/gc", "tuyau RSS KiB/target", "gc RSS KiB/target", "tuyau delay p99 ms", "tuyau cores", "lab cores", "keeps up (1 core)")
	for _, r := range rows {
		fmt.Printf("%-14s %5d %-20s %-20s %-22s %-18s %-20s %-18s %-18s %-14s %-12s %d/%d\n", fmt.Sprintf("%d@%s", r.k.size, r.k.interval), r.runs,
			r.leaves.int(), r.tCPU, r.pCPU, r.ratio, r.tRSS.int(), r.pRSS.int(), r.p99.int(), fmt.Sprintf("%.2f", r.tCores.med), fmt.Sprintf("%.2f", r.lab.med), r.up, r.runs)
	}
	fmt.Printf("\nload average (1 min) at the windows' start: ")
	var ls []string
	for _, r := range rows {
		ls = append(ls, fmt.Sprintf("%d@%s %.1f", r.k.size, r.k.interval, r.load.med))
	}
	fmt.Println(strings.Join(ls, ", "))
	fmt.Printf("tuyau: %s, --flush %s; delay p50 by size: ", rows[0].pinning, rows[0].flush)
	ls = ls[:0]
	for _, r := range rows {
		ls = append(ls, fmt.Sprintf("%d@%s %.0f ms", r.k.size, r.k.interval, r.p50.med))
	}
	fmt.Println(strings.Join(ls, ", "))
	fmt.Printf("of which arrival (notification ts to tuyau's receive: the lab's queue and the network), p99 by size: ")
	ls = ls[:0]
	for _, r := range rows {
		ls = append(ls, fmt.Sprintf("%d@%s %.0f ms", r.k.size, r.k.interval, r.arr99.med))
	}
	fmt.Println(strings.Join(ls, ", "))

	// Growth from the smallest to the largest size at each interval.
	byIv := map[string][]row{}
	for _, r := range rows {
		byIv[r.k.interval] = append(byIv[r.k.interval], r)
	}
	for _, iv := range slices.Sorted(mapsKeys(byIv)) {
		rs := byIv[iv]
		a, b := rs[0], rs[len(rs)-1]
		if a.k.size == b.k.size {
			continue
		}
		g := func(x, y stat) string {
			if x.med == 0 {
				return "n/a"
			}
			return fmt.Sprintf("x%.2f", y.med/x.med)
		}
		fmt.Printf("growth %d -> %d devices at %s (x%.1f targets): tuyau CPU/update %s, gnmi_collector CPU/update %s, tuyau RSS/target %s, gc RSS/target %s, delay p99 %s\n",
			a.k.size, b.k.size, iv, float64(b.k.size)/float64(a.k.size), g(a.tCPU, b.tCPU), g(a.pCPU, b.pCPU), g(a.tRSS, b.tRSS), g(a.pRSS, b.pRSS), g(a.p99, b.p99))
		// The most targets one core keeps up with: the largest size every
		// run of which kept up, and what it used of the core there.
		best := row{}
		for _, r := range rs {
			if r.up == r.runs {
				best = r
			}
		}
		if best.runs == 0 {
			fmt.Printf("one core at %s: no size kept up in every run\n", iv)
			continue
		}
		fmt.Printf("one core at %s: %d targets x %d ports kept up in %d/%d runs using %.2f of the core (tuyau, %s)",
			iv, best.k.size, groups[best.k][0].Ports, best.up, best.runs, best.tCores.med, best.pinning)
		if best.tCores.med > 0 && best.tCores.med < 1 {
			fmt.Printf("; linear estimate of the ceiling %.0f targets (not measured)", float64(best.k.size)/best.tCores.med)
		}
		fmt.Println()
	}
	return nil
}

func mapsKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}
