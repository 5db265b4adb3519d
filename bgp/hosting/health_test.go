package hosting

import (
	"os"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

func TestHysteresis(t *testing.T) {
	for _, tc := range []struct {
		name    string
		results string // u = success, d = failure
		want    string // state after each result: U up, D down
	}{
		{"first result decides up", "u", "U"},
		{"first result decides down", "d", "D"},
		{"fall 3 takes it down on the third failure", "uddd", "UUUD"},
		{"a success resets the failures", "uddudd", "UUUUUU"},
		{"rise 3 brings it back on the third success", "duuu", "DDDU"},
		{"flapping never changes it", "udududud", "UUUUUUUU"},
		{"down then up again", "udddduuuu", "UUUDDDDUU"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := Hysteresis{Rise: 3, Fall: 3}
			var got strings.Builder
			for _, r := range tc.results {
				h.Observe(r == 'u')
				if h.Up() {
					got.WriteByte('U')
				} else {
					got.WriteByte('D')
				}
			}
			if got.String() != tc.want {
				t.Errorf("Observe(%s) states %s, want %s", tc.results, got.String(), tc.want)
			}
		})
	}
}

func TestConfigValidate(t *testing.T) {
	lp := func(p, b uint32) *Steering {
		return &Steering{Primary: Attrs{LocalPref: p}, Backup: Attrs{LocalPref: b}}
	}
	for _, tc := range []struct {
		name string
		cfg  Config
		err  string
	}{
		{"defaults", Config{}, ""},
		{"http from a path", Config{Check: CheckConfig{Path: "/health"}}, ""},
		{"unknown kind", Config{Check: CheckConfig{Kind: "icmp"}}, `check kind "icmp"`},
		{"timeout over interval", Config{Interval: 1e9, Timeout: 2e9}, "longer than the interval"},
		{"same attributes", Config{Steering: lp(100, 100)}, "are the same"},
		{"backup better", Config{Steering: lp(100, 200)}, "would win over primary"},
		{"med decides", Config{Steering: &Steering{Primary: Attrs{MED: 10}, Backup: Attrs{MED: 100}}}, ""},
		{"med the wrong way", Config{Steering: &Steering{Primary: Attrs{MED: 100}, Backup: Attrs{MED: 10}}}, "would win"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.cfg.withDefaults().validate()
			if (err == nil) != (tc.err == "") || (err != nil && !strings.Contains(err.Error(), tc.err)) {
				t.Errorf("validate() = %v, want %q", err, tc.err)
			}
		})
	}
}

// TestConfigYAML decodes the example of docs/bgp.md "Hosting failover".
func TestConfigYAML(t *testing.T) {
	doc, err := os.ReadFile("../../docs/bgp.md")
	if err != nil {
		t.Fatal(err)
	}
	text := string(doc)
	i := strings.Index(text, "```yaml\nhosting:\n")
	if i < 0 {
		t.Fatal("docs/bgp.md has no hosting: example")
	}
	block := text[i+len("```yaml\n"):]
	block = block[:strings.Index(block, "```")]
	var got struct {
		Hosting map[string]Config `yaml:"hosting"`
	}
	dec := yaml.NewDecoder(strings.NewReader(block))
	dec.KnownFields(true)
	if err := dec.Decode(&got); err != nil {
		t.Fatalf("decode the docs' example: %v", err)
	}
	c, ok := got.Hosting["hosting"]
	if !ok || c.Check.Kind != "http" || c.Endpoints["saint-lo-dc"] != "10.1.0.10:80" || c.Links == nil ||
		c.Steering == nil || c.Steering.Backup.MED != 100 || len(c.Steering.Backup.Communities) != 1 {
		t.Fatalf("decoded %+v", got)
	}
	if err := c.withDefaults().validate(); err != nil {
		t.Errorf("the docs' example does not validate: %v", err)
	}
	var timers struct {
		C Config `yaml:"c"`
	}
	if err := yaml.Unmarshal([]byte("c: {interval: 1s, fast-interval: 500ms, fall: 2}"), &timers); err != nil ||
		timers.C.Interval != time.Second || timers.C.FastInterval != 500*time.Millisecond || timers.C.Fall != 2 {
		t.Errorf("timers: %+v, %v", timers.C, err)
	}
}
