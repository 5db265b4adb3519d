package telemetry

import (
	"math"
	"strings"
	"time"
)

// Counter leaves the engine keeps, by slot.
const (
	ctrInOctets = iota
	ctrOutOctets
	ctrInPkts
	ctrOutPkts
	ctrInErrors
	ctrOutErrors
	ctrInDiscards
	ctrOutDiscards
	nCounters
)

// counterSlot maps an OpenConfig counter leaf to its slot. Leaves the
// engine does not rate (in-unicast-pkts, carrier-transitions...) are ignored.
func counterSlot(leaf string) (int, rateKind, bool) {
	leaf = strings.TrimPrefix(leaf, "counters/")
	switch leaf {
	case "in-octets":
		return ctrInOctets, kindOctets, true
	case "out-octets":
		return ctrOutOctets, kindOctets, true
	case "in-pkts":
		return ctrInPkts, kindPackets, true
	case "out-pkts":
		return ctrOutPkts, kindPackets, true
	case "in-errors":
		return ctrInErrors, kindPackets, true
	case "out-errors":
		return ctrOutErrors, kindPackets, true
	case "in-discards":
		return ctrInDiscards, kindPackets, true
	case "out-discards":
		return ctrOutDiscards, kindPackets, true
	}
	return 0, 0, false
}

// maxChannels is how many transceiver physical channels an interface keeps
// (400G-FR8 has 8); higher indexes are ignored.
const maxChannels = 32

// engIface is the raw state of one device interface, written by Observe under
// its device's lock and read by Tick under the same lock.
type engIface struct {
	name   string
	maxBps float64 // speed x tolerance: the most a counter delta may imply
	ctr    [nCounters]rateCounter
	oper   string
	operTs int64
	// rx and tx hold the power of each channel that reported, in dBm.
	rx, tx         [maxChannels]float64
	rxMask, txMask uint32
	rxSamples      uint64 // input-power updates received, to spot a new sample
	resets, wraps  uint64
	dropped        uint64
	resetTs        int64 // timestamp of the last reset, to count one per reboot
	updated        int64
	dirty          bool // something changed since the last Tick
	pubOper        string
	published      bool // pubOper is the oper-status last published
	link           *engLink
	// ext is the interface as the collector holding its device published
	// it (ObserveShared): it stands for the raw state until the device's
	// own updates arrive here again.
	ext *InterfaceState
}

func updateNanos(u *Update) int64 {
	if !u.Timestamp.IsZero() {
		return u.Timestamp.UnixNano()
	}
	return u.Received.UnixNano()
}

// apply folds one update into the interface. It does not allocate.
func (f *engIface) apply(u *Update, epoch uint32) {
	f.ext = nil
	ts := updateNanos(u)
	switch u.Class {
	case ClassCounters:
		slot, kind, ok := counterSlot(u.Leaf)
		if !ok {
			if u.Deleted && u.Leaf == "" {
				f.forget()
			}
			return
		}
		c := &f.ctr[slot]
		if u.Deleted {
			*c = rateCounter{big: c.big}
			f.dirty = true
			return
		}
		switch c.sample(u.Uint, ts, epoch, kind, f.maxBps) {
		case sampleStale:
			return
		case sampleWrapped:
			f.wraps++
			f.resets++
		case sampleReset:
			// A reboot resets every counter at once: count it once.
			if ts != f.resetTs {
				f.resets++
				f.resetTs = ts
			}
		case sampleAbsurd:
			f.dropped++
		}
	case ClassOper:
		if u.Leaf != "oper-status" && u.Leaf != "state/oper-status" {
			if u.Deleted && u.Leaf == "" {
				f.forget()
			}
			return
		}
		if ts < f.operTs {
			return // an older notification arriving late
		}
		if u.Deleted {
			f.oper = ""
		} else {
			f.oper = u.Str
		}
		f.operTs = ts
	case ClassOptics:
		ch := u.Channel
		if ch < 0 || ch >= maxChannels {
			return
		}
		bit := uint32(1) << ch
		switch u.Leaf {
		case "input-power/instant", "input-power":
			if u.Deleted {
				f.rxMask &^= bit
			} else {
				f.rx[ch], f.rxMask = u.Float, f.rxMask|bit
				f.rxSamples++
			}
		case "output-power/instant", "output-power":
			if u.Deleted {
				f.txMask &^= bit
			} else {
				f.tx[ch], f.txMask = u.Float, f.txMask|bit
			}
		default:
			return
		}
	default:
		return
	}
	if ts > f.updated {
		f.updated = ts
	}
	f.dirty = true
}

// forget drops everything known of the interface: the target deleted it.
func (f *engIface) forget() {
	for i := range f.ctr {
		f.ctr[i] = rateCounter{big: f.ctr[i].big}
	}
	f.oper, f.rxMask, f.txMask = "", 0, 0
	f.dirty = true
}

// worstChannel returns the lowest power among the channels of mask.
func worstChannel(p *[maxChannels]float64, mask uint32) (float64, bool) {
	if mask == 0 {
		return 0, false
	}
	w := math.Inf(1)
	for i := 0; i < maxChannels; i++ {
		if mask&(1<<i) != 0 && p[i] < w {
			w = p[i]
		}
	}
	return w, true
}

// snapshot is the interface as published.
func (f *engIface) snapshot(device string) InterfaceState {
	s := InterfaceState{
		Device: device, Interface: f.name, Oper: f.oper,
		InOctets: f.ctr[ctrInOctets].last, OutOctets: f.ctr[ctrOutOctets].last,
		InErrors: f.ctr[ctrInErrors].last, OutErrors: f.ctr[ctrOutErrors].last,
		InDiscard: f.ctr[ctrInDiscards].last, OutDiscard: f.ctr[ctrOutDiscards].last,
		InPkts: f.ctr[ctrInPkts].last, OutPkts: f.ctr[ctrOutPkts].last,
		HasCounters: f.ctr[ctrInOctets].has || f.ctr[ctrOutOctets].has,
		InBps:       f.ctr[ctrInOctets].rate, OutBps: f.ctr[ctrOutOctets].rate,
		ErrorsPerSec:   f.ctr[ctrInErrors].rate + f.ctr[ctrOutErrors].rate,
		DiscardsPerSec: f.ctr[ctrInDiscards].rate + f.ctr[ctrOutDiscards].rate,
		Resets:         f.resets, Wraps: f.wraps, Dropped: f.dropped,
		Rated: f.rated(), RxSamples: f.rxSamples,
	}
	if f.ext != nil {
		return *f.ext
	}
	if f.updated != 0 {
		s.Updated = time.Unix(0, f.updated).UTC()
	}
	var ok bool
	if s.RxDBm, ok = worstChannel(&f.rx, f.rxMask); ok {
		s.HasOptics = true
	}
	if tx, ok := worstChannel(&f.tx, f.txMask); ok {
		s.TxDBm, s.HasOptics = tx, true
	}
	return s
}

// rated says whether the interface has a measured traffic rate.
func (f *engIface) rated() bool {
	if f.ext != nil {
		return f.ext.Rated
	}
	return f.ctr[ctrInOctets].rated || f.ctr[ctrOutOctets].rated
}

// operOf reduces an oper-status to up, down or unknown (""). A value may
// come module-qualified (openconfig-interfaces:UP).
func operOf(s string) string {
	if i := strings.LastIndexByte(s, ':'); i >= 0 {
		s = s[i+1:]
	}
	switch strings.ToUpper(s) {
	case "UP":
		return "up"
	case "DOWN", "LOWER_LAYER_DOWN", "NOT_PRESENT", "DORMANT":
		return "down"
	}
	return ""
}
