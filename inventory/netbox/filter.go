package netbox

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// idChunk bounds the ids sent in one filtered request (site_id=1&site_id=2...),
// keeping URLs well under the 4 KB request line gunicorn (NetBox's usual
// server) accepts.
const idChunk = 100

// The lists a filtered read takes for the selected sites.
const (
	pathDevices      = "dcim/devices/?exclude=config_context"
	pathInterfaces   = "dcim/interfaces/"
	pathCables       = "dcim/cables/"
	pathFrontPorts   = "dcim/front-ports/"
	pathRearPorts    = "dcim/rear-ports/"
	pathLocations    = "dcim/locations/"
	pathPrefixes     = "ipam/prefixes/"
	pathTerminations = "circuits/circuit-terminations/"
	pathIPs          = "ipam/ip-addresses/"
	pathCircuits     = "circuits/circuits/"
)

// fetchFiltered reads only the sites the filter selects and what is in
// them: NetBox filters sites by tag, region, group and tenant, then
// devices, their components, cables, locations, prefixes and circuit
// terminations by site_id, IP addresses by device_id and circuits by id.
//
// Each of those lists is read either by chunks of ids (idChunk a request)
// or whole, keeping what the id filter would have returned, whichever
// takes fewer requests: the total count of each list is asked (limit=1)
// while the sites are read. A filter selecting most of a NetBox (a tenant
// owning 3,006 of its 3,007 sites) would otherwise send 31 requests per
// list where 10 pages hold the whole list (306 requests in all, the wall
// time of the read at 20 ms a request); a small part of a large NetBox is
// still read by chunks. Store.wholeReads forces one way (tests).
func (s *Store) fetchFiltered(ctx context.Context, sem chan struct{}, st *state) error {
	lists := []string{pathDevices, pathInterfaces, pathCables, pathFrontPorts, pathRearPorts, pathLocations,
		pathPrefixes, pathTerminations, pathIPs, pathCircuits}
	totals := make([]int, len(lists))
	g := group{}
	g.run(func() (err error) {
		st.sites, err = fetchAll[Site](ctx, &s.c, sem, "dcim/sites/?"+s.filter.query())
		return err
	})
	if s.wholeReads == nil {
		for i, p := range lists {
			g.run(func() (err error) {
				totals[i], err = fetchCount(ctx, &s.c, sem, p)
				return err
			})
		}
	}
	if err := g.wait(); err != nil {
		return err
	}
	if len(st.sites) == 0 {
		return fmt.Errorf("netbox %s: the filter %s selects no site", s.c.base, s.filter.query())
	}
	// whole says whether to read a list whole rather than by chunks of n ids.
	whole := func(path string, n int) bool {
		if s.wholeReads != nil {
			return *s.wholeReads
		}
		total := totals[slices.Index(lists, path)]
		return max(1, (total+s.c.pageSize-1)/s.c.pageSize) <= (n+idChunk-1)/idChunk
	}
	sites := idSet(st.sites, func(x Site) int { return x.ID })
	siteIDs := slices.Sorted(maps.Keys(sites))
	// Each list's goroutine closes its channel once the list is read (or
	// failed): the lists kept by what another list selected wait for it.
	devDone, ifDone, portDone, termDone := make(chan struct{}), make(chan struct{}), make(chan struct{}), make(chan struct{})
	var devs, ifaces, ports, terms map[int]bool
	g = group{}
	g.run(func() (err error) {
		defer close(devDone)
		st.devices, err = fetchSelected(ctx, &s.c, sem, pathDevices, "site_id", siteIDs, whole(pathDevices, len(siteIDs)),
			func(d Device) bool { return sites[d.Site.ID] })
		devs = idSet(st.devices, func(d Device) int { return d.ID })
		return err
	})
	g.run(func() (err error) {
		defer close(ifDone)
		st.interfaces, err = fetchSelected(ctx, &s.c, sem, pathInterfaces, "site_id", siteIDs, whole(pathInterfaces, len(siteIDs)),
			func(i Interface) bool { <-devDone; return devs[i.Device.ID] })
		ifaces = idSet(st.interfaces, func(i Interface) int { return i.ID })
		return err
	})
	g.run(func() error {
		defer close(portDone)
		var err1, err2 error
		pg := group{}
		pg.run(func() error {
			st.frontPorts, err1 = fetchSelected(ctx, &s.c, sem, pathFrontPorts, "site_id", siteIDs, whole(pathFrontPorts, len(siteIDs)),
				func(p FrontPort) bool { <-devDone; return devs[p.Device.ID] })
			return err1
		})
		pg.run(func() error {
			st.rearPorts, err2 = fetchSelected(ctx, &s.c, sem, pathRearPorts, "site_id", siteIDs, whole(pathRearPorts, len(siteIDs)),
				func(p RearPort) bool { <-devDone; return devs[p.Device.ID] })
			return err2
		})
		err := pg.wait()
		ports = idSet(st.frontPorts, func(p FrontPort) int { return p.ID })
		for _, p := range st.rearPorts {
			ports[-p.ID] = true // rear ports by negative id, apart from the front ones
		}
		return err
	})
	g.run(func() (err error) {
		st.locations, err = fetchSelected(ctx, &s.c, sem, pathLocations, "site_id", siteIDs, whole(pathLocations, len(siteIDs)),
			func(l Location) bool { return sites[l.Site.ID] })
		return err
	})
	g.run(func() (err error) {
		w := whole(pathPrefixes, len(siteIDs))
		st.prefixes, err = fetchSelected(ctx, &s.c, sem, pathPrefixes, "site_id", siteIDs, w,
			func(p Prefix) bool {
				site := siteOf(p.Site, p.ScopeType, p.Scope)
				return site != nil && sites[site.ID]
			})
		if err == nil && w && anyScopedBelowSite(st.prefixes, func(p Prefix) *string { return p.ScopeType }) {
			st.prefixes, err = fetchByIDs[Prefix](ctx, &s.c, sem, pathPrefixes, "site_id", siteIDs)
		}
		return err
	})
	g.run(func() (err error) {
		termsRead := sync.OnceFunc(func() { close(termDone) })
		defer termsRead()
		w := whole(pathTerminations, len(siteIDs))
		in := func(t CircuitTermination) bool {
			site := siteOf(t.Site, t.TerminationType, t.Termination)
			return site != nil && sites[site.ID]
		}
		st.terminations, err = fetchSelected(ctx, &s.c, sem, pathTerminations, "site_id", siteIDs, w, in)
		if err == nil && w && anyScopedBelowSite(st.terminations, func(t CircuitTermination) *string { return t.TerminationType }) {
			st.terminations, err = fetchByIDs[CircuitTermination](ctx, &s.c, sem, pathTerminations, "site_id", siteIDs)
		}
		terms = idSet(st.terminations, func(t CircuitTermination) int { return t.ID })
		termsRead()
		if err != nil {
			return err
		}
		circuits := map[int]bool{}
		for _, t := range st.terminations {
			circuits[t.Circuit.ID] = true
		}
		ids := slices.Sorted(maps.Keys(circuits))
		st.circuits, err = fetchSelected(ctx, &s.c, sem, pathCircuits, "id", ids, whole(pathCircuits, len(ids)),
			func(c Circuit) bool { return circuits[c.ID] })
		return err
	})
	g.run(func() (err error) {
		<-devDone
		devIDs := slices.Sorted(maps.Keys(devs))
		st.ips, err = fetchSelected(ctx, &s.c, sem, pathIPs, "device_id", devIDs, whole(pathIPs, len(devIDs)),
			func(ip IPAddress) bool {
				<-ifDone
				return ip.AssignedObjectType != nil && *ip.AssignedObjectType == "dcim.interface" && ip.AssignedObjectID != nil && ifaces[*ip.AssignedObjectID]
			})
		return err
	})
	g.run(func() (err error) {
		// NetBox's site_id on cables is any end's cached site: an end on
		// a selected device's interface, port or other component, or on a
		// selected circuit termination.
		st.cables, err = fetchSelected(ctx, &s.c, sem, pathCables, "site_id", siteIDs, whole(pathCables, len(siteIDs)),
			func(c Cable) bool {
				<-ifDone
				<-portDone
				<-termDone
				for _, t := range slices.Concat(c.ATerminations, c.BTerminations) {
					if cableEndSelected(t, devs, ifaces, ports, terms) {
						return true
					}
				}
				return false
			})
		return err
	})
	return g.wait()
}

// cableEndSelected says whether a cable end sits in the selected sites.
func cableEndSelected(t CableTermination, devs, ifaces, ports, terms map[int]bool) bool {
	switch t.ObjectType {
	case "dcim.interface":
		return ifaces[t.ObjectID]
	case "dcim.frontport":
		return ports[t.ObjectID]
	case "dcim.rearport":
		return ports[-t.ObjectID]
	case "circuits.circuittermination":
		return terms[t.ObjectID]
	}
	// Console, power and other device components: by their device. A
	// power feed's site is its panel's, which tuyau does not read: such a
	// cable is kept through its other end, a selected device's power port.
	var p struct {
		Device *Brief `json:"device"`
	}
	return json.Unmarshal(t.Object, &p) == nil && p.Device != nil && devs[p.Device.ID]
}

// anyScopedBelowSite says whether a list read whole holds objects scoped
// to a location (NetBox 4.2+): NetBox's site_id filter finds them through
// the location's site, which their brief scope does not carry, so such a
// list is read by chunks instead.
func anyScopedBelowSite[T any](list []T, scope func(T) *string) bool {
	return slices.ContainsFunc(list, func(o T) bool { t := scope(o); return t != nil && *t == "dcim.location" })
}

// fetchSelected reads path by chunks of ids (param=id&param=id...), or
// whole keeping the objects in says the filter would have returned.
// Either way the list is in id order without duplicates.
func fetchSelected[T identified](ctx context.Context, c *client, sem chan struct{}, path, param string, ids []int, whole bool, in func(T) bool) ([]T, error) {
	if !whole {
		return fetchByIDs[T](ctx, c, sem, path, param, ids)
	}
	list, err := fetchAll[T](ctx, c, sem, path)
	if err != nil {
		return nil, err
	}
	out := slices.DeleteFunc(list, func(o T) bool { return !in(o) })
	slices.SortFunc(out, func(a, b T) int { return a.objectID() - b.objectID() })
	return out, nil
}

// fetchCount asks for the number of objects a list holds (one object's page).
func fetchCount(ctx context.Context, c *client, sem chan struct{}, path string) (int, error) {
	select {
	case sem <- struct{}{}:
	case <-ctx.Done():
		return 0, ctx.Err()
	}
	defer func() { <-sem }()
	path, rawQuery, _ := strings.Cut(path, "?")
	q, _ := url.ParseQuery(rawQuery)
	q.Set("limit", "1")
	var p page[json.RawMessage]
	if err := c.do(ctx, "GET", path, q, nil, &p); err != nil {
		return 0, err
	}
	return p.Count, nil
}

func idSet[T any](list []T, id func(T) int) map[int]bool {
	set := make(map[int]bool, len(list))
	for _, o := range list {
		set[id(o)] = true
	}
	return set
}

// fetchByIDs reads path for every id, idChunk ids a request, the chunks
// concurrently (sem still bounds the requests in flight: with 3,000 sites
// and 20 ms a request, 31 chunks one after the other were most of a
// filtered read), and drops the duplicates (a cable between two selected
// sites comes twice).
func fetchByIDs[T identified](ctx context.Context, c *client, sem chan struct{}, path, param string, ids []int) ([]T, error) {
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	chunks := make([][]T, (len(ids)+idChunk-1)/idChunk)
	g := group{}
	for n := range chunks {
		start := n * idChunk
		g.run(func() error {
			var q []string
			for _, id := range ids[start:min(start+idChunk, len(ids))] {
				q = append(q, param+"="+strconv.Itoa(id))
			}
			list, err := fetchAll[T](ctx, c, sem, path+sep+strings.Join(q, "&"))
			chunks[n] = list
			return err
		})
	}
	if err := g.wait(); err != nil {
		return nil, err
	}
	var out []T
	seen := map[int]bool{}
	for _, list := range chunks {
		for _, o := range list {
			if !seen[o.objectID()] {
				seen[o.objectID()] = true
				out = append(out, o)
			}
		}
	}
	slices.SortFunc(out, func(a, b T) int { return a.objectID() - b.objectID() })
	return out, nil
}

// group runs functions concurrently and keeps the first error.
type group struct {
	wg  sync.WaitGroup
	mu  sync.Mutex
	err error
}

func (g *group) run(fn func() error) {
	g.wg.Add(1)
	go func() {
		defer g.wg.Done()
		if err := fn(); err != nil {
			g.mu.Lock()
			if g.err == nil {
				g.err = err
			}
			g.mu.Unlock()
		}
	}()
}

func (g *group) wait() error { g.wg.Wait(); return g.err }
