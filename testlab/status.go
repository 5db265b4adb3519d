package testlab

import (
	"context"
	"slices"
	"sync"
	"time"
)

// LabStatus is what "tuyau lab status" shows.
type LabStatus struct {
	Name       string `json:"name"`
	Mode       string `json:"mode"`
	Running    bool   `json:"running"`
	Phase      string `json:"phase,omitempty"`
	PID        int    `json:"pid,omitempty"`
	Dir        string `json:"dir,omitempty"`
	Block      string `json:"block"`
	Ports      Ports  `json:"ports"`
	User       string `json:"user,omitempty"`
	KnownHosts string `json:"known_hosts,omitempty"`
	Password   string `json:"password_file,omitempty"`
	ClientKey  string `json:"client_key,omitempty"`
	// GNMICA is the CA file gNMI clients trust; empty when gNMI runs
	// without TLS.
	GNMICA  string         `json:"gnmi_ca,omitempty"`
	Devices []DeviceStatus `json:"devices"`
	Links   []LinkStatus   `json:"links"`
	Faults  FaultsStatus   `json:"faults"`
	Mapping []AddressMap   `json:"mapping"`
	// Speakers are where tuyau's BGP speakers run in the lab ("tuyau bgp
	// serve --lab").
	Speakers []SpeakerPlan `json:"speakers,omitempty"`
	// Endpoints are the hosting services' endpoints at the core sites
	// (tuyau lab fail-service / restore-service).
	Endpoints []EndpointStatus `json:"endpoints"`
	Note      string           `json:"note,omitempty"`
	// Brief: the devices' BGP was not asked (BriefStatusOf), their
	// bgp_established and bgp_configured are left at 0.
	Brief bool `json:"brief,omitempty"`
}

// DeviceStatus is one device in a status.
type DeviceStatus struct {
	Name string `json:"name"`
	// Role is the inventory role, or RoleTransit for a provider's router
	// the lab adds.
	Role    string `json:"role,omitempty"`
	Addr    string `json:"addr"`
	SSH     string `json:"ssh"`
	Alive   bool   `json:"alive"`
	BGPUp   int    `json:"bgp_established"`
	BGPConf int    `json:"bgp_configured"`
}

// LinkStatus is one routed link in a status.
type LinkStatus struct {
	ID     string   `json:"id"`
	Up     bool     `json:"up"`
	Why    string   `json:"why,omitempty"`
	RxA    *float64 `json:"rx_a_dbm,omitempty"`
	RxB    *float64 `json:"rx_b_dbm,omitempty"`
	LossDB float64  `json:"loss_db"`
	Cables []string `json:"cables"`
	Since  string   `json:"since"`
}

// FaultsStatus lists the faults in force.
type FaultsStatus struct {
	Cut      []string           `json:"cut"`
	Degraded map[string]float64 `json:"degraded"`
	Killed   []string           `json:"killed"`
	// Errors and Load are by link ID.
	Errors map[string]ErrorRate `json:"errors,omitempty"`
	Load   map[string]float64   `json:"load_percent,omitempty"`
}

// Status reports the lab as its devices see it now.
func (l *Lab) Status(ctx context.Context) LabStatus { return l.status(ctx, false) }

// status is Status; brief leaves the devices' BGP out: asking each
// device's GoBGP for its sessions is the slow part of a status while a
// large lab converges (1,002 devices took longer than a control request
// may), and the --lab commands need only the addresses.
func (l *Lab) status(ctx context.Context, brief bool) LabStatus {
	p := l.plan
	st := LabStatus{
		Name: p.Name, Mode: "virtual", Running: true, Block: p.Block.String(), Ports: p.Ports,
		User: l.opts.User, Mapping: p.Mapping, Speakers: p.Speakers, Brief: brief,
	}
	// The devices' BGP speakers are asked side by side: one after the
	// other, a 200-device lab converging on a loaded machine took longer
	// than a control request may (2 minutes), and "tuyau lab status" and
	// every --lab command then took the lab for dead.
	st.Devices = make([]DeviceStatus, len(l.order))
	work := make(chan int)
	var wg sync.WaitGroup
	for range min(statusWorkers, len(l.order)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				d := l.order[i]
				ds := DeviceStatus{Name: d.Name(), Role: d.plan.Role, Addr: d.Addr().String(), SSH: hostPort(d.Addr(), p.Ports.SSH), Alive: d.Alive()}
				if ds.Alive && !brief {
					_, _, ns := d.neighborStates(ctx, "", false)
					ds.BGPConf = len(ns)
					for _, n := range ns {
						if n.State == "Established" {
							ds.BGPUp++
						}
					}
				}
				st.Devices[i] = ds
			}
		}()
	}
	for i := range l.order {
		work <- i
	}
	close(work)
	wg.Wait()
	l.mu.Lock()
	for _, s := range l.links {
		ls := LinkStatus{ID: s.ID, Up: s.up, Why: s.why, LossDB: s.LossDB, Cables: s.Cables, Since: s.since.UTC().Format(time.RFC3339)}
		if s.optical {
			a, b := s.rxA, s.rxB
			ls.RxA, ls.RxB = &a, &b
		}
		st.Links = append(st.Links, ls)
	}
	l.mu.Unlock()
	cut, deg, killed := l.Faults()
	errs, load := l.TrafficFaults()
	st.Faults = FaultsStatus{Cut: nonNil(cut), Degraded: deg, Killed: nonNil(killed), Errors: errs, Load: load}
	st.Endpoints = l.Endpoints()
	return st
}

// statusWorkers is how many devices Status asks at once.
const statusWorkers = 8

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return slices.Clip(s)
}
