package telemetry

import "time"

// These types are what the collector publishes and what every sink and
// reader carries. Their JSON shape is the contract with the NOC views and
// with other tools reading Redis (docs/telemetry.md): add fields, never
// rename them.

// PathClass groups subscribed paths that share a mode and an interval.
type PathClass string

const (
	ClassCounters PathClass = "counters" // SAMPLE: interface counters
	ClassOptics   PathClass = "optics"   // SAMPLE: transceiver channel power
	ClassOper     PathClass = "oper"     // ON_CHANGE: interface oper-status
	ClassBGP      PathClass = "bgp"      // ON_CHANGE: BGP neighbor session-state
)

// Update is one decoded leaf from a target's notification. Key is the list
// key that names the object: an interface name, or a neighbor address; for
// optics it is the interface the transceiver serves (resolved through the
// interface's state/transceiver leaf) and Component the component's name.
// Leaf is the path below the object's state container (in-octets,
// oper-status, input-power/instant, session-state).
type Update struct {
	Target    string    `json:"target"`
	Class     PathClass `json:"class"`
	Key       string    `json:"key"`
	Component string    `json:"component,omitempty"`
	Channel   int       `json:"channel,omitempty"` // transceiver physical channel index
	Leaf      string    `json:"leaf"`
	Uint      uint64    `json:"uint,omitempty"`  // counters
	Float     float64   `json:"float,omitempty"` // dBm
	Str       string    `json:"str,omitempty"`   // enumerations: UP, DOWN, ESTABLISHED...
	Timestamp time.Time `json:"ts"`              // the notification's timestamp (device clock)
	Received  time.Time `json:"received"`        // when the collector decoded it
	// Deleted says the target deleted the leaf (or the object holding it):
	// the value fields are then empty and the state is unknown.
	Deleted bool `json:"deleted,omitempty"`
}

// InterfaceState is the latest of one device interface, with rates from
// counter deltas (never negative: a wrap or a reset starts a new baseline).
type InterfaceState struct {
	Device     string `json:"device"`
	Interface  string `json:"interface"`
	Oper       string `json:"oper,omitempty"` // UP, DOWN, LOWER_LAYER_DOWN... "" when unknown
	InOctets   uint64 `json:"in_octets"`
	OutOctets  uint64 `json:"out_octets"`
	InErrors   uint64 `json:"in_errors"`
	OutErrors  uint64 `json:"out_errors"`
	InDiscard  uint64 `json:"in_discards"`
	OutDiscard uint64 `json:"out_discards"`
	InPkts     uint64 `json:"in_pkts"`
	OutPkts    uint64 `json:"out_pkts"`
	// HasCounters says whether the counters above come from the device:
	// an interface that has only reported its oper-status has none yet,
	// and a zero published as a counter would read as a reset.
	HasCounters bool `json:"has_counters,omitempty"`
	// InBps and OutBps are bits per second over the last counter interval.
	InBps  float64 `json:"in_bps"`
	OutBps float64 `json:"out_bps"`
	// ErrorsPerSec and DiscardsPerSec count both directions.
	ErrorsPerSec   float64 `json:"errors_per_sec"`
	DiscardsPerSec float64 `json:"discards_per_sec"`
	// RxDBm and TxDBm are the transceiver's worst channel; HasOptics says
	// whether any was received.
	RxDBm     float64   `json:"rx_dbm,omitempty"`
	TxDBm     float64   `json:"tx_dbm,omitempty"`
	HasOptics bool      `json:"has_optics"`
	Resets    uint64    `json:"counter_resets"` // counter went backwards (reboot) or wrapped
	Updated   time.Time `json:"updated"`
	// Wraps counts the counter wraps among Resets (a 32- or 64-bit counter
	// rolling over: the rate stays right); Dropped the counter samples
	// refused because their delta implied more than the link can carry.
	Wraps   uint64 `json:"counter_wraps"`
	Dropped uint64 `json:"counter_dropped"`
	// Rated says InBps/OutBps are measured (two samples at least since the
	// last reset); RxSamples counts the input-power samples received, so
	// that the engine run by another collector counts the same samples
	// (Engine.ObserveShared).
	Rated     bool   `json:"rated,omitempty"`
	RxSamples uint64 `json:"rx_samples,omitempty"`
}

// LinkEnd is one side of a routed link.
type LinkEnd struct {
	Device    string `json:"device"`
	Interface string `json:"interface"`
	Site      string `json:"site"`
	InterfaceState
	// BaselineDBm is this end's learned receive power (HasBaseline), kept
	// by the sinks so that a restarted engine keeps measuring drift
	// against it (Engine.RestoreLinks).
	BaselineDBm float64 `json:"baseline_dbm,omitempty"`
	HasBaseline bool    `json:"has_baseline,omitempty"`
}

// LinkState is a routed link (or a transit circuit) with both ends joined
// and its receive power held against topology's budget.
type LinkState struct {
	ID string `json:"id"`
	// Oper is "up" (both ends up), "down" (either end down), "unknown".
	Oper        string  `json:"oper"`
	A           LinkEnd `json:"a"`
	B           LinkEnd `json:"b"` // empty Device for a circuit's far end
	SpeedMbps   int64   `json:"speed_mbps"`
	Utilization float64 `json:"utilization"` // worst direction, 0..1
	// ExpectedRxDBm is the budget's receive power; MeasuredRxDBm the worse
	// end's; DeviationDB = measured - expected; MarginDB = measured -
	// sensitivity; DriftDB = measured - baseline (the median of the first
	// samples, docs/telemetry.md "Link state").
	ExpectedRxDBm  float64   `json:"expected_rx_dbm"`
	SensitivityDBm float64   `json:"sensitivity_dbm"`
	MeasuredRxDBm  float64   `json:"measured_rx_dbm"`
	HasRx          bool      `json:"has_rx"`
	DeviationDB    float64   `json:"deviation_db"`
	MarginDB       float64   `json:"margin_db"`
	BaselineDBm    float64   `json:"baseline_dbm"`
	DriftDB        float64   `json:"drift_db"`
	Cables         []string  `json:"cables"`
	Ducts          []string  `json:"ducts"` // shared-risk groups
	External       bool      `json:"external,omitempty"`
	Updated        time.Time `json:"updated"`
	// RxEnd says which end ("a" or "b") the receive figures are from: the
	// one with the least margin left. BudgetMarginDB is that end's planned
	// margin at worst-case launch power; LossDB the loss measured on the
	// span (far end's Tx minus this end's Rx, when both are reported);
	// ExcessLossDB the loss beyond the plan; WorstCaseMarginDB what is left
	// of the planned margin after that excess: below 0 the link fails when
	// the far transmitter ages to its worst-case power.
	RxEnd             string  `json:"rx_end,omitempty"`
	BudgetMarginDB    float64 `json:"budget_margin_db"`
	LossDB            float64 `json:"loss_db,omitempty"`
	ExcessLossDB      float64 `json:"excess_loss_db"`
	WorstCaseMarginDB float64 `json:"worst_case_margin_db"`
	HasBudget         bool    `json:"has_budget"`
}

// TargetHealth is a gNMI target as the collector sees it; published like any
// other state so that a silent target is visible.
type TargetHealth struct {
	Name          string    `json:"name"`
	Address       string    `json:"address"`
	Connected     bool      `json:"connected"`
	Since         time.Time `json:"since"` // last connect or disconnect
	LastUpdate    time.Time `json:"last_update"`
	Reconnects    uint64    `json:"reconnects"`
	UpdatesPerSec float64   `json:"updates_per_sec"`
	// Updates counts the leaves received since the collector started on
	// the target (across reconnects): the counter behind UpdatesPerSec.
	Updates uint64 `json:"updates"`
	// Leaves counts every leaf received, used or not: Updates plus the
	// leaves the plan did not ask for (what a benchmark divides CPU by).
	Leaves uint64 `json:"leaves"`
	// Expected and Received count samples in the gap ledger: what the
	// subscription promises against what arrived; Gaps counts intervals
	// with missing samples.
	Expected  uint64 `json:"expected"`
	Received  uint64 `json:"received"`
	Gaps      uint64 `json:"gaps"`
	LastError string `json:"last_error,omitempty"`
	Collector string `json:"collector,omitempty"` // holder of the target's lease
	// Delay is how late the target's notifications reach the collector.
	Delay ArrivalDelay `json:"delay"`
}

// DelayBounds are the upper bounds, in seconds, of ArrivalDelay.Buckets
// (a copy: the bounds are part of the format).
func DelayBounds() [DelayBuckets]float64 {
	return [DelayBuckets]float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}
}

// DelayBuckets is the number of ArrivalDelay buckets.
const DelayBuckets = 11

// ArrivalDelay is the collector's receive time minus the notification's
// timestamp, over the notifications that carry one. The timestamp is the
// device's clock: a device whose clock runs ahead shows a negative delay,
// one whose clock lags or whose telemetry queues shows a large one, which
// is what a NOC wants to tell apart from a slow collector. Since gNMI
// stamps a notification when the device sampled it, this is the
// device's queueing plus the network plus the collector's receive queue.
type ArrivalDelay struct {
	LastMs float64 `json:"last_ms"` // the latest notification's
	// MaxMs is the largest over the last rate window (the longest SAMPLE
	// interval), so that a target sampled every 10 s shows its worst.
	MaxMs      float64 `json:"max_ms"`
	Count      uint64  `json:"count"` // notifications measured, ever
	SumSeconds float64 `json:"sum_s"`
	// Buckets[i] counts the notifications with a delay at most
	// DelayBounds()[i] (cumulative, as a Prometheus histogram's); Count
	// less the last bucket is those over 10 s.
	Buckets [DelayBuckets]uint64 `json:"buckets"`
}

// Severity orders alarms: critical first.
type Severity string

const (
	SevCritical Severity = "critical"
	SevMajor    Severity = "major"
	SevMinor    Severity = "minor"
	SevWarning  Severity = "warning"
	SevInfo     Severity = "info"
)

// Rank is 0 for critical and grows as severity falls, for sorting.
func (s Severity) Rank() int {
	switch s {
	case SevCritical:
		return 0
	case SevMajor:
		return 1
	case SevMinor:
		return 2
	case SevWarning:
		return 3
	}
	return 4
}

// AlarmState is active or cleared.
type AlarmState string

const (
	AlarmActive  AlarmState = "active"
	AlarmCleared AlarmState = "cleared"
)

// Alarm is one condition on one object. ID is stable: the same condition on
// the same object always has the same id, so raising twice is a no-op and
// an acknowledgement survives restarts.
type Alarm struct {
	ID       string     `json:"id"`
	Rule     string     `json:"rule"`   // link-down, rx-margin, rx-drift, utilization, errors, target-unreachable, telemetry-gap, duct, cable, site-loss, or a source's own (bgp-session-down...)
	Source   string     `json:"source"` // telemetry, bgp...
	Severity Severity   `json:"severity"`
	State    AlarmState `json:"state"`
	// ObjectKind is link, interface, target, cable, duct, site, prefix, peer, service.
	ObjectKind string    `json:"object_kind"`
	Object     string    `json:"object"`
	Message    string    `json:"message"`
	Raised     time.Time `json:"raised"`
	Updated    time.Time `json:"updated"`
	Cleared    time.Time `json:"cleared,omitempty"`
	Acked      bool      `json:"acked"`
	AckedBy    string    `json:"acked_by,omitempty"`
	AckedAt    time.Time `json:"acked_at,omitempty"`
	// Cables, Ducts and Sites name the fiber plant the alarm concerns.
	Cables []string `json:"cables"`
	Ducts  []string `json:"ducts"`
	Sites  []string `json:"sites"`
	// Parent is the root alarm that explains this one; Children the alarms
	// a root explains.
	Parent   string   `json:"parent,omitempty"`
	Children []string `json:"children,omitempty"`
	// LoseHosting and LoseOneCore are the member sites that lost both or
	// one of the core sites, from topology's cut analysis (root alarms).
	LoseHosting []string `json:"lose_hosting,omitempty"`
	LoseOneCore []string `json:"lose_one_core,omitempty"`
	// Attrs carries a source's details (prefix, expected and seen origin, peer).
	Attrs map[string]string `json:"attrs,omitempty"`
}

// Event is what another package (the BGP speaker) reports to the alarm
// engine: a condition that became true (Active) or false on an object.
type Event struct {
	Source     string            `json:"source"`
	Rule       string            `json:"rule"`
	Severity   Severity          `json:"severity"`
	ObjectKind string            `json:"object_kind"`
	Object     string            `json:"object"`
	Active     bool              `json:"active"`
	Message    string            `json:"message"`
	Time       time.Time         `json:"time"`
	Sites      []string          `json:"sites,omitempty"`
	Attrs      map[string]string `json:"attrs,omitempty"`
}

// StateChange is a transition of a link, an interface, a target or a BGP
// session: kept in its own long-retention history, never dropped (the
// availability reports are computed from it).
type StateChange struct {
	Time       time.Time `json:"time"`
	ObjectKind string    `json:"object_kind"` // link, interface, target, session, service
	Object     string    `json:"object"`
	From       string    `json:"from"`
	To         string    `json:"to"`
	Cause      string    `json:"cause,omitempty"` // root alarm id when known
}
