package yamlstore

import (
	"bytes"
	"strings"
	"testing"
)

// TestFastAcceptsCRLFAndTabs: line ends and tabs that YAML allows keep a
// file on the fast path (checkFast holds the tree to yaml.v3's).
func TestFastAcceptsCRLFAndTabs(t *testing.T) {
	for _, c := range []string{
		"a: 1\r\nb: two\r\n",
		"list:\r\n  - x\r\n  - {k: v, n: [1, 2]}\r\n# c\r\n\r\nz: 'q'\r\n",
		"a: b\t# comment\n",
		"a: 'x\ty'\nb: \"p\tq\"\n",
		"a: x\ty z\n",
		"a: [x,\ty]\nb: {k:\tv}\n",
		"a: 1 \t\n",
		"a:\t1\nb:\t\n  c: d\n",
	} {
		if !checkFast(t, c, []byte(c)) {
			t.Errorf("fast path refused %q", c)
		}
	}
	// The example network written with CRLF line ends.
	for _, f := range corpusFiles(t) {
		if !strings.Contains(f.name, "examples") {
			continue
		}
		crlf := bytes.ReplaceAll(f.data, []byte("\n"), []byte("\r\n"))
		if !checkFast(t, f.name+" (CRLF)", crlf) {
			t.Errorf("fast path refused %s with CRLF line ends", f.name)
		}
	}
}

// TestFastFallbackSaysWhy: a file the fast path leaves to yaml.v3 is
// named with the line and what is there.
func TestFastFallbackSaysWhy(t *testing.T) {
	tests := []struct {
		src  string
		line int32
		why  string
	}{
		{"network:\n  name: n\n  description: |\n    text\n", 3, "block scalar"},
		{"network:\n  name: &x n\n  description: *x\n", 2, "anchor or alias"},
		{"a: 1\n\tb: 2\n", 2, "tab in the indentation"},
		{"a: 1\rb: 2\n", 1, "carriage return that does not end a line"},
		{"a: 1\n---\nb: 2\n", 2, "document marker"},
		{"network:\n  name: \"x\\ny\"\n", 2, "escape"},
		{"%YAML 1.2\n---\na: 1\n", 2, "document marker"},
		{"%YAML 1.2\na: 1\n", 1, "directive"},
		{"a: 1\nb: \x01\n", 2, "character YAML does not allow"},
		{"sites:\n  - slug: a\n    name: !tag x\n", 3, "tag"},
	}
	for _, tt := range tests {
		_, _, why := fastDecodeWhy("x.yaml", tt.src)
		if why.line != tt.line || !strings.Contains(why.why, tt.why) {
			t.Errorf("fastDecodeWhy(%q) = line %d %q, want line %d %q", tt.src, why.line, why.why, tt.line, tt.why)
		}
	}
}
