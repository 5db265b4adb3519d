package telemetry

import "time"

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
