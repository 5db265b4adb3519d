// Package interop tests the gNMI transport of provisioning end to end
// (plan, Set, Get, plan again) with a corpus of tricky values, against the
// testlab target and against a target tuyau did not write: openconfig's
// ygot, with its generated OpenConfig structs (ygot/exampleoc), holding
// the device's tree, decoding and validating every Set and encoding every
// Get (RFC 7951).
//
// openconfig's fake agent (gnmi/testing/fake) only answers Subscribe, so
// it cannot take a Set. The package has tests only: exampleoc takes about
// 90 s and 3.5 GB to compile once, which no production binary should pay.
//
//	go test ./provisioning/gnmiset/interop/
package interop
