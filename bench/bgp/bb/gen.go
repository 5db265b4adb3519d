package main

import (
	"bufio"
	"flag"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
)

// The feed: IPv4 /24s from 20.0.0.0 up (a million reach 35.65.x), IPv6
// /48s under 2a00::/16. None is in 198.51.100.0/24, the hosting prefix
// the speaker's monitor owns; the first -members of the IPv4 ones are the
// member LANs it owns (origin the feeder's AS, so not an alarm).
func v4prefix(i int) netip.Prefix {
	return netip.PrefixFrom(netip.AddrFrom4([4]byte{byte(20 + i>>16), byte(i >> 8), byte(i), 0}), 24)
}

func v6prefix(i int) netip.Prefix {
	var b [16]byte
	b[0], b[1] = 0x2a, 0x00
	b[2], b[3], b[4], b[5] = byte(i>>24), byte(i>>16), byte(i>>8), byte(i)
	return netip.PrefixFrom(netip.AddrFrom16(b), 48)
}

func gen(args []string) error {
	fs := flag.NewFlagSet("gen", flag.ContinueOnError)
	v4 := fs.Int("v4", 10000, "IPv4 prefixes")
	v6 := fs.Int("v6", 2000, "IPv6 prefixes")
	dir := fs.String("dir", ".", "output directory")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *v4 > 200<<16 {
		return fmt.Errorf("-v4 %d: at most %d", *v4, 200<<16)
	}
	// Whole protocols: BIRD takes include only between blocks.
	write := func(name, proto string, n int, p func(int) netip.Prefix) error {
		path := filepath.Join(*dir, name)
		f, err := os.Create(path)
		if err != nil {
			return err
		}
		w := bufio.NewWriterSize(f, 1<<20)
		fmt.Fprintf(w, "protocol static %s\n", proto)
		for i := range n {
			fmt.Fprintf(w, "route %s blackhole;\n", p(i))
		}
		fmt.Fprintln(w, "}")
		if err := w.Flush(); err != nil {
			f.Close()
			return fmt.Errorf("%s: %w", path, err)
		}
		return f.Close()
	}
	if err := write("routes4.conf", "s4 { ipv4;", *v4, v4prefix); err != nil {
		return err
	}
	return write("routes6.conf", "s6 { ipv6;", *v6, v6prefix)
}
