package sshcli

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/tuyau-net/tuyau/inventory"
	"github.com/tuyau-net/tuyau/provisioning"
)

// TestDialRefusesNonFRR: the platforms the support table marks as not
// applied over SSH are refused before any connection, naming gNMI. The
// listener counts connections: a refusal must not log in first.
func TestDialRefusesNonFRR(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan struct{}, 8)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepted <- struct{}{}
			c.Close()
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, s := range provisioning.Supported() {
		if s.ApplySSH.Works {
			continue
		}
		t.Run(s.Platform, func(t *testing.T) {
			d := &Dialer{KnownHosts: t.TempDir() + "/known_hosts", Targets: map[string]string{"r1": ln.Addr().String()}, Timeout: 2 * time.Second}
			c, err := d.Dial(ctx, inventory.Device{Name: "r1", Platform: s.Platform}, "ssh")
			if err == nil {
				c.Close()
				t.Fatal("dialed")
			}
			if !errors.Is(err, provisioning.ErrSSHUnsupported) || !strings.Contains(err.Error(), "gNMI") || !strings.Contains(err.Error(), "r1") {
				t.Errorf("got %v, want a refusal naming the device and gNMI", err)
			}
		})
	}
	select {
	case <-accepted:
		t.Error("a refused platform connected to the device")
	default:
	}
}
