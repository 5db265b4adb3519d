package netbox

import (
	"context"
	"sync"
)

// state is everything tuyau reads from NetBox, with ids, so that a load
// can become a Snapshot and an apply can find what to update.
type state struct {
	// version is NetBox's, from /api/status/.
	version       string
	regions       []Region
	sites         []Site
	locations     []Location
	devices       []Device
	interfaces    []Interface
	frontPorts    []FrontPort
	rearPorts     []RearPort
	cables        []Cable
	providers     []Provider
	circuits      []Circuit
	terminations  []CircuitTermination
	ips           []IPAddress
	prefixes      []Prefix
	asns          []ASN
	contexts      []ConfigContext
	customFields  []CustomField
	deviceRoles   []Slugged
	platforms     []Slugged
	manufacturers []Slugged
	deviceTypes   []Slugged
	circuitTypes  []Slugged
	ipamRoles     []Slugged
	rirs          []Slugged
	tags          []Slugged
}

// fetchState reads every endpoint concurrently, sharing one bound on the
// requests in flight. Any failure cancels the rest and returns the error
// alone: there is no partial state.
func (s *Store) fetchState(ctx context.Context) (*state, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	sem := make(chan struct{}, s.c.concurrency)
	st := &state{}
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
	)
	run := func(fn func() error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := fn(); err != nil {
				mu.Lock()
				if firstErr == nil {
					firstErr = err
					cancel()
				}
				mu.Unlock()
			}
		}()
	}
	var status struct {
		Version string `json:"netbox-version"`
	}
	if err := s.c.do(ctx, "GET", "status/", nil, nil, &status); err != nil {
		return nil, err
	}
	st.version = status.Version
	if err := checkVersion(s.c.base, status.Version); err != nil {
		return nil, err
	}
	if !s.filter.IsZero() {
		// The small lists below are read meanwhile, not after.
		run(func() error { return s.fetchFiltered(ctx, sem, st) })
	} else {
		// Big lists first so that their later pages queue behind fewer small ones.
		run(fetchInto(ctx, &s.c, sem, "dcim/interfaces/", &st.interfaces))
		run(fetchInto(ctx, &s.c, sem, "ipam/ip-addresses/", &st.ips))
		run(fetchInto(ctx, &s.c, sem, "dcim/cables/", &st.cables))
		run(fetchInto(ctx, &s.c, sem, "dcim/front-ports/", &st.frontPorts))
		run(fetchInto(ctx, &s.c, sem, "dcim/rear-ports/", &st.rearPorts))
		run(fetchInto(ctx, &s.c, sem, "dcim/devices/?exclude=config_context", &st.devices))
		run(fetchInto(ctx, &s.c, sem, "dcim/sites/", &st.sites))
		run(fetchInto(ctx, &s.c, sem, "dcim/locations/", &st.locations))
		run(fetchInto(ctx, &s.c, sem, "ipam/prefixes/", &st.prefixes))
		run(fetchInto(ctx, &s.c, sem, "circuits/circuits/", &st.circuits))
		run(fetchInto(ctx, &s.c, sem, "circuits/circuit-terminations/", &st.terminations))
	}
	run(fetchInto(ctx, &s.c, sem, "dcim/regions/", &st.regions))
	run(fetchInto(ctx, &s.c, sem, "circuits/providers/", &st.providers))
	run(fetchInto(ctx, &s.c, sem, "ipam/asns/", &st.asns))
	run(fetchInto(ctx, &s.c, sem, "extras/config-contexts/", &st.contexts))
	run(fetchInto(ctx, &s.c, sem, "extras/custom-fields/", &st.customFields))
	run(fetchInto(ctx, &s.c, sem, "dcim/device-roles/", &st.deviceRoles))
	run(fetchInto(ctx, &s.c, sem, "dcim/platforms/", &st.platforms))
	run(fetchInto(ctx, &s.c, sem, "dcim/manufacturers/", &st.manufacturers))
	run(fetchInto(ctx, &s.c, sem, "dcim/device-types/", &st.deviceTypes))
	run(fetchInto(ctx, &s.c, sem, "circuits/circuit-types/", &st.circuitTypes))
	run(fetchInto(ctx, &s.c, sem, "ipam/roles/", &st.ipamRoles))
	run(fetchInto(ctx, &s.c, sem, "ipam/rirs/", &st.rirs))
	run(fetchInto(ctx, &s.c, sem, "extras/tags/", &st.tags))
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	return st, nil
}

func fetchInto[T identified](ctx context.Context, c *client, sem chan struct{}, path string, dst *[]T) func() error {
	return func() error {
		list, err := fetchAll[T](ctx, c, sem, path)
		if err != nil {
			return err
		}
		*dst = list
		return nil
	}
}
