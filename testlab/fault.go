package testlab

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
)

// ErrUnknown is returned for a fault on a cable, SRLG or device the lab
// does not have.
var ErrUnknown = errors.New("not in the lab")

// FaultResult says what a fault or a restore touched.
type FaultResult struct {
	Fault string `json:"fault"`
	// Links are the routed links that ride the cables concerned.
	Links []string `json:"links"`
	// Down are the links down after the fault, among Links.
	Down    []string `json:"down"`
	Devices []string `json:"devices,omitempty"`
	// Endpoints are the hosting service endpoints a fail-service or
	// restore-service touched.
	Endpoints []EndpointStatus `json:"endpoints,omitempty"`
}

func (l *Lab) cableExists(label string) bool {
	for _, c := range l.snap.Cables {
		if c.Label == label {
			return true
		}
	}
	return false
}

// Cut cuts cables: every routed link riding one goes down at both ends,
// power drops to the LOS floor, BGP sessions over it drop.
func (l *Lab) Cut(ctx context.Context, cables ...string) (FaultResult, error) {
	for _, c := range cables {
		if !l.cableExists(c) {
			return FaultResult{}, fmt.Errorf("cut cable %s: %w", c, ErrUnknown)
		}
	}
	l.mu.Lock()
	for _, c := range cables {
		l.faults.Cut[c] = true
	}
	l.mu.Unlock()
	return l.after(ctx, "cut "+fmt.Sprint(cables), l.linksOn(cables)), nil
}

// CutSRLG cuts every cable of a shared-risk group: a backhoe in a duct.
func (l *Lab) CutSRLG(ctx context.Context, srlg string) (FaultResult, error) {
	cables := l.srlgCables(srlg)
	if len(cables) == 0 {
		return FaultResult{}, fmt.Errorf("cut srlg %s: %w", srlg, ErrUnknown)
	}
	r, err := l.Cut(ctx, cables...)
	r.Fault = "cut srlg " + srlg + " " + fmt.Sprint(cables)
	return r, err
}

func (l *Lab) srlgCables(srlg string) []string {
	var out []string
	for _, c := range l.snap.Cables {
		if slices.Contains(c.SRLGs, srlg) {
			out = append(out, c.Label)
		}
	}
	return out
}

// Degrade adds loss to a cable: received power drops by db on every link
// riding it, and a link whose power falls below its receiver's sensitivity
// goes down.
func (l *Lab) Degrade(ctx context.Context, cable string, db float64) (FaultResult, error) {
	if !l.cableExists(cable) {
		return FaultResult{}, fmt.Errorf("degrade cable %s: %w", cable, ErrUnknown)
	}
	if db < 0 || db > 60 {
		return FaultResult{}, fmt.Errorf("degrade cable %s: %.1f dB is outside 0..60", cable, db)
	}
	l.mu.Lock()
	l.faults.Degrade[cable] = db
	l.mu.Unlock()
	return l.after(ctx, fmt.Sprintf("degrade %s by %.1f dB", cable, db), l.linksOn([]string{cable})), nil
}

// Kill powers a device off: its sessions close, its links go dark.
func (l *Lab) Kill(ctx context.Context, device string) (FaultResult, error) {
	d, ok := l.devices[device]
	if !ok {
		return FaultResult{}, fmt.Errorf("kill device %s: %w", device, ErrUnknown)
	}
	l.mu.Lock()
	l.faults.Killed[device] = true
	l.mu.Unlock()
	d.powerOff(ctx)
	r := l.after(ctx, "kill "+device, l.linksOf(device))
	r.Devices = []string{device}
	return r, nil
}

// Target names what Restore repairs; the zero value repairs everything.
// Cable may also name a link (its ID or DEVICE:INTERFACE), whose error and
// load faults are then cleared.
type Target struct {
	Cable  string `json:"cable,omitempty"`
	SRLG   string `json:"srlg,omitempty"`
	Device string `json:"device,omitempty"`
}

// Restore repairs a cable (cut or degraded), an SRLG, a device (which
// reboots from its startup config), or everything.
func (l *Lab) Restore(ctx context.Context, t Target) (FaultResult, error) {
	var cables, devices, traffic []string
	switch {
	case t.Cable != "" && !l.cableExists(t.Cable):
		ids, err := l.resolveLinks(t.Cable)
		if err != nil {
			return FaultResult{}, fmt.Errorf("restore %s: %w", t.Cable, err)
		}
		traffic = ids
	case t.Cable != "":
		cables = []string{t.Cable}
	case t.SRLG != "":
		if cables = l.srlgCables(t.SRLG); len(cables) == 0 {
			return FaultResult{}, fmt.Errorf("restore srlg %s: %w", t.SRLG, ErrUnknown)
		}
	case t.Device != "":
		if _, ok := l.devices[t.Device]; !ok {
			return FaultResult{}, fmt.Errorf("restore device %s: %w", t.Device, ErrUnknown)
		}
		devices = []string{t.Device}
	default:
		l.mu.Lock()
		cables = slices.Sorted(maps.Keys(l.faults.Cut))
		for c := range l.faults.Degrade {
			if !l.faults.Cut[c] {
				cables = append(cables, c)
			}
		}
		devices = slices.Sorted(maps.Keys(l.faults.Killed))
		traffic = l.trafficLinks()
		l.mu.Unlock()
	}
	links := append(l.linksOn(cables), traffic...)
	l.mu.Lock()
	l.clearTraffic(links)
	for _, c := range cables {
		delete(l.faults.Cut, c)
		delete(l.faults.Degrade, c)
	}
	var reboot []string
	for _, d := range devices {
		if l.faults.Killed[d] {
			delete(l.faults.Killed, d)
			reboot = append(reboot, d)
		}
	}
	l.mu.Unlock()
	var errs []error
	for _, name := range reboot {
		if err := l.devices[name].reboot(ctx); err != nil {
			errs = append(errs, fmt.Errorf("restore device %s: %w", name, err))
		}
		links = append(links, l.linksOf(name)...)
	}
	if t == (Target{}) {
		if err := l.restoreEndpoints(ctx, l.endpoints); err != nil {
			errs = append(errs, err)
		}
	}
	r := l.after(ctx, "restore", links)
	r.Devices = reboot
	return r, errors.Join(errs...)
}

// Faults returns the faults in force.
func (l *Lab) Faults() (cut []string, degraded map[string]float64, killed []string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Sorted(maps.Keys(l.faults.Cut)), maps.Clone(l.faults.Degrade), slices.Sorted(maps.Keys(l.faults.Killed))
}

// after refreshes the lab at once, so that when a fault call returns the
// CLI, gNMI and BGP already show it, and reports the links concerned.
func (l *Lab) after(ctx context.Context, what string, links []string) FaultResult {
	l.refresh(ctx)
	slices.Sort(links)
	links = slices.Compact(links)
	r := FaultResult{Fault: what, Links: links, Down: []string{}}
	l.mu.Lock()
	for _, id := range links {
		for _, s := range l.links {
			if s.ID == id && !s.up {
				r.Down = append(r.Down, id)
			}
		}
	}
	l.mu.Unlock()
	if r.Links == nil {
		r.Links = []string{}
	}
	l.log.Info("fault", "what", what, "links", len(links), "down", len(r.Down))
	return r
}

func (l *Lab) linksOn(cables []string) []string {
	var ids []string
	for _, c := range cables {
		for _, lk := range l.plan.LinksOnCable(c) {
			ids = append(ids, lk.ID)
		}
	}
	return ids
}

func (l *Lab) linksOf(device string) []string {
	var ids []string
	for _, lk := range l.plan.Links {
		if lk.A.Device == device || lk.B.Device == device {
			ids = append(ids, lk.ID)
		}
	}
	return ids
}
