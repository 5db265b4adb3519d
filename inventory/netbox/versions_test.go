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
	nb, err := netbox.New(srv.URL, netbox.WithToken(v2), netbox.WithRetry(2, time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := nb.Bootstrap(ctx); err != nil {
		t.Fatalf("bootstrap with a v2 token: %v", err)
	}
	want := loadExample(t)
	_, err = nb.Push(ctx, want, false, true)
	var refused *netbox.RefusedError
	if !errors.As(err, &refused) || !strings.Contains(err.Error(), "port mapping") {
		t.Fatalf("dry-run push of patch panels to 4.5: %v, want a refusal naming port mappings", err)
	}
	// A front port entered by hand makes a read refuse, not misread.
	var m, dt, role, site, dev, rp struct {
		ID int `json:"id"`
	}
	call(t, "POST", srv.URL+"/api/dcim/manufacturers/", map[string]any{"name": "M", "slug": "m"}, &m)
	call(t, "POST", srv.URL+"/api/dcim/device-types/", map[string]any{"model": "P", "slug": "p", "manufacturer": m.ID}, &dt)
	call(t, "POST", srv.URL+"/api/dcim/device-roles/", map[string]any{"name": "patch-panel", "slug": "patch-panel"}, &role)
	call(t, "POST", srv.URL+"/api/dcim/sites/", map[string]any{"name": "S", "slug": "s"}, &site)
	call(t, "POST", srv.URL+"/api/dcim/devices/", map[string]any{"name": "pp1", "site": site.ID, "role": role.ID, "device_type": dt.ID}, &dev)
	call(t, "POST", srv.URL+"/api/dcim/rear-ports/", map[string]any{"device": dev.ID, "name": "r1", "type": "lc"}, &rp)
	call(t, "POST", srv.URL+"/api/dcim/front-ports/", map[string]any{"device": dev.ID, "name": "f1", "type": "lc", "rear_port": rp.ID}, nil)
	if _, err := nb.Load(ctx); !errors.As(err, &refused) || !strings.Contains(err.Error(), "port mapping") {
		t.Errorf("load of a 4.5 NetBox with front ports: %v, want a refusal naming port mappings", err)
	}
}
