package testlab

import (
	"net/netip"
	"testing"
	"time"

	"github.com/tuyau-net/tuyau/inventory/synth"
)

// TestPlanCarriesInventoryOptics: an inventory's own optics (the vendor
// 1310 nm modules the generator orders for metro spans) reach the lab with
// their figures, so those links are optical, launch at the middle of the
// module's Tx range and come up, as "topology budget" says they close.
func TestPlanCarriesInventoryOptics(t *testing.T) {
	snap, err := synth.Generate(synth.Options{Sites: 50, Seed: 1, Profile: "manche"})
	if err != nil {
		t.Fatal(err)
	}
	if len(snap.Optics) == 0 {
		t.Fatal("the generator ordered no vendor optics for examples/manche's metro spans")
	}
	own := map[string]bool{}
	for _, o := range snap.Optics {
		own[o.Type] = true
	}
	p, err := NewPlan("optics", snap, netip.MustParsePrefix("127.43.0.0/16"), Ports{SSH: 22, GNMI: 57400, BGP: 179})
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, l := range p.Links {
		for _, e := range []Endpoint{l.A, l.B} {
			if !own[e.Transceiver] {
				if e.Optic != nil {
					t.Errorf("%s: built-in %s carries figures %+v", l.ID, e.Transceiver, *e.Optic)
				}
				continue
			}
			if e.Optic == nil || e.Optic.Type != e.Transceiver {
				t.Fatalf("%s: %s has no figures in the plan", l.ID, e.Transceiver)
			}
			tx, ok := txPower(e)
			if want := (e.Optic.TxMinDBm + e.Optic.TxMaxDBm) / 2; !ok || tx != round2(want) {
				t.Errorf("%s: %s launches %.2f dBm (optical %v), want %.2f", l.ID, e.Transceiver, tx, ok, want)
			}
			checked++
		}
		if own[l.A.Transceiver] && own[l.B.Transceiver] {
			s := &linkState{Link: l}
			up := endView{alive: true, adminUp: true}
			s.evaluate(time.Unix(0, 0), newFaults(), up, up)
			if !s.optical || !s.up {
				t.Errorf("%s: optical %v up %v (%s), want an optical link up", l.ID, s.optical, s.up, s.why)
			}
		}
	}
	if checked == 0 {
		t.Fatal("no link end uses the inventory's optics")
	}
}
