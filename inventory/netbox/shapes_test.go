package netbox

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	gonetbox "github.com/netbox-community/go-netbox/v4"

	"github.com/tuyau-net/tuyau/inventory/yamlstore"
)

var update = flag.Bool("update", false, "rewrite golden files")

const emptyPage = `{"count":0,"next":null,"previous":null,"results":[]}`

// handwrittenNetBox serves testdata/handwritten: one file per list
// endpoint, written by hand in the shapes NetBox 4.0 sends (see
// /work/shared/reference/netbox-4.0-shapes.md), not recorded from a NetBox.
func handwrittenNetBox(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Token handwritten" {
			w.WriteHeader(http.StatusForbidden)
			_, _ = w.Write([]byte(`{"detail": "Invalid token"}`))
			return
		}
		name := strings.ReplaceAll(strings.Trim(strings.TrimPrefix(r.URL.Path, "/api/"), "/"), "/", "_") + ".json"
		data, err := os.ReadFile(filepath.Join("testdata", "handwritten", name))
		if err != nil {
			data = []byte(emptyPage)
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(data)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// TestHandwrittenNetBox40Shapes decodes responses shaped as NetBox 4.0 sends them
// and checks the snapshot tuyau makes of them against want.yaml.
func TestHandwrittenNetBox40Shapes(t *testing.T) {
	srv := handwrittenNetBox(t)
	nb, err := New(srv.URL, WithToken("handwritten"))
	if err != nil {
		t.Fatal(err)
	}
	snap, err := nb.Load(context.Background())
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	got, err := yamlstore.Marshal(snap)
	if err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "handwritten", "want.yaml")
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("snapshot of the hand-written responses differs from %s (run with -update if intended):\n%s", golden, got)
	}
	if d := snap.Devices[0]; d.Src.File != "https://netbox.example.org/api/dcim/devices/11/" && !strings.HasSuffix(d.Src.File, "/api/dcim/devices/11/") {
		t.Errorf("device source %q does not point at its API URL", d.Src.File)
	}
}

// TestGoNetboxRejectsRealShapes documents why responses are not decoded
// with go-netbox v4.0.3-0's models: they want full nested objects where
// NetBox sends brief ones. If this starts passing, the models were fixed
// upstream and could be used.
func TestGoNetboxRejectsRealShapes(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "handwritten", "dcim_interfaces.json"))
	if err != nil {
		t.Fatal(err)
	}
	var page struct {
		Results []json.RawMessage `json:"results"`
	}
	if err := json.Unmarshal(data, &page); err != nil {
		t.Fatal(err)
	}
	var iface gonetbox.Interface
	err = json.Unmarshal(page.Results[1], &iface)
	if err == nil {
		t.Fatal("go-netbox decoded a brief nested device: its models may be fixed, reconsider the own response types")
	}
	t.Logf("go-netbox: %v", err)
	var ours Interface
	if err := json.Unmarshal(page.Results[1], &ours); err != nil || ours.Device.Name != "caen-r1" || ours.Cable == nil || ours.Cable.Label != "PC-1" {
		t.Errorf("own type: %+v, %v", ours, err)
	}
}

func TestRecordedBadToken(t *testing.T) {
	srv := handwrittenNetBox(t)
	nb, err := New(srv.URL, WithToken("wrong"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := nb.Load(context.Background()); err == nil || !strings.Contains(err.Error(), "Invalid token") {
		t.Fatalf("Load with a bad token: %v, want 403 Invalid token", err)
	}
}
