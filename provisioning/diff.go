package provisioning

import (
	"fmt"
	"strings"

	"github.com/aymanbagabas/go-udiff/lcs"
)

// UnifiedDiff returns a unified diff (3 lines of context) from a to b, or ""
// when they are equal. Hunk headers carry 1-based line numbers of each side
// (the device's own numbering for a running config) and always print both
// counts ("@@ -5,7 +5,7 @@"), which is what plans, saved plans and golden
// files have always shown.
//
// The edit script comes from go-udiff's Myers implementation (O(ND) time,
// O(N+M) memory) rather than a full LCS table, which took 12 MB for a
// 1,700-line config and grew with the product of the two lengths.
func UnifiedDiff(nameA, nameB, a, b string) string {
	if a == b {
		return ""
	}
	x, y := splitLines(a), splitLines(b)
	return writeHunks(fmt.Sprintf("--- %s\n+++ %s\n", nameA, nameB), lineOps(x, y))
}

// lineOps returns the diff of x and y as one op per line of the merged
// sequence: equal lines, then for each change the removed lines before the
// added ones.
func lineOps(x, y []string) []diffOp {
	ops := make([]diffOp, 0, max(len(x), len(y)))
	i, j := 0, 0
	for _, d := range lineDiffs(x, y, 0, 0) {
		for ; i < d.Start; i, j = i+1, j+1 {
			ops = append(ops, diffOp{' ', x[i], i, j})
		}
		for ; i < d.End; i++ {
			ops = append(ops, diffOp{'-', x[i], i, j})
		}
		for ; j < d.ReplEnd; j++ {
			ops = append(ops, diffOp{'+', y[j], i, j})
		}
	}
	for ; i < len(x); i, j = i+1, j+1 {
		ops = append(ops, diffOp{' ', x[i], i, j})
	}
	return ops
}

// lineDiffs returns the changes turning x into y, offsets shifted by (ox, oy).
//
// lcs.DiffLines bounds its search at about 100 edits and then reports the
// whole unexplored middle as one replacement, so a plan touching a few hundred
// scattered lines of a large config would show thousands of lines removed and
// re-added. Each such replacement is itself a smaller diff problem: diffing it
// again peels the next edits off both of its ends, until a replacement has no
// common line left. That keeps the work proportional to N·D and the result
// minimal for any practical config change.
func lineDiffs(x, y []string, ox, oy int) []lcs.Diff {
	ds := lcs.DiffLines(x, y)
	if len(ds) == 1 && ds[0].Start == 0 && ds[0].End == len(x) && ds[0].ReplStart == 0 && ds[0].ReplEnd == len(y) {
		// No progress: nothing in common, or the search found no anchor.
		return []lcs.Diff{{Start: ox, End: ox + len(x), ReplStart: oy, ReplEnd: oy + len(y)}}
	}
	out := make([]lcs.Diff, 0, len(ds))
	for _, d := range ds {
		if d.End-d.Start > 1 && d.ReplEnd-d.ReplStart > 1 {
			out = append(out, lineDiffs(x[d.Start:d.End], y[d.ReplStart:d.ReplEnd], ox+d.Start, oy+d.ReplStart)...)
			continue
		}
		out = append(out, lcs.Diff{Start: ox + d.Start, End: ox + d.End, ReplStart: oy + d.ReplStart, ReplEnd: oy + d.ReplEnd})
	}
	return out
}

// diffOp is one line of a diff: kept (' '), removed ('-') or added ('+'),
// with its 0-based line number in a and in b.
type diffOp struct {
	kind   byte
	text   string
	ai, bi int
}

// writeHunks prints ops as unified diff hunks with 3 lines of context.
func writeHunks(header string, ops []diffOp) string {
	const ctx = 3
	var sb strings.Builder
	sb.WriteString(header)
	for k := 0; k < len(ops); {
		if ops[k].kind == ' ' {
			k++
			continue
		}
		start := max(k-ctx, 0)
		end := k
		for end < len(ops) {
			if ops[end].kind != ' ' {
				end++
				continue
			}
			run := end
			for run < len(ops) && ops[run].kind == ' ' {
				run++
			}
			if run-end > 2*ctx || run == len(ops) {
				end = min(end+ctx, len(ops))
				break
			}
			end = run
		}
		var ac, bc int
		for _, o := range ops[start:end] {
			if o.kind != '+' {
				ac++
			}
			if o.kind != '-' {
				bc++
			}
		}
		fmt.Fprintf(&sb, "@@ -%d,%d +%d,%d @@\n", ops[start].ai+1, ac, ops[start].bi+1, bc)
		for _, o := range ops[start:end] {
			sb.WriteByte(o.kind)
			sb.WriteString(o.text)
			sb.WriteByte('\n')
		}
		k = end
	}
	return sb.String()
}

func splitLines(s string) []string {
	s = strings.TrimSuffix(s, "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}
