package netbox_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/tuyau-net/tuyau/inventory"
	"github.com/tuyau-net/tuyau/inventory/netbox"
	"github.com/tuyau-net/tuyau/testlab/netboxsim"
)

// brownfield serves a NetBox never touched by tuyau (no custom fields).
func brownfield(t *testing.T, opts ...netbox.Option) (*netboxsim.Server, *httptest.Server, *netbox.Store) {
	t.Helper()
	sim := netboxsim.New(netboxsim.Options{Tokens: []string{testToken}})
	if err := sim.Brownfield(netboxsim.BrownfieldOptions{}); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	nb, err := netbox.New(srv.URL, append([]netbox.Option{netbox.WithToken(testToken), netbox.WithRetry(2, time.Millisecond)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return sim, srv, nb
}

var morbihan = netbox.Filter{Tenants: []string{"morbihan-numerique"}}

func TestBrownfieldLoadInfersWhatNetBoxSays(t *testing.T) {
	ctx := context.Background()
	_, _, nb := brownfield(t, netbox.WithFilter(morbihan))
	snap, rep, err := nb.LoadReport(ctx)
	if err != nil {
		t.Fatalf("LoadReport: %v", err)
	}
	if ps := inventory.Validate(snap); len(ps) > 0 {
		t.Fatalf("the adopted inventory is not valid: %v", ps)
	}
	if len(snap.Sites) != 28 {
		t.Errorf("%d sites, want 28 (the filter keeps the Morbihan network only)", len(snap.Sites))
	}
	x := inventory.NewIndex(snap)
	roles := map[inventory.SiteRole]int{}
	for _, s := range snap.Sites {
		roles[s.Role]++
	}
	if roles[inventory.SiteCore] != 2 || roles[inventory.SiteAggregation] != 4 || roles[inventory.SiteMember] != 22 {
		t.Errorf("site roles %v, want 2 core, 4 aggregation, 22 member", roles)
	}
	core := x.Device("vannes-dc1-r1")
	if core == nil || core.Role != inventory.RoleCore || core.Platform != "junos" || core.ASN != 65056 ||
		core.Loopback.String() != "10.56.255.1" || core.Mgmt.String() != "10.56.254.1" {
		t.Errorf("vannes-dc1-r1 = %+v, want core junos AS65056 loopback 10.56.255.1 (IP role) mgmt 10.56.254.1 (mgmt_only interface)", core)
	}
	pop := x.Device("pontivy-pop-r1")
	if pop == nil || pop.Role != inventory.RoleAggregation || pop.Platform != "eos" || pop.ASN != 4200056003 || pop.Loopback.String() != "10.56.253.3" {
		t.Errorf("pontivy-pop-r1 = %+v, want aggregation eos AS4200056003, loopback from Loopback0's /32", pop)
	}
	if x.Device("vannes-dc1-pdu1") != nil || x.Device("vannes-dc1-oob1") != nil {
		t.Error("the PDU or the out-of-band switch became a router")
	}
	if x.PatchPanel("vannes-dc1-odf1") == nil {
		t.Error("the patch panel (role patch-panel) is missing")
	}
	if s := x.Site("pontivy-pop"); s == nil || s.HasCoordinates() {
		t.Errorf("pontivy-pop has no coordinates in NetBox, got %+v", s)
	}
	for _, c := range snap.Cables {
		if c.Type != inventory.FiberSMF {
			t.Errorf("cable %s type %q, want smf (smf, smf-os1 and smf-os2 are single-mode)", c.Label, c.Type)
		}
	}
	if want := 2 + 2*4 + 22 + 1; len(snap.Cables) != want {
		t.Errorf("%d cables, want %d (fiber only)", len(snap.Cables), want)
	}
	for what, n := range map[string]int{
		"site roles from their routers' device roles":           28,
		"device ASNs from their site's ASN":                     28,
		"loopbacks from IP addresses with role loopback":        24,
		"loopbacks from a loopback interface's host address":    4,
		"cable types by family (smf-os2 → smf)":                 11,
		"platforms through the mapping (cisco-ios-xe → iosxe)":  22,
		"management addresses from the mgmt_only interface":     2,
		"interface speeds from their type":                      2*5 + 4*8 + 22,
		"device roles through the mapping (core-router → core)": 2,
		"device roles through the mapping (router → member)":    22,
		"device roles through the mapping (pe → aggregation)":   4,
		"platforms through the mapping (juniper-junos → junos)": 2,
		"platforms through the mapping (arista-eos → eos)":      4,
		"cable types by family (smf-os1 → smf)":                 4,
	} {
		if rep.Inferred[what] != n {
			t.Errorf("inferred %q: %d, want %d", what, rep.Inferred[what], n)
		}
	}
	for why, n := range map[string]int{
		"cables to a dcim.consoleport":                                   2,
		"cables to a dcim.powerport":                                     4,
		"out-of-band cables (to a mgmt_only interface)":                  2,
		"devices with role pdu (not a router or patch panel)":            2,
		"devices with role oob-switch (not a router or patch panel)":     2,
		"devices with role console-server (not a router or patch panel)": 2,
	} {
		if rep.Skipped[why] != n {
			t.Errorf("skipped %q: %d, want %d (all: %v)", why, rep.Skipped[why], n, rep.Skipped)
		}
	}
	if rep.Unknown["sites without coordinates"] != 3 {
		t.Errorf("unknown: %v, want 3 sites without coordinates", rep.Unknown)
	}
	if rep.Version != netboxsim.Version {
		t.Errorf("report version %q, want %q", rep.Version, netboxsim.Version)
	}
}

func TestBrownfieldCustomFieldsWin(t *testing.T) {
	ctx := context.Background()
	_, srv, nb := brownfield(t, netbox.WithFilter(morbihan))
	if _, err := nb.Bootstrap(ctx); err != nil {
		t.Fatal(err)
	}
	dev := findID(t, srv.URL, "dcim/devices/?name=auray-mairie-r1")
	patch(t, srv.URL, fmt.Sprintf("dcim/devices/%d/", dev), map[string]any{"custom_fields": map[string]any{"tuyau_asn": 64999, "tuyau_loopback": "10.99.0.1"}})
	site := findID(t, srv.URL, "dcim/sites/?slug=auray-mairie")
	patch(t, srv.URL, fmt.Sprintf("dcim/sites/%d/", site), map[string]any{"custom_fields": map[string]any{"tuyau_site_role": "aggregation"}})
	snap, err := nb.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	x := inventory.NewIndex(snap)
	if d := x.Device("auray-mairie-r1"); d.ASN != 64999 || d.Loopback.String() != "10.99.0.1" {
		t.Errorf("custom fields set, got ASN %d loopback %s, want 64999 10.99.0.1", d.ASN, d.Loopback)
	}
	if s := x.Site("auray-mairie"); s.Role != inventory.SiteAggregation {
		t.Errorf("tuyau_site_role set to aggregation, got %q", s.Role)
	}
}

// An unfiltered read sees the other tenant's campus, whose site has no
// router: the error names it with its id and path, the custom field and
// the command that creates it.
func TestBrownfieldMissingNamesTheFix(t *testing.T) {
	ctx := context.Background()
	_, srv, nb := brownfield(t)
	_, rep, err := nb.LoadReport(ctx)
	var me *netbox.MissingError
	if !errors.As(err, &me) {
		t.Fatalf("LoadReport: %v, want a *MissingError", err)
	}
	id := findID(t, srv.URL, "dcim/sites/?slug=ifremer-brest")
	if len(me.Missing) != 1 || len(rep.Missing) != 1 {
		t.Fatalf("missing %v, want only the campus site", me.Missing)
	}
	msg := err.Error()
	for _, w := range []string{"site ifremer-brest", fmt.Sprintf("/api/dcim/sites/%d/", id), "tuyau_site_role", "tuyau netbox bootstrap", "netbox.mapping.device_roles"} {
		if !strings.Contains(msg, w) {
			t.Errorf("error %q does not say %q", msg, w)
		}
	}
}

// Missing values come in NetBox id order, not text order (2 before 10).
func TestMissingSortedByID(t *testing.T) {
	ctx := context.Background()
	sim := netboxsim.New(netboxsim.Options{Tokens: []string{testToken}})
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	for i := 1; i <= 12; i++ {
		post(t, srv.URL, "dcim/sites/", map[string]any{"name": fmt.Sprintf("S%d", i), "slug": fmt.Sprintf("s%d", i)})
	}
	nb, err := netbox.New(srv.URL, netbox.WithToken(testToken))
	if err != nil {
		t.Fatal(err)
	}
	_, rep, err := nb.LoadReport(ctx)
	if err == nil || len(rep.Missing) != 12 {
		t.Fatalf("want 12 missing site roles, got %v", err)
	}
	for i, m := range rep.Missing {
		if m.ID != i+1 {
			t.Fatalf("missing[%d] is id %d: %v", i, m.ID, rep.Missing)
		}
	}
	ps := inventory.Problems{{Src: inventory.Source{File: srv.URL + "/api/dcim/sites/10/"}}, {Src: inventory.Source{File: srv.URL + "/api/dcim/sites/2/"}}}
	ps.Sort()
	if !strings.HasSuffix(ps[0].Src.File, "/2/") {
		t.Errorf("problems sorted as text: %v first", ps[0].Src.File)
	}
}

func TestBrownfieldFilterReadsOnlyTheNetwork(t *testing.T) {
	ctx := context.Background()
	for _, f := range []netbox.Filter{morbihan, {Tags: []string{"rrm"}}, {Regions: []string{"morbihan"}}, {SiteGroups: []string{"reseau-public"}}} {
		sim, _, nb := brownfield(t, netbox.WithFilter(f))
		before := sim.Stats().Requests
		snap, err := nb.Load(ctx)
		if err != nil {
			t.Fatalf("filter %+v: %v", f, err)
		}
		if len(snap.Sites) != 28 || inventory.NewIndex(snap).Site("ifremer-brest") != nil {
			t.Errorf("filter %+v: %d sites", f, len(snap.Sites))
		}
		if n := sim.Stats().Requests - before; n > 40 {
			t.Errorf("filter %+v: %d requests", f, n)
		}
	}
}

func findID(t *testing.T, base, path string) int {
	t.Helper()
	var page struct {
		Results []struct {
			ID int `json:"id"`
		} `json:"results"`
	}
	call(t, "GET", base+"/api/"+path, nil, &page)
	if len(page.Results) != 1 {
		t.Fatalf("%s: %d results", path, len(page.Results))
	}
	return page.Results[0].ID
}

func patch(t *testing.T, base, path string, body any) { call(t, "PATCH", base+"/api/"+path, body, nil) }
func post(t *testing.T, base, path string, body any)  { call(t, "POST", base+"/api/"+path, body, nil) }

func call(t *testing.T, method, url string, body, out any) {
	t.Helper()
	var rd *bytes.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	} else {
		rd = bytes.NewReader(nil)
	}
	req, _ := http.NewRequest(method, url, rd)
	req.Header.Set("Authorization", "Token "+testToken)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		var m map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&m)
		t.Fatalf("%s %s: %d %v", method, url, resp.StatusCode, m)
	}
	if out != nil {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			t.Fatal(err)
		}
	}
}

// TestFilteredReadWholeOrByChunks: a filtered read takes each list by
// chunks of site ids or whole, keeping what the site_id filter would have
// returned; both give the same inventory and report (the other tenant's
// switches, cable, address, location and prefix left out), and the
// choice by counts sends fewer requests than chunks when the filter
// selects most of the NetBox.
func TestFilteredReadWholeOrByChunks(t *testing.T) {
	ctx := context.Background()
	for _, f := range []netbox.Filter{morbihan, {Tags: []string{"rrm"}}, {Regions: []string{"morbihan"}}, {SiteGroups: []string{"reseau-public"}}} {
		sim := netboxsim.New(netboxsim.Options{Tokens: []string{testToken}})
		if err := sim.Brownfield(netboxsim.BrownfieldOptions{Members: 250}); err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(sim)
		t.Cleanup(srv.Close)
		load := func(mode string) (string, int64) {
			t.Helper()
			nb, err := netbox.New(srv.URL, netbox.WithToken(testToken), netbox.WithFilter(f))
			if err != nil {
				t.Fatal(err)
			}
			switch mode {
			case "whole":
				netbox.SetWholeReads(nb, true)
			case "chunks":
				netbox.SetWholeReads(nb, false)
			}
			before := sim.Stats().Requests
			snap, rep, err := nb.LoadReport(ctx)
			if err != nil {
				t.Fatalf("filter %+v, %s: %v", f, mode, err)
			}
			if len(snap.Sites) != 256 || inventory.NewIndex(snap).Site("ifremer-brest") != nil {
				t.Errorf("filter %+v, %s: %d sites, want the 256 of the network", f, mode, len(snap.Sites))
			}
			out, err := json.Marshal(struct {
				Snap *inventory.Snapshot
				Rep  *netbox.Report
			}{snap, rep})
			if err != nil {
				t.Fatal(err)
			}
			return string(out), sim.Stats().Requests - before
		}
		chunked, nChunks := load("chunks")
		whole, _ := load("whole")
		auto, nAuto := load("auto")
		if whole != chunked {
			t.Errorf("filter %+v: whole lists kept client-side differ from the site_id chunks:\nwhole  %.600s\nchunks %.600s", f, whole, chunked)
		}
		if auto != chunked {
			t.Errorf("filter %+v: the read chosen by counts differs from the site_id chunks", f)
		}
		if nAuto >= nChunks {
			t.Errorf("filter %+v: %d requests choosing by counts, %d by chunks: want fewer", f, nAuto, nChunks)
		}
	}
}
