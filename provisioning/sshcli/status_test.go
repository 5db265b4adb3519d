package sshcli

import (
	"testing"
)

func TestParseBGPSummary(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want map[string]string
	}{
		{"all families", `{"ipv4Unicast":{"peers":{"10.255.0.2":{"state":"Established"},"192.0.2.0":{"state":"Active"}}},"ipv6Unicast":{"peers":{"10.255.0.2":{"state":"Established"}}}}`,
			map[string]string{"10.255.0.2": "Established", "192.0.2.0": "Active"}},
		{"one family down", `{"ipv4Unicast":{"peers":{"10.255.0.2":{"state":"Established"}}},"ipv6Unicast":{"peers":{"10.255.0.2":{"state":"Connect"}}}}`,
			map[string]string{"10.255.0.2": "Connect"}},
		{"single family", `{"routerId":"10.255.0.1","peers":{"10.0.0.1":{"state":"Idle"}}}`, map[string]string{"10.0.0.1": "Idle"}},
		{"no bgp", `{}`, map[string]string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseBGPSummary([]byte(tt.in))
			if err != nil {
				t.Fatalf("ParseBGPSummary: %v", err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("ParseBGPSummary = %v, want %v", got, tt.want)
			}
			for k, v := range tt.want {
				if got[k] != v {
					t.Errorf("ParseBGPSummary[%s] = %q, want %q", k, got[k], v)
				}
			}
		})
	}
	if _, err := ParseBGPSummary([]byte("% BGP instance not found")); err == nil {
		t.Error("ParseBGPSummary(error text) succeeded")
	}
}

func TestParseInterfaceBrief(t *testing.T) {
	in := "Interface       Status  VRF             Addresses\n---------       ------  ---             ---------\neth1            up      default         10.128.0.0/31\neth2            down    default         10.128.0.2/31\nlo              up      default         10.255.0.1/32\n"
	got := ParseInterfaceBrief(in)
	want := map[string]bool{"eth1": true, "eth2": false, "lo": true}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("ParseInterfaceBrief[%s] = %v, want %v", k, got[k], v)
		}
	}
	if len(got) != len(want) {
		t.Errorf("ParseInterfaceBrief = %v, want %v", got, want)
	}
}

func FuzzParseStatus(f *testing.F) {
	f.Add(`{"ipv4Unicast":{"peers":{"10.255.0.2":{"state":"Established"}}}}`)
	f.Add("Interface Status VRF Addresses\neth1 up default 10.0.0.0/31\n")
	f.Add(`{"peers":null}`)
	f.Fuzz(func(t *testing.T, s string) {
		_, _ = ParseBGPSummary([]byte(s))
		_ = ParseInterfaceBrief(s)
	})
}

func TestCredentials(t *testing.T) {
	env := map[string]string{"TUYAU_SSH_USERNAME": "noc", "TUYAU_SSH_PASSWORD": "s3cret"}
	c, err := LoadCredentials(func(k string) string { return env[k] }, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{c.String(), c.GoString()} {
		if s == "" || contains(s, "s3cret") {
			t.Errorf("credentials print as %q, leaking the password", s)
		}
	}
	if _, err := LoadCredentials(func(string) string { return "" }, ""); err == nil {
		t.Error("LoadCredentials with nothing set succeeded")
	}
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}
