package netns

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"
)

// Fault names something to restore: a cable, every cable of a shared-risk
// group, or a device. The zero Fault restores everything.
type Fault struct {
	Cable  string `json:"cable,omitempty"`
	SRLG   string `json:"srlg,omitempty"`
	Device string `json:"device,omitempty"`
}

// Cut cuts a cable: every routed link riding it goes down on both ends.
// The wire-side veths of the link are set down, so both devices' interfaces
// lose carrier while staying administratively up, as two optics losing
// light do. It returns the links it took down.
func (l *Lab) Cut(ctx context.Context, cable string) ([]Link, error) {
	return l.cut(ctx, func(s *State) ([]string, error) {
		if _, ok := s.Cables[cable]; !ok {
			return nil, fmt.Errorf("cable %s: carries no routed link: %w", cable, ErrUnknown)
		}
		return []string{cable}, nil
	})
}

// CutSRLG cuts every cable of a shared-risk group (a duct, a trench, a
// bridge) at once and returns the links it took down.
func (l *Lab) CutSRLG(ctx context.Context, srlg string) ([]Link, error) {
	return l.cut(ctx, func(s *State) ([]string, error) {
		cables := srlgCables(s, srlg)
		if len(cables) == 0 {
			return nil, fmt.Errorf("shared-risk group %s: no cable carrying a routed link runs in it: %w", srlg, ErrUnknown)
		}
		return cables, nil
	})
}

func srlgCables(s *State, srlg string) []string {
	var out []string
	for c, groups := range s.Cables {
		if slices.Contains(groups, srlg) {
			out = append(out, c)
		}
	}
	slices.Sort(out)
	return out
}

func (l *Lab) cut(ctx context.Context, pick func(*State) ([]string, error)) ([]Link, error) {
	var down []Link
	err := l.change(ctx, func(s *State) ([]Link, error) {
		cables, err := pick(s)
		if err != nil {
			return nil, err
		}
		for _, c := range cables {
			if !slices.Contains(s.Faults.Cables, c) {
				s.Faults.Cables = append(s.Faults.Cables, c)
			}
		}
		slices.Sort(s.Faults.Cables)
		for _, lk := range s.Links {
			if slices.ContainsFunc(lk.Cables, func(c string) bool { return slices.Contains(cables, c) }) {
				down = append(down, lk)
			}
		}
		return down, nil
	})
	return down, err
}

// Kill stops a device: its FRR daemons and sshd are killed and its links
// go down, so its neighbours lose carrier as they would from a dead box.
func (l *Lab) Kill(ctx context.Context, device string) error {
	return l.change(ctx, func(s *State) ([]Link, error) {
		d := s.device(device)
		if d == nil {
			return nil, errUnknownDevice(device)
		}
		if !slices.Contains(s.Faults.Devices, device) {
			s.Faults.Devices = append(s.Faults.Devices, device)
			slices.Sort(s.Faults.Devices)
		}
		if err := stopPids(ctx, nsPids([]string{d.Netns})[d.Netns], 3*time.Second); err != nil {
			return nil, fmt.Errorf("device %s: kill: %w", device, err)
		}
		return linksOf(s, device), nil
	})
}

// Restore lifts a fault: a cable, a shared-risk group or a device (which
// boots again from its saved frr.conf, as a real router would); the zero
// Fault lifts them all. Links come back up only when nothing else keeps
// them down.
func (l *Lab) Restore(ctx context.Context, f Fault) error {
	var boot []string
	err := l.change(ctx, func(s *State) ([]Link, error) {
		var cables, devices []string
		switch {
		case f.Cable != "":
			if _, ok := s.Cables[f.Cable]; !ok {
				return nil, fmt.Errorf("cable %s: carries no routed link: %w", f.Cable, ErrUnknown)
			}
			cables = []string{f.Cable}
		case f.SRLG != "":
			if cables = srlgCables(s, f.SRLG); len(cables) == 0 {
				return nil, fmt.Errorf("shared-risk group %s: no cable carrying a routed link runs in it: %w", f.SRLG, ErrUnknown)
			}
		case f.Device != "":
			if s.device(f.Device) == nil {
				return nil, errUnknownDevice(f.Device)
			}
			devices = []string{f.Device}
		default:
			cables, devices = s.Faults.Cables, s.Faults.Devices
		}
		var touched []Link
		for _, lk := range s.Links {
			if slices.ContainsFunc(lk.Cables, func(c string) bool { return slices.Contains(cables, c) }) ||
				slices.Contains(devices, lk.A.Device) || slices.Contains(devices, lk.B.Device) {
				touched = append(touched, lk)
			}
		}
		s.Faults.Cables = slices.DeleteFunc(slices.Clone(s.Faults.Cables), func(c string) bool { return slices.Contains(cables, c) })
		for _, d := range devices {
			if slices.Contains(s.Faults.Devices, d) {
				boot = append(boot, d)
			}
		}
		s.Faults.Devices = slices.DeleteFunc(slices.Clone(s.Faults.Devices), func(d string) bool { return slices.Contains(devices, d) })
		return touched, nil
	})
	if err != nil {
		return err
	}
	var errs []error
	for _, name := range boot {
		d := l.state.device(name)
		if err := startFRR(ctx, d); err != nil {
			errs = append(errs, err)
			continue
		}
		if err := startSSHD(ctx, d); err != nil {
			errs = append(errs, err)
			continue
		}
		rctx, cancel := context.WithTimeout(ctx, readyTimeout)
		errs = append(errs, waitReady(rctx, d))
		cancel()
	}
	return errors.Join(errs...)
}

// change runs one fault change under the state lock: it rereads the state
// (another process may have changed the faults), lets fn edit it, saves it
// and sets the links fn returns to the state the faults now call for.
func (l *Lab) change(ctx context.Context, fn func(*State) ([]Link, error)) error {
	unlock, err := lockState(l.path)
	if err != nil {
		return err
	}
	defer unlock()
	s, err := readState(l.path)
	if err != nil {
		return err
	}
	l.state = s
	links, err := fn(s)
	if err != nil {
		return err
	}
	if err := writeState(l.path, s); err != nil {
		return err
	}
	return setLinks(ctx, s, links)
}

func linksOf(s *State, device string) []Link {
	var out []Link
	for _, lk := range s.Links {
		if lk.A.Device == device || lk.B.Device == device {
			out = append(out, lk)
		}
	}
	return out
}

// setLinks takes each link's two wire-side veths up or down as the faults
// say; the devices' interfaces follow with carrier, admin state untouched.
func setLinks(ctx context.Context, s *State, links []Link) error {
	var lines []string
	for _, lk := range links {
		state := "down"
		if s.linkUp(lk) {
			state = "up"
		}
		lines = append(lines, "link set "+lk.WireA+" "+state, "link set "+lk.WireB+" "+state)
	}
	if err := ipBatch(ctx, s.Wire, lines); err != nil {
		return fmt.Errorf("lab %s: set links: %w", s.Name, err)
	}
	return nil
}
