package web

import (
	"context"
	"net/http"
	"slices"

	"github.com/tuyau-net/tuyau/telemetry"
	"github.com/tuyau-net/tuyau/topology"
)

// linkPage is GET /api/links/{id}: the sink's state and history of a link
// with what the inventory says of it.
type linkPage struct {
	ID      string                `json:"id"`
	State   *telemetry.LinkDetail `json:"state"` // nil when the sink has none
	Plan    *topology.Link        `json:"plan"`  // nil when the inventory has none
	Cables  []cableInfo           `json:"cables"`
	Ducts   []topology.SRLG       `json:"ducts"`
	Alarms  []telemetry.Alarm     `json:"alarms"`
	Err     string                `json:"error,omitempty"`
	History string                `json:"history_from"` // where the history comes from
}

type cableInfo struct {
	topology.Span
	FromName string `json:"from_name,omitempty"`
	ToName   string `json:"to_name,omitempty"`
}

func (s *Server) link(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	ctx, cancel := contextTimeout(r, s.o.Timeout)
	defer cancel()
	p := linkPage{ID: id, Cables: []cableInfo{}, Ducts: []topology.SRLG{}, Alarms: []telemetry.Alarm{}}
	if l, ok := s.topo.Link(id); ok {
		p.Plan = &l
		for _, c := range l.Cables {
			if sp, ok := s.topo.Span(c); ok {
				p.Cables = append(p.Cables, cableInfo{Span: sp, FromName: s.siteName(sp.FromSite), ToName: s.siteName(sp.ToSite)})
			}
		}
		for _, g := range s.topo.SRLGs() {
			if slices.Contains(l.SRLGs, g.Name) {
				p.Ducts = append(p.Ducts, g)
			}
		}
	}
	if s.o.Detailer != nil {
		p.History = "sink"
		if d, err := s.o.Detailer.Link(ctx, id); err == nil {
			p.State = &d
		} else {
			p.Err = err.Error()
		}
	} else {
		p.History = "none"
		ls, err := s.o.Source.Links(ctx)
		if err != nil {
			p.Err = err.Error()
		}
		for _, l := range ls {
			if l.ID == id {
				p.State = &telemetry.LinkDetail{LinkState: l}
			}
		}
	}
	if p.State != nil && p.State.History == nil {
		p.State.History = []telemetry.LinkPoint{}
	}
	if p.State == nil && p.Plan == nil {
		writeJSON(w, http.StatusNotFound, apiError{"link " + id + ": not in the inventory nor the sink"})
		return
	}
	p.Alarms = s.alarmsAbout(ctx, func(a telemetry.Alarm) bool {
		if a.ObjectKind == "link" && a.Object == id {
			return true
		}
		return p.Plan != nil && (a.ObjectKind == "duct" && slices.Contains(p.Plan.SRLGs, a.Object) ||
			a.ObjectKind == "cable" && slices.Contains(p.Plan.Cables, a.Object))
	})
	writeJSON(w, http.StatusOK, p)
}

func (s *Server) siteName(slug string) string {
	if st, ok := s.topo.Site(slug); ok && st.Name != "" {
		return st.Name
	}
	return slug
}

func (s *Server) alarmsAbout(ctx context.Context, keep func(telemetry.Alarm) bool) []telemetry.Alarm {
	out := []telemetry.Alarm{}
	as, _ := s.o.Source.Alarms(ctx)
	for _, a := range as {
		if a.State == telemetry.AlarmActive && keep(a) {
			out = append(out, a)
		}
	}
	return out
}

// sitePage is GET /api/sites/{slug}: a site, its links' state and, for
// a member site, its routes to both core sites with each hop's state.
type sitePage struct {
	Site   topology.Site     `json:"site"`
	Links  []siteLink        `json:"links"`
	Cores  []corePaths       `json:"cores"`
	Alarms []telemetry.Alarm `json:"alarms"`
	Err    string            `json:"error,omitempty"`
}

type siteLink struct {
	ID    string `json:"id"`
	Peer  string `json:"peer"`
	Oper  string `json:"oper"`
	Speed int64  `json:"speed_mbps"`
}

// corePaths are up to two link-disjoint routes from the site to one core
// site; Reachable says one of them has every hop up now.
type corePaths struct {
	Core      string       `json:"core"`
	Routes    []routeState `json:"routes"`
	Reachable bool         `json:"reachable"`
	Note      string       `json:"note,omitempty"`
	Err       string       `json:"error,omitempty"`
}

type routeState struct {
	Km   float64    `json:"km"`
	Up   bool       `json:"up"`
	Hops []hopState `json:"hops"`
}

type hopState struct {
	topology.Hop
	Oper string `json:"oper"`
}

func (s *Server) site(w http.ResponseWriter, r *http.Request) {
	slug := r.PathValue("slug")
	st, ok := s.topo.Site(slug)
	if !ok {
		writeJSON(w, http.StatusNotFound, apiError{"site " + slug + ": not in the inventory"})
		return
	}
	ctx, cancel := contextTimeout(r, s.o.Timeout)
	defer cancel()
	p := sitePage{Site: st, Links: []siteLink{}, Cores: []corePaths{}}
	oper := map[string]string{}
	ls, err := s.o.Source.Links(ctx)
	if err != nil {
		p.Err = err.Error()
	}
	for _, l := range ls {
		oper[l.ID] = l.Oper
	}
	operOf := func(id string) string {
		if o := oper[id]; o != "" {
			return o
		}
		return "unknown"
	}
	for _, l := range s.topo.Links {
		peer := ""
		switch slug {
		case l.ASite:
			peer = l.BSite
		case l.BSite:
			peer = l.ASite
		default:
			continue
		}
		p.Links = append(p.Links, siteLink{ID: l.ID, Peer: peer, Oper: operOf(l.ID), Speed: int64(l.Speed)})
	}
	for _, core := range []string{s.topo.CoreA, s.topo.CoreB} {
		if core == "" || core == slug {
			continue
		}
		cp := corePaths{Core: core, Routes: []routeState{}}
		res, err := s.an.Path(slug, core, topology.PathOptions{Disjoint: true})
		if err != nil && len(res.Routes) == 0 {
			res, err = s.an.Path(slug, core, topology.PathOptions{})
		}
		switch {
		case err != nil && len(res.Routes) == 1:
			// A single-homed site: its one route is the whole story.
			cp.Note = "one route only: no link-disjoint second route"
		case err != nil:
			cp.Err = err.Error()
		}
		for _, rt := range res.Routes {
			rs := routeState{Km: rt.Km, Up: true}
			for _, h := range rt.Hops {
				o := operOf(h.Link)
				rs.Up = rs.Up && o == "up"
				rs.Hops = append(rs.Hops, hopState{Hop: h, Oper: o})
			}
			cp.Reachable = cp.Reachable || rs.Up
			cp.Routes = append(cp.Routes, rs)
		}
		p.Cores = append(p.Cores, cp)
	}
	p.Alarms = s.alarmsAbout(ctx, func(a telemetry.Alarm) bool {
		return slices.Contains(a.Sites, slug) || slices.Contains(a.LoseHosting, slug) || slices.Contains(a.LoseOneCore, slug) ||
			(a.ObjectKind == "site" && a.Object == slug)
	})
	writeJSON(w, http.StatusOK, p)
}
