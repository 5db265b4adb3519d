package netbox

import (
	"fmt"
	"strconv"
	"strings"
)

// NetBox releases tuyau reads and writes: 4.0 up to the newest 4.x.
// docs/netbox.md has the table of what differs between them.
const (
	minMinor = 0
)

// apiVersion is a NetBox major.minor.
type apiVersion struct{ major, minor int }

func parseVersion(v string) (apiVersion, error) {
	// "4.2.2", "4.1.11-Docker-3.0.2", "v4.3.0-beta1"
	v = strings.TrimPrefix(strings.TrimSpace(v), "v")
	parts := strings.SplitN(v, ".", 3)
	if len(parts) < 2 {
		return apiVersion{}, fmt.Errorf("version %q: want MAJOR.MINOR", v)
	}
	major, err1 := strconv.Atoi(parts[0])
	minor, err2 := strconv.Atoi(strings.TrimLeftFunc(parts[1], func(r rune) bool { return r < '0' || r > '9' }))
	if err1 != nil || err2 != nil {
		return apiVersion{}, fmt.Errorf("version %q: want MAJOR.MINOR", v)
	}
	return apiVersion{major, minor}, nil
}

func (v apiVersion) atLeast(major, minor int) bool {
	return v.major > major || v.major == major && v.minor >= minor
}

// checkVersion refuses a NetBox tuyau cannot speak to, before any write.
func checkVersion(base, v string) error {
	if v == "" {
		return fmt.Errorf("netbox %s: /api/status/ gives no netbox-version; tuyau supports NetBox 4.0 and later 4.x", base)
	}
	pv, err := parseVersion(v)
	if err != nil {
		return fmt.Errorf("netbox %s: %w", base, err)
	}
	if pv.major != 4 || pv.minor < minMinor {
		return fmt.Errorf("netbox %s is NetBox %s; tuyau supports NetBox 4.0 and later 4.x", base, v)
	}
	return nil
}

// portMappings reports NetBox 4.5 or later, where a front port's
// rear_port and rear_port_position gave way to a list of port mappings
// (rear_ports: position on the front port, rear port, position on it).
// tuyau models one rear position per front port: it writes one mapping
// and reads a front port only when it has exactly that.
func (st *state) portMappings() bool {
	v, err := parseVersion(st.version)
	return err == nil && v.atLeast(4, 5)
}

// fromMapping reads a 4.5 front port's single port mapping into the
// rear_port and rear_port_position tuyau reads from earlier releases; a
// front port with none (a module whose mappings NetBox did not copy) or
// with several (a many-to-many crossover) is refused with what to do.
func fromMapping(p *FrontPort, rearName map[int]string, base, version string) error {
	where := fmt.Sprintf("netbox %s (NetBox %s) front port %s:%s (%s)", base, version, p.Device.Name, p.Name, apiPath("dcim/front-ports/", p.ID))
	switch {
	case len(p.RearPorts) == 0:
		return &RefusedError{where + ": maps to no rear port: map it to its rear port in NetBox (a front port's rear ports), or leave the panel out with --filter"}
	case len(p.RearPorts) > 1 || p.RearPorts[0].Position != 1:
		return &RefusedError{fmt.Sprintf("%s: %d port mappings (many-to-many, NetBox 4.5): tuyau models one rear port position per front port; leave the panel out with --filter", where, len(p.RearPorts))}
	}
	m := p.RearPorts[0]
	name, ok := rearName[int(m.RearPort)]
	if !ok {
		return fmt.Errorf("%s: maps to rear port %d, which the read did not return", where, m.RearPort)
	}
	p.RearPort = Brief{ID: int(m.RearPort), Name: name}
	p.RearPortPosition = m.RearPortPosition
	return nil
}

// scoped reports NetBox 4.2 or later (see writer.scoped).
func (st *state) scoped() bool {
	v, err := parseVersion(st.version)
	return err == nil && v.atLeast(4, 2)
}

// siteRef is a body's reference to a site: "site" up to 4.1, the
// scope fields named from 4.2.
func siteRef(body map[string]any, scoped bool, typeField, idField string, site any) {
	if !scoped {
		body["site"] = site
		return
	}
	delete(body, "site")
	if site == nil {
		body[typeField], body[idField] = nil, nil
		return
	}
	body[typeField], body[idField] = "dcim.site", site
}
