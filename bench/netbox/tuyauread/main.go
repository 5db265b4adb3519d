// Command tuyauread reads a whole network from NetBox with tuyau's backend
// and prints the wall time and object counts as JSON, for bench/netbox/run
// to compare with pynetbox on the same NetBox.
//
//	NETBOX_TOKEN=... go run ./bench/netbox/tuyauread http://127.0.0.1:8000
//	NETBOX_TOKEN=... go run ./bench/netbox/tuyauread http://127.0.0.1:8000 TENANT
//
// With a tenant it reads only that tenant's part of the NetBox (--filter
// tenant), as on a NetBox filled by hand, and counts what was inferred.
// TUYAUREAD_CPUPROFILE=FILE writes a CPU profile of the read (go tool pprof);
// TUYAUREAD_TRACE=FILE writes every request with its start and end.
// TUYAUREAD_OPTICS=FILE gives the optics table of the inventory pushed
// (NetBox holds none; a generated network names types beyond the built-in
// ones), as tuyau inventory pull --optics does.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"runtime/pprof"
	"time"

	"github.com/tuyau-net/tuyau/inventory"
	"github.com/tuyau-net/tuyau/inventory/netbox"
	"github.com/tuyau-net/tuyau/inventory/yamlstore"
)

func main() {
	if err := run(context.Background()); err != nil {
		fmt.Fprintln(os.Stderr, "tuyauread:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context) error {
	if len(os.Args) != 2 && len(os.Args) != 3 {
		return fmt.Errorf("usage: tuyauread NETBOX_URL [TENANT] (token in NETBOX_TOKEN)")
	}
	opts := []netbox.Option{netbox.WithToken(os.Getenv("NETBOX_TOKEN"))}
	if len(os.Args) == 3 {
		opts = append(opts, netbox.WithFilter(netbox.Filter{Tenants: []string{os.Args[2]}}))
	}
	if f := os.Getenv("TUYAUREAD_OPTICS"); f != "" {
		inv, err := yamlstore.Open(f).Parse(ctx)
		if err != nil {
			return err
		}
		opts = append(opts, netbox.WithOptics(inv.Optics, f))
	}
	var tr *tracer
	if f := os.Getenv("TUYAUREAD_TRACE"); f != "" {
		// The transport tuyau's client uses (idle connections kept for its 8 in flight).
		base := http.DefaultTransport.(*http.Transport).Clone()
		base.MaxIdleConnsPerHost = 32
		tr = &tracer{next: base, start: time.Now()}
		opts = append(opts, netbox.WithHTTPClient(&http.Client{Transport: tr}))
		defer func() {
			if out, err := os.Create(f); err == nil {
				tr.report(out)
				out.Close()
			}
		}()
	}
	nb, err := netbox.New(os.Args[1], opts...)
	if err != nil {
		return err
	}
	if f := os.Getenv("TUYAUREAD_CPUPROFILE"); f != "" {
		out, err := os.Create(f)
		if err != nil {
			return err
		}
		defer out.Close()
		if err := pprof.StartCPUProfile(out); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	start := time.Now()
	snap, rep, err := nb.LoadReport(ctx)
	if err != nil {
		return err
	}
	elapsed := time.Since(start)
	if ps := inventory.Validate(snap); len(ps) > 0 {
		return fmt.Errorf("the inventory read is not valid: %d problems, first: %v", len(ps), ps[0])
	}
	ifaces := 0
	for _, d := range snap.Devices {
		ifaces += len(d.Interfaces)
	}
	return json.NewEncoder(os.Stdout).Encode(map[string]any{"seconds": elapsed.Seconds(), "counts": map[string]int{
		"devices": len(snap.Devices), "patch-panels": len(snap.PatchPanels), "interfaces": ifaces,
		"cables": len(snap.Cables), "sites": len(snap.Sites), "prefixes": len(snap.Prefixes)},
		"inferred": rep.Inferred, "skipped": rep.Skipped})
}
