// Package netboxsim is an in-memory NetBox 4.0 REST API for tests, labs and
// benchmarks: it serves the endpoints tuyau uses with NetBox's real shapes
// (brief nested objects, choice fields as {value, label}, limit/offset
// pagination), token auth, NetBox-style validation errors, and injectable
// latency and failures.
//
//	sim := netboxsim.New(netboxsim.Options{Tokens: []string{"t0ken"}})
//	srv := httptest.NewServer(sim)
//	defer srv.Close()
//	sim.FailWritesAfter(100) // NetBox dies in the middle of a push
//
//go:generate python3 gen_defaults.py
package netboxsim
