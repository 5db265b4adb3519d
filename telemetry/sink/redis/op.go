package redis

import (
	"math"
	"strconv"
	"sync"
	"unsafe"
)

// op is one fenced group of commands: one script call, one unit of the
// buffer. Samples are droppable under pressure; events (alarms, state
// changes) never are and carry a sequence number so a replay after an
// uncertain flush applies them once.
type op struct {
	target string // the lease that fences it ("" unfenced)
	fence  string // its fence key
	token  uint64
	tok    string // token as the script reads it ("" unfenced)
	fenced bool
	seq    uint64 // events only
	seqStr string
	event  bool
	kept   bool // by the flush that sent it (flushOnce)
	n      int  // objects it writes (samples or events)

	keys []string
	args []string // commands as fencedWrite reads them (lua.go)
	size int64
	// buf holds the bytes of the numbers and JSON documents of args, one
	// buffer rather than a string each; what is written there is never
	// changed, and the strings view it.
	buf []byte
}

// opPool recycles ops, with their slices and buffer, once written: a
// 48-port device's sample is some 150 KB of arguments, and allocating
// them afresh made the collector's garbage collection as costly as the
// writing (BenchmarkSinkRedis). An op is put back only when nothing
// refers to it: out of the queues, its flush over.
type opPool struct{ p sync.Pool }

// maxPooledBuf bounds the buffer an op keeps in the pool.
const maxPooledBuf = 1 << 20

func (p *opPool) get() *op {
	if o, ok := p.p.Get().(*op); ok {
		return o
	}
	return &op{}
}

func (p *opPool) put(o *op) {
	if o == nil {
		return
	}
	clear(o.keys)
	clear(o.args)
	keys, args, buf := o.keys[:0], o.args[:0], o.buf[:0]
	if cap(buf) > maxPooledBuf {
		buf = nil
	}
	*o = op{keys: keys, args: args, buf: buf}
	p.p.Put(o)
}

// reserve sizes keys, args and buf for about nk keys, na args and nb
// bytes more, so that a device's or a link chunk's commands grow them
// once.
func (o *op) reserve(nk, na, nb int) {
	if cap(o.keys)-len(o.keys) < nk {
		o.keys = append(make([]string, 0, len(o.keys)+nk), o.keys...)
	}
	if cap(o.args)-len(o.args) < na {
		o.args = append(make([]string, 0, len(o.args)+na), o.args...)
	}
	if cap(o.buf)-len(o.buf) < nb {
		// A new array: the strings already viewing the old one keep it.
		o.buf = make([]byte, 0, nb)
	}
}

// view returns the bytes appended to o.buf since n as a string. A buffer
// that grows moves on, leaving the bytes already viewed in place,
// unchanged.
func (o *op) view(n int) string {
	if len(o.buf) == n {
		return ""
	}
	return unsafe.String(&o.buf[n], len(o.buf)-n)
}

// ftoa, itoa and bytes write into the op's buffer.
func (o *op) ftoa(f float64) string {
	n := len(o.buf)
	// 'g' writes an integral value below 1e6 as its decimal integer:
	// skip the shortest-digits search for those (zero rates, mostly).
	if f == math.Trunc(f) && math.Abs(f) < 1e6 && (f != 0 || !math.Signbit(f)) {
		o.buf = strconv.AppendInt(o.buf, int64(f), 10)
		return o.view(n)
	}
	o.buf = strconv.AppendFloat(o.buf, f, 'g', -1, 64)
	return o.view(n)
}

func (o *op) itoa(i int64) string {
	n := len(o.buf)
	o.buf = strconv.AppendInt(o.buf, i, 10)
	return o.view(n)
}

func (o *op) bytes(b []byte) string {
	n := len(o.buf)
	o.buf = append(o.buf, b...)
	return o.view(n)
}

// cmd appends one command run as it is; its keys go to KEYS, its args to
// ARGV.
func (o *op) cmd(name string, keys []string, args ...string) {
	o.keys = append(o.keys, keys...)
	o.args = append(o.args, name, strconv.Itoa(len(keys)), strconv.Itoa(len(args)))
	o.args = append(o.args, args...)
}

// hset appends an HSET of hash that adds member to the set index when it
// creates a field (the hash is new): an index written once rather than
// at every sample. The field/value pairs follow with arg.
func (o *op) hset(hash, index, member string, pairs int) {
	o.keys = append(o.keys, hash, index)
	o.args = append(o.args, cmdHash, member, strconv.Itoa(2*pairs))
}

// hsetTemplate starts HSETs of several hashes with the same fields, each
// adding its member to index when it creates the hash; hsetEntry adds
// one (its values follow with arg, one per field). consts are
// field/value pairs every hash gets, sent once rather than per hash.
func (o *op) hsetTemplate(index string, entries int, fields []string, consts ...string) {
	o.keys = append(o.keys, index)
	o.args = append(o.args, cmdHashTemplate, strconv.Itoa(len(fields)))
	o.args = append(o.args, fields...)
	o.args = append(o.args, strconv.Itoa(len(consts)/2))
	o.args = append(o.args, consts...)
	o.args = append(o.args, strconv.Itoa(entries))
}

func (o *op) hsetEntry(hash, member string) {
	o.keys = append(o.keys, hash)
	o.args = append(o.args, member)
}

// xaddTemplate starts XADDs (MAXLEN ~ maxLen) to several streams whose
// entries take their field names from fields, in order; xaddEntry adds
// one with its first n fields (the values follow with arg).
func (o *op) xaddTemplate(maxLen string, entries int, fields ...string) {
	o.args = append(o.args, cmdStreamTemplate, maxLen, strconv.Itoa(len(fields)))
	o.args = append(o.args, fields...)
	o.args = append(o.args, strconv.Itoa(entries))
}

func (o *op) xaddEntry(stream string, n int) {
	o.keys = append(o.keys, stream)
	o.args = append(o.args, strconv.Itoa(n))
}

func (o *op) arg(a ...string) { o.args = append(o.args, a...) }

func (o *op) finish() {
	var s int64 = 64
	for _, k := range o.keys {
		s += int64(len(k)) + 16
	}
	for _, a := range o.args {
		s += int64(len(a)) + 16
	}
	o.size = s
}

func ftoa(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }
func itoa(i int64) string   { return strconv.FormatInt(i, 10) }
func utoa(u uint64) string  { return strconv.FormatUint(u, 10) }
