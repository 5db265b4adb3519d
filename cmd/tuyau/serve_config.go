package main

import (
	"errors"
	"fmt"
	"net"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/tuyau-net/tuyau/telemetry"
	"github.com/tuyau-net/tuyau/telemetry/web"
)

// serveConfig is the serve: section of tuyau.yaml (docs/serve.md). A part
// runs when its block is present and does not say enabled: false, or when
// --parts names it.
type serveConfig struct {
	// Health is the address of GET /healthz listing each part.
	Health string `yaml:"health"`
	// Redis is the URL of the Redis the collector writes and the web
	// reads; the password comes from TUYAU_REDIS_PASSWORD only.
	Redis string `yaml:"redis"`
	// Secrets is the secrets file (gNMI/SSH login, BGP MD5 passwords).
	Secrets   string              `yaml:"secrets"`
	Collector serveCollectorBlock `yaml:"collector"`
	BGP       serveBGPBlock       `yaml:"bgp"`
	Web       serveWebBlock       `yaml:"web"`

	// present: the part blocks written (collector, bgp, web); file and
	// node: where each key is, for errors.
	present map[string]bool
	file    string
	node    *yaml.Node
}

type serveCollectorBlock struct {
	Enabled *bool `yaml:"enabled"`
	// Listen is the collector's HTTP API; nil: its default, "": none.
	Listen    *string       `yaml:"listen"`
	ID        string        `yaml:"id"`
	Interval  string        `yaml:"interval"`
	Flush     time.Duration `yaml:"flush"`
	Poll      time.Duration `yaml:"poll"`
	Lease     time.Duration `yaml:"lease"`
	CA        string        `yaml:"ca"`
	Insecure  bool          `yaml:"insecure"`
	TokenFile string        `yaml:"token_file"`
}

type serveBGPBlock struct {
	Enabled  *bool  `yaml:"enabled"`
	Speaker  string `yaml:"speaker"`
	Hosting  *bool  `yaml:"hosting"`
	Monitor  *bool  `yaml:"monitor"`
	StateDir string `yaml:"state_dir"`
}

type serveWebBlock struct {
	Enabled   *bool         `yaml:"enabled"`
	Listen    string        `yaml:"listen"`
	TokenFile string        `yaml:"token_file"`
	TileURL   string        `yaml:"tile_url"`
	Interval  time.Duration `yaml:"interval"`
}

// serveParts are the parts in their start order; they stop in reverse.
var serveParts = []string{"collector", "bgp", "web"}

// parseServe reads the serve: node of file; errors are file:line:col.
func parseServe(n *yaml.Node, file string) (serveConfig, error) {
	c := serveConfig{present: map[string]bool{}, file: file}
	if n == nil || n.Kind == 0 || (n.Kind == yaml.ScalarNode && n.Tag == "!!null") {
		return c, nil
	}
	if n.Kind != yaml.MappingNode {
		return c, fmt.Errorf("%s: serve: want a mapping (health, redis, secrets, collector, bgp, web), not %s", yamlPos(file, n), kindOf(n))
	}
	c.node = n
	if err := strictKeys(n, reflect.TypeOf(c), file, "serve"); err != nil {
		return c, err
	}
	if err := n.Decode(&c); err != nil {
		return c, yamlLineError(file, err)
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if k := n.Content[i].Value; slices.Contains(serveParts, k) {
			c.present[k] = true
		}
	}
	return c, nil
}

// at is the position of the dotted key path under serve: ("web.listen"),
// else of the deepest of its keys written, else the file.
func (c serveConfig) at(path string) string {
	n := c.node
	var found *yaml.Node
	for _, part := range strings.Split(path, ".") {
		if n == nil || n.Kind != yaml.MappingNode {
			break
		}
		var next *yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == part {
				found, next = n.Content[i], n.Content[i+1]
			}
		}
		n = next // not there: the deepest key found says where
	}
	if found == nil {
		if c.file == "" {
			return "serve"
		}
		return c.file
	}
	return yamlPos(c.file, found)
}

// enabled says whether a part runs by the config alone.
func (c serveConfig) enabled(part string) bool {
	if !c.present[part] {
		return false
	}
	var e *bool
	switch part {
	case "collector":
		e = c.Collector.Enabled
	case "bgp":
		e = c.BGP.Enabled
	case "web":
		e = c.Web.Enabled
	}
	return e == nil || *e
}

// checkListen validates a host:port of the config (or a flag, then named
// by flag), its error at the key's line.
func (c serveConfig) checkListen(path, flag, addr string) error {
	if _, port, err := net.SplitHostPort(addr); err != nil || port == "" {
		return fmt.Errorf("%s: %s %q: want host:port", c.where(path, flag), dotted(path), addr)
	}
	return nil
}

// where names a value's origin: the flag that set it, else its line.
func (c serveConfig) where(path, flag string) string {
	if flag != "" {
		return "--" + flag
	}
	return c.at(path)
}

func dotted(path string) string { return "serve." + path }

// validate checks what can be checked before any part starts, each error
// at its line; set names the flags given (they win over the file).
func (c serveConfig) validate(parts []string, webToken string, flags map[string]string) error {
	var errs []error
	if slices.Contains(parts, "collector") {
		if a := flags["collector-listen"]; a != "" || (c.Collector.Listen != nil && *c.Collector.Listen != "") {
			v, f := a, "collector-listen"
			if v == "" {
				v, f = *c.Collector.Listen, ""
			}
			errs = append(errs, c.checkListen("collector.listen", f, v))
		}
		if iv := c.Collector.Interval; iv != "" && flags["interval"] == "" {
			if _, err := telemetry.ParseIntervals(iv); err != nil {
				errs = append(errs, fmt.Errorf("%s: serve.collector.interval: %w", c.at("collector.interval"), err))
			}
		}
	}
	if slices.Contains(parts, "web") {
		v, f := c.Web.Listen, ""
		if a := flags["web-listen"]; a != "" {
			v, f = a, "web-listen"
		}
		if v != "" {
			if err := c.checkListen("web.listen", f, v); err != nil {
				errs = append(errs, err)
			} else if err := web.CheckListen(v, webToken); err != nil {
				errs = append(errs, fmt.Errorf("%s: serve.web.listen: %w", c.where("web.listen", f), err))
			}
		}
		redis := c.Redis
		if flags["redis"] != "" {
			redis = flags["redis"]
		}
		noAPI := c.Collector.Listen != nil && *c.Collector.Listen == "" && flags["collector-listen"] == ""
		if redis == "" && (!slices.Contains(parts, "collector") || noAPI) {
			errs = append(errs, fmt.Errorf("%s: serve.web: the web reads Redis (serve.redis) or this process's collector API (serve.collector.listen): give one", c.at("web")))
		}
	}
	if h := flags["health"]; h != "" {
		errs = append(errs, c.checkListen("health", "health", h))
	} else if c.Health != "" {
		errs = append(errs, c.checkListen("health", "", c.Health))
	}
	return errors.Join(errs...)
}

// strictKeys walks mapping n against the struct type it decodes into:
// yaml.v3's Node.Decode has no strict mode, and a misspelt key would be
// silently ignored (a part that never starts).
func strictKeys(n *yaml.Node, t reflect.Type, file, path string) error {
	if n.Kind != yaml.MappingNode || t.Kind() != reflect.Struct {
		return nil // Decode reports a wrong kind with its line
	}
	fields := map[string]reflect.Type{}
	var known []string
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if tag == "" || tag == "-" || !f.IsExported() {
			continue
		}
		ft := f.Type
		if ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		fields[tag] = ft
		known = append(known, tag)
	}
	slices.Sort(known)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i]
		ft, ok := fields[k.Value]
		if !ok {
			return fmt.Errorf("%s: unknown key %q in %s (known keys: %s)", yamlPos(file, k), k.Value, path, strings.Join(known, ", "))
		}
		if ft.Kind() == reflect.Struct && n.Content[i+1].Kind != yaml.MappingNode && n.Content[i+1].Tag != "!!null" {
			return fmt.Errorf("%s: %s.%s: want a mapping, not %s", yamlPos(file, n.Content[i+1]), path, k.Value, kindOf(n.Content[i+1]))
		}
		if err := strictKeys(n.Content[i+1], ft, file, path+"."+k.Value); err != nil {
			return err
		}
	}
	return nil
}

func yamlPos(file string, n *yaml.Node) string {
	if file == "" {
		file = "tuyau.yaml"
	}
	return fmt.Sprintf("%s:%d:%d", file, n.Line, n.Column)
}

func kindOf(n *yaml.Node) string {
	switch n.Kind {
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		return strconv.Quote(n.Value)
	}
	return "this"
}

// yamlLineError rewrites yaml.v3's "line N: cannot unmarshal ..." as
// file:N: ..., one line each.
func yamlLineError(file string, err error) error {
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		return fmt.Errorf("%s: serve: %w", file, err)
	}
	msgs := make([]string, 0, len(te.Errors))
	for _, e := range te.Errors {
		if rest, ok := strings.CutPrefix(e, "line "); ok {
			if l, m, ok := strings.Cut(rest, ": "); ok {
				msgs = append(msgs, fmt.Sprintf("%s:%s: serve: %s", file, l, m))
				continue
			}
		}
		msgs = append(msgs, fmt.Sprintf("%s: serve: %s", file, e))
	}
	return errors.New(strings.Join(msgs, "\n"))
}
