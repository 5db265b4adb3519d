package netbox

import (
	"cmp"
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
		pathPrefixes, pathTerminations, pathIPs, pathCircuits, "dcim/sites/"}
	totals := make([]int, len(lists))
	total := func(path string) int { return totals[slices.Index(lists, path)] }
	// The sites are read while the lists' counts are asked; the lists
	// read whole start once the sites' first page told how many there
	// are, those read by chunks and every list's keep once all are read.
	var (
		selected  int
		sites     map[int]bool
		siteIDs   []int
		countDone = make(chan struct{})
		sitesDone = make(chan struct{})
	)
	g := group{}
	counted := sync.OnceFunc(func() { close(countDone) })
	g.run(func() (err error) {
		defer close(sitesDone)
		defer counted()
		st.sites, err = fetchAllCounted[Site](ctx, &s.c, sem, "dcim/sites/?"+s.filter.query(), func(n int) { selected = n; counted() })
		sites = idSet(st.sites, func(x Site) int { return x.ID })
		siteIDs = slices.Sorted(maps.Keys(sites))
		return err
	})
	probes := group{}
	if s.wholeReads == nil {
		for i, p := range lists {
			probes.run(func() (err error) {
				totals[i], err = fetchCount(ctx, &s.c, sem, p)
				return err
			})
		}
	}
	perr := probes.wait()
	<-countDone
	if perr != nil || selected == 0 {
		if err := g.wait(); err != nil || perr != nil {
			return cmp.Or(err, perr)
		}
		return fmt.Errorf("netbox %s: the filter %s selects no site", s.c.base, s.filter.query())
	}
	// whole says whether to read a list whole rather than by chunks of n ids.
	whole := func(path string, n int) bool {
		if s.wholeReads != nil {
			return *s.wholeReads
		}
		return max(1, (total(path)+s.c.pageSize-1)/s.c.pageSize) <= (n+idChunk-1)/idChunk
	}
	inSites := func(id int) bool { <-sitesDone; return sites[id] }
	bySite := func(path string) ([]int, bool) {
		if whole(path, selected) {
			return nil, true
		}
		<-sitesDone
		return siteIDs, false
	}
	// Each list's goroutine closes its channel once the list is read (or
	// failed): the lists kept by what another list selected wait for it.
	devDone, ifDone, portDone, termDone := make(chan struct{}), make(chan struct{}), make(chan struct{}), make(chan struct{})
	var devs, ifaces, ports, terms map[int]bool
	g.run(func() (err error) {
		defer close(devDone)
		ids, w := bySite(pathDevices)
		st.devices, err = fetchSelected(ctx, &s.c, sem, pathDevices, "site_id", ids, w, func(d Device) bool { return inSites(d.Site.ID) })
		devs = idSet(st.devices, func(d Device) int { return d.ID })
		return err
	})
	g.run(func() (err error) {
		defer close(ifDone)
		ids, w := bySite(pathInterfaces)
		st.interfaces, err = fetchSelected(ctx, &s.c, sem, pathInterfaces, "site_id", ids, w,
			func(i Interface) bool { <-devDone; return devs[i.Device.ID] })
		ifaces = idSet(st.interfaces, func(i Interface) int { return i.ID })
		return err
	})
	g.run(func() error {
		defer close(portDone)
		pg := group{}
		pg.run(func() (err error) {
			ids, w := bySite(pathFrontPorts)
			st.frontPorts, err = fetchSelected(ctx, &s.c, sem, pathFrontPorts, "site_id", ids, w,
				func(p FrontPort) bool { <-devDone; return devs[p.Device.ID] })
			return err
		})
		pg.run(func() (err error) {
			ids, w := bySite(pathRearPorts)
			st.rearPorts, err = fetchSelected(ctx, &s.c, sem, pathRearPorts, "site_id", ids, w,
				func(p RearPort) bool { <-devDone; return devs[p.Device.ID] })
			return err
		})
		err := pg.wait()
		ports = idSet(st.frontPorts, func(p FrontPort) int { return p.ID })
		for _, p := range st.rearPorts {
			ports[-p.ID] = true // rear ports by negative id, apart from the front ones
		}
		return err
	})
	g.run(func() (err error) {
		ids, w := bySite(pathLocations)
		st.locations, err = fetchSelected(ctx, &s.c, sem, pathLocations, "site_id", ids, w, func(l Location) bool { return inSites(l.Site.ID) })
		return err
	})
	g.run(func() (err error) {
		ids, w := bySite(pathPrefixes)
		st.prefixes, err = fetchSelected(ctx, &s.c, sem, pathPrefixes, "site_id", ids, w,
			func(p Prefix) bool {
				site := siteOf(p.Site, p.ScopeType, p.Scope)
				return site != nil && inSites(site.ID)
			})
		if err == nil && w && anyScopedBelowSite(st.prefixes, func(p Prefix) *string { return p.ScopeType }) {
			<-sitesDone
			st.prefixes, err = fetchByIDs[Prefix](ctx, &s.c, sem, pathPrefixes, "site_id", siteIDs)
		}
		return err
	})
	g.run(func() (err error) {
		termsRead := sync.OnceFunc(func() { close(termDone) })
		defer termsRead()
		ids, w := bySite(pathTerminations)
		in := func(t CircuitTermination) bool {
			site := siteOf(t.Site, t.TerminationType, t.Termination)
			return site != nil && inSites(site.ID)
		}
		st.terminations, err = fetchSelected(ctx, &s.c, sem, pathTerminations, "site_id", ids, w, in)
		if err == nil && w && anyScopedBelowSite(st.terminations, func(t CircuitTermination) *string { return t.TerminationType }) {
			<-sitesDone
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
		cids := slices.Sorted(maps.Keys(circuits))
		st.circuits, err = fetchSelected(ctx, &s.c, sem, pathCircuits, "id", cids, whole(pathCircuits, len(cids)),
			func(c Circuit) bool { return circuits[c.ID] })
		return err
	})
	g.run(func() (err error) {
		// By device_id: how many devices the sites hold is not known
		// before they are read, so a whole read starts at once only when
		// the sites' share of the devices would already take more chunks.
		var devIDs []int
		w := s.wholeReads == nil && whole(pathIPs, total(pathDevices)*selected/max(1, total("dcim/sites/")))
		if !w {
			<-devDone
			devIDs = slices.Sorted(maps.Keys(devs))
			w = whole(pathIPs, len(devIDs))
		}
		st.ips, err = fetchSelected(ctx, &s.c, sem, pathIPs, "device_id", devIDs, w,
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
		ids, w := bySite(pathCables)
		st.cables, err = fetchSelected(ctx, &s.c, sem, pathCables, "site_id", ids, w,
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
	return decodeJSON(t.Object, &p) == nil && p.Device != nil && devs[p.Device.ID]
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
