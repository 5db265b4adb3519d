package netbox

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strconv"

	gonetbox "github.com/netbox-community/go-netbox/v4"
)

// BootstrapResult says what Bootstrap did to each custom field.
type BootstrapResult struct {
	Name   string `json:"name"`
	Action string `json:"action"` // created, updated, present
}

// Bootstrap creates the custom fields tuyau writes, or adds the object
// types a field lacks. It needs a token allowed to change custom fields
// (an admin's); it is idempotent.
func (s *Store) Bootstrap(ctx context.Context) ([]BootstrapResult, error) {
	sem := make(chan struct{}, s.c.concurrency)
	have, err := fetchAll[CustomField](ctx, &s.c, sem, "extras/custom-fields/")
	if err != nil {
		return nil, err
	}
	var out []BootstrapResult
	for _, spec := range RequiredCustomFields() {
		i := slices.IndexFunc(have, func(f CustomField) bool { return f.Name == spec.Name })
		if i >= 0 {
			f := have[i]
			if valueOf(f.Type) != string(spec.Type) {
				return out, fmt.Errorf("netbox custom field %s is of type %s, tuyau needs %s: fix it by hand", spec.Name, valueOf(f.Type), spec.Type)
			}
			types := slices.Clone(f.ObjectTypes)
			for _, ot := range spec.ObjectTypes {
				if !slices.Contains(types, ot) {
					types = append(types, ot)
				}
			}
			if len(types) == len(f.ObjectTypes) {
				out = append(out, BootstrapResult{spec.Name, "present"})
				continue
			}
			if err := s.c.do(ctx, http.MethodPatch, "extras/custom-fields/"+strconv.Itoa(f.ID)+"/", nil,
				map[string]any{"object_types": types}, nil); err != nil {
				return out, fmt.Errorf("custom field %s: %w", spec.Name, err)
			}
			out = append(out, BootstrapResult{spec.Name, "updated"})
			continue
		}
		typ := spec.Type
		req := gonetbox.WritableCustomFieldRequest{Name: spec.Name, ObjectTypes: spec.ObjectTypes, Type: &typ,
			Description: gonetbox.PtrString(spec.Description), GroupName: gonetbox.PtrString("tuyau"),
			Label: gonetbox.PtrString(spec.Name)}
		if err := s.c.do(ctx, http.MethodPost, "extras/custom-fields/", nil, req, nil); err != nil {
			return out, fmt.Errorf("custom field %s: %w", spec.Name, err)
		}
		out = append(out, BootstrapResult{spec.Name, "created"})
	}
	return out, nil
}
