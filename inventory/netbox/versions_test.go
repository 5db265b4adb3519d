package netbox_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/tuyau-net/tuyau/inventory/netbox"
	"github.com/tuyau-net/tuyau/testlab/netboxsim"
)

// The example round-trips through every NetBox 4.x shape the simulator
// serves: 4.2 and later write circuit ends and prefixes as
// termination_type/_id and scope_type/_id, which a 4.0 write ("site")
// would silently lose, since NetBox ignores unknown fields.
func TestRoundTripAcrossNetBoxVersions(t *testing.T) {
	ctx := context.Background()
	for _, v := range []string{"4.0.3", "4.1.11", "4.2.2", "4.4.1"} {
		t.Run(v, func(t *testing.T) {
			sim := netboxsim.New(netboxsim.Options{Tokens: []string{testToken}, Version: v})
			srv := httptest.NewServer(sim)
			defer srv.Close()
			nb, err := netbox.New(srv.URL, netbox.WithToken(testToken), netbox.WithRetry(2, time.Millisecond), exampleOptics(t))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := nb.Bootstrap(ctx); err != nil {
				t.Fatal(err)
			}
			want := loadExample(t)
			if err := push(ctx, nb, want); err != nil {
				t.Fatalf("push: %v", err)
			}
			got, rep, err := nb.LoadReport(ctx)
			if err != nil {
				t.Fatalf("load: %v", err)
			}
			if rep.Version != v {
				t.Errorf("report says NetBox %q, want %q", rep.Version, v)
			}
			assertSame(t, want, got)
			var terms struct {
				Results []map[string]any `json:"results"`
			}
			call(t, "GET", srv.URL+"/api/circuits/circuit-terminations/?limit=1", nil, &terms)
			term := terms.Results[0]
			_, hasSite := term["site"]
			scoped := strings.HasPrefix(v, "4.2") || strings.HasPrefix(v, "4.4")
			if scoped && (hasSite || term["termination_type"] != "dcim.site") || !scoped && !hasSite {
				t.Errorf("NetBox %s circuit termination: %v", v, term)
			}
		})
	}
}

func TestUnsupportedNetBoxIsRefused(t *testing.T) {
	for _, v := range []string{"3.7.8", "5.0.0", ""} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"netbox-version": "` + v + `"}`))
		}))
		nb, err := netbox.New(srv.URL, netbox.WithToken(testToken))
		if err != nil {
			t.Fatal(err)
		}
		_, err = nb.Load(context.Background())
		if err == nil || !strings.Contains(err.Error(), "supports NetBox 4.0 and later 4.x") {
			t.Errorf("NetBox %q: %v", v, err)
		}
		srv.Close()
	}
}

// From NetBox 4.5 a v2 token (nbt_KEY.TOKEN) is sent as Bearer, and patch
// panels are refused both ways: 4.5 replaced a front port's rear_port with
// port mappings, and NetBox would ignore the old fields a push sends.
func TestNetBox45TokensAndPortMappings(t *testing.T) {
	ctx := context.Background()
	const v2 = "nbt_3f9a1c.5b2e77d0c4a14f6e9b8d2a7c1e0f3b6d"
	sim := netboxsim.New(netboxsim.Options{Tokens: []string{v2, testToken}, Version: "4.5.2"})
	srv := httptest.NewServer(sim)
	defer srv.Close()
	nb, err := netbox.New(srv.URL, netbox.WithToken(v2), netbox.WithRetry(2, time.Millisecond), exampleOptics(t))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := nb.Bootstrap(ctx); err != nil {
		t.Fatalf("bootstrap with a v2 token: %v", err)
	}
	// Patch panels go through 4.5's port mappings and come back the same.
	want := loadExample(t)
	if len(want.PatchPanels) == 0 {
		t.Fatal("the example has no patch panels to map")
	}
	if err := push(ctx, nb, want); err != nil {
		t.Fatalf("push of patch panels to 4.5: %v", err)
	}
	got, err := nb.Load(ctx)
	if err != nil {
		t.Fatalf("load from 4.5: %v", err)
	}
	assertSame(t, want, got)
	var fp struct {
		Results []map[string]any `json:"results"`
	}
	call(t, "GET", srv.URL+"/api/dcim/front-ports/?limit=1", nil, &fp)
	if len(fp.Results) != 1 || fp.Results[0]["rear_ports"] == nil || fp.Results[0]["rear_port"] != nil {
		t.Fatalf("4.5 front port %v: want rear_ports and no rear_port", fp.Results)
	}
	before := sim.Stats().Writes
	if err := push(ctx, nb, want); err != nil {
		t.Fatalf("second push: %v", err)
	}
	if w := sim.Stats().Writes - before; w != 0 {
		t.Errorf("second push to 4.5 made %d writes, want 0", w)
	}
	// A front port mapped many-to-many by hand is refused, not misread.
	var m, dt, role, site, dev, rp1, rp2 struct {
		ID int `json:"id"`
	}
	call(t, "POST", srv.URL+"/api/dcim/manufacturers/", map[string]any{"name": "M", "slug": "m"}, &m)
	call(t, "POST", srv.URL+"/api/dcim/device-types/", map[string]any{"model": "P", "slug": "p", "manufacturer": m.ID}, &dt)
	call(t, "POST", srv.URL+"/api/dcim/sites/", map[string]any{"name": "S", "slug": "s"}, &site)
	var roles struct {
		Results []struct {
			ID int `json:"id"`
		} `json:"results"`
	}
	call(t, "GET", srv.URL+"/api/dcim/device-roles/?slug=patch-panel", nil, &roles)
	if len(roles.Results) == 1 {
		role.ID = roles.Results[0].ID
	} else {
		call(t, "POST", srv.URL+"/api/dcim/device-roles/", map[string]any{"name": "patch-panel", "slug": "patch-panel"}, &role)
	}
	call(t, "POST", srv.URL+"/api/dcim/devices/", map[string]any{"name": "pp-x", "site": site.ID, "role": role.ID, "device_type": dt.ID}, &dev)
	call(t, "POST", srv.URL+"/api/dcim/rear-ports/", map[string]any{"device": dev.ID, "name": "r1", "type": "lc"}, &rp1)
	call(t, "POST", srv.URL+"/api/dcim/rear-ports/", map[string]any{"device": dev.ID, "name": "r2", "type": "lc"}, &rp2)
	call(t, "POST", srv.URL+"/api/dcim/front-ports/", map[string]any{"device": dev.ID, "name": "f1", "type": "lc", "positions": 2,
		"rear_ports": []map[string]any{{"position": 1, "rear_port": rp1.ID, "rear_port_position": 1}, {"position": 2, "rear_port": rp2.ID, "rear_port_position": 1}}}, nil)
	var refused *netbox.RefusedError
	if _, err := nb.Load(ctx); !errors.As(err, &refused) || !strings.Contains(err.Error(), "pp-x:f1") || !strings.Contains(err.Error(), "2 port mappings") {
		t.Errorf("load of a many-to-many front port: %v, want a refusal naming pp-x:f1 and its 2 port mappings", err)
	}
}
