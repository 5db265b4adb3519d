package yamlstore

import (
	"reflect"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/tuyau-net/tuyau/inventory"
)

// slowChunkLines is how many lines of a long list yaml.v3 parses at a time
// on the slow path. yaml.v3's tree costs about 40 times the text it holds:
// parsing a 30 MB file in one go takes over a gigabyte, by pieces a few
// tens of megabytes each.
const slowChunkLines = 20_000

// slowDecode reads a file the fast reader left to yaml.v3 one piece at a
// time: each top-level section, and each run of slowChunkLines lines of a
// long list cut at its items, is parsed by yaml.v3 on its own and decoded
// into its place before the next is parsed, so memory stays bounded by a
// piece, not by the file. ok=false means the file cannot be cut safely
// (documents, a quoted string running over lines, a piece yaml.v3 refuses:
// an alias to another piece's anchor, a syntax error) and the caller parses
// it whole, which gives yaml.v3's own messages.
func slowDecode(name, src string) (snap *inventory.Snapshot, probs inventory.Problems, ok bool) {
	return slowDecodeBy(name, src, slowChunkLines)
}

// slowDecodeBy is slowDecode cutting lists every chunk lines (tests cut
// small files into many pieces).
func slowDecodeBy(name, src string, chunk int) (snap *inventory.Snapshot, probs inventory.Problems, ok bool) {
	type line struct {
		off, num int // byte offset of the line, 1-based number
		text     string
	}
	var lines []line
	for off, num := 0, 1; off < len(src); num++ {
		end := strings.IndexByte(src[off:], '\n')
		if end < 0 {
			end = len(src) - off
		}
		text := strings.TrimRight(src[off:off+end], "\r")
		if t := strings.TrimLeft(text, " \t"); t != "" && t[0] != '#' {
			if _, ok := stripComment(t); !ok {
				return nil, nil, false // a quoted string running over lines
			}
			lines = append(lines, line{off, num, text})
		}
		off += end + 1
	}
	if len(lines) == 0 {
		return nil, nil, false
	}
	// Sections start at the lines in column 0.
	var starts []int
	keys := &node{kind: mappingNode}
	for i, l := range lines {
		c := l.text[0]
		if c == ' ' || c == '\t' {
			continue
		}
		if c == '-' || c == '%' || c == '.' {
			return nil, nil, false // a top-level list, a directive or a document marker
		}
		k, _, isKey := splitKey(l.text)
		if !isKey || resolveTag(k) != tagStr {
			return nil, nil, false
		}
		starts = append(starts, i)
		keys.content = append(keys.content, &node{kind: scalarNode, value: k, line: int32(l.num), col: 1}, nil)
	}
	if len(starts) == 0 || starts[0] != 0 {
		return nil, nil, false
	}
	snap = &inventory.Snapshot{}
	v := reflect.ValueOf(snap).Elem()
	d := &decoder{file: name}
	fields := d.fieldsOf(v.Type())
	// parse parses text (which starts at line first of the file) and
	// returns the value of its single top-level key.
	parse := func(text string, first int) (*node, int, bool) {
		var root yaml.Node
		if err := yaml.Unmarshal([]byte(text), &root); err != nil || len(root.Content) != 1 {
			return nil, 0, false
		}
		memo := map[*yaml.Node]*node{}
		top := fromYAML(root.Content[0], memo)
		if top.kind != mappingNode || len(top.content) != 2 {
			return nil, 0, false
		}
		shiftLines(top.content[1], int32(first-1), map[*node]bool{})
		return top.content[1], len(memo), true
	}
	for i, start := range starts {
		end := len(lines)
		if i+1 < len(starts) {
			end = starts[i+1]
		}
		j, known := d.field(keys, 2*i, fields, objName{})
		if !known {
			continue
		}
		fv := v.Field(fields.index[j])
		elem := childName(objName{}, keys.content[2*i].value, fields.elem[j])
		textEnd := len(src)
		if end < len(lines) {
			textEnd = lines[end].off
		}
		sec := lines[start:end]
		_, rest, _ := splitKey(sec[0].text)
		long := rest == "" && len(sec) > 2*chunk && fv.Kind() == reflect.Slice && isItem(strings.TrimLeft(sec[1].text, " "))
		if !long {
			val, n, ok := parse(src[sec[0].off:textEnd], sec[0].num)
			if !ok {
				return nil, nil, false
			}
			sub := &decoder{file: name, maxNodes: aliasBudget*n + 100_000}
			sub.decode(val, fv, elem)
			probs = append(probs, sub.probs...)
			continue
		}
		// A long list: cut at the items of its first item's indentation.
		ind := len(sec[1].text) - len(strings.TrimLeft(sec[1].text, " "))
		isTop := func(l line) bool {
			t := l.text
			return len(t) > ind && strings.TrimLeft(t[:ind], " ") == "" && isItem(t[ind:])
		}
		total := 0
		for _, l := range sec[1:] {
			if isTop(l) {
				total++
			}
		}
		sl := reflect.MakeSlice(fv.Type(), total, total)
		fv.Set(sl)
		key := keys.content[2*i].value
		at := 0
		for from := 1; from < len(sec); {
			to := min(from+chunk, len(sec))
			for to < len(sec) && !isTop(sec[to]) {
				to++
			}
			pieceEnd := textEnd
			if to < len(sec) {
				pieceEnd = sec[to].off
			}
			// The piece is parsed as "key:" and its items, numbered as in
			// the file: the key sits on the line just above the first item.
			val, n, ok := parse(key+":\n"+src[sec[from].off:pieceEnd], sec[from].num-1)
			if !ok || val.kind != sequenceNode || at+len(val.content) > total {
				return nil, nil, false
			}
			sub := &decoder{file: name, maxNodes: aliasBudget*n + 100_000}
			for k, item := range val.content {
				sub.decode(item, sl.Index(at+k), objName{name: elem.String(), item: item, idx: at + k})
			}
			probs = append(probs, sub.probs...)
			at += len(val.content)
			from = to
		}
		if at != total {
			return nil, nil, false
		}
	}
	return snap, append(d.probs, probs...), true
}

// shiftLines moves a parsed piece's line numbers to the file's. Aliased
// subtrees are shared: each node is moved once.
func shiftLines(n *node, by int32, seen map[*node]bool) {
	if seen[n] {
		return
	}
	seen[n] = true
	n.line += by
	for _, c := range n.content {
		shiftLines(c, by, seen)
	}
}
