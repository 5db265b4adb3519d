package netbox_test

import (
	"context"
	"errors"
	"net/netip"
	"slices"
	"testing"

	"github.com/tuyau-net/tuyau/inventory"
	"github.com/tuyau-net/tuyau/inventory/netbox"
)

// A push into a NetBox filled by hand changes what the file changes and
// nothing else: the operator's interface types, device roles, platforms
// and statuses stay, and --prune deletes only what tuyau created (tag tuyau).
func TestPushRespectsWhatItDoesNotOwn(t *testing.T) {
	ctx := context.Background()
	_, srv, nb := brownfield(t, netbox.WithFilter(morbihan))
	// Without the custom fields the push is refused, dry run included,
	// and the refusal is not one a re-run cures.
	snap, err := nb.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	snap.Devices[0].ASN = 64601
	_, err = nb.Push(ctx, snap, true, true)
	var refused *netbox.RefusedError
	if !errors.As(err, &refused) || netbox.Transient(err) {
		t.Fatalf("dry run before bootstrap: %v, want a refusal that is not transient", err)
	}
	if _, err := nb.Bootstrap(ctx); err != nil {
		t.Fatal(err)
	}
	want, err := nb.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	dev := func(s *inventory.Snapshot, name string) *inventory.Device {
		return &s.Devices[slices.IndexFunc(s.Devices, func(d inventory.Device) bool { return d.Name == name })]
	}
	pop := dev(want, "vannes-pop-r1")
	pop.Interfaces[1].MTU = 9000 // Ethernet1, a 10gbase-x-sfpp in NetBox
	dev(want, "auray-mairie-r1").ASN = 64600
	// Drop a member entered by hand; add one of tuyau's own.
	want.Sites = slices.DeleteFunc(want.Sites, func(s inventory.Site) bool { return s.Slug == "hennebont-college" })
	want.Devices = slices.DeleteFunc(want.Devices, func(d inventory.Device) bool { return d.Name == "hennebont-college-r1" })
	want.Cables = slices.DeleteFunc(want.Cables, func(c inventory.Cable) bool {
		return c.A.Device == "hennebont-college-r1" || c.B.Device == "hennebont-college-r1"
	})
	grown := *want
	grown.Sites = append(slices.Clone(want.Sites), inventory.Site{Slug: "vannes-lycee", Name: "Lycée Vannes", Role: inventory.SiteMember, Region: "morbihan"})
	grown.Devices = append(slices.Clone(want.Devices), inventory.Device{Name: "vannes-lycee-r1", Site: "vannes-lycee", Role: inventory.RoleMember,
		Platform: "iosxe", Interfaces: []inventory.Interface{{Name: "Gi0/0/0", Speed: 1000, Addresses: []netip.Prefix{netip.MustParsePrefix("10.56.200.1/31")}}}})
	gp := dev(&grown, "vannes-pop-r1")
	gp.Interfaces = append(slices.Clone(gp.Interfaces), inventory.Interface{Name: "Ethernet9", Speed: 1000})
	grown.Cables = append(slices.Clone(want.Cables), inventory.Cable{Label: "RRM-NEW-1", Type: inventory.FiberSMF,
		A: inventory.Termination{Device: "vannes-lycee-r1", Interface: "Gi0/0/0"}, B: inventory.Termination{Device: "vannes-pop-r1", Interface: "Ethernet9"}})
	if ps := inventory.Validate(&grown); len(ps) > 0 {
		t.Fatalf("test inventory: %v", ps)
	}
	res, err := nb.Push(ctx, &grown, true, false)
	if err != nil {
		t.Fatalf("push: %v", err)
	}
	if res.NotOwned != 5 {
		t.Errorf("not owned %d, want 5 (the hand-entered site, its router and its 2 interfaces, its cable)", res.NotOwned)
	}
	var iface struct {
		Results []struct {
			Type struct{ Value string } `json:"type"`
			MTU  int                    `json:"mtu"`
		} `json:"results"`
	}
	call(t, "GET", srv.URL+"/api/dcim/interfaces/?device=vannes-pop-r1&name=Ethernet1", nil, &iface)
	if len(iface.Results) != 1 || iface.Results[0].Type.Value != "10gbase-x-sfpp" || iface.Results[0].MTU != 9000 {
		t.Errorf("Ethernet1 after push: %+v, want type 10gbase-x-sfpp kept and MTU 9000", iface.Results)
	}
	var devs struct {
		Results []struct {
			Role     struct{ Slug string }   `json:"role"`
			Platform struct{ Slug string }   `json:"platform"`
			Status   struct{ Value string }  `json:"status"`
			Tags     []struct{ Slug string } `json:"tags"`
			Custom   map[string]any          `json:"custom_fields"`
		} `json:"results"`
	}
	call(t, "GET", srv.URL+"/api/dcim/devices/?name=auray-mairie-r1", nil, &devs)
	if r := devs.Results[0]; r.Role.Slug != "router" || r.Platform.Slug != "cisco-ios-xe" || r.Custom["tuyau_asn"] != 64600.0 {
		t.Errorf("auray-mairie-r1 after push: %+v, want role router and platform cisco-ios-xe kept, tuyau_asn 64600", r)
	}
	call(t, "GET", srv.URL+"/api/dcim/devices/?name=vannes-lycee-r1", nil, &devs)
	if len(devs.Results) != 1 || len(devs.Results[0].Tags) != 1 || devs.Results[0].Tags[0].Slug != "tuyau" {
		t.Errorf("the device tuyau created: %+v, want tag tuyau", devs.Results)
	}
	after, err := nb.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	x := inventory.NewIndex(after)
	if x.Site("hennebont-college") == nil || x.Device("hennebont-college-r1") == nil {
		t.Error("--prune deleted objects tuyau did not create")
	}
	// Pruning what tuyau created works.
	res, err = nb.Push(ctx, want, true, false)
	if err != nil {
		t.Fatalf("second push: %v", err)
	}
	after, err = nb.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	x = inventory.NewIndex(after)
	if x.Site("vannes-lycee") != nil || x.Device("vannes-lycee-r1") != nil || x.Cable("RRM-NEW-1") != nil {
		t.Errorf("--prune kept what tuyau created: %v", res.Changes)
	}
	if x.Site("hennebont-college") == nil {
		t.Error("the second prune deleted the hand-entered site")
	}
}
