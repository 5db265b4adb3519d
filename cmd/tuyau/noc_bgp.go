package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/tuyau-net/tuyau/bgp"
	"github.com/tuyau-net/tuyau/inventory"
	"github.com/tuyau-net/tuyau/telemetry/noc"
)

// speakerView shows the inventory's BGP speakers to the dashboard: their
// sessions, and for every hosting service the site the core carries it
// from. It is the glue between bgp and telemetry/noc, which never import
// each other.
type speakerView struct {
	speakers []*bgp.Client
	names    []string
	services []inventory.HostingService
}

// newSpeakerView dials every speaker of the inventory (lazily: a speaker
// that is not running fails each read and the pane says so).
// apis replaces the inventory's API address of the speakers it names (a
// speaker run in a lab serves its API in the lab's directory).
func newSpeakerView(ctx context.Context, snap *inventory.Snapshot, apis map[string]string) (*speakerView, error) {
	v := &speakerView{services: snap.Services}
	nopw := func(string) (string, error) { return "", nil } // the view needs the origins, not the passwords
	for _, sp := range snap.Speakers {
		cfg, err := bgp.ConfigFor(snap, sp.Name, nopw)
		if err != nil {
			return nil, fmt.Errorf("speaker %s: %w", sp.Name, err)
		}
		addr := sp.API
		if a := apis[sp.Name]; a != "" {
			addr = a
		}
		c, err := bgp.Dial(ctx, addr)
		if err != nil {
			return nil, fmt.Errorf("speaker %s: %w", sp.Name, err)
		}
		c.Origins, c.Site = cfg.Origins, cfg.Site
		v.speakers, v.names = append(v.speakers, c), append(v.names, sp.Name)
	}
	return v, nil
}

func (v *speakerView) Close() {
	for _, c := range v.speakers {
		_ = c.Close()
	}
}

// BGP implements noc.BGPSource.
func (v *speakerView) BGP(ctx context.Context) (noc.BGPState, error) {
	st := noc.BGPState{}
	for _, sv := range v.services {
		st.Services = append(st.Services, noc.Service{Name: sv.Name, Sites: sv.Sites})
	}
	if len(v.speakers) == 0 {
		st.Note = "no speaker in the inventory"
		return st, nil
	}
	var answered *bgp.Client
	now := time.Now()
	for i, c := range v.speakers {
		ps, err := c.Peers(ctx)
		if err != nil {
			if st.Note == "" {
				st.Note = "speaker " + v.names[i] + " does not answer"
			}
			continue
		}
		st.Running = true
		if answered == nil {
			answered = c
		}
		for _, p := range ps {
			// The NOC views speak FRR's upper-case states (ESTABLISHED),
			// the speaker's client GoBGP's lower-case ones.
			s := noc.Session{Device: v.names[i], Peer: p.Address.String(), PeerASN: p.ASN, State: strings.ToUpper(p.State)}
			if p.Device != "" {
				s.Peer = p.Device + " " + s.Peer
			}
			if up := time.Duration(p.Uptime); up > 0 {
				s.Since = now.Add(-up)
			}
			st.Sessions = append(st.Sessions, s)
		}
	}
	if answered == nil {
		return st, nil
	}
	st.Note = ""
	for i, sv := range v.services {
		if len(sv.Prefixes) == 0 {
			continue
		}
		paths, err := answered.Paths(ctx, sv.Prefixes[0])
		if err != nil {
			continue
		}
		st.Services[i].Known = true
		st.Services[i].ActiveSite = activeSite(paths, sv.Sites)
	}
	return st, nil
}

// activeSite is the site whose path the core prefers: the highest local
// preference, then the service's order of preference.
func activeSite(paths []bgp.Path, pref []string) string {
	rank := func(site string) int {
		for i, s := range pref {
			if s == site {
				return i
			}
		}
		return len(pref)
	}
	best := -1
	for i, p := range paths {
		if best < 0 || p.Attrs.LocalPref > paths[best].Attrs.LocalPref ||
			(p.Attrs.LocalPref == paths[best].Attrs.LocalPref && rank(p.Site) < rank(paths[best].Site)) {
			best = i
		}
	}
	if best < 0 {
		return ""
	}
	return paths[best].Site
}
