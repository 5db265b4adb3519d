package provisioning

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestGoldenSyntax checks the golden files of the platforms no device here
// can parse, as far as their grammar can be checked without one: Junos
// braces balance and every statement ends in ";"; every SR Linux line is
// a "set /" command; on EOS and IOS-XE every "neighbor X ..." follows X's
// remote-as, every prefix list a route-map matches is defined, and every
// route-map a neighbor uses exists. It also checks each safeguard is there:
// a transit session has a prefix cap and the bogon filter, BGP has
// graceful restart.
func TestGoldenSyntax(t *testing.T) {
	files, _ := filepath.Glob("testdata/render/*/*.conf")
	if len(files) == 0 {
		t.Fatal("no golden files")
	}
	nbr := regexp.MustCompile(`^\s*neighbor (\S+) (\S+)`)
	match := regexp.MustCompile(`match ipv?6? ?address prefix-list (\S+)`)
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		text := string(b)
		platform := filepath.Base(filepath.Dir(f))
		lines := strings.Split(strings.TrimRight(text, "\n"), "\n")
		switch platform {
		case "junos":
			depth := 0
			for i, l := range lines {
				s := strings.TrimSpace(l)
				switch {
				case strings.HasSuffix(s, "{"):
					depth++
				case s == "}":
					depth--
				case s == "" || strings.HasPrefix(s, "#") || strings.HasPrefix(s, "/*") && strings.HasSuffix(s, "*/"):
				case !strings.HasSuffix(s, ";"):
					t.Errorf("%s:%d: statement without ';': %q", f, i+1, s)
				}
				if depth < 0 {
					t.Fatalf("%s:%d: unbalanced '}'", f, i+1)
				}
			}
			if depth != 0 {
				t.Errorf("%s: %d unclosed '{'", f, depth)
			}
		case "srlinux":
			for i, l := range lines {
				if l != "" && !strings.HasPrefix(l, "set / ") && !strings.HasPrefix(l, "#") {
					t.Errorf("%s:%d: not a set command: %q", f, i+1, l)
				}
			}
		case "eos", "iosxe":
			declared := map[string]bool{}
			lists := map[string]bool{}
			maps := map[string]bool{}
			for _, l := range lines {
				f := strings.Fields(l)
				if len(f) >= 3 && (f[0] == "ip" || f[0] == "ipv6") && f[1] == "prefix-list" {
					lists[f[2]] = true
				}
				if len(f) >= 2 && f[0] == "route-map" {
					maps[f[1]] = true
				}
			}
			for i, l := range lines {
				if m := nbr.FindStringSubmatch(l); m != nil && !strings.HasPrefix(strings.TrimSpace(l), "no ") {
					if m[2] == "remote-as" {
						declared[m[1]] = true
					} else if !declared[m[1]] {
						t.Errorf("%s:%d: neighbor %s used before its remote-as", f, i+1, m[1])
					}
					if fs := strings.Fields(l); m[2] == "route-map" && !maps[fs[3]] {
						t.Errorf("%s:%d: route-map %s is not defined", f, i+1, fs[3])
					}
				}
				if m := match.FindStringSubmatch(l); m != nil && !lists[m[1]] {
					t.Errorf("%s:%d: prefix-list %s is not defined", f, i+1, m[1])
				}
			}
		}
		if platform == "openconfig" || !strings.Contains(f, "saint-lo-dc-r1") {
			continue
		}
		// The route reflector with transit: the safeguards are in every syntax.
		want := map[string][]string{
			"frr":     {"maximum-prefix 1500000 90", "PL-TRANSIT-IN-V4 seq 5 deny 0.0.0.0/8 le 32", "bgp graceful-restart", "ttl-security hops 1", "ip ospf bfd"},
			"eos":     {"maximum-routes 1500000 warning-limit 90 percent", "deny 0.0.0.0/8 le 32", "graceful-restart", "ttl maximum-hops 1", "ip ospf neighbor bfd"},
			"iosxe":   {"maximum-prefix 1500000 90", "deny 0.0.0.0/8 le 32", "bgp graceful-restart", "ttl-security hops 1", "ip ospf bfd"},
			"junos":   {"maximum 1500000;", "route-filter 0.0.0.0/8 orlonger;", "graceful-restart;", "bfd-liveness-detection", "then reject;"},
			"srlinux": {"max-received-routes 1500000 warning-threshold-pct 90", "prefix-set PL-TRANSIT-IN-V4-5 prefix 0.0.0.0/8 mask-length-range 8..32", "graceful-restart admin-state enable", "action policy-result reject"},
		}[platform]
		for _, w := range want {
			if !strings.Contains(text, w) {
				t.Errorf("%s lacks %q", f, w)
			}
		}
	}
}
