package gnmiset

import (
	"fmt"
	"sort"
	"strings"

	gpb "github.com/openconfig/gnmi/proto/gnmi"

	"github.com/tuyau-net/tuyau/provisioning"
)

// parsePath reads a gNMI string path: /a/b[k=v][k2=v2]/c.
func parsePath(s string) (*gpb.Path, error) {
	p := &gpb.Path{}
	for _, e := range provisioning.SplitPath(s) {
		name, rest, _ := strings.Cut(e, "[")
		if name == "" {
			return nil, fmt.Errorf("path %q: empty element", s)
		}
		pe := &gpb.PathElem{Name: name}
		if rest != "" {
			pe.Key = map[string]string{}
			for _, kv := range strings.Split(strings.TrimSuffix(rest, "]"), "][") {
				k, v, ok := strings.Cut(kv, "=")
				if !ok {
					return nil, fmt.Errorf("path %q: key %q without =", s, kv)
				}
				pe.Key[k] = v
			}
		}
		p.Elem = append(p.Elem, pe)
	}
	return p, nil
}

// pathString writes prefix+path as a string path, keys sorted.
func pathString(prefix, p *gpb.Path) string {
	var b strings.Builder
	for _, pp := range []*gpb.Path{prefix, p} {
		for _, e := range pp.GetElem() {
			b.WriteString("/" + e.GetName())
			keys := make([]string, 0, len(e.GetKey()))
			for k := range e.GetKey() {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				b.WriteString("[" + k + "=" + e.GetKey()[k] + "]")
			}
		}
	}
	return b.String()
}
