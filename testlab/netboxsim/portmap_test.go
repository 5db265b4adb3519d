package netboxsim

import "testing"

// TestPortMappings45: from 4.5 a front port maps to its rear port through
// rear_ports, each mapping checked as NetBox's PortMapping is; the 4.0
// rear_port field is gone from the shape.
func TestPortMappings45(t *testing.T) {
	_, c := newSim(t, Options{Version: "4.5.2"})
	site := c.create("dcim/sites/", map[string]any{"name": "A", "slug": "a"})
	mfr := c.create("dcim/manufacturers/", map[string]any{"name": "M", "slug": "m"})
	dt := c.create("dcim/device-types/", map[string]any{"model": "T", "slug": "t", "manufacturer": mfr})
	role := c.create("dcim/device-roles/", map[string]any{"name": "R", "slug": "r"})
	dev := c.create("dcim/devices/", map[string]any{"name": "pp1", "site": site, "role": role, "device_type": dt})
	other := c.create("dcim/devices/", map[string]any{"name": "pp2", "site": site, "role": role, "device_type": dt})
	rear := c.create("dcim/rear-ports/", map[string]any{"device": dev, "name": "R1", "type": "lc", "positions": 2})
	foreign := c.create("dcim/rear-ports/", map[string]any{"device": other, "name": "R1", "type": "lc"})
	mapping := func(front, rp, rpos int) []map[string]any {
		return []map[string]any{{"position": front, "rear_port": rp, "rear_port_position": rpos}}
	}
	tests := []struct {
		name string
		body map[string]any
		msg  string
	}{
		{"no mapping", map[string]any{"device": dev, "name": "F0", "type": "lc"}, "This field is required."},
		{"rear position beyond", map[string]any{"device": dev, "name": "F0", "type": "lc", "rear_ports": mapping(1, rear, 3)},
			"Invalid rear port position (3): Rear port R1 has only 2 positions."},
		{"front position beyond", map[string]any{"device": dev, "name": "F0", "type": "lc", "rear_ports": mapping(2, rear, 1)},
			"Invalid front port position (2): front port F0 has only 1 positions."},
		{"other device", map[string]any{"device": dev, "name": "F0", "type": "lc", "rear_ports": mapping(1, foreign, 1)},
			"Rear port does not belong to the same device"},
	}
	for _, tt := range tests {
		code, m, raw := c.do("POST", "dcim/front-ports/", tok, tt.body)
		msgs, _ := m["rear_ports"].([]any)
		if code != 400 || len(msgs) == 0 || msgs[0] != tt.msg {
			t.Errorf("%s: %d %s, want 400 {rear_ports: [%q]}", tt.name, code, raw, tt.msg)
		}
	}
	c.create("dcim/front-ports/", map[string]any{"device": dev, "name": "F2", "type": "lc", "rear_ports": mapping(1, rear, 2)})
	_, m, raw := c.do("GET", "dcim/front-ports/?name=F2", tok, nil)
	res, _ := m["results"].([]any)
	if len(res) != 1 {
		t.Fatalf("front port F2: %s", raw)
	}
	fp := res[0].(map[string]any)
	rps, _ := fp["rear_ports"].([]any)
	if _, old := fp["rear_port"]; old || len(rps) != 1 || fp["positions"] != 1.0 {
		t.Errorf("4.5 front port %s: want rear_ports with one mapping, positions 1, no rear_port", raw)
	}
}
