package telemetry

import "context"

// Batch is what the collector hands its sinks at each flush. Samples may be
// dropped under pressure (and are counted when they are); Changes and
// Alarms never are.
type Batch struct {
	Updates    []Update         `json:"updates,omitempty"`
	Interfaces []InterfaceState `json:"interfaces,omitempty"`
	Links      []LinkState      `json:"links,omitempty"`
	Targets    []TargetHealth   `json:"targets,omitempty"`
	Changes    []StateChange    `json:"changes,omitempty"`
	Alarms     []Alarm          `json:"alarms,omitempty"`
	// Collector names the writer; Tokens are the fencing tokens of the
	// target leases it holds (target name -> token): a sink that enforces
	// fencing refuses a write about a target with a stale token.
	Collector string            `json:"collector,omitempty"`
	Tokens    map[string]uint64 `json:"tokens,omitempty"`
}

// Sink receives the collector's batches: memory, Redis, Prometheus.
type Sink interface {
	Write(ctx context.Context, b Batch) error
	Close() error
}

// BatchBorrower is a Sink that keeps nothing of a batch's Links and
// Interfaces once its Write returns (it copies what it keeps). When every
// sink is one, the collector gives those arrays back to the engine for
// its next Tick (Engine.Recycle): at 500 x 48 they were a sixth of the
// collector's allocations, fresh megabytes at every flush.
type BatchBorrower interface {
	Sink
	BorrowsBatch()
}

// Reader is what the CLI and the NOC views read: a running collector's
// HTTP API or Redis, never the collector's memory.
type Reader interface {
	Targets(ctx context.Context) ([]TargetHealth, error)
	Links(ctx context.Context) ([]LinkState, error)
	Alarms(ctx context.Context) ([]Alarm, error)
}

// Acker acknowledges an alarm by id.
type Acker interface {
	Ack(ctx context.Context, id, by string) error
}
