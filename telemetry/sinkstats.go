package telemetry

// SinkStats is what a buffering sink (Redis) reports about itself; the
// Prometheus exporter publishes it as the collector's self-metrics, so a
// sink that falls behind or drops samples is never silent.
type SinkStats struct {
	Sink string `json:"sink"` // "redis"
	// Connected is false after a failed flush until the next good one.
	Connected bool `json:"connected"`
	// BufferBytes is what samples waiting for the sink hold, within
	// BufferBudget; EventBytes what waiting alarms and state changes hold
	// (never dropped, so outside the sample budget).
	BufferBytes  int64 `json:"buffer_bytes"`
	BufferBudget int64 `json:"buffer_budget"`
	EventBytes   int64 `json:"event_bytes"`
	QueuedEvents int64 `json:"queued_events"`
	// DroppedSamples counts samples (interface, link, target states,
	// updates) dropped because the buffer budget was full.
	DroppedSamples uint64 `json:"dropped_samples"`
	// WriteErrors counts failed flushes and error replies.
	WriteErrors uint64 `json:"write_errors"`
	// FenceRefusals counts writes refused because their fencing token was
	// stale (another collector holds the target now).
	FenceRefusals uint64 `json:"fence_refusals"`
	// Written counts objects written; Flushes round trips.
	Written   uint64 `json:"written"`
	Flushes   uint64 `json:"flushes"`
	LastError string `json:"last_error,omitempty"`
}
