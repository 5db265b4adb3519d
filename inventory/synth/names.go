package synth

import (
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/tuyau-net/tuyau/inventory"
)

// numbered names sites dc1, pop-0001, mbr-00001 and scatters them over a
// box the size of a département.
type numbered struct{}

func (numbered) network() (string, string, string) {
	return "synthetic", "synthetic", "Synthetic département"
}

func (numbered) core(i int) (string, string, float64, float64) {
	if i == 0 {
		return "dc1", "Core datacenter 1 (primary)", 49.116, -1.091
	}
	return "dc2", "Core datacenter 2 (replica)", 49.634, -1.622
}

func (numbered) pop(i, _ int, rng *rand.Rand) (string, string, float64, float64) {
	return fmt.Sprintf("pop-%04d", i+1), fmt.Sprintf("POP %d", i+1), 48.55 + rng.Float64()*1.1, -1.9 + rng.Float64()*1.0
}

func (numbered) member(i int, rng *rand.Rand, near inventory.Site) (string, string, string, float64, float64) {
	fac := facilities[i%len(facilities)]
	return fmt.Sprintf("mbr-%05d", i+1), fmt.Sprintf("Member %d (%s)", i+1, fac.label),
		fac.kind, near.Latitude + (rng.Float64()-0.5)*0.2, near.Longitude + (rng.Float64()-0.5)*0.3
}

var facilities = []struct{ kind, label, slug string }{
	{"town-hall", "Mairie", "mairie"},
	{"school", "Collège", "college"},
	{"town-hall", "Mairie", "mairie"},
	{"community-office", "Communauté de communes", "cc"},
	{"school", "Lycée", "lycee"},
	{"hospital", "Centre hospitalier", "hopital"},
	{"library", "Médiathèque", "mediatheque"},
}

type place struct {
	name     string
	lat, lon float64
}

// manche names sites after the Manche département: cores at Saint-Lô
// (préfecture, primary) and Cherbourg-en-Cotentin (replica), POPs in the
// market towns, members in the communes around them. Coordinates are
// approximate town centres.
type manche struct{}

var mancheCores = []place{
	{"Saint-Lô", 49.116, -1.091},
	{"Cherbourg-en-Cotentin", 49.634, -1.622},
}

var manchePOPs = []place{
	{"Valognes", 49.509, -1.470}, {"Les Pieux", 49.512, -1.807}, {"Carentan", 49.304, -1.248},
	{"Périers", 49.187, -1.408}, {"Coutances", 49.048, -1.445}, {"Granville", 48.838, -1.597},
	{"Villedieu-les-Poêles", 48.838, -1.220}, {"Avranches", 48.684, -1.357}, {"Mortain", 48.649, -0.940},
	{"Torigni-sur-Vire", 49.033, -0.980}, {"Barneville-Carteret", 49.383, -1.750}, {"Pontorson", 48.553, -1.508},
}

var mancheMembers = []place{
	{"Barfleur", 49.671, -1.264}, {"Saint-Vaast-la-Hougue", 49.588, -1.268}, {"Quettehou", 49.593, -1.303},
	{"Bricquebec", 49.470, -1.633}, {"Brix", 49.545, -1.581}, {"Montebourg", 49.488, -1.378},
	{"Sainte-Mère-Église", 49.408, -1.317}, {"Picauville", 49.378, -1.400}, {"Saint-Sauveur-le-Vicomte", 49.387, -1.530},
	{"La Haye", 49.294, -1.546}, {"Lessay", 49.218, -1.531}, {"Créances", 49.198, -1.570},
	{"Gouville-sur-Mer", 49.097, -1.580}, {"Agon-Coutainville", 49.046, -1.576}, {"Cerisy-la-Salle", 49.027, -1.283},
	{"Gavray", 48.911, -1.350}, {"Hambye", 48.949, -1.264}, {"Bréhal", 48.899, -1.512},
	{"Donville-les-Bains", 48.846, -1.583}, {"Sartilly", 48.752, -1.451}, {"Ducey", 48.619, -1.293},
	{"Saint-Hilaire-du-Harcouët", 48.577, -1.093}, {"Saint-James", 48.523, -1.325}, {"Brécey", 48.724, -1.166},
	{"Isigny-le-Buat", 48.617, -1.170}, {"Juvigny-le-Tertre", 48.676, -1.048}, {"Percy", 48.917, -1.188},
	{"Tessy-sur-Vire", 48.970, -1.066}, {"Condé-sur-Vire", 49.050, -1.036}, {"Marigny", 49.099, -1.243},
	{"Canisy", 49.077, -1.175}, {"Saint-Jean-de-Daye", 49.230, -1.134}, {"Pont-Hébert", 49.166, -1.134},
	{"Flamanville", 49.531, -1.867}, {"Beaumont-Hague", 49.664, -1.840}, {"Équeurdreville", 49.646, -1.659},
	{"Tourlaville", 49.638, -1.567}, {"La Glacerie", 49.609, -1.585},
}

func (manche) network() (string, string, string) { return "manche-numerique", "manche", "Manche" }

func (manche) core(i int) (string, string, float64, float64) {
	p := mancheCores[i]
	role := "primary"
	if i == 1 {
		role = "replica"
	}
	return slug(p.name) + "-dc", p.name + " datacenter (" + role + ")", p.lat, p.lon
}

func (manche) pop(i, n int, rng *rand.Rand) (string, string, float64, float64) {
	if i >= len(manchePOPs) {
		return numbered{}.pop(i, n, rng)
	}
	p := manchePOPs[i]
	return slug(p.name) + "-pop", "POP " + p.name, p.lat, p.lon
}

func (manche) member(i int, rng *rand.Rand, near inventory.Site) (string, string, string, float64, float64) {
	if i >= len(mancheMembers) {
		return numbered{}.member(i, rng, near)
	}
	p := mancheMembers[i]
	fac := facilities[i%len(facilities)]
	return slug(p.name) + "-" + fac.slug, fac.label + " de " + p.name, fac.kind, p.lat, p.lon
}

var asciiFold = strings.NewReplacer("é", "e", "è", "e", "ê", "e", "ô", "o", "É", "e", "â", "a", "î", "i", "ç", "c", "ë", "e")

// slug turns "Saint-Lô" into "saint-lo".
func slug(s string) string {
	s = strings.ToLower(asciiFold.Replace(s))
	var b strings.Builder
	dash := false
	for _, r := range s {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
			dash = false
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	return strings.TrimSuffix(b.String(), "-")
}
