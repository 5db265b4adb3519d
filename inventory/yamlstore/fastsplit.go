package yamlstore

import (
	"fmt"
	"runtime"
	"strings"
	"sync"
	"unicode/utf8"
)

// splitPiece is the least input worth a goroutine of its own when cutting
// a file into lines: below it, starting goroutines costs more than it saves.
const splitPiece = 1 << 20

// split cuts data into the lines the parser reads. On a large file it is the
// only sequential step before the parallel decode, so the file is cut at
// newlines into one piece per core, each piece split on its own, and the
// pieces joined with their line numbers shifted.
func (p *fastParser) split(src string) bool {
	n := 1
	if len(src) >= 2*splitPiece {
		n = min(runtime.GOMAXPROCS(0), len(src)/splitPiece)
	}
	return p.splitPieces(src, n)
}

// splitPieces splits src cut into about n pieces; the result does not
// depend on n, which tests vary. Every value the parser returns is a
// substring of src.
func (p *fastParser) splitPieces(src string, n int) bool {
	cuts := []int{0}
	for k := 1; k < n; k++ {
		at := max(len(src)*k/n, cuts[len(cuts)-1])
		i := strings.IndexByte(src[at:], '\n')
		if i < 0 {
			break
		}
		if at+i+1 > cuts[len(cuts)-1] {
			cuts = append(cuts, at+i+1)
		}
	}
	cuts = append(cuts, len(src))
	// Every piece writes its lines into its own region of one array, sized
	// by its newlines, so no piece grows a slice and nothing is copied but
	// the final compaction.
	pieces := make([]splitResult, len(cuts)-1)
	p.why = fallback{}
	run := func(f func(k int)) {
		if len(pieces) == 1 {
			f(0)
			return
		}
		var wg sync.WaitGroup
		for k := range pieces {
			wg.Add(1)
			go func() {
				defer wg.Done()
				f(k)
			}()
		}
		wg.Wait()
	}
	run(func(k int) { pieces[k].newlines = strings.Count(src[cuts[k]:cuts[k+1]], "\n") })
	size := 0
	for k := range pieces {
		size += pieces[k].newlines + 1
	}
	all := make([]fline, size)
	// Each piece's offsets, computed before the pieces run: a goroutine
	// reading another piece's struct while that one writes its lines is a
	// data race (the race detector caught one here).
	from, base := make([]int, len(pieces)), make([]int, len(pieces))
	for k := 1; k < len(pieces); k++ {
		from[k] = from[k-1] + pieces[k-1].newlines + 1
		base[k] = base[k-1] + pieces[k-1].newlines
	}
	run(func(k int) {
		f := from[k]
		pieces[k].lines, pieces[k].why = splitLines(src[cuts[k]:cuts[k+1]], base[k], all[f:f:f+pieces[k].newlines+1])
	})
	n = 0
	for k, pc := range pieces {
		if pc.why.line != 0 {
			p.why = pc.why
			return false
		}
		if k == 0 {
			n = len(pc.lines) // already in place
			continue
		}
		n += copy(all[n:], pc.lines)
	}
	p.lines = all[:n]
	// Directives ("%YAML") may only open a document: leave them to yaml.v3.
	if len(p.lines) > 0 && p.lines[0].indent == 0 && strings.HasPrefix(p.lines[0].text, "%") {
		p.why = fallback{p.lines[0].num, "a %YAML or %TAG directive"}
		return false
	}
	return true
}

// fallback says why a file left the fast path: the line and what is
// there. The zero value means it did not.
type fallback struct {
	line int32
	why  string
}

type splitResult struct {
	lines    []fline
	newlines int
	why      fallback
}

// splitLines appends to lines the lines of one piece of a file, which
// starts at a line boundary after base lines. Lines may end in CRLF, and
// tabs may appear where YAML allows them: in comments, quoted and plain
// scalars, trailing blanks and blank lines, never in indentation.
func splitLines(src string, base int, lines []fline) ([]fline, fallback) {
	if bad := printable(src); bad >= 0 {
		line := int32(base + 1 + strings.Count(src[:bad], "\n"))
		if src[bad] == '\r' {
			return nil, fallback{line, "a carriage return that does not end a line"}
		}
		return nil, fallback{line, fmt.Sprintf("a character YAML does not allow (%q)", src[bad:bad+min(len(src)-bad, utf8.UTFMax)])}
	}
	num := base
	for len(src) > 0 {
		num++
		var line string
		if i := strings.IndexByte(src, '\n'); i >= 0 {
			line, src = src[:i], src[i+1:]
		} else {
			line, src = src, ""
		}
		if n := len(line); n > 0 && line[n-1] == '\r' {
			line = line[:n-1] // CRLF: printable made sure the CR ends the line
		}
		indent := 0
		for indent < len(line) && line[indent] == ' ' {
			indent++
		}
		text := line[indent:]
		if text != "" && text[0] == '\t' {
			// A tab in the indentation: yaml.v3 refuses it on most lines,
			// and on blank and comment lines depending on the block they
			// sit in. It decides, and reports.
			return nil, fallback{int32(num), "a tab in the indentation"}
		}
		if text == "" || text[0] == '#' {
			continue
		}
		if strings.IndexByte(text, '#') >= 0 {
			var ok bool
			if text, ok = stripComment(text); !ok {
				return nil, fallback{int32(num), "a quoted string that does not close on its line"}
			}
		} else {
			text = strings.TrimRight(text, " \t")
		}
		if text == "" {
			continue
		}
		if indent == 0 && (text == "---" || text == "...") {
			return nil, fallback{int32(num), "an explicit document marker (" + text + ")"}
		}
		lines = append(lines, fline{num: int32(num), indent: int32(indent), text: text})
	}
	return lines, fallback{}
}

// stripComment removes a trailing " # comment", minding quotes.
func stripComment(s string) (string, bool) {
	var quote byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote == '"' && c == '\\':
			i++
		case quote != 0 && c == quote:
			if quote == '\'' && i+1 < len(s) && s[i+1] == '\'' {
				i++
				continue
			}
			quote = 0
		case quote == 0 && (c == '"' || c == '\'') && (i == 0 || strings.IndexByte(" [{,:-", s[i-1]) >= 0):
			quote = c
		case quote == 0 && c == '#' && i > 0 && (s[i-1] == ' ' || s[i-1] == '\t'):
			return strings.TrimRight(s[:i], " \t"), true
		}
	}
	if quote != 0 {
		return "", false
	}
	return strings.TrimRight(s, " \t"), true
}

// printable returns the index of the first byte of s that yaml.v3 would
// not accept as printable, or that the subset leaves out (a carriage
// return not followed by a line feed), or -1. One pass: runes are decoded
// only where a byte is not ASCII.
func printable(s string) int {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '\r' && i+1 < len(s) && s[i+1] == '\n':
			case (c < 0x20 && c != '\n' && c != '\t') || c == 0x7f:
				return i
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			return i // not UTF-8
		}
		switch {
		case r == 0x85, r >= 0xA0 && r <= 0xD7FF, r >= 0x10000 && r <= 0x10FFFF:
		case r >= 0xE000 && r <= 0xFFFD && r != 0xFEFF:
		default:
			return i
		}
		i += size
	}
	return -1
}
