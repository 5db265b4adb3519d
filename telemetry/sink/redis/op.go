package redis

import (
	"strconv"
	"unsafe"
)

// op is one fenced group of commands: one script call, one unit of the
// buffer. Samples are droppable under pressure; events (alarms, state
// changes) never are and carry a sequence number so a replay after an
// uncertain flush applies them once.
type op struct {
	target string // the lease that fences it ("" unfenced)
	token  uint64
	fenced bool
	seq    uint64 // events only
	event  bool
	n      int // objects it writes (samples or events)

	keys []string
	args []string // commands: name, nkeys, nargs, args...
	size int64
	// nums holds the bytes of the numbers formatted for args, one buffer
	// rather than a string each; what is written there is never changed.
	nums []byte
}

// reserve sizes keys and args for about nk keys and na args more, so
// that a device's or a link chunk's commands grow them once.
func (o *op) reserve(nk, na int) {
	if cap(o.keys)-len(o.keys) < nk {
		o.keys = append(make([]string, 0, len(o.keys)+nk), o.keys...)
	}
	if cap(o.args)-len(o.args) < na {
		o.args = append(make([]string, 0, len(o.args)+na), o.args...)
	}
}

// ftoa and itoa format a number into the op's buffer. The strings view
// it: a buffer that grows moves on, leaving the bytes already viewed in
// place, unchanged.
func (o *op) ftoa(f float64) string {
	n := len(o.nums)
	o.nums = strconv.AppendFloat(o.nums, f, 'g', -1, 64)
	return unsafe.String(&o.nums[n], len(o.nums)-n)
}

func (o *op) itoa(i int64) string {
	n := len(o.nums)
	o.nums = strconv.AppendInt(o.nums, i, 10)
	return unsafe.String(&o.nums[n], len(o.nums)-n)
}

// cmd appends one command; its keys go to KEYS, its args to ARGV.
func (o *op) cmd(name string, keys []string, args ...string) {
	o.keys = append(o.keys, keys...)
	o.args = append(o.args, name, strconv.Itoa(len(keys)), strconv.Itoa(len(args)))
	o.args = append(o.args, args...)
}

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
