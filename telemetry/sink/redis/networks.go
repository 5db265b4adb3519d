package redis

import (
	"context"
	"fmt"
	"sort"
	"strings"
)

// networkScanRounds bounds the SCAN calls Networks makes (COUNT 1000
// each, so about 100,000 keys): it serves a hint, and must not walk a
// large Redis whole.
const networkScanRounds = 100

// Network is the network whose keys r reads ("default" when none was
// given).
func (r *Reader) Network() string {
	return strings.TrimSuffix(strings.TrimPrefix(r.keys.p, "tuyau:{"), "}:")
}

// HasNetwork reports whether r's network has a target index (every
// collector writes one): one EXISTS, so that an empty answer from a
// network that is there (no alarms) needs no scan.
func (r *Reader) HasNetwork(ctx context.Context) (bool, error) {
	n, err := r.c.Exists(ctx, r.keys.TargetIndex()).Result()
	if err != nil {
		return false, fmt.Errorf("redis exists %s: %w", r.keys.TargetIndex(), err)
	}
	return n == 1, nil
}

// Networks are the networks Redis holds keys for, by name, found by their
// target index (tuyau:{net}:targets, which every collector writes). It
// scans about networkScanRounds thousand keys of the node the client
// talks to, so a name may be missed on a cluster or a very large
// database: it answers "what did you mean", not an inventory.
func (r *Reader) Networks(ctx context.Context) ([]string, error) {
	seen := map[string]bool{}
	var cursor uint64
	for range networkScanRounds {
		keys, next, err := r.c.ScanType(ctx, cursor, "tuyau:{*}:targets", 1000, "set").Result()
		if err != nil {
			return nil, fmt.Errorf("redis scan for networks: %w", err)
		}
		for _, k := range keys {
			if net, ok := strings.CutPrefix(k, "tuyau:{"); ok {
				if net, ok = strings.CutSuffix(net, "}:targets"); ok && net != "" {
					seen[net] = true
				}
			}
		}
		if cursor = next; cursor == 0 {
			break
		}
	}
	out := make([]string, 0, len(seen))
	for n := range seen {
		out = append(out, n)
	}
	sort.Strings(out)
	return out, nil
}
