package telemetry

import (
	"context"
	"time"
)

// LinkPoint is one point of a link's recent history, as the memory sink
// keeps it and GET /api/v1/links/{id} serves it.
type LinkPoint struct {
	Time          time.Time `json:"time"`
	Oper          string    `json:"oper"`
	InBps         float64   `json:"in_bps"` // A end's receive direction
	OutBps        float64   `json:"out_bps"`
	Utilization   float64   `json:"utilization"`
	MeasuredRxDBm float64   `json:"measured_rx_dbm,omitempty"`
	MarginDB      float64   `json:"margin_db,omitempty"`
	DriftDB       float64   `json:"drift_db,omitempty"`
}

// LinkDetail is a link's latest state with its recent history.
type LinkDetail struct {
	LinkState
	History []LinkPoint `json:"history"`
}

// ChangeHistory is the state-change history a source holds, as GET
// /api/v1/changes serves it and the availability reports read it.
type ChangeHistory struct {
	// Changes are in the order they were written, with the collectors'
	// life markers (KindCollector) among them: a reader sorts them by
	// Time, the write order telling it which of two changes of one
	// object came last when their times disagree.
	Changes []StateChange `json:"changes"`
	// Since is when the history is complete from: before it, changes may
	// be missing (the source started then, or dropped older ones).
	Since time.Time `json:"since"`
	// Until is the source's now when it was read.
	Until time.Time `json:"until"`
	// Live says the source ran without a break from Since to Until, its
	// own stop and start markers aside: a running collector's memory,
	// which keeps no heartbeat markers. Redis is not live: its readers
	// check the heartbeats.
	Live bool `json:"live"`
	// Links are the links' oper state at Until, for links whose state the
	// history never shows.
	Links map[string]string `json:"links,omitempty"`
}

// HistoryReader reads the state-change history: the memory sink, Redis,
// a collector's HTTP API.
type HistoryReader interface {
	History(ctx context.Context) (ChangeHistory, error)
}
