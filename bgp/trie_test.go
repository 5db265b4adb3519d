package bgp

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"testing"
)

func TestPrefixTrieLongest(t *testing.T) {
	var tr prefixTrie[string]
	for _, p := range []string{"10.0.0.0/8", "10.1.0.0/16", "172.16.0.16/28", "2001:db8:100::/48", "0.0.0.0/0"} {
		tr.insert(netip.MustParsePrefix(p), p)
	}
	cases := []struct {
		in, want string
		ok       bool
	}{
		{"10.1.2.0/24", "10.1.0.0/16", true},
		{"10.1.0.0/16", "10.1.0.0/16", true},
		{"10.2.0.0/16", "10.0.0.0/8", true},
		{"172.16.0.16/29", "172.16.0.16/28", true},
		{"172.16.0.0/24", "0.0.0.0/0", true},
		{"2001:db8:100:1::/64", "2001:db8:100::/48", true},
		{"2001:db8::/32", "", false},
	}
	for _, c := range cases {
		t.Run(c.in, func(t *testing.T) {
			p, v, ok := tr.longest(netip.MustParsePrefix(c.in))
			if ok != c.ok || (ok && (p.String() != c.want || v != c.want)) {
				t.Errorf("longest(%s) = %s %q %v, want %s %v", c.in, p, v, ok, c.want, c.ok)
			}
		})
	}
	if v, ok := tr.get(netip.MustParsePrefix("10.1.0.0/16")); !ok || v != "10.1.0.0/16" {
		t.Errorf("get(10.1.0.0/16) = %q %v", v, ok)
	}
	if _, ok := tr.get(netip.MustParsePrefix("10.1.0.0/17")); ok {
		t.Error("get(10.1.0.0/17) found a prefix never inserted")
	}
	if tr.len() != 5 {
		t.Errorf("len = %d, want 5", tr.len())
	}
}

// TestPrefixTrieMatchesScan checks the trie against a linear scan on
// random prefixes.
func TestPrefixTrieMatchesScan(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var tr prefixTrie[int]
	var ours []netip.Prefix
	for i := range 300 {
		a := netip.AddrFrom4([4]byte{10, byte(r.IntN(4)), byte(r.IntN(256)), 0})
		p, _ := a.Prefix(8 + r.IntN(17))
		tr.insert(p, i)
		ours = append(ours, p)
	}
	for range 5000 {
		a := netip.AddrFrom4([4]byte{byte(9 + r.IntN(2)), byte(r.IntN(4)), byte(r.IntN(256)), byte(r.IntN(256))})
		q, _ := a.Prefix(8 + r.IntN(25))
		want := -1
		for _, p := range ours {
			if p.Bits() <= q.Bits() && p.Contains(q.Addr()) && p.Bits() > want {
				want = p.Bits()
			}
		}
		got, _, ok := tr.longest(q)
		if (want >= 0) != ok || ok && got.Bits() != want {
			t.Fatalf("longest(%s) = %s %v, scan says /%d", q, got, ok, want)
		}
	}
}

func BenchmarkPrefixTrieLongest(b *testing.B) {
	var tr prefixTrie[int]
	for i := range 1000 {
		tr.insert(netip.PrefixFrom(netip.AddrFrom4([4]byte{172, 16, byte(i / 16), byte(i%16) * 16}), 28), i)
	}
	qs := make([]netip.Prefix, 1024)
	for i := range qs {
		qs[i] = netip.MustParsePrefix(fmt.Sprintf("%d.%d.%d.0/24", 1+i%200, i%256, (i*7)%256))
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		tr.longest(qs[i%len(qs)])
	}
}
