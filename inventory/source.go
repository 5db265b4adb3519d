package inventory

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Source is where an object was read from: a file position for YAML, an API
// URL for NetBox. Errors about the object point there.
type Source struct {
	File string
	Line int
	Col  int
}

// String prints file:line:col, or as much of it as is known.
func (s Source) String() string {
	switch {
	case s.File == "" && s.Line == 0:
		return ""
	case s.Line == 0:
		return s.File
	case s.Col == 0:
		return s.File + ":" + strconv.Itoa(s.Line)
	}
	return s.File + ":" + strconv.Itoa(s.Line) + ":" + strconv.Itoa(s.Col)
}

// Problem is one thing wrong with an inventory, tied to where it was written.
type Problem struct {
	Src    Source `json:"-" yaml:"-"`
	Where  string `json:"where" yaml:"where"`
	Object string `json:"object" yaml:"object"`
	Msg    string `json:"message" yaml:"message"`
	// Severity is empty for an error and SeverityWarning for what is
	// legal but most likely not what the network should look like.
	Severity string `json:"severity,omitempty" yaml:"severity,omitempty"`
}

// SeverityWarning marks a Problem that does not make the inventory invalid.
const SeverityWarning = "warning"

// IsWarning reports whether the problem is only a warning.
func (p Problem) IsWarning() bool { return p.Severity == SeverityWarning }

func (p Problem) String() string {
	var b strings.Builder
	if s := p.Src.String(); s != "" {
		b.WriteString(s)
		b.WriteString(": ")
	}
	if p.IsWarning() {
		b.WriteString("warning: ")
	}
	if p.Object != "" {
		b.WriteString(p.Object)
		b.WriteString(": ")
	}
	b.WriteString(p.Msg)
	return b.String()
}

// Problems is every problem found in one pass. It is an error so that a
// loader can return all of them at once.
type Problems []Problem

func (ps Problems) Error() string {
	if len(ps) == 1 {
		return ps[0].String()
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d problems in the inventory:", len(ps))
	for _, p := range ps {
		b.WriteString("\n  ")
		b.WriteString(p.String())
	}
	return b.String()
}

// Sort orders problems by file, line and column, then by message, so that
// output does not depend on the order checks ran in.
func (ps Problems) Sort() {
	sort.SliceStable(ps, func(i, j int) bool {
		a, b := ps[i].Src, ps[j].Src
		if a.File != b.File {
			return naturalLess(a.File, b.File)
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		if a.Col != b.Col {
			return a.Col < b.Col
		}
		return ps[i].Msg < ps[j].Msg
	})
}

// problemList collects problems during a pass.
type problemList struct{ ps Problems }

func (l *problemList) add(src Source, object, format string, args ...any) {
	l.ps = append(l.ps, Problem{Src: src, Where: src.String(), Object: object, Msg: fmt.Sprintf(format, args...)})
}

// naturalLess orders strings with their runs of digits compared as
// numbers, so that NetBox URLs come in id order: sites/2/ before sites/10/.
func naturalLess(a, b string) bool {
	for a != "" && b != "" {
		da, db := digitRun(a), digitRun(b)
		if da > 0 && db > 0 {
			na, nb := strings.TrimLeft(a[:da], "0"), strings.TrimLeft(b[:db], "0")
			if len(na) != len(nb) {
				return len(na) < len(nb)
			}
			if na != nb {
				return na < nb
			}
			a, b = a[da:], b[db:]
			continue
		}
		if a[0] != b[0] {
			return a[0] < b[0]
		}
		a, b = a[1:], b[1:]
	}
	return len(a) < len(b)
}

func digitRun(s string) int {
	n := 0
	for n < len(s) && s[n] >= '0' && s[n] <= '9' {
		n++
	}
	return n
}
