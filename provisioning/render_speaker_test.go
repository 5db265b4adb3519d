package provisioning

import (
	"errors"
	"strings"
	"testing"

	"github.com/tuyau-net/tuyau/inventory"
)

// TestRenderSpeakerPassword: a speaker session's MD5 password comes from
// the secrets lookup; without one the render fails naming the key, and a
// key the secrets file lacks fails too.
func TestRenderSpeakerPassword(t *testing.T) {
	snap := loadManche(t).Snapshot()
	snap.Speakers[0].Peers[0].PasswordSecret = "bgp-saint-lo"
	dev := snap.Speakers[0].Peers[0].Device
	x := inventory.NewIndex(snap)
	errMissing := errors.New("no such key")
	tests := []struct {
		name   string
		lookup func(string) (string, error)
		want   string // in the config, or in the error when wantErr
		err    bool
	}{
		{"from the secrets", func(k string) (string, error) { return "pw-" + k, nil }, "neighbor 10.254.0.1 password pw-bgp-saint-lo", false},
		{"no secrets file", nil, `password_secret "bgp-saint-lo" needs the secrets file`, true},
		{"key missing", func(string) (string, error) { return "", errMissing }, "no such key", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, platform := range []string{"frr", "eos", "iosxe"} {
				r, err := RenderDevice(x, Builtin(), dev, platform, Options{BGPPassword: tt.lookup})
				if tt.err {
					if err == nil || !strings.Contains(err.Error(), tt.want) {
						t.Errorf("%s: render = %v, want an error with %q", platform, err, tt.want)
					}
					continue
				}
				if err != nil {
					t.Fatal(err)
				}
				if platform == "frr" && !strings.Contains(string(r.Config), tt.want) {
					t.Errorf("frr config lacks %q", tt.want)
				}
				if !strings.Contains(string(r.Config), "pw-bgp-saint-lo") {
					t.Errorf("%s config has no password for the speaker", platform)
				}
			}
		})
	}
}
