package provisioning

import (
	"fmt"
	"io"
	"strings"
	"sync"
)

// Progress renders an apply's events: a bar on a terminal, one plain line
// per event otherwise (CI logs). Its Event method is ApplyOptions.Progress.
type Progress struct {
	mu    sync.Mutex
	w     io.Writer
	total int
	done  int
	tty   bool
}

// NewProgress renders to w for an apply of total devices.
func NewProgress(w io.Writer, total int, tty bool) *Progress {
	return &Progress{w: w, total: total, tty: tty}
}

// Event draws one event; safe for the apply's goroutines.
func (p *Progress) Event(e Event) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if e.Stage == "done" {
		p.done++
	}
	if !p.tty {
		switch {
		case e.Err != nil:
			fmt.Fprintf(p.w, "%s: %s: %v\n", e.Device, e.Stage, e.Err)
		case e.Stage == "done":
			fmt.Fprintf(p.w, "%s: done (%d/%d)\n", e.Device, p.done, p.total)
		default:
			fmt.Fprintf(p.w, "%s: %s\n", e.Device, e.Stage)
		}
		return
	}
	const width = 30
	fill := 0
	if p.total > 0 {
		fill = width * p.done / p.total
	}
	fmt.Fprintf(p.w, "\r[%s%s] %d/%d %-40.40s", strings.Repeat("#", fill), strings.Repeat(".", width-fill), p.done, p.total, e.Device+" "+e.Stage)
}

// Finish ends the bar's line on a terminal.
func (p *Progress) Finish() {
	if p.tty && p.total > 0 {
		fmt.Fprintln(p.w)
	}
}
