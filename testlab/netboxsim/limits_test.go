package netboxsim

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"testing"
)

// TestInvalidValuesAnswer400 writes values NetBox's serializers refuse and
// expects NetBox's 400 and DRF's message, for each release served; the
// value just inside each limit is accepted.
func TestInvalidValuesAnswer400(t *testing.T) {
	for _, version := range []string{"4.0.3", "4.2.2"} {
		t.Run(version, func(t *testing.T) {
			_, c := newSim(t, Options{Version: version})
			site := c.create("dcim/sites/", map[string]any{"name": "A", "slug": "a"})
			mfr := c.create("dcim/manufacturers/", map[string]any{"name": "M", "slug": "m"})
			dt := c.create("dcim/device-types/", map[string]any{"model": "T", "slug": "t", "manufacturer": mfr})
			role := c.create("dcim/device-roles/", map[string]any{"name": "R", "slug": "r"})
			dev := c.create("dcim/devices/", map[string]any{"name": "d1", "site": site, "role": role, "device_type": dt})
			ifs := []int{}
			for i := range 8 {
				ifs = append(ifs, c.create("dcim/interfaces/", map[string]any{"device": dev, "name": fmt.Sprintf("eth%d", i), "type": "10gbase-x-sfpp"}))
			}
			noisy := -3.2
			noisy += 3 * 0.12 // -2.8400000000000003 at run time
			n := 0
			cable := func(extra map[string]any) map[string]any {
				n++
				m := map[string]any{
					"a_terminations": []any{map[string]any{"object_type": "dcim.interface", "object_id": ifs[2*(n%4)]}},
					"b_terminations": []any{map[string]any{"object_type": "dcim.interface", "object_id": ifs[2*(n%4)+1]}}}
				for k, v := range extra {
					m[k] = v
				}
				return m
			}
			tests := []struct {
				name, path string
				body       map[string]any
				field, msg string // msg "" means accepted
			}{
				{"length 3 decimals", "dcim/cables/", cable(map[string]any{"length": 12.345, "length_unit": "km"}), "length", "Ensure that there are no more than 2 decimal places."},
				{"length 2 decimals", "dcim/cables/", cable(map[string]any{"length": 12.35, "length_unit": "km"}), "", ""},
				{"length 7 whole digits", "dcim/cables/", cable(map[string]any{"length": 1234567.0, "length_unit": "m"}), "length", "Ensure that there are no more than 6 digits before the decimal point."},
				{"cable label 101", "dcim/cables/", cable(map[string]any{"label": strings.Repeat("x", 101)}), "label", "Ensure this field has no more than 100 characters."},
				{"cable color", "dcim/cables/", cable(map[string]any{"color": "Yellow"}), "color", "Enter a valid hexadecimal RGB color code."},
				{"latitude 7 decimals", "dcim/sites/", map[string]any{"name": "B", "slug": "b", "latitude": 9.1234567}, "latitude", "Ensure that there are no more than 6 decimal places."},
				{"latitude 9 digits", "dcim/sites/", map[string]any{"name": "B", "slug": "b", "latitude": 49.1234567}, "latitude", "Ensure that there are no more than 8 digits in total."},
				{"float noise", "dcim/sites/", map[string]any{"name": "B", "slug": "b", "longitude": noisy}, "longitude", "Ensure that there are no more than 9 digits in total."},
				{"latitude 6 decimals", "dcim/sites/", map[string]any{"name": "B", "slug": "b", "latitude": 49.123456, "longitude": -1.093102}, "", ""},
				{"slug with a space", "dcim/sites/", map[string]any{"name": "C", "slug": "saint lo"}, "slug", "Enter a valid “slug” consisting of letters, numbers, underscores or hyphens."},
				{"site name 101", "dcim/sites/", map[string]any{"name": strings.Repeat("n", 101), "slug": "c"}, "name", "Ensure this field has no more than 100 characters."},
				{"facility 51", "dcim/sites/", map[string]any{"name": "C", "slug": "c", "facility": strings.Repeat("f", 51)}, "facility", "Ensure this field has no more than 50 characters."},
				{"interface name 65", "dcim/interfaces/", map[string]any{"device": dev, "name": strings.Repeat("e", 65), "type": "virtual"}, "name", "Ensure this field has no more than 64 characters."},
				{"mtu 65537", "dcim/interfaces/", map[string]any{"device": dev, "name": "x1", "type": "virtual", "mtu": 65537}, "mtu", "Ensure this value is less than or equal to 65536."},
				{"mtu 0", "dcim/interfaces/", map[string]any{"device": dev, "name": "x1", "type": "virtual", "mtu": 0}, "mtu", "Ensure this value is greater than or equal to 1."},
				{"mtu 9216", "dcim/interfaces/", map[string]any{"device": dev, "name": "x1", "type": "virtual", "mtu": 9216}, "", ""},
				{"speed negative", "dcim/interfaces/", map[string]any{"device": dev, "name": "x2", "type": "virtual", "speed": -1}, "speed", "Ensure this value is greater than or equal to 0."},
				{"ASN 0", "ipam/asns/", map[string]any{"asn": 0, "rir": map[string]any{"id": 1}}, "asn", "Ensure this value is greater than or equal to 1."},
				{"ASN 2^32", "ipam/asns/", map[string]any{"asn": 4294967296.0}, "asn", "Ensure this value is less than or equal to 4294967295."},
				{"device name 65", "dcim/devices/", map[string]any{"name": strings.Repeat("d", 65), "site": site, "role": role, "device_type": dt}, "name", "Ensure this field has no more than 64 characters."},
				{"rear port positions 1025", "dcim/rear-ports/", map[string]any{"device": dev, "name": "rp", "type": "lc", "positions": 1025}, "positions", "Ensure this value is less than or equal to 1024."},
				{"circuit id 101", "circuits/circuits/", map[string]any{"cid": strings.Repeat("c", 101)}, "cid", "Ensure this field has no more than 100 characters."},
			}
			for _, tt := range tests {
				code, m, raw := c.do("POST", tt.path, tok, tt.body)
				if tt.msg == "" {
					if code != 201 {
						t.Errorf("%s: %d %s, want 201", tt.name, code, raw)
					}
					continue
				}
				msgs, _ := m[tt.field].([]any)
				if code != 400 || len(msgs) == 0 || msgs[0] != tt.msg {
					t.Errorf("%s: %d %s, want 400 {%q: [%q]}", tt.name, code, raw, tt.field, tt.msg)
				}
			}
		})
	}
}

// TestBulkPatchIsAtomic: NetBox updates a bulk PATCH in one transaction,
// so one invalid object gives 400 with its errors and changes nothing; an
// id NetBox does not have is passed over (NetBox filters by the ids given).
func TestBulkPatchIsAtomic(t *testing.T) {
	_, c := newSim(t, Options{})
	a := c.create("dcim/sites/", map[string]any{"name": "A", "slug": "a"})
	b := c.create("dcim/sites/", map[string]any{"name": "B", "slug": "b"})
	d := c.create("dcim/sites/", map[string]any{"name": "D", "slug": "d"})
	code, m, raw := c.do("PATCH", "dcim/sites/", tok, []any{
		map[string]any{"id": a, "facility": "renamed", "slug": "a2"},
		map[string]any{"id": b, "latitude": 49.1234567},
		map[string]any{"id": d, "facility": "renamed"}})
	if code != 400 || m["latitude"] == nil {
		t.Fatalf("bulk PATCH with one invalid object: %d %s, want 400 with latitude's error", code, raw)
	}
	for _, id := range []int{a, b, d} {
		_, got, _ := c.do("GET", fmt.Sprintf("dcim/sites/%d/", id), tok, nil)
		if got["facility"] != "" || got["latitude"] != nil {
			t.Errorf("site %d changed by a refused bulk PATCH: %v", id, got)
		}
	}
	// The slug a2 rolled back too: a new site may take it, and a is still found as a.
	if _, got, _ := c.do("GET", "dcim/sites/?slug=a", tok, nil); got["count"] != 1.0 {
		t.Errorf("slug a after rollback: %v", got)
	}
	c.create("dcim/sites/", map[string]any{"name": "A2", "slug": "a2"})

	code, _, raw = c.do("PATCH", "dcim/sites/", tok, []any{
		map[string]any{"id": a, "facility": "f"}, map[string]any{"id": 999, "facility": "f"}})
	var list []map[string]any
	_ = json.Unmarshal(raw, &list)
	if code != 200 || len(list) != 1 || list[0]["id"] != float64(a) {
		t.Errorf("bulk PATCH with an unknown id: %d %s, want 200 with site %d only", code, raw, a)
	}
}

// TestDecimalsMatchSchema: the schema shows a DecimalField only as its
// bound ±10^(max_digits-decimal_places); the table of precisions the
// simulator checks must give the same bound in each release's schema.
func TestDecimalsMatchSchema(t *testing.T) {
	for version, limits := range map[string]map[string]map[string]limit{"4.0.3": schemaLimits(), "4.2.2": schemaLimits42()} {
		for path, fields := range decimals {
			for name, d := range fields {
				l, ok := limits[path][name]
				if !ok || l.max == nil || *l.max != math.Pow10(d.digits-d.places) {
					t.Errorf("%s %s.%s: schema bound %v, want 10^%d from DecimalField(%d, %d)", version, path, name, l.max, d.digits-d.places, d.digits, d.places)
				}
			}
		}
	}
}

func TestPrecision(t *testing.T) {
	tests := []struct {
		v                     float64
		total, places, wholes int
	}{
		{12.345, 5, 3, 2}, {12.35, 4, 2, 2}, {12, 3, 1, 2}, {0.05, 2, 2, 0}, {-2.8400000000000003, 17, 16, 1}, {1234567, 8, 1, 7},
	}
	for _, tt := range tests {
		total, places, whole := precision(tt.v)
		if total != tt.total || places != tt.places || whole != tt.wholes {
			t.Errorf("precision(%v) = %d, %d, %d, want %d, %d, %d", tt.v, total, places, whole, tt.total, tt.places, tt.wholes)
		}
	}
}
