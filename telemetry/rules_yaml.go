package telemetry

import (
	"encoding"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// ParseRulesNode reads alarm rules from a YAML node over the defaults: the
// "alarms:" section of tuyau.yaml, decoded by the caller with the rest of
// the file so that the lines are the file's. Every error starts with
// name:line:column of the key or value at fault: an unknown key (with the
// known ones), a value of the wrong type, a duration without a unit, a
// rule that does not validate. A nil or empty node gives the defaults.
func ParseRulesNode(n *yaml.Node, name string) (Rules, error) {
	r := DefaultRules()
	if n != nil && n.Kind == yaml.DocumentNode {
		if len(n.Content) == 0 {
			n = nil
		} else {
			n = n.Content[0]
		}
	}
	if n != nil && n.Kind != 0 && !(n.Kind == yaml.ScalarNode && n.Tag == "!!null") {
		if n.Kind != yaml.MappingNode {
			return Rules{}, fmt.Errorf("%s: alarm rules: want a mapping of rule names (link_down, rx_margin...), not %s", pos(name, n), kindName(n))
		}
		if err := checkKeys(n, reflect.TypeOf(r), name, ""); err != nil {
			return Rules{}, err
		}
		if err := n.Decode(&r); err != nil {
			return Rules{}, typeError(name, n, err)
		}
	}
	r = r.withDefaults()
	if path, err := r.check(); err != nil {
		at := n
		if k := lookupKey(n, path); k != nil {
			at = k
		}
		if at == nil {
			return Rules{}, fmt.Errorf("%s: %w", name, err)
		}
		return Rules{}, fmt.Errorf("%s: %w", pos(name, at), err)
	}
	return r, nil
}

func pos(name string, n *yaml.Node) string {
	return fmt.Sprintf("%s:%d:%d", name, n.Line, n.Column)
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		return fmt.Sprintf("%q", n.Value)
	}
	return "this"
}

var textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()

// checkKeys walks a mapping against the struct (or map) type it decodes
// into: yaml.v3's Node.Decode has no strict mode, and it loses the line of
// a TextUnmarshaler's error (a duration without a unit).
func checkKeys(n *yaml.Node, t reflect.Type, name, path string) error {
	if reflect.PointerTo(t).Implements(textUnmarshaler) {
		if n.Kind != yaml.ScalarNode {
			return fmt.Errorf("%s: alarm rules: %s: want a value, not %s", pos(name, n), path, kindName(n))
		}
		v := reflect.New(t)
		if err := v.Interface().(encoding.TextUnmarshaler).UnmarshalText([]byte(n.Value)); err != nil {
			return fmt.Errorf("%s: alarm rules: %s: %w", pos(name, n), path, err)
		}
		return nil
	}
	if n.Kind != yaml.MappingNode {
		return nil // Decode reports a wrong kind with its line
	}
	switch t.Kind() {
	case reflect.Map:
		for i := 0; i+1 < len(n.Content); i += 2 {
			if err := checkKeys(n.Content[i+1], t.Elem(), name, join(path, n.Content[i].Value)); err != nil {
				return err
			}
		}
	case reflect.Struct:
		fields := map[string]reflect.Type{}
		var known []string
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			tag, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
			if tag == "" || tag == "-" || !f.IsExported() {
				continue
			}
			fields[tag] = f.Type
			known = append(known, tag)
		}
		slices.Sort(known)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			ft, ok := fields[k.Value]
			if !ok {
				where := "alarms"
				if path != "" {
					where = "alarms." + path
				}
				return fmt.Errorf("%s: alarm rules: unknown key %q in %s (known keys: %s)", pos(name, k), k.Value, where, strings.Join(known, ", "))
			}
			if err := checkKeys(n.Content[i+1], ft, name, join(path, k.Value)); err != nil {
				return err
			}
		}
	}
	return nil
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// lookupKey finds the key node of a dotted path under mapping n, or the
// deepest one found on the way.
func lookupKey(n *yaml.Node, path string) *yaml.Node {
	var found *yaml.Node
	for _, part := range strings.Split(path, ".") {
		if n == nil || n.Kind != yaml.MappingNode {
			break
		}
		var next *yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == part {
				found, next = n.Content[i], n.Content[i+1]
				break
			}
		}
		n = next
	}
	return found
}

var lineRe = regexp.MustCompile(`^line (\d+): (.*)$`)

// typeError rewrites yaml.v3's "line N: cannot unmarshal..." as name:N:.
func typeError(name string, n *yaml.Node, err error) error {
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		return fmt.Errorf("%s: alarm rules: %w", pos(name, n), err)
	}
	msgs := make([]string, 0, len(te.Errors))
	for _, e := range te.Errors {
		if m := lineRe.FindStringSubmatch(e); m != nil {
			if l, err := strconv.Atoi(m[1]); err == nil {
				msgs = append(msgs, fmt.Sprintf("%s:%d: alarm rules: %s", name, l, m[2]))
				continue
			}
		}
		msgs = append(msgs, fmt.Sprintf("%s: alarm rules: %s", pos(name, n), e))
	}
	return errors.New(strings.Join(msgs, "\n"))
}
