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
// (rear_ports). tuyau does not read or write those yet, and NetBox
// ignores the old fields it would send: patch panels are refused there
// rather than read or written wrong.
func (st *state) portMappings() bool {
	v, err := parseVersion(st.version)
	return err == nil && v.atLeast(4, 5)
}

// errPortMappings is the refusal, naming what would get past it.
func errPortMappings(base, version string, write bool) error {
	verb, fix := "read", "use --filter to leave the patch panels out, or NetBox 4.4"
	if write {
		verb, fix = "write", "push an inventory without patch panels, or use NetBox 4.4"
	}
	return &RefusedError{fmt.Sprintf("netbox %s is NetBox %s: from 4.5 a front port's rear port is a port mapping (rear_ports), which tuyau does not %s yet; %s (docs/netbox.md, compatibility)",
		base, version, verb, fix)}
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
