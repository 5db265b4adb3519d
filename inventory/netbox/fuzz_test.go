package netbox

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// FuzzLoadCables serves arbitrary bytes as the cable list of an otherwise
// hand-written NetBox: Load must return a snapshot or an error, never panic.
func FuzzLoadCables(f *testing.F) {
	for _, name := range []string{"dcim_cables.json", "dcim_interfaces.json", "dcim_devices.json", "ipam_ip-addresses.json"} {
		data, err := os.ReadFile(filepath.Join("testdata", "handwritten", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(emptyPage))
	f.Add([]byte(`{"count":1,"next":null,"results":[{"id":1,"type":"smf","a_terminations":[{"object_type":"dcim.interface","object_id":1,"object":null}],"b_terminations":[]}]}`))
	f.Add([]byte(`{"count":5,"next":"http://x/?offset=1","results":[{"id":1}]}`))
	f.Add([]byte(`{"count":1,"next":null,"results":[{"id":1,"length":1e308,"length_unit":{"value":"km"}}]}`))
	recorded := map[string][]byte{}
	entries, _ := os.ReadDir(filepath.Join("testdata", "handwritten"))
	for _, e := range entries {
		data, _ := os.ReadFile(filepath.Join("testdata", "handwritten", e.Name()))
		recorded[e.Name()] = data
	}
	f.Fuzz(func(t *testing.T, cables []byte) {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			name := r.URL.Path[len("/api/"):]
			name = name[:len(name)-1]
			for i := range name {
				if name[i] == '/' {
					name = name[:i] + "_" + name[i+1:]
				}
			}
			if name == "dcim_cables" {
				_, _ = w.Write(cables)
				return
			}
			if data, ok := recorded[name+".json"]; ok {
				_, _ = w.Write(data)
				return
			}
			_, _ = w.Write([]byte(emptyPage))
		}))
		defer srv.Close()
		nb, err := New(srv.URL, WithToken("t"), WithRetry(1, time.Millisecond), WithTimeout(5*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		snap, err := nb.Load(context.Background())
		if err == nil && snap == nil {
			t.Fatal("Load returned neither a snapshot nor an error")
		}
	})
}
