package netns

import (
	"errors"
	"fmt"
)

// ErrUnknown is wrapped by errors about a device or cable the lab does not have.
var ErrUnknown = errors.New("not in the lab")

func errUnknownDevice(name string) error { return fmt.Errorf("device %s: %w", name, ErrUnknown) }

func joinErrs(errs []error) error {
	var keep []error
	for _, e := range errs {
		if e != nil {
			keep = append(keep, e)
		}
	}
	return errors.Join(keep...)
}
