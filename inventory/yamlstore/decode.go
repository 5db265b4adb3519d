package yamlstore

import (
	"encoding"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/tuyau-net/tuyau/inventory"
)

// maxNodes bounds the work alias expansion may cause ("billion laughs"):
// a real inventory of 10,000 devices has a few million nodes.
const maxNodes = 50_000_000

// decoder turns a yaml.Node tree into inventory types, reporting every
// unknown key, wrong type and malformed value with its file:line:column
// instead of stopping at the first one.
type decoder struct {
	file  string
	probs inventory.Problems
	nodes int
	types map[reflect.Type]structFields
}

var (
	sourceType    = reflect.TypeFor[inventory.Source]()
	textUnmarshal = reflect.TypeFor[encoding.TextUnmarshaler]()
)

func (d *decoder) src(n *yaml.Node) inventory.Source {
	return inventory.Source{File: d.file, Line: n.Line, Col: n.Column}
}

func (d *decoder) fail(n *yaml.Node, obj, format string, args ...any) {
	s := d.src(n)
	d.probs = append(d.probs, inventory.Problem{Src: s, Where: s.String(), Object: obj, Msg: fmt.Sprintf(format, args...)})
}

// singular names a list element in messages: "devices" holds a "device".
var singular = map[string]string{
	"regions": "region", "sites": "site", "devices": "device", "interfaces": "interface",
	"patch_panels": "patch panel", "front_ports": "front port", "rear_ports": "rear port",
	"cables": "cable", "circuits": "circuit", "prefixes": "prefix", "asns": "asn",
	"services": "service", "bgp_sessions": "bgp session",
}

// nameKeys are the keys that identify a list element, in order of preference.
var nameKeys = []string{"name", "slug", "label", "id", "prefix", "peer_address", "asn"}

func (d *decoder) decode(n *yaml.Node, v reflect.Value, obj string) {
	d.nodes++
	if d.nodes > maxNodes {
		if d.nodes == maxNodes+1 {
			d.fail(n, obj, "document expands to more than %d nodes (alias bomb?)", maxNodes)
		}
		return
	}
	if n.Kind == yaml.AliasNode {
		d.decode(n.Alias, v, obj)
		return
	}
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return // an empty value leaves the zero value, as "key:" reads in YAML
	}
	t := v.Type()
	if reflect.PointerTo(t).Implements(textUnmarshal) {
		d.text(n, v, obj)
		return
	}
	switch t.Kind() {
	case reflect.Pointer:
		nv := reflect.New(t.Elem())
		d.decode(n, nv.Elem(), obj)
		v.Set(nv)
	case reflect.Struct:
		d.structure(n, v, obj)
	case reflect.Slice:
		d.sequence(n, v, obj)
	case reflect.String:
		if n.Kind != yaml.ScalarNode {
			d.fail(n, obj, "want a string, got %s", kindName(n))
			return
		}
		v.SetString(n.Value)
	case reflect.Bool:
		if n.Kind != yaml.ScalarNode || n.Tag != "!!bool" {
			d.fail(n, obj, "want true or false, got %s", describe(n))
			return
		}
		v.SetBool(n.Value == "true" || n.Value == "True" || n.Value == "TRUE")
	case reflect.Int, reflect.Int64, reflect.Int32:
		i, err := strconv.ParseInt(n.Value, 10, t.Bits())
		if n.Kind != yaml.ScalarNode || err != nil {
			d.fail(n, obj, "want an integer, got %s", describe(n))
			return
		}
		v.SetInt(i)
	case reflect.Uint32, reflect.Uint64, reflect.Uint:
		u, err := strconv.ParseUint(n.Value, 10, t.Bits())
		if n.Kind != yaml.ScalarNode || err != nil {
			if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
				d.fail(n, obj, "%s is out of range (max %d)", n.Value, uint64(1)<<t.Bits()-1)
				return
			}
			d.fail(n, obj, "want a non-negative integer, got %s", describe(n))
			return
		}
		v.SetUint(u)
	case reflect.Float64:
		f, err := strconv.ParseFloat(n.Value, 64)
		if n.Kind != yaml.ScalarNode || err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			d.fail(n, obj, "want a number, got %s", describe(n))
			return
		}
		v.SetFloat(f)
	default:
		d.fail(n, obj, "cannot decode into %s", t)
	}
}

func (d *decoder) text(n *yaml.Node, v reflect.Value, obj string) {
	if n.Kind != yaml.ScalarNode {
		d.fail(n, obj, "want a scalar value, got %s", kindName(n))
		return
	}
	u := v.Addr().Interface().(encoding.TextUnmarshaler)
	if err := u.UnmarshalText([]byte(n.Value)); err != nil {
		msg := err.Error()
		if strings.HasPrefix(msg, "netip.Parse") || strings.HasPrefix(msg, "ParseAddr") {
			// netip nests its messages; the last part says what is wrong.
			msg = fmt.Sprintf("malformed address %q: %s", n.Value, msg[strings.LastIndex(msg, ": ")+2:])
		}
		d.fail(n, obj, "%s", msg)
	}
}

func (d *decoder) structure(n *yaml.Node, v reflect.Value, obj string) {
	if n.Kind != yaml.MappingNode {
		d.fail(n, obj, "want a mapping of keys, got %s", kindName(n))
		return
	}
	fields, ok := d.types[v.Type()]
	if !ok {
		fields = fieldsOf(v.Type())
		if d.types == nil {
			d.types = map[reflect.Type]structFields{}
		}
		d.types[v.Type()] = fields
	}
	seen := make(map[string]int, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		if k.Value == "<<" {
			d.fail(k, obj, "YAML merge keys (<<) are not supported; write the keys out")
			continue
		}
		if line, dup := seen[k.Value]; dup {
			d.fail(k, obj, "key %q is given twice (first at line %d)", k.Value, line)
			continue
		}
		seen[k.Value] = k.Line
		f, ok := fields.byName[k.Value]
		if !ok {
			d.fail(k, obj, "unknown key %q (known keys: %s)", k.Value, strings.Join(fields.names, ", "))
			continue
		}
		child := obj
		if elem, ok := singular[k.Value]; ok {
			child = elem
			if _, parent, nested := strings.Cut(obj, " "); nested {
				// Nested lists are named after their parent, as the
				// validator does: "interface pop1-r1:eth2".
				child = elem + " " + parent + ":"
			}
		}
		d.decode(val, v.Field(f), child)
	}
	if fields.src >= 0 {
		v.Field(fields.src).Set(reflect.ValueOf(d.src(n)))
	}
}

func (d *decoder) sequence(n *yaml.Node, v reflect.Value, obj string) {
	if n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	if n.Kind != yaml.SequenceNode {
		d.fail(n, obj, "want a list, got %s", kindName(n))
		return
	}
	s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
	elemIsStruct := v.Type().Elem().Kind() == reflect.Struct && !reflect.PointerTo(v.Type().Elem()).Implements(textUnmarshal)
	for i, item := range n.Content {
		name := obj
		if elemIsStruct {
			name = elementName(obj, item, i)
		}
		d.decode(item, s.Index(i), name)
	}
	v.Set(s)
}

// elementName names a list element for messages: "device cherbourg-r1" or,
// when it has no name, "device #3".
func elementName(kind string, n *yaml.Node, i int) string {
	if kind == "" {
		kind = "item"
	}
	if n.Kind == yaml.MappingNode {
		for _, want := range nameKeys {
			for j := 0; j+1 < len(n.Content); j += 2 {
				if n.Content[j].Value == want && n.Content[j+1].Kind == yaml.ScalarNode {
					if strings.HasSuffix(kind, ":") {
						return kind + n.Content[j+1].Value
					}
					return kind + " " + n.Content[j+1].Value
				}
			}
		}
	}
	return fmt.Sprintf("%s #%d", kind, i+1)
}

type structFields struct {
	byName map[string]int
	names  []string
	src    int
}

func fieldsOf(t reflect.Type) structFields {
	sf := structFields{byName: map[string]int{}, src: -1}
	for i := range t.NumField() {
		f := t.Field(i)
		if f.Type == sourceType {
			sf.src = i
			continue
		}
		tag, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if tag == "-" || !f.IsExported() {
			continue
		}
		if tag == "" {
			tag = strings.ToLower(f.Name)
		}
		sf.byName[tag] = i
		sf.names = append(sf.names, tag)
	}
	return sf
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		return fmt.Sprintf("%q", n.Value)
	}
	return "an alias"
}

func describe(n *yaml.Node) string {
	if n.Kind == yaml.ScalarNode {
		return fmt.Sprintf("%q", n.Value)
	}
	return kindName(n)
}
