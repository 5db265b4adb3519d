package noc

import (
	"context"
	"io"
	"strings"
)

// Once reads the sink once and writes one plain frame of o.Width columns
// (o.Height rows; 0 for every row), for scripts.
func Once(ctx context.Context, w io.Writer, o Options) error {
	if o.Source == nil {
		return errNoSource
	}
	o.Color = false
	m := New(ctx, o)
	m.apply(Read(ctx, m.o))
	// Plain text for scripts: no padding at the ends of the lines.
	lines := strings.Split(m.View(), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " ")
	}
	if _, err := io.WriteString(w, strings.Join(lines, "\n")+"\n"); err != nil {
		return err
	}
	return m.snap.Err
}
