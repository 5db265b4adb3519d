package netboxsim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

const tok = "sim-test-token"

type client struct {
	t   *testing.T
	url string
}

func newSim(t *testing.T, opts Options) (*Server, *client) {
	t.Helper()
	opts.Tokens = append(opts.Tokens, tok)
	sim := New(opts)
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	return sim, &client{t, srv.URL}
}

func (c *client) do(method, path, token string, body any) (int, map[string]any, []byte) {
	c.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, c.url+"/api/"+path, rd)
	if token != "" {
		req.Header.Set("Authorization", "Token "+token)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var m map[string]any
	_ = json.Unmarshal(raw, &m)
	return resp.StatusCode, m, raw
}

func (c *client) create(path string, body any) int {
	c.t.Helper()
	code, m, raw := c.do("POST", path, tok, body)
	if code != http.StatusCreated {
		c.t.Fatalf("POST %s: %d %s", path, code, raw)
	}
	return int(m["id"].(float64))
}

func TestAuthAnswersLikeNetBox(t *testing.T) {
	_, c := newSim(t, Options{})
	tests := []struct {
		token, detail string
		code          int
	}{
		{"", "Authentication credentials were not provided.", 403},
		{"wrong", "Invalid token", 403},
		{tok, "", 200},
	}
	for _, tt := range tests {
		code, m, _ := c.do("GET", "dcim/sites/", tt.token, nil)
		if code != tt.code || (tt.detail != "" && m["detail"] != tt.detail) {
			t.Errorf("token %q: %d %v, want %d %q", tt.token, code, m, tt.code, tt.detail)
		}
	}
	if code, m, _ := c.do("GET", "status/", "", nil); code != 200 || m["netbox-version"] != Version {
		t.Errorf("status: %d %v", code, m)
	}
}

func TestPagination(t *testing.T) {
	_, c := newSim(t, Options{DefaultPageSize: 50, MaxPageSize: 7})
	for i := range 20 {
		c.create("dcim/regions/", map[string]any{"name": fmt.Sprintf("R%02d", i), "slug": fmt.Sprintf("r%02d", i)})
	}
	tests := []struct {
		query        string
		n            int
		next, prev   string
		firstDisplay string
	}{
		{"", 7, "?limit=7&offset=7", "", "R00"},
		{"?limit=5", 5, "?limit=5&offset=5", "", "R00"},
		{"?limit=5&offset=5", 5, "?limit=5&offset=10", "?limit=5", "R05"},
		{"?limit=5&offset=15", 5, "", "?limit=5&offset=10", "R15"},
		{"?limit=0", 7, "?limit=7&offset=7", "", "R00"},
		{"?limit=100&offset=18", 2, "", "?limit=7&offset=11", "R18"},
		{"?offset=40", 0, "", "?limit=7&offset=33", ""},
	}
	for _, tt := range tests {
		_, m, raw := c.do("GET", "dcim/regions/"+tt.query, tok, nil)
		results := m["results"].([]any)
		if m["count"].(float64) != 20 || len(results) != tt.n {
			t.Errorf("%s: count %v, %d results, want 20 and %d", tt.query, m["count"], len(results), tt.n)
			continue
		}
		check := func(name string, v any, want string) {
			s, _ := v.(string)
			if want == "" && v != nil || want != "" && !strings.HasSuffix(s, "/api/dcim/regions/"+want) {
				t.Errorf("%s: %s = %v, want ...%s", tt.query, name, v, want)
			}
		}
		check("next", m["next"], tt.next)
		check("previous", m["previous"], tt.prev)
		if tt.n > 0 && results[0].(map[string]any)["display"] != tt.firstDisplay {
			t.Errorf("%s: first is %v, want %s (%s)", tt.query, results[0], tt.firstDisplay, raw[:80])
		}
	}
}

func TestValidationErrors(t *testing.T) {
	_, c := newSim(t, Options{})
	site := c.create("dcim/sites/", map[string]any{"name": "A", "slug": "a"})
	tests := []struct {
		name, path string
		body       any
		field, msg string
	}{
		{"required", "dcim/sites/", map[string]any{"name": "B"}, "slug", "This field is required."},
		{"unique slug", "dcim/sites/", map[string]any{"name": "B", "slug": "a"}, "slug", "site with this slug already exists."},
		{"bad choice", "dcim/sites/", map[string]any{"name": "B", "slug": "b", "status": "burning"}, "status", `"burning" is not a valid choice.`},
		{"unknown pk", "dcim/sites/", map[string]any{"name": "B", "slug": "b", "region": 99}, "region", "Related object not found using the provided numeric ID: 99"},
		{"bad prefix", "ipam/prefixes/", map[string]any{"prefix": "10.0.0.1/24"}, "prefix", "10.0.0.1/24 is not a valid prefix. Did you mean 10.0.0.0/24?"},
		{"unknown custom field", "dcim/sites/", map[string]any{"name": "B", "slug": "b", "custom_fields": map[string]any{"nope": 1}}, "custom_fields", "Unknown field name 'nope' in custom field data."},
		{"cable without ends", "dcim/cables/", map[string]any{"label": "x"}, "__all__", "Must define A and B terminations when creating a new cable."},
	}
	for _, tt := range tests {
		code, m, raw := c.do("POST", tt.path, tok, tt.body)
		msgs, _ := m[tt.field].([]any)
		if code != 400 || len(msgs) == 0 || msgs[0] != tt.msg {
			t.Errorf("%s: %d %s, want 400 {%q: [%q]}", tt.name, code, raw, tt.field, tt.msg)
		}
	}
	// A bulk create is all or nothing and answers one error object per item.
	code, _, raw := c.do("POST", "dcim/sites/", tok, []any{map[string]any{"name": "C", "slug": "c"}, map[string]any{"name": "D"}})
	var list []map[string]any
	_ = json.Unmarshal(raw, &list)
	if code != 400 || len(list) != 2 || len(list[0]) != 0 || list[1]["slug"] == nil {
		t.Errorf("bulk create with one bad item: %d %s", code, raw)
	}
	if _, m, _ := c.do("GET", "dcim/sites/?slug=c", tok, nil); m["count"].(float64) != 0 {
		t.Errorf("a failed bulk create kept its good items")
	}
	// A site with a device cannot be deleted (PROTECT), the device can.
	mfr := c.create("dcim/manufacturers/", map[string]any{"name": "M", "slug": "m"})
	dt := c.create("dcim/device-types/", map[string]any{"model": "T", "slug": "t", "manufacturer": mfr})
	role := c.create("dcim/device-roles/", map[string]any{"name": "R", "slug": "r"})
	dev := c.create("dcim/devices/", map[string]any{"name": "d1", "site": site, "role": role, "device_type": dt})
	c.create("dcim/interfaces/", map[string]any{"device": dev, "name": "eth0", "type": "1000base-t"})
	if code, m, _ := c.do("DELETE", fmt.Sprintf("dcim/sites/%d/", site), tok, nil); code != 409 || !strings.Contains(fmt.Sprint(m["detail"]), "d1") {
		t.Errorf("delete a site with a device: %d %v, want 409 naming d1", code, m)
	}
	if code, _, _ := c.do("DELETE", fmt.Sprintf("dcim/devices/%d/", dev), tok, nil); code != 204 {
		t.Errorf("delete device: %d", code)
	}
	if _, m, _ := c.do("GET", "dcim/interfaces/", tok, nil); m["count"].(float64) != 0 {
		t.Errorf("interfaces survived their device")
	}
}

func TestFiltersAndBrief(t *testing.T) {
	_, c := newSim(t, Options{})
	a := c.create("dcim/sites/", map[string]any{"name": "Alpha", "slug": "alpha"})
	c.create("dcim/sites/", map[string]any{"name": "Beta", "slug": "beta"})
	c.create("ipam/prefixes/", map[string]any{"prefix": "10.0.0.0/24", "site": a})
	c.create("ipam/prefixes/", map[string]any{"prefix": "10.0.1.0/24"})
	tests := []struct {
		query string
		count float64
	}{
		{"dcim/sites/?slug=beta", 1}, {"dcim/sites/?slug=alpha&slug=beta", 2}, {"dcim/sites/?name=Gamma", 0},
		{fmt.Sprintf("ipam/prefixes/?site_id=%d", a), 1}, {"ipam/prefixes/?site=alpha", 1}, {"dcim/sites/?id=1", 1},
		{"dcim/sites/?no_such_filter=1", 2},
	}
	for _, tt := range tests {
		if _, m, raw := c.do("GET", tt.query, tok, nil); m["count"] != tt.count {
			t.Errorf("%s: count %v, want %v (%s)", tt.query, m["count"], tt.count, raw)
		}
	}
	_, m, _ := c.do("GET", "dcim/sites/?brief=true", tok, nil)
	first := m["results"].([]any)[0].(map[string]any)
	if len(first) != 6 || first["slug"] != "alpha" || first["status"] != nil {
		t.Errorf("brief site: %v, want id, url, display, name, description, slug", first)
	}
}

func TestInjectedFailures(t *testing.T) {
	sim, c := newSim(t, Options{})
	sim.FailWritesAfter(1)
	c.create("dcim/regions/", map[string]any{"name": "A", "slug": "a"})
	if code, _, raw := c.do("POST", "dcim/regions/", tok, map[string]any{"name": "B", "slug": "b"}); code != 500 || !bytes.Contains(raw, []byte("Server Error (500)")) {
		t.Errorf("write after the limit: %d %s", code, raw)
	}
	if code, _, _ := c.do("GET", "dcim/regions/", tok, nil); code != 200 {
		t.Errorf("reads fail too: %d", code)
	}
	sim.FailWritesAfter(-1)
	sim.Throttle(1, 3)
	req, _ := http.NewRequest("GET", c.url+"/api/dcim/regions/", nil)
	req.Header.Set("Authorization", "Token "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "3" {
		t.Errorf("throttled: %d Retry-After %q", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	sim.SetMalformed(true)
	_, _, raw := c.do("GET", "dcim/regions/", tok, nil)
	if json.Valid(raw) {
		t.Errorf("malformed mode served valid JSON: %s", raw)
	}
	if st := sim.Stats(); st.Injected != 2 {
		t.Errorf("stats: %+v, want 2 injected failures", st)
	}
}
