package main

import (
	"context"
	"fmt"
	"net/netip"
	"path/filepath"

	"github.com/tuyau-net/tuyau/bgp"
	"github.com/tuyau-net/tuyau/bgp/hosting"
	"github.com/tuyau-net/tuyau/inventory"
	"github.com/tuyau-net/tuyau/testlab"
)

// bgpLab is the running virtual lab the bgp commands work against with
// --lab NAME, as "tuyau config --lab" does: the speaker runs at the lab
// address the lab planned for it (tuyau lab status: speakers), on the lab's
// BGP port, and dials the routers at the lab addresses standing for their
// inventory ones; its API and control sockets live in the lab's directory.
type bgpLab struct {
	st testlab.LabStatus
}

// lab opens the lab --lab names, nil without --lab.
func (o *bgpOpts) lab(ctx context.Context, d *deps) (*bgpLab, error) {
	if o.Lab == "" {
		return nil, nil
	}
	lo := labOpts{Dir: o.LabDir, Name: o.Lab}
	st, err := lo.running(ctx, d)
	if err != nil {
		return nil, err
	}
	if st.Mode != "" && st.Mode != "virtual" {
		return nil, fmt.Errorf("lab %s: --lab works with the virtual lab, this one is %s", lo.Name, st.Mode)
	}
	return &bgpLab{st: st}, nil
}

// api is where the named speaker serves GoBGP's API in the lab.
func (l *bgpLab) api(speaker string) string {
	return filepath.Join(l.st.Dir, "bgp-"+speaker+".sock")
}

// config moves a speaker's inventory config into the lab. The lab's
// routers are GoBGP instances without TCP MD5 or GTSM (the lab checks that
// both ends agree on a password, it does not sign segments), so the speaker
// uses neither there; what it dropped is returned, to be logged.
func (l *bgpLab) config(cfg *bgp.Config) (dropped []string, err error) {
	var sp *testlab.SpeakerPlan
	for i := range l.st.Speakers {
		if l.st.Speakers[i].Name == cfg.Name {
			sp = &l.st.Speakers[i]
		}
	}
	if sp == nil {
		return nil, fmt.Errorf("lab %s: no lab address for speaker %s (a lab started before speakers were planned, or an IPv6 listen address: restart it with tuyau lab down && tuyau lab up)", l.st.Name, cfg.Name)
	}
	cfg.Listen, cfg.Port, cfg.API = sp.Addr, l.st.Ports.BGP, l.api(cfg.Name)
	for i := range cfg.Peers {
		p := &cfg.Peers[i]
		lab, ok := l.translate(p.Address)
		if !ok {
			return nil, fmt.Errorf("lab %s: speaker %s peer %s: no lab address for %s", l.st.Name, cfg.Name, p.Device, p.Address)
		}
		p.Address, p.Port = lab, l.st.Ports.BGP
		if p.Password != "" {
			dropped = append(dropped, "TCP MD5 with "+p.Device)
			p.Password = ""
		}
		if p.TTLSecurity != 0 {
			dropped = append(dropped, "GTSM with "+p.Device)
			p.TTLSecurity = 0
		}
		// The lab's routers wait for the speaker to dial (they are
		// passive toward it): retry soon after a refused attempt.
		p.ConnectRetry = 1
	}
	return dropped, nil
}

func (l *bgpLab) translate(inv netip.Addr) (netip.Addr, bool) {
	for _, m := range l.st.Mapping {
		if m.Inventory == inv {
			return m.Lab, true
		}
	}
	return netip.Addr{}, false
}

// hosting is a service's failover config in the lab: the health checks
// probe the lab's endpoints of the service (tuyau lab fail-service fails
// them); with no hosting: block in tuyau.yaml, an HTTP check of them with
// the defaults.
func (l *bgpLab) hosting(svc inventory.HostingService, hc hosting.Config) (hosting.Config, error) {
	eps := map[string]string{}
	for _, e := range l.st.Endpoints {
		if e.Service == svc.Name {
			eps[e.Site] = e.Addr
		}
	}
	for _, site := range svc.Sites {
		if eps[site] == "" {
			return hc, fmt.Errorf("lab %s: service %s has no endpoint at site %s", l.st.Name, svc.Name, site)
		}
	}
	if hc.Check.Kind == "" && hc.Check.Path == "" {
		hc.Check = hosting.CheckConfig{Kind: "http", Path: "/"}
	}
	hc.Endpoints = eps
	return hc, nil
}
