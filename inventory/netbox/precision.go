package netbox

import (
	"fmt"
	"math"
	"strconv"

	"github.com/tuyau-net/tuyau/inventory"
)

// NetBox stores these values as Django DecimalFields and answers 400 to
// a value with more decimals than the field has (DRF's "Ensure that there
// are no more than 2 decimal places."): a cable's length has 2
// (max_digits 8), a site's latitude and longitude 6 (max_digits 8 and 9).
const (
	lengthPlaces = 2
	coordPlaces  = 6
)

// Rounded is a value the inventory holds more precisely than NetBox can:
// push writes To, and reads back To.
type Rounded struct {
	Object string `json:"object"` // "cable FO-12", "site stlo-dc1"
	Field  string `json:"field"`  // "length", "latitude", "longitude"
	From   string `json:"from"`
	To     string `json:"to"`
}

func (r Rounded) String() string {
	return fmt.Sprintf("%s: %s %s is written to NetBox as %s (NetBox keeps %s)", r.Object, r.Field, r.From, r.To,
		map[string]string{"length": "2 decimals", "latitude": "6 decimals", "longitude": "6 decimals"}[r.Field])
}

func roundPlaces(v float64, places int) float64 {
	p := math.Pow10(places)
	return math.Round(v*p) / p
}

// Storable returns the snapshot as NetBox can hold it: cable lengths
// rounded to 2 decimals in their own unit (12.345 km becomes 12.35 km, a
// 5 m change), coordinates to 6 decimals (about 0.1 m), and what was
// rounded. Push and diff compare NetBox with this, so a rounded value is
// written once and then reads back equal; s is not changed.
func Storable(s *inventory.Snapshot) (*inventory.Snapshot, []Rounded) {
	var out []Rounded
	var cables []inventory.Cable
	for i, c := range s.Cables {
		if c.Length.IsZero() {
			continue
		}
		v := c.Length.Value()
		r := roundPlaces(v, lengthPlaces)
		if r == v {
			continue
		}
		if cables == nil {
			cables = append([]inventory.Cable(nil), s.Cables...)
		}
		unit := c.Length.Unit
		if unit == "" {
			unit = "m"
		}
		l, err := inventory.NewLength(r, unit)
		if err != nil {
			continue // a unit the inventory accepted: cannot happen
		}
		cables[i].Length = l
		out = append(out, Rounded{"cable " + c.Label, "length", c.Length.String(), l.String()})
	}
	var sites []inventory.Site
	for i, x := range s.Sites {
		if !x.HasCoordinates() {
			continue
		}
		lat, lon := roundPlaces(x.Latitude, coordPlaces), roundPlaces(x.Longitude, coordPlaces)
		if lat == x.Latitude && lon == x.Longitude {
			continue
		}
		if sites == nil {
			sites = append([]inventory.Site(nil), s.Sites...)
		}
		sites[i].Latitude, sites[i].Longitude = lat, lon
		if lat != x.Latitude {
			out = append(out, Rounded{"site " + x.Slug, "latitude", ftoa(x.Latitude), ftoa(lat)})
		}
		if lon != x.Longitude {
			out = append(out, Rounded{"site " + x.Slug, "longitude", ftoa(x.Longitude), ftoa(lon)})
		}
	}
	if cables == nil && sites == nil {
		return s, nil
	}
	c := *s
	if cables != nil {
		c.Cables = cables
	}
	if sites != nil {
		c.Sites = sites
	}
	return &c, out
}

func ftoa(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }
