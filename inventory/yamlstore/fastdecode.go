package yamlstore

import (
	"reflect"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/tuyau-net/tuyau/inventory"
)

// chunkLines is roughly how many lines of a long list one goroutine parses
// and decodes at a time. Nodes live only while their chunk is decoded, so
// memory stays bounded by the chunks in flight, not by the file.
const chunkLines = 20_000

// fastDecode parses and decodes a file in the fast YAML subset, spreading
// sections and chunks of long lists over every core. ok=false means the
// file is outside the subset (nothing is returned) and the caller must use
// the yaml.v3 path.
func fastDecode(name, src string) (snap *inventory.Snapshot, probs inventory.Problems, ok bool) {
	snap, probs, why := fastDecodeWhy(name, src)
	return snap, probs, why.line == 0
}

// fastDecodeWhy is fastDecode saying why it gave up (why.line != 0).
func fastDecodeWhy(name, src string) (snap *inventory.Snapshot, probs inventory.Problems, why fallback) {
	p := &fastParser{}
	if !p.split(src) {
		return nil, nil, p.why
	}
	if len(p.lines) == 0 {
		return nil, nil, fallback{1, "no content"}
	}
	if p.lines[0].indent != 0 {
		return nil, nil, fallback{p.lines[0].num, "an indented first line"}
	}
	var starts []int
	keys := &node{kind: mappingNode}
	for i, l := range p.lines {
		if l.indent != 0 {
			continue
		}
		k, _, isKey := splitKey(l.text)
		if !isKey || resolveTag(k) != tagStr {
			return nil, nil, fallback{l.num, "a top level that is not a mapping of plain keys"}
		}
		starts = append(starts, i)
		keys.content = append(keys.content, &node{kind: scalarNode, value: k, line: l.num, col: 1}, nil)
	}
	snap = &inventory.Snapshot{}
	v := reflect.ValueOf(snap).Elem()
	d := &decoder{file: name}
	fields := d.fieldsOf(v.Type())

	type task struct {
		lines []fline
		run   func(sub *decoder, p *fastParser) bool
	}
	var tasks []task
	for i, start := range starts {
		end := len(p.lines)
		if i+1 < len(starts) {
			end = starts[i+1]
		}
		j, known := d.field(keys, 2*i, fields, objName{})
		if !known {
			continue
		}
		sec := p.lines[start:end]
		fv := v.Field(fields.index[j])
		elem := childName(objName{}, keys.content[2*i].value, fields.elem[j])
		_, rest, _ := splitKey(sec[0].text)
		if rest != "" || len(sec) < 2*chunkLines || sec[1].indent == 0 || !isItem(sec[1].text) || fv.Kind() != reflect.Slice {
			tasks = append(tasks, task{sec, func(sub *decoder, sp *fastParser) bool {
				m, ok := sp.mapping(0, 0)
				if !ok || sp.pos != len(sp.lines) || len(m.content) != 2 {
					sp.gaveUp()
					return false
				}
				sub.decode(m.content[1], fv, elem)
				return true
			}})
			continue
		}
		// A long list: cut it at item boundaries, count the items of each
		// piece so that every piece knows where its elements go.
		ind := sec[1].indent
		total := 0
		type piece struct{ from, to, off, n int }
		var pieces []piece
		for from := 1; from < len(sec); {
			to := min(from+chunkLines, len(sec))
			for to < len(sec) && !(sec[to].indent == ind && isItem(sec[to].text)) {
				to++
			}
			n := 0
			for _, l := range sec[from:to] {
				if l.indent == ind && isItem(l.text) {
					n++
				}
			}
			pieces = append(pieces, piece{from, to, total, n})
			total += n
			from = to
		}
		sl := reflect.MakeSlice(fv.Type(), total, total)
		fv.Set(sl)
		for _, pc := range pieces {
			tasks = append(tasks, task{sec[pc.from:pc.to], func(sub *decoder, sp *fastParser) bool {
				seq, ok := sp.sequence(1, int(ind))
				if !ok || sp.pos != len(sp.lines) || len(seq.content) != pc.n {
					sp.gaveUp()
					return false
				}
				for k, item := range seq.content {
					sub.decode(item, sl.Index(pc.off+k), objName{name: elem.String(), item: item, idx: pc.off + k})
				}
				return true
			}})
		}
	}
	// One worker per core takes the tasks in file order. Its parser hands
	// out the same node slabs again for each task: nodes die with their
	// chunk, so the tree of a 30 MB file never exists at once and the
	// memory a chunk used is warm for the next.
	taskProbs := make([]inventory.Problems, len(tasks))
	oks := make([]bool, len(tasks))
	whys := make([]fallback, len(tasks))
	var next atomic.Int32
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(tasks)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sub := &decoder{file: name}
			sp := &fastParser{}
			for {
				i := int(next.Add(1)) - 1
				if i >= len(tasks) {
					return
				}
				sp.reset(tasks[i].lines)
				oks[i] = tasks[i].run(sub, sp)
				whys[i] = sp.why
				taskProbs[i], sub.probs = sub.probs, nil
			}
		}()
	}
	wg.Wait()
	probs = d.probs
	for i := range tasks {
		if !oks[i] {
			return nil, nil, whys[i]
		}
		probs = append(probs, taskProbs[i]...)
	}
	return snap, probs, fallback{}
}

func isItem(text string) bool {
	return text == "-" || (len(text) > 1 && text[0] == '-' && text[1] == ' ')
}
