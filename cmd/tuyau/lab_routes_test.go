package main

import "testing"

// TestParseBGPPrefix reads FRR 8.4's "show bgp ipv4 unicast PREFIX" as the
// lab's routers (and FRR) print it: the number of paths and the best one's
// next hop, wherever the best path sits in the list.
func TestParseBGPPrefix(t *testing.T) {
	const two = `BGP routing table entry for 198.51.100.0/24, version 2
Paths: (2 available, best #2, table default)
  Local
    10.254.0.20 from 10.255.0.2 (10.255.0.2)
      Origin IGP, metric 100, valid, internal
      Last update: Fri Dec  4 22:44:41 2026
  Local
    10.254.0.10 from 10.255.0.1 (10.255.0.1)
      Origin IGP, metric 0, valid, internal, best (First path received)
      Last update: Fri Dec  4 22:44:41 2026
`
	const member = `BGP routing table entry for 198.51.100.0/24, version 1
Paths: (1 available, best #1, table default)
  65000
    10.128.0.110 from 10.128.0.110 (10.255.0.11)
      Origin IGP, metric 0, valid, external, best (First path received)
`
	const noBest = `BGP routing table entry for 198.51.100.0/24, version 1
Paths: (1 available, no best path)
  Local
    10.254.0.10 from 10.255.0.1 (10.255.0.1)
      Origin IGP, metric 0, invalid, internal
`
	tests := []struct {
		name, out string
		paths     int
		best      string
	}{
		{"best second", two, 2, "10.254.0.10"},
		{"member over eBGP", member, 1, "10.128.0.110"},
		{"no best", noBest, 1, ""},
		{"not in table", "% Network not in table\n", 0, ""},
		{"empty", "", 0, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			paths, best := parseBGPPrefix(tc.out)
			if paths != tc.paths || best != tc.best {
				t.Errorf("parseBGPPrefix = %d, %q, want %d, %q", paths, best, tc.paths, tc.best)
			}
		})
	}
}
