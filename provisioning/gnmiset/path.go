package gnmiset

import (
	gpb "github.com/openconfig/gnmi/proto/gnmi"

	"github.com/tuyau-net/tuyau/provisioning"
)

// parsePath reads a gNMI string path: /a/b[k=v][k2=v2]/c.
func parsePath(s string) (*gpb.Path, error) { return provisioning.ParsePath(s) }

// pathString writes prefix+path as a string path, keys sorted.
func pathString(prefix, p *gpb.Path) string { return provisioning.FormatPath(prefix, p) }
