package netbox_test

import (
	"context"
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
			nb, err := netbox.New(srv.URL, netbox.WithToken(testToken), netbox.WithRetry(2, time.Millisecond))
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
