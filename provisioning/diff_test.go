package provisioning

import (
	"fmt"
	"math/rand/v2"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// applyUnified rebuilds the new text from the old one and a diff printed by
// UnifiedDiff, checking every context and removed line against the old text
// and every hunk header against the lines it covers.
func applyUnified(t *testing.T, a, diff string) string {
	t.Helper()
	hdr := regexp.MustCompile(`^@@ -(\d+),(\d+) \+(\d+),(\d+) @@$`)
	old := splitLines(a)
	var out []string
	lines := splitLines(diff)
	if len(lines) < 2 || !strings.HasPrefix(lines[0], "--- ") || !strings.HasPrefix(lines[1], "+++ ") {
		t.Fatalf("diff has no ---/+++ header:\n%s", diff)
	}
	next := 0 // next old line (0-based) not yet copied
	for k := 2; k < len(lines); {
		m := hdr.FindStringSubmatch(lines[k])
		if m == nil {
			t.Fatalf("line %d: want a hunk header, got %q", k+1, lines[k])
		}
		as, _ := strconv.Atoi(m[1])
		ac, _ := strconv.Atoi(m[2])
		bs, _ := strconv.Atoi(m[3])
		bc, _ := strconv.Atoi(m[4])
		start := as - 1
		if start < next {
			t.Fatalf("hunk %q overlaps the previous one", lines[k])
		}
		out = append(out, old[next:start]...)
		if len(out) != bs-1 && bc > 0 {
			t.Fatalf("hunk %q: new side starts at %d, want %d", lines[k], bs, len(out)+1)
		}
		i := start
		gotA, gotB := 0, 0
		for k++; k < len(lines) && !strings.HasPrefix(lines[k], "@@"); k++ {
			l := lines[k]
			switch l[0] {
			case ' ', '-':
				if i >= len(old) || old[i] != l[1:] {
					t.Fatalf("hunk line %q does not match old line %d", l, i+1)
				}
				if l[0] == ' ' {
					out = append(out, l[1:])
					gotB++
				}
				i++
				gotA++
			case '+':
				out = append(out, l[1:])
				gotB++
			default:
				t.Fatalf("bad diff line %q", l)
			}
		}
		if gotA != ac || gotB != bc {
			t.Fatalf("hunk @@ -%d,%d +%d,%d @@ holds %d old and %d new lines", as, ac, bs, bc, gotA, gotB)
		}
		next = i
	}
	out = append(out, old[next:]...)
	return strings.Join(out, "\n")
}

// changed counts removed and added lines.
func changed(diff string) (del, add int) {
	for _, l := range splitLines(diff)[2:] {
		switch l[0] {
		case '-':
			del++
		case '+':
			add++
		}
	}
	return del, add
}

// lcsLen is the textbook LCS length, the reference for a minimal diff.
func lcsLen(x, y []string) int {
	prev, cur := make([]int, len(y)+1), make([]int, len(y)+1)
	for i := len(x) - 1; i >= 0; i-- {
		for j := len(y) - 1; j >= 0; j-- {
			if x[i] == y[j] {
				cur[j] = prev[j+1] + 1
			} else {
				cur[j] = max(prev[j], cur[j+1])
			}
		}
		prev, cur = cur, prev
	}
	return prev[0]
}

func TestUnifiedDiffFormat(t *testing.T) {
	tests := []struct {
		name, a, b, want string
	}{
		{"equal", "a\nb\n", "a\nb\n", ""},
		{"change in the middle",
			"1\n2\n3\n4\n5\n6\n7\n8\n9\n", "1\n2\n3\n4\nfive\n6\n7\n8\n9\n",
			"--- old\n+++ new\n@@ -2,7 +2,7 @@\n 2\n 3\n 4\n-5\n+five\n 6\n 7\n 8\n"},
		{"from empty", "", "x\ny\n", "--- old\n+++ new\n@@ -1,0 +1,2 @@\n+x\n+y\n"},
		{"to empty", "x\n", "", "--- old\n+++ new\n@@ -1,1 +1,0 @@\n-x\n"},
		{"two hunks keep the device's line numbers",
			"a\nb\nc\nd\ne\nf\ng\nh\ni\nj\nk\nl\n", "a\nB\nc\nd\ne\nf\ng\nh\ni\nj\nK\nl\n",
			"--- old\n+++ new\n@@ -1,5 +1,5 @@\n a\n-b\n+B\n c\n d\n e\n@@ -8,5 +8,5 @@\n h\n i\n j\n-k\n+K\n l\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := UnifiedDiff("old", "new", tt.a, tt.b); got != tt.want {
				t.Errorf("UnifiedDiff(%q, %q) =\n%s\nwant\n%s", tt.a, tt.b, got, tt.want)
			}
		})
	}
}

// TestUnifiedDiffMinimal checks on random configs that the diff applies back
// and changes no more lines than the LCS says is necessary.
func TestUnifiedDiffMinimal(t *testing.T) {
	r := rand.New(rand.NewPCG(14, 6))
	vocab := []string{"!", "exit", " ip ospf area 0", "interface eth1", "interface eth2", " description x", "router bgp 65000", " neighbor 10.0.0.1 remote-as 65001"}
	for n := range 300 {
		a := make([]string, r.IntN(40))
		for i := range a {
			a[i] = vocab[r.IntN(len(vocab))]
		}
		b := append([]string(nil), a...)
		for range r.IntN(12) {
			switch k := r.IntN(3); {
			case k == 0 && len(b) > 0:
				i := r.IntN(len(b))
				b = append(b[:i], b[i+1:]...)
			case k == 1:
				i := r.IntN(len(b) + 1)
				b = append(b[:i], append([]string{vocab[r.IntN(len(vocab))]}, b[i:]...)...)
			case len(b) > 0:
				b[r.IntN(len(b))] = fmt.Sprint("new ", r.IntN(5))
			}
		}
		as, bs := strings.Join(a, "\n"), strings.Join(b, "\n")
		d := UnifiedDiff("a", "b", as, bs)
		if as == bs {
			if d != "" {
				t.Fatalf("case %d: equal texts gave a diff:\n%s", n, d)
			}
			continue
		}
		if got := applyUnified(t, as, d); got != bs {
			t.Fatalf("case %d: diff does not turn a into b\na:\n%s\nb:\n%s\ndiff:\n%s", n, as, bs, d)
		}
		del, add := changed(d)
		l := lcsLen(a, b)
		if del != len(a)-l || add != len(b)-l {
			t.Fatalf("case %d: diff removes %d and adds %d lines, minimal is %d and %d:\n%s", n, del, add, len(a)-l, len(b)-l, d)
		}
	}
}

// bigConfig is an FRR-like running config of about n lines.
func bigConfig(n int) []string {
	lines := make([]string, 0, n)
	for i := 0; len(lines) < n; i++ {
		lines = append(lines,
			fmt.Sprintf("interface eth%d", i),
			fmt.Sprintf(" description to r%d eth%d", i+1, i),
			fmt.Sprintf(" ip address 10.%d.%d.0/31", i/256, i%256),
			" ip ospf network point-to-point",
			"exit", "!")
	}
	return lines[:n]
}

// scattered returns a copy of lines with every step-th line changed.
func scattered(lines []string, step int) ([]string, int) {
	out := append([]string(nil), lines...)
	n := 0
	for i := step / 2; i < len(out); i += step {
		out[i] += " changed"
		n++
	}
	return out, n
}

// TestUnifiedDiffLargeScattered is the case a bounded Myers search gets
// wrong on its own: hundreds of scattered one-line changes in a 10,000-line
// config must still show each change, not one giant replacement.
func TestUnifiedDiffLargeScattered(t *testing.T) {
	a := bigConfig(10_000)
	b, n := scattered(a, 29)
	as, bs := strings.Join(a, "\n")+"\n", strings.Join(b, "\n")+"\n"
	d := UnifiedDiff("running", "intended", as, bs)
	if del, add := changed(d); del != n || add != n {
		t.Fatalf("%d changed lines gave a diff removing %d and adding %d", n, del, add)
	}
	if got := applyUnified(t, as, d); got+"\n" != bs {
		t.Fatal("diff does not turn the running config into the intended one")
	}
}

// BenchmarkUnifiedDiff10k diffs a 10,000-line config against itself with a
// few, then many, scattered changes.
func BenchmarkUnifiedDiff10k(b *testing.B) {
	a := bigConfig(10_000)
	as := strings.Join(a, "\n") + "\n"
	for _, step := range []int{2500, 100, 10} {
		c, n := scattered(a, step)
		cs := strings.Join(c, "\n") + "\n"
		b.Run(fmt.Sprintf("changes=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				UnifiedDiff("running", "intended", as, cs)
			}
		})
	}
}
