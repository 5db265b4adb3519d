package vtysh

import (
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
)

// PrefixListEntry is one "ip prefix-list NAME seq N permit|deny PREFIX
// [ge N] [le N]" line; Any stands for "any".
type PrefixListEntry struct {
	Name   string
	IPv6   bool
	Seq    int
	Action string
	Prefix netip.Prefix
	Any    bool
	Ge, Le int
}

func (e PrefixListEntry) String() string {
	fam := "ip"
	if e.IPv6 {
		fam = "ipv6"
	}
	p := e.Prefix.String()
	if e.Any {
		p = "any"
	}
	s := fmt.Sprintf("%s prefix-list %s seq %d %s %s", fam, e.Name, e.Seq, e.Action, p)
	if e.Ge != 0 {
		s += " ge " + strconv.Itoa(e.Ge)
	}
	if e.Le != 0 {
		s += " le " + strconv.Itoa(e.Le)
	}
	return s
}

// PrefixList returns the entries of a prefix-list in sequence order.
func (c *Config) PrefixList(name string) []PrefixListEntry {
	var out []PrefixListEntry
	for _, e := range c.PrefixLists {
		if e.Name == name {
			out = append(out, e)
		}
	}
	return out
}

// parsePrefixListEntry reads the words after "ip prefix-list NAME".
func parsePrefixListEntry(c *Config, name string, v6 bool, words []string) (PrefixListEntry, error) {
	e := PrefixListEntry{Name: name, IPv6: v6}
	if len(words) >= 2 && words[0] == "seq" {
		n, err := strconv.Atoi(words[1])
		if err != nil || n < 1 {
			return e, fmt.Errorf("%% Unknown command: bad sequence %q", words[1])
		}
		e.Seq, words = n, words[2:]
	} else {
		// FRR numbers entries by 5 after the highest.
		for _, x := range c.PrefixList(name) {
			e.Seq = max(e.Seq, x.Seq)
		}
		e.Seq += 5
	}
	if len(words) < 2 || (words[0] != "permit" && words[0] != "deny") {
		return e, fmt.Errorf("%% Command incomplete")
	}
	e.Action = words[0]
	if words[1] == "any" {
		e.Any = true
	} else {
		p, err := netip.ParsePrefix(words[1])
		if err != nil || p.Addr().Is6() != v6 {
			return e, fmt.Errorf("%% Malformed address")
		}
		if p != p.Masked() {
			return e, fmt.Errorf("%% Invalid prefix range for %s, make sure: len < ge <= le", p)
		}
		e.Prefix = p
	}
	rest := words[2:]
	for len(rest) >= 2 {
		n, err := strconv.Atoi(rest[1])
		if err != nil {
			return e, fmt.Errorf("%% Unknown command: %s", strings.Join(rest, " "))
		}
		switch rest[0] {
		case "ge":
			e.Ge = n
		case "le":
			e.Le = n
		default:
			return e, fmt.Errorf("%% Unknown command: %s", strings.Join(rest, " "))
		}
		rest = rest[2:]
	}
	if len(rest) != 0 {
		return e, fmt.Errorf("%% Command incomplete")
	}
	bits := e.Prefix.Addr().BitLen()
	if !e.Any && ((e.Ge != 0 && e.Ge <= e.Prefix.Bits()) || (e.Le != 0 && e.Le < max(e.Ge, e.Prefix.Bits())) || e.Le > bits || e.Ge > bits) {
		return e, fmt.Errorf("%% Invalid prefix range for %s, make sure: len < ge <= le", e.Prefix)
	}
	return e, nil
}

func (g *Grammar) definePrefixLists() {
	c := NodeConfig
	for _, fam := range []string{"ip", "ipv6"} {
		v6 := fam == "ipv6"
		g.def(c, fam+" prefix-list WORD LINE", change(func(_ *Session, c *Config, a []string) string {
			e, err := parsePrefixListEntry(c, a[2], v6, strings.Fields(a[3]))
			if err != nil {
				return err.Error() + "\n"
			}
			c.PrefixLists = slices.DeleteFunc(c.PrefixLists, func(x PrefixListEntry) bool { return x.Name == e.Name && x.Seq == e.Seq })
			i, _ := slices.BinarySearchFunc(c.PrefixLists, e, func(x, y PrefixListEntry) int {
				if x.Name != y.Name {
					return strings.Compare(x.Name, y.Name)
				}
				return x.Seq - y.Seq
			})
			c.PrefixLists = slices.Insert(c.PrefixLists, i, e)
			return ""
		}))
		g.def(c, "no "+fam+" prefix-list WORD", change(func(_ *Session, c *Config, a []string) string {
			c.PrefixLists = slices.DeleteFunc(c.PrefixLists, func(x PrefixListEntry) bool { return x.Name == a[3] && x.IPv6 == v6 })
			return ""
		}))
		g.def(c, "no "+fam+" prefix-list WORD LINE", change(func(_ *Session, c *Config, a []string) string {
			e, err := parsePrefixListEntry(c, a[3], v6, strings.Fields(a[4]))
			if err != nil {
				return err.Error() + "\n"
			}
			n := len(c.PrefixLists)
			c.PrefixLists = slices.DeleteFunc(c.PrefixLists, func(x PrefixListEntry) bool {
				return x.Name == e.Name && x.Action == e.Action && x.Prefix == e.Prefix && x.Any == e.Any
			})
			if len(c.PrefixLists) == n {
				return "% Can't find specified prefix-list\n"
			}
			return ""
		}))
	}
}
