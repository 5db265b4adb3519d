package yamlstore

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"

	"github.com/tuyau-net/tuyau/inventory"
)

// Apply applies a change set to the inventory on disk. The whole result is
// validated before anything is written, so a change set that would break
// the inventory leaves the files as they were. Objects stay in the file they
// were read from; new ones go to the file of the first object of their kind.
// Comments in rewritten files are not kept.
func (s *Store) Apply(ctx context.Context, cs inventory.ChangeSet) error {
	cur, err := s.Load(ctx)
	if err != nil {
		return err
	}
	next, err := cs.ApplyTo(cur)
	if err != nil {
		return fmt.Errorf("inventory %s: %w", s.path, err)
	}
	if ps := inventory.Validate(next); ps != nil {
		return fmt.Errorf("inventory %s: the change set leaves an invalid inventory: %w", s.path, ps)
	}
	st, err := os.Stat(s.path)
	if err != nil {
		return fmt.Errorf("inventory %s: %w", s.path, err)
	}
	if !st.IsDir() {
		return WriteFile(s.path, next)
	}
	return writeByOrigin(s.path, next)
}

// Marshal renders a snapshot as one YAML document.
func Marshal(snap *inventory.Snapshot) ([]byte, error) {
	var e emitter
	if err := e.mapping(reflect.ValueOf(snap).Elem(), 0, false); err != nil {
		return nil, fmt.Errorf("encode inventory: %w", err)
	}
	return e.buf.Bytes(), nil
}

// WriteFile writes a snapshot to one file atomically: readers see the old
// file or the new one, never half of it.
func WriteFile(path string, snap *inventory.Snapshot) error {
	data, err := Marshal(snap)
	if err != nil {
		return err
	}
	return atomicWrite(path, data)
}

// Sections splits a snapshot into one file per section, the layout
// WriteDir writes and people edit: sites.yaml, devices.yaml, cables.yaml...
func Sections(snap *inventory.Snapshot) map[string]*inventory.Snapshot {
	out := map[string]*inventory.Snapshot{}
	put := func(name string, fill func(*inventory.Snapshot)) {
		p := &inventory.Snapshot{}
		fill(p)
		if !isEmpty(p) {
			out[name] = p
		}
	}
	put("network.yaml", func(p *inventory.Snapshot) {
		p.Network, p.Regions, p.ASNs, p.Prefixes, p.Services = snap.Network, snap.Regions, snap.ASNs, snap.Prefixes, snap.Services
	})
	put("speakers.yaml", func(p *inventory.Snapshot) { p.Speakers = snap.Speakers })
	put("sites.yaml", func(p *inventory.Snapshot) { p.Sites = snap.Sites })
	put("devices.yaml", func(p *inventory.Snapshot) { p.Devices = snap.Devices })
	put("fiber.yaml", func(p *inventory.Snapshot) { p.PatchPanels, p.Cables = snap.PatchPanels, snap.Cables })
	put("circuits.yaml", func(p *inventory.Snapshot) { p.Circuits = snap.Circuits })
	put("optics.yaml", func(p *inventory.Snapshot) { p.Optics = snap.Optics })
	return out
}

// WriteDir writes a snapshot as a directory of section files.
func WriteDir(dir string, snap *inventory.Snapshot) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("inventory %s: %w", dir, err)
	}
	for name, part := range Sections(snap) {
		if err := WriteFile(filepath.Join(dir, name), part); err != nil {
			return err
		}
	}
	return nil
}

func isEmpty(s *inventory.Snapshot) bool {
	return s.Network == (inventory.Network{}) && len(s.Regions)+len(s.Sites)+len(s.Devices)+len(s.PatchPanels)+
		len(s.Cables)+len(s.Circuits)+len(s.Prefixes)+len(s.ASNs)+len(s.Services)+len(s.Optics)+len(s.Speakers) == 0
}

// writeByOrigin rewrites a directory inventory keeping every object in the
// file it came from.
func writeByOrigin(dir string, snap *inventory.Snapshot) error {
	files := map[string]*inventory.Snapshot{}
	get := func(file, fallback string) *inventory.Snapshot {
		if file == "" {
			file = filepath.Join(dir, fallback)
		}
		if files[file] == nil {
			files[file] = &inventory.Snapshot{}
		}
		return files[file]
	}
	if snap.Network != (inventory.Network{}) {
		get(snap.Network.Src.File, "network.yaml").Network = snap.Network
	}
	spread(snap.Regions, "network.yaml", get, func(p *inventory.Snapshot) *[]inventory.Region { return &p.Regions }, func(x *inventory.Region) inventory.Source { return x.Src })
	spread(snap.Sites, "sites.yaml", get, func(p *inventory.Snapshot) *[]inventory.Site { return &p.Sites }, func(x *inventory.Site) inventory.Source { return x.Src })
	spread(snap.Devices, "devices.yaml", get, func(p *inventory.Snapshot) *[]inventory.Device { return &p.Devices }, func(x *inventory.Device) inventory.Source { return x.Src })
	spread(snap.PatchPanels, "fiber.yaml", get, func(p *inventory.Snapshot) *[]inventory.PatchPanel { return &p.PatchPanels }, func(x *inventory.PatchPanel) inventory.Source { return x.Src })
	spread(snap.Cables, "fiber.yaml", get, func(p *inventory.Snapshot) *[]inventory.Cable { return &p.Cables }, func(x *inventory.Cable) inventory.Source { return x.Src })
	spread(snap.Circuits, "circuits.yaml", get, func(p *inventory.Snapshot) *[]inventory.Circuit { return &p.Circuits }, func(x *inventory.Circuit) inventory.Source { return x.Src })
	spread(snap.Prefixes, "network.yaml", get, func(p *inventory.Snapshot) *[]inventory.Prefix { return &p.Prefixes }, func(x *inventory.Prefix) inventory.Source { return x.Src })
	spread(snap.ASNs, "network.yaml", get, func(p *inventory.Snapshot) *[]inventory.ASN { return &p.ASNs }, func(x *inventory.ASN) inventory.Source { return x.Src })
	spread(snap.Services, "network.yaml", get, func(p *inventory.Snapshot) *[]inventory.HostingService { return &p.Services }, func(x *inventory.HostingService) inventory.Source { return x.Src })
	spread(snap.Speakers, "speakers.yaml", get, func(p *inventory.Snapshot) *[]inventory.Speaker { return &p.Speakers }, func(x *inventory.Speaker) inventory.Source { return x.Src })
	spread(snap.Optics, "optics.yaml", get, func(p *inventory.Snapshot) *[]inventory.Optic { return &p.Optics }, func(x *inventory.Optic) inventory.Source { return x.Src })
	// A file whose objects were all deleted is emptied, not removed: the
	// engineer may keep comments or other documents next to it.
	old, err := Open(dir).files()
	if err != nil {
		return err
	}
	for _, f := range old {
		if files[f] == nil {
			files[f] = &inventory.Snapshot{}
		}
	}
	for f, part := range files {
		if !filepath.IsAbs(f) && !filepath.IsLocal(f) {
			return fmt.Errorf("inventory %s: refusing to write outside the directory: %s", dir, f)
		}
		if err := WriteFile(f, part); err != nil {
			return err
		}
	}
	return nil
}

func atomicWrite(path string, data []byte) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	mode := os.FileMode(0o644)
	if st, err := os.Stat(path); err == nil {
		mode = st.Mode().Perm()
	}
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// spread puts each object back into the file it was read from; new objects
// go to the file of the first object of their kind, or to fallback.
func spread[T any](list []T, fallback string, get func(file, fallback string) *inventory.Snapshot,
	section func(*inventory.Snapshot) *[]T, src func(*T) inventory.Source) {
	for i := range list {
		if f := src(&list[i]).File; f != "" {
			fallback = filepath.Base(f)
			break
		}
	}
	for i := range list {
		sec := section(get(src(&list[i]).File, fallback))
		*sec = append(*sec, list[i])
	}
}
