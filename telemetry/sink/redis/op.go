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
	// pack holds the compact commands' values as MessagePack arrays of
	// strings, one argument per command (fencedWrite unpacks them with
	// cmsgpack): go-redis frames every argument, some 90 ns each, and a
	// 48-port device's sample was some 1,400 of them.
	pack []byte
}

// opPool recycles ops, with their slices and buffers, once written: a
// 48-port device's sample is some 150 KB of arguments, and allocating
// them afresh made the collector's garbage collection as costly as the
// writing (BenchmarkSinkRedis). An op is put back only when nothing
// refers to it: out of the queues, its flush over.
//
// It is a free list, not a sync.Pool: a pool is emptied by every second
// garbage collection, and at 500 x 48 the collector collects several
// times between two flushes, so the buffers were grown again from nothing
// at every flush (growslice, 9 % of the collector's CPU). The list holds
// at most maxPooledOps ops and maxPooledBytes of their buffers.
//
// It also holds no more ops than were in use at once lately: the initial
// sync (every target's whole state in one flush) or an outage's backlog
// needs thousands, a 1 s stream of 200 devices a few dozen, and the rest,
// kept, were some 80 MB of a 345 MB live heap at 200 x 48 at 1 s
// (bench/telemetry/run), their key and argument arrays, which hold
// pointers cleared or not, marked at every collection.
type opPool struct {
	mu    sync.Mutex
	free  []*op
	bytes int
	out   int // ops handed out and not back
	peak  int // most out at once since the last trim
	gets  int // gets since the last trim
}

const (
	// maxPooledBuf bounds the buffer an op keeps in the pool.
	maxPooledBuf = 1 << 20
	// maxPooledOps and maxPooledBytes bound the list: a flush's ops (one
	// per device and link chunk) at a few hundred targets.
	maxPooledOps   = 2048
	maxPooledBytes = 64 << 20
	// trimEvery is the gets between two trims of the list to the peak
	// use since the previous one: seconds of writing, many flushes.
	trimEvery = 4096
)

func (p *opPool) get() *op {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.out++
	p.peak = max(p.peak, p.out)
	p.gets++
	if n := len(p.free); n > 0 {
		o := p.free[n-1]
		p.free[n-1] = nil
		p.free = p.free[:n-1]
		p.bytes -= cap(o.buf) + cap(o.pack)
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
	keys, args, buf, pack := o.keys[:0], o.args[:0], o.buf[:0], o.pack[:0]
	if cap(buf) > maxPooledBuf {
		buf = nil
	}
	if cap(pack) > maxPooledBuf {
		pack = nil
	}
	*o = op{keys: keys, args: args, buf: buf, pack: pack}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.out > 0 {
		p.out--
	}
	if len(p.free) >= maxPooledOps || p.bytes+cap(buf)+cap(pack) > maxPooledBytes {
		return // the garbage collector takes it
	}
	p.free = append(p.free, o)
	p.bytes += cap(buf) + cap(pack)
	if p.gets >= trimEvery {
		p.trimLocked()
	}
}

// trimLocked lets the garbage collector have the free ops beyond the
// peak use since the last trim (counting those still out), the least
// recently used first (the list is a stack), and starts the next period;
// p.mu is held.
func (p *opPool) trimLocked() {
	if n := len(p.free) + p.out - p.peak; n > 0 {
		for i, o := range p.free[:n] {
			p.bytes -= cap(o.buf) + cap(o.pack)
			p.free[i] = nil
		}
		p.free = append(p.free[:0], p.free[n:]...)
		clear(p.free[len(p.free) : len(p.free)+n])
	}
	p.peak, p.gets = p.out, 0
}

// reserve sizes keys, args, buf and pack for about nk keys, na args, nb
// bytes of numbers and np bytes of packed values more, so that a device's
// or a link chunk's commands grow them once.
func (o *op) reserve(nk, na, nb, np int) {
	if cap(o.keys)-len(o.keys) < nk {
		o.keys = append(make([]string, 0, len(o.keys)+nk), o.keys...)
	}
	if cap(o.args)-len(o.args) < na {
		o.args = append(make([]string, 0, len(o.args)+na), o.args...)
	}
	if cap(o.buf)-len(o.buf) < nb {
		// A new array: the strings already viewing the old one keep it.
		// A quarter more: the estimate follows the last object's size,
		// and the next a little larger would allocate again.
		o.buf = make([]byte, 0, nb+nb/4)
	}
	if cap(o.pack)-len(o.pack) < np {
		// Copied: packArray's positions index what is already packed;
		// the strings packEnd made keep the old array.
		o.pack = append(make([]byte, 0, len(o.pack)+np+np/4), o.pack...)
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
// at every sample. Its field/value pairs follow with packStr, pairs of
// them, and the command ends with packEnd.
func (o *op) hset(hash, index, member string, pairs int) int {
	o.keys = append(o.keys, hash, index)
	o.args = append(o.args, cmdHash, member)
	return o.packArray(2 * pairs)
}

// hsetTemplate starts HSETs of several hashes with the same fields, each
// adding its member to index when it creates the hash; hsetEntry adds
// one (its member and values follow with packStr, one per field). consts
// are field/value pairs every hash gets, sent once rather than per hash.
// The command ends with packEnd.
func (o *op) hsetTemplate(index string, entries int, fields []string, consts ...string) int {
	o.keys = append(o.keys, index)
	o.args = append(o.args, cmdHashTemplate, strconv.Itoa(len(fields)))
	o.args = append(o.args, fields...)
	o.args = append(o.args, strconv.Itoa(len(consts)/2))
	o.args = append(o.args, consts...)
	return o.packArray(entries)
}

func (o *op) hsetEntry(hash string, fields int) {
	o.keys = append(o.keys, hash)
	o.packArray(1 + fields)
}

// xaddTemplate starts XADDs (MAXLEN ~ maxLen) to several streams whose
// entries take their field names from fields, in order; xaddEntry adds
// one with its first n fields (the values follow with packStr). The
// command ends with packEnd.
func (o *op) xaddTemplate(maxLen string, entries int, fields ...string) int {
	o.args = append(o.args, cmdStreamTemplate, maxLen, strconv.Itoa(len(fields)))
	o.args = append(o.args, fields...)
	return o.packArray(entries)
}

func (o *op) xaddEntry(stream string, n int) {
	o.keys = append(o.keys, stream)
	o.packArray(n)
}

// packArray starts a MessagePack array of n elements in o.pack and
// returns where it starts.
func (o *op) packArray(n int) int {
	at := len(o.pack)
	if n < 16 {
		o.pack = append(o.pack, 0x90|byte(n))
	} else {
		o.pack = append(o.pack, 0xdd, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
	}
	return at
}

// packStr appends MessagePack strings to o.pack.
func (o *op) packStr(ss ...string) {
	for _, s := range ss {
		o.packHead(len(s))
		o.pack = append(o.pack, s...)
	}
}

// packIn starts a MessagePack string written in place: fill appends the
// value to the empty slice it is given, which views o.pack's spare room,
// and packDone ends it. The JSON document of a state was written into a
// scratch buffer, then copied into o.pack (a twentieth of the sink's
// CPU). The header is the 32-bit form, its length known only after.
func (o *op) packIn() []byte {
	o.pack = append(o.pack, 0xdb, 0, 0, 0, 0)
	return o.pack[len(o.pack):len(o.pack)]
}

// packDone ends the string packIn began with what fill returned: in
// place when it fitted the spare room, else copied.
func (o *op) packDone(v []byte) {
	at := len(o.pack)
	if n := len(v); n > 0 && cap(o.pack)-at >= n && &o.pack[:at+1][at] == &v[0] {
		o.pack = o.pack[:at+n]
	} else {
		o.pack = append(o.pack, v...)
	}
	n := uint32(len(v))
	o.pack[at-4], o.pack[at-3], o.pack[at-2], o.pack[at-1] = byte(n>>24), byte(n>>16), byte(n>>8), byte(n)
}

func (o *op) packHead(n int) {
	switch {
	case n < 32:
		o.pack = append(o.pack, 0xa0|byte(n))
	case n < 1<<8:
		o.pack = append(o.pack, 0xd9, byte(n))
	case n < 1<<16:
		o.pack = append(o.pack, 0xda, byte(n>>8), byte(n))
	default:
		o.pack = append(o.pack, 0xdb, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
	}
}

// packEnd ends a compact command: what o.pack holds from at is its last
// argument. A pack that grows moves on, leaving the bytes viewed in place.
func (o *op) packEnd(at int) {
	o.args = append(o.args, unsafe.String(&o.pack[at], len(o.pack)-at))
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
