package yamlstore

import (
	"encoding"
	"fmt"
	"math"
	"reflect"
	"runtime"
	"strconv"
	"strings"
	"sync"

	"github.com/tuyau-net/tuyau/inventory"
)

// aliasBudget bounds the work alias expansion may cause ("billion
// laughs"): a document may make the decoder visit this many times its own
// number of nodes, plus a constant for small files.
const aliasBudget = 10

// decoder turns a yaml.Node tree into inventory types, reporting every
// unknown key, wrong type and malformed value with its file:line:column
// instead of stopping at the first one.
type decoder struct {
	file  string
	probs inventory.Problems
	nodes int
	// maxNodes is the visit budget; 0 means no aliases, no limit needed.
	maxNodes int
	types    map[reflect.Type]structFields
	texts    map[reflect.Type]bool
	// key is the mapping key being decoded, named in messages.
	key string
	buf []byte
}

// isText caches whether a type reads itself from text (addresses, lengths).
func (d *decoder) isText(t reflect.Type) bool {
	is, ok := d.texts[t]
	if !ok {
		is = reflect.PointerTo(t).Implements(textUnmarshal)
		if d.texts == nil {
			d.texts = map[reflect.Type]bool{}
		}
		d.texts[t] = is
	}
	return is
}

var (
	sourceType    = reflect.TypeFor[inventory.Source]()
	textUnmarshal = reflect.TypeFor[encoding.TextUnmarshaler]()
)

func (d *decoder) src(n *node) inventory.Source {
	return inventory.Source{File: d.file, Line: int(n.line), Col: int(n.col)}
}

func (d *decoder) fail(n *node, obj objName, format string, args ...any) {
	s := d.src(n)
	msg := fmt.Sprintf(format, args...)
	if d.key != "" {
		msg = d.key + ": " + msg
	}
	d.probs = append(d.probs, inventory.Problem{Src: s, Where: s.String(), Object: obj.String(), Msg: msg})
}

// singular names a list element in messages: "devices" holds a "device".
var singular = map[string]string{
	"regions": "region", "sites": "site", "devices": "device", "interfaces": "interface",
	"patch_panels": "patch panel", "front_ports": "front port", "rear_ports": "rear port",
	"cables": "cable", "circuits": "circuit", "prefixes": "prefix", "asns": "asn",
	"services": "service", "bgp_sessions": "bgp session", "locations": "location",
	"optics": "optic", "speakers": "speaker", "peers": "peer",
}

// nameKeys are the keys that identify a list element, in order of preference.
var nameKeys = []string{"name", "slug", "label", "id", "prefix", "peer_address", "asn", "type", "device"}

func (d *decoder) decode(n *node, v reflect.Value, obj objName) {
	d.decodeValue(n, v, obj, d.isText(v.Type()))
}

// decodeValue is decode when the caller knows whether v's type reads
// itself from text: struct fields and list elements know it from their
// type, which saves a cache lookup on every value of the file.
func (d *decoder) decodeValue(n *node, v reflect.Value, obj objName, isText bool) {
	d.nodes++
	if d.maxNodes > 0 && d.nodes > d.maxNodes {
		if d.nodes == d.maxNodes+1 {
			d.fail(n, obj, "aliases expand the document to more than %d nodes; refusing (alias bomb?)", d.maxNodes)
		}
		return
	}
	if n.kind == scalarNode && n.tag == tagNull {
		return // an empty value leaves the zero value, as "key:" reads in YAML
	}
	t := v.Type()
	if isText {
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
		if n.kind != scalarNode {
			d.fail(n, obj, "want a string, got %s", kindName(n))
			return
		}
		v.SetString(n.value)
	case reflect.Bool:
		if n.kind != scalarNode || n.tag != tagBool {
			d.fail(n, obj, "want true or false, got %s", describe(n))
			return
		}
		v.SetBool(n.value == "true" || n.value == "True" || n.value == "TRUE")
	case reflect.Int, reflect.Int64, reflect.Int32:
		i, err := strconv.ParseInt(n.value, 10, t.Bits())
		if n.kind != scalarNode || err != nil {
			d.fail(n, obj, "want an integer, got %s", describe(n))
			return
		}
		v.SetInt(i)
	case reflect.Uint32, reflect.Uint64, reflect.Uint:
		u, err := strconv.ParseUint(n.value, 10, t.Bits())
		if n.kind != scalarNode || err != nil {
			if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
				d.fail(n, obj, "%s is out of range (max %d)", n.value, uint64(1)<<t.Bits()-1)
				return
			}
			d.fail(n, obj, "want a non-negative integer, got %s", describe(n))
			return
		}
		v.SetUint(u)
	case reflect.Float64:
		f, err := strconv.ParseFloat(n.value, 64)
		if n.kind != scalarNode || err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			d.fail(n, obj, "want a number, got %s", describe(n))
			return
		}
		v.SetFloat(f)
	default:
		d.fail(n, obj, "cannot decode into %s", t)
	}
}

func (d *decoder) text(n *node, v reflect.Value, obj objName) {
	if n.kind != scalarNode {
		d.fail(n, obj, "want a scalar value, got %s", kindName(n))
		return
	}
	u := v.Addr().Interface().(encoding.TextUnmarshaler)
	// UnmarshalText must copy what it keeps, so one buffer serves every
	// value instead of a conversion each.
	d.buf = append(d.buf[:0], n.value...)
	if err := u.UnmarshalText(d.buf); err != nil {
		msg := err.Error()
		if strings.HasPrefix(msg, "netip.Parse") || strings.HasPrefix(msg, "ParseAddr") {
			// netip nests its messages; the last part says what is wrong.
			msg = fmt.Sprintf("malformed address %q: %s", n.value, msg[strings.LastIndex(msg, ": ")+2:])
		}
		d.fail(n, obj, "%s", msg)
	}
}

func (d *decoder) structure(n *node, v reflect.Value, obj objName) {
	if n.kind != mappingNode {
		d.fail(n, obj, "want a mapping of keys, got %s", kindName(n))
		return
	}
	fields := d.fieldsOf(v.Type())
	for i := 0; i+1 < len(n.content); i += 2 {
		k, val := n.content[i], n.content[i+1]
		j, ok := d.field(n, i, fields, obj)
		if !ok {
			continue
		}
		outer := d.key
		d.key = k.value
		d.decodeValue(val, v.Field(fields.index[j]), childName(obj, k.value, fields.elem[j]), fields.text[j])
		d.key = outer
	}
	if fields.src >= 0 {
		// Through a pointer: a Source boxed for reflect.Value.Set would be
		// one allocation per object of the file.
		*v.Field(fields.src).Addr().Interface().(*inventory.Source) = d.src(n)
	}
}

// field checks the i-th key of a mapping: merge keys, duplicates (a linear
// scan: mappings have a dozen keys) and unknown keys are reported. It
// returns the key's position in fields.
func (d *decoder) field(n *node, i int, fields structFields, obj objName) (int, bool) {
	k := n.content[i]
	outer := d.key
	d.key = ""
	defer func() { d.key = outer }()
	if k.value == "<<" {
		d.fail(k, obj, "YAML merge keys (<<) are not supported; write the keys out")
		return 0, false
	}
	for j := 0; j < i; j += 2 {
		if n.content[j].value == k.value {
			d.fail(k, obj, "key %q is given twice (first at line %d)", k.value, n.content[j].line)
			return 0, false
		}
	}
	f, ok := fields.lookup(k.value)
	if !ok {
		d.fail(k, obj, "unknown key %q (known keys: %s)", k.value, strings.Join(fields.names, ", "))
	}
	return f, ok
}

func (d *decoder) fieldsOf(t reflect.Type) structFields {
	fields, ok := d.types[t]
	if !ok {
		fields = fieldsOf(t)
		if d.types == nil {
			d.types = map[reflect.Type]structFields{}
		}
		d.types[t] = fields
	}
	return fields
}

// childName names what a key holds, for messages: the elements of
// "interfaces" under "device pop1-r1" are "interface pop1-r1:NAME", as the
// validator names them. elem is singular[key], or "" when there is none,
// looked up once per struct field.
func childName(obj objName, key, elem string) objName {
	if elem == "" {
		if obj == (objName{}) {
			return objName{name: key} // a top-level block: "network"
		}
		return obj
	}
	if _, parent, nested := strings.Cut(obj.String(), " "); nested {
		return objName{name: elem + " " + parent + ":"}
	}
	return objName{name: elem}
}

// objName names the object a value belongs to, for messages. A list
// element's name is found from its keys only when a message needs it:
// nearly every element of a file is named for nothing.
type objName struct {
	name string // the name, or the kind of a list element
	item *node  // the list element, when the name is still to be found
	idx  int    // its index in the list
}

func (o objName) String() string {
	if o.item == nil {
		return o.name
	}
	return elementName(o.name, o.item, o.idx)
}

// decodeTop decodes the top-level mapping into a snapshot. Sections are
// independent, and long lists decode in chunks into distinct elements of
// their slice, so the work spreads over every core.
func (d *decoder) decodeTop(n *node, snap *inventory.Snapshot) {
	v := reflect.ValueOf(snap).Elem()
	if n.kind != mappingNode {
		d.decode(n, v, objName{})
		return
	}
	fields := d.fieldsOf(v.Type())
	var tasks []func(sub *decoder)
	for i := 0; i+1 < len(n.content); i += 2 {
		j, ok := d.field(n, i, fields, objName{})
		if !ok {
			continue
		}
		val, fv, name := n.content[i+1], v.Field(fields.index[j]), childName(objName{}, n.content[i].value, fields.elem[j])
		if val.kind != sequenceNode || fv.Kind() != reflect.Slice || len(val.content) < 2*decodeChunk {
			tasks = append(tasks, func(sub *decoder) { sub.decode(val, fv, name) })
			continue
		}
		sl := reflect.MakeSlice(fv.Type(), len(val.content), len(val.content))
		fv.Set(sl)
		for from := 0; from < len(val.content); from += decodeChunk {
			to := min(from+decodeChunk, len(val.content))
			tasks = append(tasks, func(sub *decoder) {
				for k := from; k < to; k++ {
					item := val.content[k]
					sub.decode(item, sl.Index(k), objName{name: name.String(), item: item, idx: k})
				}
			})
		}
	}
	subs := make([]*decoder, len(tasks))
	var wg sync.WaitGroup
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	for i, task := range tasks {
		subs[i] = &decoder{file: d.file, maxNodes: d.maxNodes}
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			task(subs[i])
		}()
	}
	wg.Wait()
	for _, sub := range subs {
		d.probs = append(d.probs, sub.probs...)
	}
}

// decodeChunk is the number of list elements one goroutine decodes.
const decodeChunk = 2000

func (d *decoder) sequence(n *node, v reflect.Value, obj objName) {
	if n.kind != sequenceNode {
		d.fail(n, obj, "want a list, got %s", kindName(n))
		return
	}
	s := reflect.MakeSlice(v.Type(), len(n.content), len(n.content))
	elemIsText := d.isText(v.Type().Elem())
	elemIsStruct := v.Type().Elem().Kind() == reflect.Struct && !elemIsText
	for i, item := range n.content {
		name := obj
		if elemIsStruct {
			name = objName{name: obj.String(), item: item, idx: i}
		}
		d.decodeValue(item, s.Index(i), name, elemIsText)
	}
	v.Set(s)
}

// elementName names a list element for messages: "device cherbourg-r1" or,
// when it has no name, "device #3".
func elementName(kind string, n *node, i int) string {
	if kind == "" {
		kind = "item"
	}
	if n.kind == mappingNode {
		for _, want := range nameKeys {
			for j := 0; j+1 < len(n.content); j += 2 {
				if n.content[j].value == want && n.content[j+1].kind == scalarNode {
					if strings.HasSuffix(kind, ":") {
						return kind + n.content[j+1].value
					}
					return kind + " " + n.content[j+1].value
				}
			}
		}
	}
	return fmt.Sprintf("%s #%d", kind, i+1)
}

// structFields describes the keys of a struct type, by position.
type structFields struct {
	names []string
	index []int    // the field of each key
	text  []bool   // whether the field's type reads itself from text
	elem  []string // singular[name], or "", for messages
	src   int
}

// lookup finds a key's position. A linear scan beats a map for a dozen
// short names, and it runs for every key of the file.
func (sf structFields) lookup(key string) (int, bool) {
	for i, n := range sf.names {
		if len(n) == len(key) && n == key {
			return i, true
		}
	}
	return 0, false
}

func fieldsOf(t reflect.Type) structFields {
	sf := structFields{src: -1}
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
		sf.names = append(sf.names, tag)
		sf.index = append(sf.index, i)
		sf.text = append(sf.text, reflect.PointerTo(f.Type).Implements(textUnmarshal))
		sf.elem = append(sf.elem, singular[tag])
	}
	return sf
}

func kindName(n *node) string {
	switch n.kind {
	case mappingNode:
		return "a mapping"
	case sequenceNode:
		return "a list"
	}
	return fmt.Sprintf("%q", n.value)
}

func describe(n *node) string {
	if n.kind == scalarNode {
		return fmt.Sprintf("%q", n.value)
	}
	return kindName(n)
}
