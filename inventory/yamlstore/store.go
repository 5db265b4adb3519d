package yamlstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	"unsafe"

	"gopkg.in/yaml.v3"

	"github.com/tuyau-net/tuyau/inventory"
)

// Store is a YAML inventory: one file, or a directory whose *.yaml and *.yml
// files (recursively, hidden ones skipped) are read and merged. Any file may
// hold any top-level section.
type Store struct {
	path string
	log  *slog.Logger

	mu    sync.Mutex
	stats []FileStats
}

// Option configures a Store.
type Option func(*Store)

// WithLogger sets where the store logs; at debug level it says, for each
// file that leaves the fast reader, the line and why.
func WithLogger(l *slog.Logger) Option { return func(s *Store) { s.log = l } }

// Open returns a store for a file or a directory. Nothing is read yet.
func Open(path string, opts ...Option) *Store {
	s := &Store{path: path, log: slog.New(slog.DiscardHandler)}
	for _, o := range opts {
		o(s)
	}
	return s
}

// FileStats says how one file of the last Load or Parse was read.
type FileStats struct {
	File  string
	Bytes int
	// Fast is true when the fast reader took the file; otherwise
	// Fallback says where and why yaml.v3 read it ("file:line: why").
	Fast     bool
	Fallback string
	Duration time.Duration
}

// Stats returns how each file of the last Load or Parse was read, in
// file order.
func (s *Store) Stats() []FileStats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.stats)
}

// Path returns the file or directory the store reads.
func (s *Store) Path() string { return s.path }

// Load reads and validates the inventory. The error is an
// inventory.Problems listing every problem found, with its position.
func (s *Store) Load(ctx context.Context) (*inventory.Snapshot, error) {
	snap, probs, err := s.parse(ctx)
	if err != nil {
		return nil, err
	}
	// Cross-object checks run even when some values could not be read, so
	// that one pass lists every problem. An unreadable value is left at its
	// zero value; "missing" complaints about such an object are dropped as
	// they would only repeat the first message.
	broken := map[string]bool{}
	for _, p := range probs {
		broken[p.Object] = true
	}
	for _, p := range inventory.Validate(snap) {
		if broken[p.Object] && (strings.Contains(p.Msg, "missing") || strings.HasPrefix(p.Msg, "has no")) {
			continue
		}
		if len(broken) > 0 && p.Src.Line == 0 {
			continue // an object that could not be read at all
		}
		probs = append(probs, p)
	}
	probs.Sort()
	for _, p := range probs {
		if !p.IsWarning() {
			return nil, probs
		}
	}
	if len(probs) > 0 {
		snap.Warnings = probs
	}
	return snap, nil
}

// Parse reads the inventory without the cross-object checks of
// inventory.Validate: it reports only syntax, unknown keys and bad values.
func (s *Store) Parse(ctx context.Context) (*inventory.Snapshot, error) {
	snap, probs, err := s.parse(ctx)
	if err != nil {
		return nil, err
	}
	if len(probs) > 0 {
		probs.Sort()
		return nil, probs
	}
	return snap, nil
}

func (s *Store) parse(ctx context.Context) (*inventory.Snapshot, inventory.Problems, error) {
	files, err := s.files()
	if err != nil {
		return nil, nil, err
	}
	parts := make([]*inventory.Snapshot, len(files))
	probs := make([]inventory.Problems, len(files))
	stats := make([]FileStats, len(files))
	errs := make([]error, len(files))
	// Files parse independently; two workers match the machines tuyau runs on
	// and keep memory bounded on huge trees.
	var wg sync.WaitGroup
	sem := make(chan struct{}, 4)
	for i, f := range files {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			if err := ctx.Err(); err != nil {
				errs[i] = err
				return
			}
			data, err := os.ReadFile(f)
			if err != nil {
				errs[i] = fmt.Errorf("read inventory: %w", err)
				return
			}
			start := time.Now()
			var why fallback
			parts[i], probs[i], why = decodeOwned(f, data)
			stats[i] = FileStats{File: f, Bytes: len(data), Fast: why.line == 0, Duration: time.Since(start)}
			if why.line != 0 {
				stats[i].Fallback = fmt.Sprintf("%s:%d: %s", f, why.line, why.why)
				s.log.Debug("yaml: fast reader left the file to yaml.v3", "at", stats[i].Fallback, "bytes", len(data))
			}
		}()
	}
	wg.Wait()
	s.mu.Lock()
	s.stats = stats
	s.mu.Unlock()
	if err := errors.Join(errs...); err != nil {
		return nil, nil, err
	}
	var all inventory.Problems
	for _, p := range probs {
		all = append(all, p...)
	}
	snap, mp := merge(parts)
	all = append(all, mp...)
	return snap, all, nil
}

func (s *Store) files() ([]string, error) {
	st, err := os.Stat(s.path)
	if err != nil {
		return nil, fmt.Errorf("inventory %s: %w", s.path, err)
	}
	if !st.IsDir() {
		return []string{s.path}, nil
	}
	var files []string
	err = filepath.WalkDir(s.path, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if strings.HasPrefix(d.Name(), ".") && p != s.path {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if !d.IsDir() && (strings.HasSuffix(p, ".yaml") || strings.HasSuffix(p, ".yml")) {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("inventory %s: %w", s.path, err)
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("inventory %s: no .yaml or .yml files in the directory", s.path)
	}
	sort.Strings(files)
	return files, nil
}

// Decode parses one YAML document into a snapshot. It never panics and
// reports every problem it finds; name is used in positions.
func Decode(name string, data []byte) (snap *inventory.Snapshot, probs inventory.Problems) {
	snap, probs, _ = decode(name, data, string(data))
	return snap, probs
}

// decodeOwned is Decode for a buffer nothing else holds or will change,
// such as a file just read: the snapshot's strings then point into it
// instead of into a copy (30 MB and as many page faults on a
// 10,000-device file).
func decodeOwned(name string, data []byte) (*inventory.Snapshot, inventory.Problems, fallback) {
	return decode(name, data, unsafe.String(unsafe.SliceData(data), len(data)))
}

// decode reads data, of which src is a string with the same bytes; why
// says why the fast reader left it to yaml.v3, if it did.
func decode(name string, data []byte, src string) (snap *inventory.Snapshot, probs inventory.Problems, why fallback) {
	snap = &inventory.Snapshot{}
	d := &decoder{file: name}
	defer func() {
		// yaml.v3 has panicked on pathological input before; an inventory
		// loader must report, not crash.
		if r := recover(); r != nil {
			snap = &inventory.Snapshot{}
			probs = inventory.Problems{{Src: inventory.Source{File: name}, Where: name, Msg: fmt.Sprintf("cannot parse YAML: %v", r)}}
		}
	}()
	s, ps, why := fastDecodeWhy(name, src)
	if why.line == 0 {
		return s, ps, why
	}
	if s, ps, ok := slowDecode(name, src); ok {
		return s, ps, why
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	docs := 0
	for {
		var root yaml.Node
		err := dec.Decode(&root)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return snap, inventory.Problems{{Src: inventory.Source{File: name, Line: yamlErrLine(err)}, Where: name, Msg: cleanYAMLError(err)}}, why
		}
		docs++
		if docs > 1 {
			d.fail(&node{line: int32(root.Line), col: int32(root.Column)}, objName{}, "more than one YAML document in a file; use one file per document")
			break
		}
		if len(root.Content) == 0 {
			continue
		}
		memo := map[*yaml.Node]*node{}
		top := fromYAML(root.Content[0], memo)
		d.maxNodes = aliasBudget*len(memo) + 100_000
		d.decodeTop(top, snap)
	}
	return snap, d.probs, why
}

// merge concatenates the sections of several files in file order. The
// network block may appear in one file only.
func merge(parts []*inventory.Snapshot) (*inventory.Snapshot, inventory.Problems) {
	if len(parts) == 1 {
		return parts[0], nil
	}
	out := &inventory.Snapshot{}
	var probs inventory.Problems
	for _, p := range parts {
		if p.Network != (inventory.Network{}) {
			if out.Network != (inventory.Network{}) {
				probs = append(probs, inventory.Problem{Src: p.Network.Src, Where: p.Network.Src.String(), Object: "network",
					Msg: fmt.Sprintf("network is also defined at %s", out.Network.Src)})
			} else {
				out.Network = p.Network
			}
		}
		out.Regions = append(out.Regions, p.Regions...)
		out.Sites = append(out.Sites, p.Sites...)
		out.Devices = append(out.Devices, p.Devices...)
		out.PatchPanels = append(out.PatchPanels, p.PatchPanels...)
		out.Cables = append(out.Cables, p.Cables...)
		out.Circuits = append(out.Circuits, p.Circuits...)
		out.Prefixes = append(out.Prefixes, p.Prefixes...)
		out.ASNs = append(out.ASNs, p.ASNs...)
		out.Services = append(out.Services, p.Services...)
		out.Speakers = append(out.Speakers, p.Speakers...)
		out.Optics = append(out.Optics, p.Optics...)
	}
	return out, probs
}

var yamlLineRE = regexp.MustCompile(`^yaml: line (\d+): `)

func yamlErrLine(err error) int {
	m := yamlLineRE.FindStringSubmatch(err.Error())
	if m == nil {
		return 0
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

// cleanYAMLError drops yaml.v3's "yaml: line N:" prefix, which the problem's
// position already carries.
func cleanYAMLError(err error) string {
	msg := yamlLineRE.ReplaceAllString(err.Error(), "")
	return "YAML syntax: " + strings.TrimPrefix(msg, "yaml: ")
}
