package redis

import (
	"os"
	"reflect"
	"strings"
	"testing"
)

// TestDocsKeys: docs/telemetry.md's table of Redis keys lists every key
// Keys defines, written with the placeholders below, so that a key added
// here without a line there fails.
func TestDocsKeys(t *testing.T) {
	doc, err := os.ReadFile("../../../docs/telemetry.md")
	if err != nil {
		t.Fatal(err)
	}
	// Placeholders by method, in argument order.
	args := map[string][]string{
		"Link": {"{id}"}, "LinkHistory": {"{id}"}, "Target": {"{name}"}, "Interfaces": {"{device}"},
		"Alarm": {"{id}"}, "IfaceHistory": {"{device}", "{interface}"}, "Updates": {"{target}"},
		"Lease": {"{target}"}, "Fence": {"{target}"}, "FenceBy": {"{target}"}, "Applied": {"{writer}"},
	}
	k := NewKeys("net")
	v := reflect.ValueOf(k)
	for i := 0; i < v.NumMethod(); i++ {
		m := v.Type().Method(i)
		if m.Name == "Prefix" || m.Type.NumOut() != 1 || m.Type.Out(0).Kind() != reflect.String {
			continue
		}
		a := args[m.Name]
		if len(a) != m.Type.NumIn()-1 {
			t.Errorf("Keys.%s takes %d arguments: give this test its placeholders", m.Name, m.Type.NumIn()-1)
			continue
		}
		in := make([]reflect.Value, len(a))
		for j, s := range a {
			in[j] = reflect.ValueOf(s)
		}
		key := v.Method(i).Call(in)[0].String()
		if !strings.Contains(string(doc), "| `"+key+"` |") {
			t.Errorf("docs/telemetry.md: no row for Keys.%s, `%s`", m.Name, key)
		}
	}
}
