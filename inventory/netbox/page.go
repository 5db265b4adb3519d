package netbox

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"sync"
)

// page is NetBox's list envelope.
type page[T any] struct {
	Count    int     `json:"count"`
	Next     *string `json:"next"`
	Previous *string `json:"previous"`
	Results  []T     `json:"results"`
}

// identified is every NetBox object: all we need to check a list is whole.
type identified interface{ objectID() int }

// fetchAll reads every object of an endpoint. The first page tells the
// count and the page size the server really uses (it caps limit at
// MAX_PAGE_SIZE); the other pages are then read concurrently, at most
// cap(sem) requests in flight across all endpoints. The result is in the
// server's order. A list that changes while it is read is an error, never
// a silently short or doubled list.
func fetchAll[T identified](ctx context.Context, c *client, sem chan struct{}, path string) ([]T, error) {
	return fetchAllCounted[T](ctx, c, sem, path, nil)
}

// fetchAllCounted is fetchAll telling counted the list's count as soon as
// the first page gave it, before the other pages are read.
func fetchAllCounted[T identified](ctx context.Context, c *client, sem chan struct{}, path string, counted func(int)) ([]T, error) {
	path, rawQuery, _ := strings.Cut(path, "?")
	get := func(offset, limit int) (*page[T], error) {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		defer func() { <-sem }()
		q, _ := url.ParseQuery(rawQuery)
		q.Set("limit", strconv.Itoa(limit))
		if offset > 0 {
			q.Set("offset", strconv.Itoa(offset))
		}
		var p page[T]
		if err := c.do(ctx, "GET", path, q, nil, &p); err != nil {
			return nil, err
		}
		return &p, nil
	}
	first, err := get(0, c.pageSize)
	if err != nil {
		return nil, err
	}
	if counted != nil {
		counted(first.Count)
	}
	size := len(first.Results)
	if first.Next == nil || size == 0 {
		if first.Next != nil || len(first.Results) != first.Count {
			return nil, fmt.Errorf("netbox %s: count says %d objects, got %d", path, first.Count, len(first.Results))
		}
		return first.Results, nil
	}
	count := first.Count
	pages := make([][]T, (count+size-1)/size)
	pages[0] = first.Results
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
	)
	for i := 1; i < len(pages); i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			p, err := get(i*size, size)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				if firstErr == nil {
					firstErr = err
					cancel()
				}
				return
			}
			if p.Count != count {
				if firstErr == nil {
					firstErr = fmt.Errorf("netbox %s: count went from %d to %d: the list changed while it was read, try again", path, count, p.Count)
					cancel()
				}
				return
			}
			pages[i] = p.Results
		}(i)
	}
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	out := make([]T, 0, count)
	seen := make(map[int]bool, count)
	for _, p := range pages {
		for _, o := range p {
			if seen[o.objectID()] {
				return nil, fmt.Errorf("netbox %s: object %d seen twice: the list changed while it was read, try again", path, o.objectID())
			}
			seen[o.objectID()] = true
			out = append(out, o)
		}
	}
	if len(out) != count {
		return nil, fmt.Errorf("netbox %s: read %d objects, count says %d: the list changed while it was read, try again", path, len(out), count)
	}
	return out, nil
}
