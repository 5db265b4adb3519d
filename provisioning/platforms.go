package provisioning

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// EOS renders Arista EOS configs (checked by golden files only). tuyau
// applies to EOS over gNMI with OpenConfig; its SSH path is refused
// (support.go), so Delta is only a whole-text comparison.
type EOS struct{}

func (EOS) Name() string                              { return "eos" }
func (EOS) Render(in Intent) ([]byte, error)          { return renderTemplate("eos", in) }
func (EOS) Delta(running, want []byte) (Delta, error) { return replaceDelta(running, want, "!") }

// IOSXE renders Cisco IOS-XE configs (golden files only); applied over
// gNMI with OpenConfig, SSH refused (support.go).
type IOSXE struct{}

func (IOSXE) Name() string                              { return "iosxe" }
func (IOSXE) Render(in Intent) ([]byte, error)          { return renderTemplate("iosxe", in) }
func (IOSXE) Delta(running, want []byte) (Delta, error) { return replaceDelta(running, want, "!") }

// Junos renders Juniper Junos configs (golden files only); applied over
// gNMI with OpenConfig, SSH refused (support.go).
type Junos struct{}

func (Junos) Name() string                     { return "junos" }
func (Junos) Render(in Intent) ([]byte, error) { return renderTemplate("junos", in) }
func (Junos) Delta(running, want []byte) (Delta, error) {
	return replaceDelta(running, want, "/*", "#")
}

// SRLinux renders Nokia SR Linux flat CLI (golden files only); applied over
// gNMI with OpenConfig, SSH refused (support.go).
type SRLinux struct{}

func (SRLinux) Name() string                              { return "srlinux" }
func (SRLinux) Render(in Intent) ([]byte, error)          { return renderTemplate("srlinux", in) }
func (SRLinux) Delta(running, want []byte) (Delta, error) { return replaceDelta(running, want, "#") }

// replaceDelta compares two configs line by line after dropping comments,
// blank lines and trailing spaces; any difference means all of want. It
// shows what a render changed (golden files), not what a device would do.
func replaceDelta(running, want []byte, comments ...string) (Delta, error) {
	h, w := normalizeLines(string(running), comments), normalizeLines(string(want), comments)
	d := Delta{Have: h, Want: w, Replace: true}
	if h != w {
		d.Commands = strings.Split(strings.TrimSuffix(w, "\n"), "\n")
	}
	return d, nil
}

func normalizeLines(s string, comments []string) string {
	var b strings.Builder
	for _, l := range strings.Split(s, "\n") {
		l = strings.TrimRight(l, " \t\r")
		t := strings.TrimSpace(l)
		if t == "" {
			continue
		}
		skip := false
		for _, c := range comments {
			if strings.HasPrefix(t, c) {
				skip = true
			}
		}
		if !skip {
			b.WriteString(l + "\n")
		}
	}
	return b.String()
}

// interfaceName maps the inventory's Linux-style names (eth3, lo) to a
// platform's; names already in the platform's style pass through.
func interfaceName(platform, name string) string {
	n, isEth := strings.CutPrefix(name, "eth")
	num, err := strconv.Atoi(n)
	isEth = isEth && err == nil
	loop := isLoopback(name)
	switch platform {
	case "eos":
		if loop {
			return "Loopback0"
		}
		if isEth {
			return "Ethernet" + n
		}
	case "iosxe":
		if loop {
			return "Loopback0"
		}
		if isEth {
			return "GigabitEthernet1/0/" + n
		}
	case "junos":
		if loop {
			return "lo0"
		}
		if isEth {
			return fmt.Sprintf("ge-0/0/%d", num-1)
		}
	case "srlinux":
		if loop {
			return "system0"
		}
		if isEth {
			return "ethernet-1/" + n
		}
	}
	return name
}

// netmask writes a prefix length as a dotted mask for IOS.
func netmask(p netip.Prefix) string {
	if !p.Addr().Is4() {
		return ""
	}
	m := ^uint32(0) << (32 - p.Bits())
	if p.Bits() == 0 {
		m = 0
	}
	return fmt.Sprintf("%d.%d.%d.%d", m>>24, m>>16&0xff, m>>8&0xff, m&0xff)
}

// bgpGroup names the group of a neighbor on platforms that need groups.
func bgpGroup(n Neighbor) string {
	switch n.Role {
	case "ibgp":
		if n.RRClient {
			return "IBGP-RR-CLIENTS"
		}
		return "IBGP"
	case "transit":
		return "TRANSIT"
	}
	return fmt.Sprintf("MEMBER-AS%d", n.RemoteAS)
}
