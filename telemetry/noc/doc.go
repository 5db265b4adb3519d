// Package noc is the terminal NOC dashboard (`tuyau noc`): active alarms
// with their correlated children folded, the worst links, the targets'
// health and the BGP and hosting state, read from a sink (a collector's
// HTTP API or Redis), never from a collector's memory.
//
//	src := telemetry.NewHTTPReader("http://127.0.0.1:9378")
//	m := noc.New(ctx, noc.Options{Source: src, Acker: src, Inventory: snap})
//	_, err := tea.NewProgram(m, tea.WithAltScreen(), tea.WithContext(ctx)).Run()
//
//	// or one plain frame, for scripts:
//	err := noc.Once(ctx, os.Stdout, noc.Options{Source: src, Width: 100})
package noc
