package sshcli

import (
	"encoding/json"
	"fmt"
	"strings"
)

// ParseBGPSummary reads FRR's "show bgp summary json" (all families, or a
// single family's object) into neighbor address → state.
func ParseBGPSummary(data []byte) (map[string]string, error) {
	type peers struct {
		Peers map[string]struct {
			State string `json:"state"`
		} `json:"peers"`
	}
	out := map[string]string{}
	add := func(p peers) {
		for addr, v := range p.Peers {
			if s, ok := out[addr]; !ok || s == "Established" {
				// A session is up only if every family it carries is.
				out[addr] = v.State
			}
		}
	}
	var single peers
	if err := json.Unmarshal(data, &single); err != nil {
		return nil, fmt.Errorf("bgp summary: %w", err)
	}
	if single.Peers != nil {
		add(single)
		return out, nil
	}
	var fams map[string]json.RawMessage
	if err := json.Unmarshal(data, &fams); err != nil {
		return nil, fmt.Errorf("bgp summary: %w", err)
	}
	for _, raw := range fams {
		var p peers
		if json.Unmarshal(raw, &p) == nil {
			add(p)
		}
	}
	return out, nil
}

// ParseInterfaceBrief reads FRR's "show interface brief" table into
// interface → operationally up.
func ParseInterfaceBrief(text string) map[string]bool {
	out := map[string]bool{}
	for _, line := range strings.Split(text, "\n") {
		f := strings.Fields(line)
		if len(f) < 2 || f[0] == "Interface" || strings.HasPrefix(f[0], "-") {
			continue
		}
		switch strings.ToLower(f[1]) {
		case "up":
			out[f[0]] = true
		case "down":
			out[f[0]] = false
		}
	}
	return out
}

// ParseInterfaceMTUs reads FRR's "show interface json" into interface →
// MTU, as the kernel has it.
func ParseInterfaceMTUs(data []byte) (map[string]int, error) {
	var ifs map[string]struct {
		MTU int `json:"mtu"`
	}
	if err := json.Unmarshal(data, &ifs); err != nil {
		return nil, fmt.Errorf("show interface json: %w", err)
	}
	out := make(map[string]int, len(ifs))
	for n, i := range ifs {
		out[n] = i.MTU
	}
	return out, nil
}
