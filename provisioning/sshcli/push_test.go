package sshcli

import "testing"

// TestCommandOutput checks how a read that ends a write is cut out of the
// session's text: after vtysh's prompted echo of it, up to a bare prompt
// ending the text, whatever the pty echoed of it before.
func TestCommandOutput(t *testing.T) {
	const cmd = "show running-config"
	for _, tc := range []struct {
		name, text, want string
		ok               bool
	}{
		{"readline echo", "% Unknown command: m-end\r\nr1# show running-config\r\nfrr version 8.4\r\nend\r\nr1# ", "frr version 8.4\nend", true},
		{"kernel echo first", "show running-config\r\n% Unknown command: m-end\r\nr1# show running-config\r\nhostname r1\r\nend\r\nr1#", "hostname r1\nend", true},
		{"hostname changed by the batch", "% Unknown command: m-end\r\npop-r1# show running-config\r\nhostname pop-r1\r\nend\r\npop-r1# ", "hostname pop-r1\nend", true},
		{"not done", "% Unknown command: m-end\r\nr1# show running-config\r\nfrr version 8.4\r\n", "", false},
		{"cut mid-line", "% Unknown command: m-end\r\nr1# show running-config\r\nrouter bgp 65000\r\n neighbor", "", false},
		{"no echo yet", "% Unknown command: m-end\r\nr1# ", "", false},
		{"unprompted echo only", "show running-config\r\nr1# ", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := commandOutput([]byte(tc.text), cmd)
			if ok != tc.ok || string(got) != tc.want {
				t.Errorf("commandOutput(%q) = %q, %v; want %q, %v", tc.text, got, ok, tc.want, tc.ok)
			}
		})
	}
}

// TestRejections checks the batch's "% ..." lines are named by the mark
// before them, and that configure terminal's own failure is not taken for
// the first command's.
func TestRejections(t *testing.T) {
	cmds := []string{"router bgp 65000", " neighbor x remote-as 1", "exit"}
	const m = "tuyau-sync-ab"
	for _, tc := range []struct{ name, out, want string }{
		{"clean", "r1# configure terminal\r\n% Unknown command: " + m + "-0\r\n% Unknown command: " + m + "-1\r\n% Unknown command: " + m + "-2\r\n% Unknown command: " + m + "-3\r\n", ""},
		{"second rejected", "% Unknown command: " + m + "-0\r\n% Unknown command: " + m + "-1\r\n% Malformed address\r\n% Unknown command: " + m + "-2\r\n",
			`command 2 of 3 " neighbor x remote-as 1" (in router bgp 65000) rejected: % Malformed address`},
		{"not in configuration mode", "% Configuration is locked by other client\r\n% Unknown command: " + m + "-0\r\n% Unknown command: router bgp 65000\r\n",
			"configure terminal: % Configuration is locked by other client"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := rejections([]byte(tc.out), m, cmds)
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != tc.want {
				t.Errorf("rejections = %q, want %q", got, tc.want)
			}
		})
	}
}
