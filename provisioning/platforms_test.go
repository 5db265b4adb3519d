package provisioning

import (
	"net/netip"
	"testing"
)

func TestInterfaceName(t *testing.T) {
	tests := []struct{ platform, in, want string }{
		{"eos", "eth3", "Ethernet3"}, {"eos", "lo", "Loopback0"},
		{"iosxe", "eth1", "GigabitEthernet1/0/1"}, {"junos", "eth1", "ge-0/0/0"}, {"junos", "lo", "lo0"},
		{"srlinux", "eth12", "ethernet-1/12"}, {"srlinux", "lo", "system0"},
		{"eos", "Ethernet7", "Ethernet7"}, {"frr", "eth1", "eth1"}, {"junos", "ethx", "ethx"},
	}
	for _, tt := range tests {
		if got := interfaceName(tt.platform, tt.in); got != tt.want {
			t.Errorf("interfaceName(%s, %s) = %s, want %s", tt.platform, tt.in, got, tt.want)
		}
	}
}

func TestNetmask(t *testing.T) {
	for in, want := range map[string]string{"10.0.0.0/31": "255.255.255.254", "0.0.0.0/0": "0.0.0.0", "198.51.100.0/24": "255.255.255.0", "203.0.113.0/25": "255.255.255.128"} {
		if got := netmask(netip.MustParsePrefix(in)); got != want {
			t.Errorf("netmask(%s) = %s, want %s", in, got, want)
		}
	}
}

func TestReplaceDelta(t *testing.T) {
	d, _ := EOS{}.Delta([]byte("! device\nhostname a\n\n"), []byte("! rendered\nhostname a\n"))
	if d.Changed() {
		t.Errorf("comments and blank lines make a change: %q", d.Commands)
	}
	d, _ = EOS{}.Delta([]byte("hostname a\n"), []byte("hostname b\nip routing\n"))
	if !d.Replace || len(d.Commands) != 2 {
		t.Errorf("EOS delta = %+v, want a replace with the 2 lines", d)
	}
}
