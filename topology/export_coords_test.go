package topology

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// TestExportWithoutCoordinates: a site NetBox has no coordinates for (0,0
// in the model) is an unlocated GeoJSON feature (geometry null), and so is
// a cable to it; neato gets no position for it rather than a point off
// Africa.
func TestExportWithoutCoordinates(t *testing.T) {
	snap := loadManche(t)
	lost := snap.Sites[len(snap.Sites)-1].Slug
	snap.Sites[len(snap.Sites)-1].Latitude, snap.Sites[len(snap.Sites)-1].Longitude = 0, 0
	top := mustBuild(t, snap)
	var b bytes.Buffer
	if err := WriteGraph(&b, top, "geojson", GraphOptions{}); err != nil {
		t.Fatal(err)
	}
	var geo struct {
		Features []struct {
			Geometry   *struct{ Type string } `json:"geometry"`
			Properties map[string]any         `json:"properties"`
		} `json:"features"`
	}
	if err := json.Unmarshal(b.Bytes(), &geo); err != nil {
		t.Fatal(err)
	}
	unlocated := 0
	for _, f := range geo.Features {
		touches := f.Properties["slug"] == lost || f.Properties["from"] == lost || f.Properties["to"] == lost
		if touches != (f.Geometry == nil) {
			t.Errorf("feature %v: geometry %v (site %s has no coordinates)", f.Properties, f.Geometry, lost)
		}
		if f.Geometry == nil {
			unlocated++
		}
	}
	if unlocated < 2 {
		t.Errorf("%d unlocated features, want the site and its cables", unlocated)
	}
	b.Reset()
	if err := WriteGraph(&b, top, "dot", GraphOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(b.String(), "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), `"`+lost+`" [label`) && strings.Contains(line, "pos=") {
			t.Errorf("dot places %s without coordinates: %s", lost, line)
		}
	}
}
