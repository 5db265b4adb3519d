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
	put("sites.yaml", func(p *inventory.Snapshot) { p.Sites = snap.Sites })
	put("devices.yaml", func(p *inventory.Snapshot) { p.Devices = snap.Devices })
	put("fiber.yaml", func(p *inventory.Snapshot) { p.PatchPanels, p.Cables = snap.PatchPanels, snap.Cables })
	put("circuits.yaml", func(p *inventory.Snapshot) { p.Circuits = snap.Circuits })
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
		len(s.Cables)+len(s.Circuits)+len(s.Prefixes)+len(s.ASNs)+len(s.Services) == 0
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
	// The default file of a kind is where its first object lives.
	first := func(srcs []inventory.Source, fallback string) string {
		for _, s := range srcs {
			if s.File != "" {
				return filepath.Base(s.File)
			}
		}
		return fallback
	}
	srcOf := func(n int, f func(int) inventory.Source) []inventory.Source {
		out := make([]inventory.Source, n)
		for i := range out {
			out[i] = f(i)
		}
		return out
	}
	if snap.Network != (inventory.Network{}) {
		get(snap.Network.Src.File, "network.yaml").Network = snap.Network
	}
	fb := first(srcOf(len(snap.Regions), func(i int) inventory.Source { return snap.Regions[i].Src }), "network.yaml")
	for _, x := range snap.Regions {
		p := get(x.Src.File, fb)
		p.Regions = append(p.Regions, x)
	}
	fb = first(srcOf(len(snap.Sites), func(i int) inventory.Source { return snap.Sites[i].Src }), "sites.yaml")
	for _, x := range snap.Sites {
		p := get(x.Src.File, fb)
		p.Sites = append(p.Sites, x)
	}
	fb = first(srcOf(len(snap.Devices), func(i int) inventory.Source { return snap.Devices[i].Src }), "devices.yaml")
	for _, x := range snap.Devices {
		p := get(x.Src.File, fb)
		p.Devices = append(p.Devices, x)
	}
	fb = first(srcOf(len(snap.PatchPanels), func(i int) inventory.Source { return snap.PatchPanels[i].Src }), "fiber.yaml")
	for _, x := range snap.PatchPanels {
		p := get(x.Src.File, fb)
		p.PatchPanels = append(p.PatchPanels, x)
	}
	fb = first(srcOf(len(snap.Cables), func(i int) inventory.Source { return snap.Cables[i].Src }), "fiber.yaml")
	for _, x := range snap.Cables {
		p := get(x.Src.File, fb)
		p.Cables = append(p.Cables, x)
	}
	fb = first(srcOf(len(snap.Circuits), func(i int) inventory.Source { return snap.Circuits[i].Src }), "circuits.yaml")
	for _, x := range snap.Circuits {
		p := get(x.Src.File, fb)
		p.Circuits = append(p.Circuits, x)
	}
	fb = first(srcOf(len(snap.Prefixes), func(i int) inventory.Source { return snap.Prefixes[i].Src }), "network.yaml")
	for _, x := range snap.Prefixes {
		p := get(x.Src.File, fb)
		p.Prefixes = append(p.Prefixes, x)
	}
	fb = first(srcOf(len(snap.ASNs), func(i int) inventory.Source { return snap.ASNs[i].Src }), "network.yaml")
	for _, x := range snap.ASNs {
		p := get(x.Src.File, fb)
		p.ASNs = append(p.ASNs, x)
	}
	fb = first(srcOf(len(snap.Services), func(i int) inventory.Source { return snap.Services[i].Src }), "network.yaml")
	for _, x := range snap.Services {
		p := get(x.Src.File, fb)
		p.Services = append(p.Services, x)
	}
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
