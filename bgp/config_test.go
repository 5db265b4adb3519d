package bgp

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tuyau-net/tuyau/inventory"
	"github.com/tuyau-net/tuyau/inventory/yamlstore"
)

func manche(t *testing.T) *inventory.Snapshot {
	t.Helper()
	snap, err := yamlstore.Open("../examples/manche").Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return snap
}

func TestConfigForManche(t *testing.T) {
	snap := manche(t)
	cfg, err := ConfigFor(snap, "saint-lo-dc", nil)
	if err != nil {
		t.Fatal(err)
	}
	r1 := snap.Devices[0]
	for _, d := range snap.Devices {
		if d.Name == "saint-lo-dc-r1" {
			r1 = d
		}
	}
	want := PeerConfig{Device: "saint-lo-dc-r1", Address: r1.Loopback, ASN: 65000, TTLSecurity: 1, HoldTime: 9, Keepalive: 3, GracefulRestart: 120}
	if len(cfg.Peers) != 1 || cfg.Peers[0] != want {
		t.Errorf("peers = %+v, want [%+v]", cfg.Peers, want)
	}
	if cfg.ASN != 65000 || cfg.Listen != netip.MustParseAddr("10.254.0.1") || cfg.Port != 179 || cfg.Site != "saint-lo-dc" {
		t.Errorf("config = %+v", cfg)
	}
	if cfg.Origins[r1.Loopback] != "saint-lo-dc" || cfg.Origins[netip.MustParseAddr("10.254.0.2")] != "cherbourg-en-cotentin-dc" {
		t.Errorf("origins = %v, want core loopbacks and speaker router ids by site", cfg.Origins)
	}
	if _, err := ConfigFor(snap, "nowhere", nil); err == nil || !strings.Contains(err.Error(), "saint-lo-dc") {
		t.Errorf("ConfigFor(nowhere) = %v, want an error listing the speakers", err)
	}
}

func TestConfigForPasswords(t *testing.T) {
	snap := manche(t)
	snap.Speakers[0].Peers[0].PasswordSecret = "bgp-saint-lo"
	dir := t.TempDir()
	file := filepath.Join(dir, "secrets.yaml")
	if err := os.WriteFile(file, []byte("ssh: {username: u, password: p}\nbgp:\n  passwords:\n    bgp-saint-lo: secret-s3cr3t\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	pw, err := LoadPasswords(file)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		lookup func(string) (string, error)
		want   string // error substring, "" for success
	}{
		{"from the secrets file", pw.Lookup, ""},
		{"no secrets file", nil, "no secrets file"},
		{"key missing", (&Passwords{file: file}).Lookup, `password_secret "bgp-saint-lo"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := ConfigFor(snap, "saint-lo-dc", tt.lookup)
			if tt.want != "" {
				if err == nil || !strings.Contains(err.Error(), tt.want) {
					t.Fatalf("ConfigFor = %v, want an error with %q", err, tt.want)
				}
				if tt.lookup != nil && !errors.Is(err, ErrNoSecret) {
					t.Errorf("error %v is not ErrNoSecret", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Peers[0].Password != "secret-s3cr3t" {
				t.Errorf("password not resolved")
			}
			for _, s := range []string{fmt.Sprint(cfg), fmt.Sprintf("%+v", cfg), fmt.Sprintf("%#v", cfg.Peers[0]), pw.String()} {
				if strings.Contains(s, "s3cr3t") {
					t.Errorf("password printed: %s", s)
				}
			}
		})
	}
	if err := os.WriteFile(file, []byte("bgp: [secret-s3cr3t\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadPasswords(file); err == nil || strings.Contains(err.Error(), "s3cr3t") {
		t.Errorf("LoadPasswords(broken) = %v, want an error that does not quote the file", err)
	}
}
