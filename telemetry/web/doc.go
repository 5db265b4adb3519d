// Package web is the live web NOC (`tuyau web`): a map of the sites and
// cables coloured by state and utilization, the alarm list with
// acknowledgement, a page per link and per member site, kept live over
// Server-Sent Events. It reads a sink (a collector's HTTP API or Redis),
// never a collector's memory, and every asset is embedded: no internet at
// run time.
//
//	src := telemetry.NewHTTPReader("http://127.0.0.1:9378")
//	h, err := web.New(web.Options{Source: src, Acker: src, Inventory: snap})
//	go h.Run(ctx) // reads the sink and feeds the event streams
//	err = http.ListenAndServe("127.0.0.1:9380", h)
package web
