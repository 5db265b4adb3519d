package gnmitarget

import (
	"context"
	"sync"
)

// Notifier keeps the callbacks of Backend.Watch and calls them. A device
// embeds one to get its Watch method and calls Notify whenever its state
// moves. The zero value is ready; it is safe for concurrent use.
type Notifier struct {
	mu     sync.Mutex
	fns    map[int]watcher
	nextID int
}

type watcher struct {
	ctx    context.Context
	notify func()
}

// Watch registers notify until ctx is done.
func (n *Notifier) Watch(ctx context.Context, notify func()) {
	n.mu.Lock()
	if n.fns == nil {
		n.fns = map[int]watcher{}
	}
	id := n.nextID
	n.nextID++
	n.fns[id] = watcher{ctx, notify}
	n.mu.Unlock()
	context.AfterFunc(ctx, func() {
		n.mu.Lock()
		delete(n.fns, id)
		n.mu.Unlock()
	})
}

// Notify calls every registered callback, outside the lock so that a
// callback may read the device.
func (n *Notifier) Notify() {
	n.mu.Lock()
	fns := make([]func(), 0, len(n.fns))
	for _, w := range n.fns {
		if w.ctx.Err() == nil { // AfterFunc may not have run yet
			fns = append(fns, w.notify)
		}
	}
	n.mu.Unlock()
	for _, f := range fns {
		f()
	}
}
