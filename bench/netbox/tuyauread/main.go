// Command tuyauread reads a whole network from NetBox with tuyau's backend
// and prints the wall time and object counts as JSON, for bench/netbox/run
// to compare with pynetbox on the same NetBox.
//
//	NETBOX_TOKEN=... go run ./bench/netbox/tuyauread http://127.0.0.1:8000
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/tuyau-net/tuyau/inventory/netbox"
)

func main() {
	if err := run(context.Background()); err != nil {
		fmt.Fprintln(os.Stderr, "tuyauread:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context) error {
	if len(os.Args) != 2 {
		return fmt.Errorf("usage: tuyauread NETBOX_URL (token in NETBOX_TOKEN)")
	}
	nb, err := netbox.New(os.Args[1], netbox.WithToken(os.Getenv("NETBOX_TOKEN")))
	if err != nil {
		return err
	}
	start := time.Now()
	snap, err := nb.Load(ctx)
	if err != nil {
		return err
	}
	elapsed := time.Since(start)
	ifaces := 0
	for _, d := range snap.Devices {
		ifaces += len(d.Interfaces)
	}
	return json.NewEncoder(os.Stdout).Encode(map[string]any{"seconds": elapsed.Seconds(), "counts": map[string]int{
		"devices": len(snap.Devices), "patch-panels": len(snap.PatchPanels), "interfaces": ifaces,
		"cables": len(snap.Cables), "sites": len(snap.Sites), "prefixes": len(snap.Prefixes)}})
}
