package prom

import "github.com/prometheus/client_golang/prometheus"

// Label sets. An interface series names its device, interface and site,
// the link it carries and the far end of that link (empty device and
// interface for a transit circuit, whose far end is the circuit's site).
// A link series names the link and the sites of its two ends; the rest of
// what is known of a link is in tuyau_link_info, to join on link.
var (
	endLabels    = []string{"device", "interface", "site", "link", "remote_device", "remote_interface", "remote_site"}
	linkLabels   = []string{"link", "a_site", "b_site"}
	targetLabels = []string{"target"}
	sinkLabels   = []string{"sink"}
	// infoLabels are tuyau_link_info's.
	infoLabels = []string{"link", "a_device", "a_interface", "a_site", "b_device", "b_interface", "b_site", "cables", "ducts", "external"}

	// The same, with the order their series' label pairs are kept in
	// (series.go).
	endNames  = newLabelNames(endLabels...)
	linkNames = newLabelNames(linkLabels...)
	infoNames = newLabelNames(infoLabels...)
)

// operStates are the values of the oper-state state sets: exactly one
// series of each interface and link is 1. They are in the order a state
// set's series sort in, which is the order they are sent in (series.go).
var operStates = []string{"down", "unknown", "up"}

// severities are published in full for tuyau_alarms_active, so that a
// severity with no alarm reads 0 rather than nothing.
var severities = []string{"critical", "major", "minor", "warning", "info"}

// descs are every metric the exporter publishes, described once.
type descs struct {
	// Interfaces (the device ends of inventory links).
	rxBytes, txBytes, rxPkts, txPkts          *prometheus.Desc
	rxErrors, txErrors, rxDiscards, txDiscard *prometheus.Desc
	counterResets                             *prometheus.Desc
	ifOper, rxPower, txPower, ifUpdated       *prometheus.Desc

	// Links.
	linkInfo, linkOper, utilization, speed *prometheus.Desc
	linkRx, expectedRx, sensitivity        *prometheus.Desc
	rxMargin, deviation, budgetMargin      *prometheus.Desc
	worstMargin, excessLoss, loss, drift   *prometheus.Desc

	// Targets.
	targetUp, targetInfo, updates, reconnects        *prometheus.Desc
	expected, received, missed, lastUpdate, lastMove *prometheus.Desc
	delay                                            *prometheus.Desc

	// Alarms.
	alarmsActive, alarmsByRule, alarmsUnacked *prometheus.Desc

	// Sinks and the collector itself.
	sinkUp, sinkBuffer, sinkBudget, sinkEvents, sinkQueued       *prometheus.Desc
	sinkDropped, sinkErrors, sinkFence, sinkWritten, sinkFlushes *prometheus.Desc
	ignored, flushes, lastFlush                                  *prometheus.Desc
}

func newDescs() *descs {
	d := func(name, help string, labels []string) *prometheus.Desc {
		return prometheus.NewDesc(name, help, labels, nil)
	}
	withState := append(append([]string(nil), endLabels...), stateLabel)
	linkState := append(append([]string(nil), linkLabels...), stateLabel)
	return &descs{
		rxBytes:       d("tuyau_interface_receive_bytes_total", "Octets received (the device's in-octets counter; resets when the device reboots).", endLabels),
		txBytes:       d("tuyau_interface_transmit_bytes_total", "Octets sent (the device's out-octets counter).", endLabels),
		rxPkts:        d("tuyau_interface_receive_packets_total", "Packets received (the device's in-pkts counter).", endLabels),
		txPkts:        d("tuyau_interface_transmit_packets_total", "Packets sent (the device's out-pkts counter).", endLabels),
		rxErrors:      d("tuyau_interface_receive_errors_total", "Receive errors (the device's in-errors counter).", endLabels),
		txErrors:      d("tuyau_interface_transmit_errors_total", "Transmit errors (the device's out-errors counter).", endLabels),
		rxDiscards:    d("tuyau_interface_receive_discards_total", "Packets discarded on receive (the device's in-discards counter).", endLabels),
		txDiscard:     d("tuyau_interface_transmit_discards_total", "Packets discarded on transmit (the device's out-discards counter).", endLabels),
		counterResets: d("tuyau_interface_resets_total", "Times the collector saw the interface's counters go back (a reboot, a clear) or wrap.", endLabels),
		ifOper:        d("tuyau_interface_oper_state", "Interface oper-status as a state set: 1 for the current state (up, down, unknown), 0 for the others.", withState),
		rxPower:       d("tuyau_interface_optical_rx_power_dbm", "Transceiver receive power of the worst channel, dBm.", endLabels),
		txPower:       d("tuyau_interface_optical_tx_power_dbm", "Transceiver launch power of the worst channel, dBm.", endLabels),
		ifUpdated:     d("tuyau_interface_last_update_timestamp_seconds", "Device timestamp of the interface's latest update, Unix seconds.", endLabels),

		linkInfo:     d("tuyau_link_info", "An inventory link: its ends, cables and ducts (shared-risk groups); always 1.", infoLabels),
		linkOper:     d("tuyau_link_oper_state", "Link state as a state set: up (both ends up), down (either end down), unknown.", linkState),
		utilization:  d("tuyau_link_utilization_ratio", "Worst direction of either end over the link speed, 0 to 1.", linkLabels),
		speed:        d("tuyau_link_speed_bytes", "Link speed from the inventory, bytes per second.", linkLabels),
		linkRx:       d("tuyau_link_rx_power_dbm", "Receive power of the end with the least margin left, dBm.", linkLabels),
		expectedRx:   d("tuyau_link_expected_rx_power_dbm", "Receive power the optical budget expects at worst-case launch power, dBm.", linkLabels),
		sensitivity:  d("tuyau_link_rx_sensitivity_dbm", "Receiver sensitivity of the budgeted end, dBm.", linkLabels),
		rxMargin:     d("tuyau_link_rx_margin_db", "Measured receive power minus receiver sensitivity, dB.", linkLabels),
		deviation:    d("tuyau_link_rx_deviation_db", "Measured receive power minus the budget's expected power, dB.", linkLabels),
		budgetMargin: d("tuyau_link_budget_margin_db", "Planned margin at worst-case launch power (expected minus sensitivity), dB.", linkLabels),
		worstMargin:  d("tuyau_link_worst_case_margin_db", "Planned margin left after the loss beyond plan: below 0 the link fails when the far transmitter ages to its worst case, dB. The rx-margin alarm tests this.", linkLabels),
		excessLoss:   d("tuyau_link_excess_loss_db", "Loss measured beyond the plan, dB.", linkLabels),
		loss:         d("tuyau_link_loss_db", "Span loss measured: the far end's launch power minus this end's receive power, dB.", linkLabels),
		drift:        d("tuyau_link_rx_drift_db", "Receive power minus its learned baseline, dB (negative: the fiber lost light).", linkLabels),

		targetUp:   d("tuyau_target_up", "1 when the collector's gNMI stream to the target is up, 0 otherwise.", targetLabels),
		targetInfo: d("tuyau_target_info", "A gNMI target: its address and the collector holding it; always 1.", []string{"target", "address", "collector"}),
		updates:    d("tuyau_target_updates_total", "Leaves received from the target since the collector started on it.", targetLabels),
		reconnects: d("tuyau_target_reconnects_total", "Times the stream to the target was established again after the first.", targetLabels),
		expected:   d("tuyau_target_expected_samples_total", "Samples the target's subscription promised (gap ledger).", targetLabels),
		received:   d("tuyau_target_received_samples_total", "Samples received against the promise (gap ledger).", targetLabels),
		missed:     d("tuyau_target_missed_samples_total", "Sample slots that passed without a sample (gap ledger gaps).", targetLabels),
		lastUpdate: d("tuyau_target_last_update_timestamp_seconds", "When the collector last received an update from the target, Unix seconds.", targetLabels),
		lastMove:   d("tuyau_target_last_change_timestamp_seconds", "When the target last connected or disconnected, Unix seconds.", targetLabels),
		delay:      d("tuyau_target_notification_delay_seconds", "Receive time minus the notification's timestamp (the device's clock: skew shows here too), per notification.", targetLabels),

		alarmsActive:  d("tuyau_alarms_active", "Active alarms by severity.", []string{"severity"}),
		alarmsByRule:  d("tuyau_alarms_active_by_rule", "Active alarms by rule (link-down, rx-margin, duct...) and severity; only the pairs with alarms.", []string{"rule", "severity"}),
		alarmsUnacked: d("tuyau_alarms_unacknowledged", "Active alarms nobody acknowledged, by severity.", []string{"severity"}),

		sinkUp:      d("tuyau_sink_up", "1 when the sink's last flush succeeded.", sinkLabels),
		sinkBuffer:  d("tuyau_sink_buffered_bytes", "Samples waiting for the sink, bytes (bounded by tuyau_sink_buffer_budget_bytes).", sinkLabels),
		sinkBudget:  d("tuyau_sink_buffer_budget_bytes", "Memory budget for samples waiting for the sink, bytes.", sinkLabels),
		sinkEvents:  d("tuyau_sink_buffered_event_bytes", "Alarms and state changes waiting for the sink, bytes (never dropped).", sinkLabels),
		sinkQueued:  d("tuyau_sink_buffered_events", "Alarms and state changes waiting for the sink.", sinkLabels),
		sinkDropped: d("tuyau_sink_dropped_samples_total", "Samples dropped because the buffer budget was full.", sinkLabels),
		sinkErrors:  d("tuyau_sink_write_errors_total", "Failed flushes and error replies.", sinkLabels),
		sinkFence:   d("tuyau_sink_fence_refusals_total", "Writes refused because their fencing token was stale.", sinkLabels),
		sinkWritten: d("tuyau_sink_written_objects_total", "Objects written to the sink.", sinkLabels),
		sinkFlushes: d("tuyau_sink_flushes_total", "Round trips to the sink.", sinkLabels),
		ignored:     d("tuyau_engine_ignored_updates_total", "Updates the engine had no use for (leaves it does not rate, unknown classes).", nil),
		flushes:     d("tuyau_collector_flushes_total", "Batches the collector handed its sinks.", nil),
		lastFlush:   d("tuyau_collector_last_flush_timestamp_seconds", "When the collector last handed its sinks a batch, Unix seconds.", nil),
	}
}

func (d *descs) all() []*prometheus.Desc {
	return []*prometheus.Desc{
		d.rxBytes, d.txBytes, d.rxPkts, d.txPkts, d.rxErrors, d.txErrors, d.rxDiscards, d.txDiscard,
		d.counterResets, d.ifOper, d.rxPower, d.txPower, d.ifUpdated,
		d.linkInfo, d.linkOper, d.utilization, d.speed, d.linkRx, d.expectedRx, d.sensitivity,
		d.rxMargin, d.deviation, d.budgetMargin, d.worstMargin, d.excessLoss, d.loss, d.drift,
		d.targetUp, d.targetInfo, d.updates, d.reconnects, d.expected, d.received, d.missed, d.lastUpdate, d.lastMove, d.delay,
		d.alarmsActive, d.alarmsByRule, d.alarmsUnacked,
		d.sinkUp, d.sinkBuffer, d.sinkBudget, d.sinkEvents, d.sinkQueued,
		d.sinkDropped, d.sinkErrors, d.sinkFence, d.sinkWritten, d.sinkFlushes,
		d.ignored, d.flushes, d.lastFlush,
	}
}
