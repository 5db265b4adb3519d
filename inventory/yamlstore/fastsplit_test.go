package yamlstore

import (
	"slices"
	"strings"
	"testing"
)

// TestSplitPiecesAgree: cutting a file into pieces split in parallel gives
// the lines, numbers and refusals of one sequential pass, wherever the cuts
// fall.
func TestSplitPiecesAgree(t *testing.T) {
	inputs := append([]string{}, fastCases...)
	inputs = append(inputs,
		"%YAML 1.2\na: 1\n",
		"\n\n%x: 1\n",
		"a: 1\n\n# c\n---\nb: 2\n",
		"a: é\n\nb: \xff\n",
		"a: 1\n\n\n  \nb: 'x # y' # z\nc: 'open\n",
		"no newline at the end",
	)
	for _, f := range corpusFiles(t) {
		inputs = append(inputs, string(f.data))
	}
	for _, in := range inputs {
		one := &fastParser{}
		wantOK := one.splitPieces(in, 1)
		for n := 2; n <= min(strings.Count(in, "\n")+2, 40); n++ {
			many := &fastParser{}
			ok := many.splitPieces(in, n)
			if ok != wantOK || (ok && !slices.Equal(many.lines, one.lines)) {
				t.Fatalf("splitPieces(%q, %d) = %v %v, want %v %v", in, n, ok, many.lines, wantOK, one.lines)
			}
		}
	}
}
