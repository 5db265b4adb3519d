package yamlstore

import (
	"bytes"
	"encoding"
	"fmt"
	"reflect"
	"strconv"
	"strings"
)

var textMarshal = reflect.TypeFor[encoding.TextMarshaler]()

// emitter writes YAML straight from Go values, in the block style people
// edit, with the fields tagged "flow" on one line. yaml.v3's encoder is not
// used: it takes 15 s on a 10,000-device inventory (this takes well under
// one), and its omitempty drops every netip.Addr, whose fields are all
// unexported.
type emitter struct {
	buf bytes.Buffer
}

func (e *emitter) indent(n int) {
	for range n {
		e.buf.WriteByte(' ')
	}
}

// mapping writes a struct's fields as "key: value" lines at indent; the
// first line's indentation is already written when inline is true (after
// "- ").
func (e *emitter) mapping(v reflect.Value, ind int, inline bool) error {
	t := v.Type()
	wrote := false
	for i := range t.NumField() {
		f := t.Field(i)
		name, opts, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "-" || !f.IsExported() || f.Type == sourceType {
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		fv := v.Field(i)
		if strings.Contains(opts, "omitempty") && isEmptyValue(fv) {
			continue
		}
		if wrote || !inline {
			e.indent(ind)
		}
		wrote = true
		e.buf.WriteString(name)
		e.buf.WriteByte(':')
		if err := e.value(fv, ind, strings.Contains(opts, "flow")); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
	}
	if !wrote {
		if !inline {
			e.indent(ind)
		}
		e.buf.WriteString("{}\n")
	}
	return nil
}

// value writes what follows "key:".
func (e *emitter) value(v reflect.Value, ind int, flow bool) error {
	if v.Kind() == reflect.Pointer {
		if v.IsNil() {
			e.buf.WriteString(" null\n")
			return nil
		}
		v = v.Elem()
	}
	if isScalar(v) || flow {
		e.buf.WriteByte(' ')
		if err := e.flow(v, flow && !isScalar(v)); err != nil {
			return err
		}
		e.buf.WriteByte('\n')
		return nil
	}
	switch v.Kind() {
	case reflect.Struct:
		e.buf.WriteByte('\n')
		return e.mapping(v, ind+2, false)
	case reflect.Slice:
		if v.Len() == 0 {
			e.buf.WriteString(" []\n")
			return nil
		}
		e.buf.WriteByte('\n')
		for i := range v.Len() {
			el := v.Index(i)
			e.indent(ind + 2)
			e.buf.WriteString("- ")
			if isScalar(el) {
				if err := e.flow(el, false); err != nil {
					return err
				}
				e.buf.WriteByte('\n')
				continue
			}
			if el.Kind() != reflect.Struct {
				return fmt.Errorf("cannot emit a list of %s", el.Type())
			}
			if err := e.mapping(el, ind+4, true); err != nil {
				return err
			}
		}
		return nil
	}
	return fmt.Errorf("cannot emit %s", v.Type())
}

func isScalar(v reflect.Value) bool {
	if v.Type().Implements(textMarshal) {
		return true
	}
	switch v.Kind() {
	case reflect.String, reflect.Bool, reflect.Int, reflect.Int32, reflect.Int64, reflect.Uint, reflect.Uint32, reflect.Uint64, reflect.Float64:
		return true
	}
	return false
}

// flow writes a value on one line: a scalar, [a, b] or {k: v}; inFlow
// says whether it sits inside brackets, where more characters need quotes.
func (e *emitter) flow(v reflect.Value, inFlow bool) error {
	if v.Kind() == reflect.Pointer {
		if v.IsNil() {
			e.buf.WriteString("null")
			return nil
		}
		v = v.Elem()
	}
	if v.Type().Implements(textMarshal) {
		b, err := v.Interface().(encoding.TextMarshaler).MarshalText()
		if err != nil {
			return err
		}
		e.buf.WriteString(quote(string(b), inFlow))
		return nil
	}
	switch v.Kind() {
	case reflect.String:
		e.buf.WriteString(quote(v.String(), inFlow))
	case reflect.Bool:
		e.buf.WriteString(strconv.FormatBool(v.Bool()))
	case reflect.Int, reflect.Int32, reflect.Int64:
		e.buf.WriteString(strconv.FormatInt(v.Int(), 10))
	case reflect.Uint, reflect.Uint32, reflect.Uint64:
		e.buf.WriteString(strconv.FormatUint(v.Uint(), 10))
	case reflect.Float64:
		e.buf.WriteString(strconv.FormatFloat(v.Float(), 'f', -1, 64))
	case reflect.Slice:
		e.buf.WriteByte('[')
		for i := range v.Len() {
			if i > 0 {
				e.buf.WriteString(", ")
			}
			if err := e.flow(v.Index(i), true); err != nil {
				return err
			}
		}
		e.buf.WriteByte(']')
	case reflect.Struct:
		e.buf.WriteByte('{')
		t := v.Type()
		n := 0
		for i := range t.NumField() {
			f := t.Field(i)
			name, opts, _ := strings.Cut(f.Tag.Get("yaml"), ",")
			if name == "-" || !f.IsExported() || f.Type == sourceType {
				continue
			}
			fv := v.Field(i)
			if strings.Contains(opts, "omitempty") && isEmptyValue(fv) {
				continue
			}
			if n > 0 {
				e.buf.WriteString(", ")
			}
			n++
			e.buf.WriteString(name)
			e.buf.WriteString(": ")
			if err := e.flow(fv, true); err != nil {
				return err
			}
		}
		e.buf.WriteByte('}')
	default:
		return fmt.Errorf("cannot emit %s", v.Type())
	}
	return nil
}

func isEmptyValue(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Slice, reflect.Map:
		return v.Len() == 0
	case reflect.Pointer:
		return v.IsNil()
	}
	return v.IsZero()
}

// quote returns s as a YAML scalar that reads back as the same string:
// plain when that is unambiguous (for any YAML 1.1 or 1.2 reader), single
// quoted otherwise, double quoted when it holds control characters.
func quote(s string, inFlow bool) string {
	if s == "" {
		return "''"
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f || r == 0xFEFF || (r >= 0x80 && r < 0xA0) {
			return strconv.Quote(s)
		}
	}
	if needsQuotes(s, inFlow) {
		return "'" + strings.ReplaceAll(s, "'", "''") + "'"
	}
	return s
}

func needsQuotes(s string, inFlow bool) bool {
	if strings.IndexByte("-?:,[]{}#&*!|>'\"%@` ", s[0]) >= 0 || s[len(s)-1] == ' ' || s[len(s)-1] == ':' {
		return true
	}
	if strings.Contains(s, ": ") || strings.Contains(s, " #") {
		return true
	}
	// In flow collections ':' and the flow indicators need quotes; the fast
	// reader leaves colons in flow to yaml.v3, so quote them too.
	if inFlow && strings.ContainsAny(s, ",[]{}:") {
		return true
	}
	switch strings.ToLower(s) {
	case "null", "~", "true", "false", "yes", "no", "on", "off", "y", "n", ".inf", "-.inf", "+.inf", ".nan", "<<":
		return true
	}
	return looksNumeric(s)
}

// looksNumeric is deliberately broad: a string that any YAML reader might
// take for a number (1_000, 0x1F, 1e3, 010, +5, 1:20 in YAML 1.1) is quoted.
// Addresses (10.0.0.1, 2001:db8::/48) are not numbers and stay plain.
func looksNumeric(s string) bool {
	t := strings.ReplaceAll(s, "_", "")
	if _, err := strconv.ParseFloat(t, 64); err == nil {
		return true
	}
	if _, err := strconv.ParseInt(t, 0, 64); err == nil {
		return true
	}
	parts := strings.Split(s, ":")
	if len(parts) < 2 {
		return false
	}
	for _, p := range parts {
		if p == "" || strings.Trim(p, "0123456789") != "" {
			return false
		}
	}
	return true
}
