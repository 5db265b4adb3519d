package telemetry

// EngineState is the engine's published state at one instant: every
// link as of the last Tick, every target's health as last reported and
// every alarm kept (active, and cleared within the retention). The
// Prometheus exporter reads it at each scrape, so that the links, targets
// and alarm counts of one scrape agree with each other.
type EngineState struct {
	Links   []LinkState
	Targets []TargetHealth
	Alarms  []Alarm
	// Ignored is Engine.Ignored at the same instant.
	Ignored uint64
	// LOSDBm is the rules' no-light level: a receive power at or below it
	// is loss of signal, and the link's margins are then not measured.
	LOSDBm float64
}

// State returns the links, targets and alarms under one lock.
func (e *Engine) State() EngineState {
	e.mu.Lock()
	defer e.mu.Unlock()
	st := EngineState{Links: make([]LinkState, 0, len(e.links)), Targets: make([]TargetHealth, 0, len(e.tgtList)),
		Alarms: e.alarms.list(), Ignored: e.ignored.Load(), LOSDBm: e.rules.Optics.LOSDBm}
	for _, l := range e.links {
		st.Links = append(st.Links, l.st)
	}
	for _, t := range e.tgtList {
		st.Targets = append(st.Targets, t.h)
	}
	return st
}

// OperOf reduces an interface's oper-status as the device reports it
// (UP, LOWER_LAYER_DOWN, openconfig-interfaces:UP...) to "up", "down" or
// "" when unknown, as the engine judges links.
func OperOf(s string) string { return operOf(s) }
