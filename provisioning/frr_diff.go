package provisioning

import (
	"fmt"
	"strings"
)

// frrDeviceDiff shows a change as a unified diff of the device's own
// text: its lines, in its order, with its line numbers ("-" side). Lines
// the intent lacks are "-" where the device has them; lines the intent
// adds are "+" at the end of their context's own lines, new sub-contexts
// before their parent's exit, new contexts before "end". The "+" side
// numbers are those of the device's text once changed.
func frrDeviceDiff(nameA, nameB, running string, have, want *frrConfig) string {
	type ev struct {
		raw  string
		kind frrEvent
		key  string
		line string
	}
	var evs []ev
	lastOwn := map[string]int{} // block -> index of its header or last own line
	closeAt := map[string]int{} // block -> index of its exit line
	valueAt := map[string]int{} // block and single-valued key -> index of the line holding it
	endAt := -1
	if strings.HasPrefix(running, FRRDaemonsHeader) {
		// tuyau's own first line: the device's numbering starts after it.
		_, running, _ = strings.Cut(running, "\n")
	}
	scanFRR(strings.TrimSuffix(running, "\n"), func(i int, raw string, kind frrEvent, path []string, line string) {
		k := blockKey(path)
		evs = append(evs, ev{raw, kind, k, line})
		switch kind {
		case evHeader, evLine:
			lastOwn[k] = i
			if sk := singleKey(line); kind == evLine && sk != "" {
				valueAt[k+"\x00"+sk] = i
			}
		case evExit:
			if line == "end" {
				endAt = i
			} else if len(path) > 0 {
				closeAt[k] = i
			}
		}
	})
	removed := func(e ev) bool {
		b, ok := want.blocks[e.key]
		switch e.kind {
		case evHeader:
			return !ok
		case evLine:
			return !ok || !b.set[e.line]
		case evExit:
			return e.line != "end" && !ok
		}
		return false
	}
	// What to insert after each device line.
	after := map[int][]string{}
	var atEnd []string
	var addBlock func(k string, into *[]string)
	addBlock = func(k string, into *[]string) {
		b := want.blocks[k]
		depth := len(b.path)
		*into = append(*into, strings.Repeat(" ", depth-1)+b.path[depth-1])
		for _, l := range b.lines {
			*into = append(*into, strings.Repeat(" ", depth)+l)
		}
		for _, ck := range want.childKeys(b.path, nil) {
			addBlock(ck, into)
		}
		*into = append(*into, strings.Repeat(" ", depth-1)+exitOf(b.path[depth-1], depth-1))
	}
	for _, k := range want.order {
		b := want.blocks[k]
		hb, ok := have.blocks[k]
		if ok {
			var add []string
			for _, l := range b.lines {
				if hb.set[l] {
					continue
				}
				// A new value goes right under the one it replaces.
				if i, seen := valueAt[k+"\x00"+singleKey(l)]; seen && singleKey(l) != "" {
					after[i] = append(after[i], strings.Repeat(" ", len(b.path))+l)
					continue
				}
				add = append(add, strings.Repeat(" ", len(b.path))+l)
			}
			if len(add) > 0 {
				i, seen := lastOwn[k]
				if !seen {
					atEnd = append(atEnd, add...) // the root of an empty device
					continue
				}
				after[i] = append(after[i], add...)
			}
			continue
		}
		parent := blockKey(b.path[:len(b.path)-1])
		if len(b.path) > 1 {
			if _, pok := have.blocks[parent]; !pok {
				continue // written with its new parent
			}
			var add []string
			addBlock(k, &add)
			i, seen := closeAt[parent]
			if !seen {
				i = lastOwn[parent] + 1
			}
			after[i-1] = append(after[i-1], add...)
			continue
		}
		addBlock(k, &atEnd)
	}
	var ops []diffOp
	bi := 0
	push := func(kind byte, text string, ai int) {
		ops = append(ops, diffOp{kind: kind, text: text, ai: ai, bi: bi})
		if kind != '-' {
			bi++
		}
	}
	for i, e := range evs {
		if i == endAt {
			for _, l := range atEnd {
				push('+', l, i)
			}
			atEnd = nil
		}
		if removed(e) {
			push('-', e.raw, i)
		} else {
			push(' ', e.raw, i)
		}
		for _, l := range after[i] {
			push('+', l, i+1)
		}
	}
	for _, l := range atEnd {
		push('+', l, len(evs))
	}
	changed := false
	for _, o := range ops {
		if o.kind != ' ' {
			changed = true
			break
		}
	}
	if !changed {
		return ""
	}
	return writeHunks(fmt.Sprintf("--- %s\n+++ %s\n", nameA, nameB), ops)
}
