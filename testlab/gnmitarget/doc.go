// Package gnmitarget is the gNMI target of a testlab virtual device: a
// gRPC server answering Capabilities, Get, Set and Subscribe on an
// OpenConfig subset, over a small Backend that the device implements on
// its running config and link model.
//
// The server owns the protocol: path parsing, wildcards and prefixes,
// encodings (JSON, JSON_IETF, PROTO), validation of Set against the
// writable schema (WritablePaths, CreatableLists), ONCE, POLL and STREAM
// subscriptions (SAMPLE, ON_CHANGE, TARGET_DEFINED, heartbeats,
// suppress_redundant, updates_only), the commit confirmed extension (a Set
// rolled back unless confirmed in time), TLS and username/password
// metadata.
// The backend only reports leaves, applies a validated change set all or
// nothing, and signals changes:
//
//	ca, _ := gnmitarget.NewLabCA("manche", time.Now(), 30*24*time.Hour)
//	_ = ca.WriteFiles(filepath.Join(dir, "ca.pem"), filepath.Join(dir, "ca.key"))
//	cert, _ := ca.Issue("r1", []net.IP{net.ParseIP("127.1.0.1")}, time.Now())
//
//	dev, _ := gnmitarget.NewMemBackend(
//		gnmitarget.Leaf{Path: gnmitarget.InterfacePath("eth1", "config/mtu"), Value: uint16(1500)},
//		gnmitarget.Leaf{Path: gnmitarget.InterfacePath("eth1", "state/oper-status"), Value: "UP"},
//	)
//	srv := gnmitarget.New(dev, gnmitarget.WithTLS(cert),
//		gnmitarget.WithCredentials("admin", os.Getenv("TUYAU_LAB_PASSWORD")),
//		gnmitarget.WithName("r1"))
//	lis, _ := net.Listen("tcp", "127.1.0.1:57400")
//	go srv.Serve(ctx, lis) // returns when ctx is done
//
//	_ = dev.Set(gnmitarget.InterfacePath("eth1", "state/oper-status"), "DOWN") // ON_CHANGE subscribers see it
//
// A device that keeps its own structs (the testlab virtual device keeps an
// FRR running config and a link model) implements Backend in three parts,
// shown in full by ExampleDeviceView:
//
//   - State fills a DeviceView (interfaces with counters, status, addresses
//     and optics; BGP neighbors with session state) and returns its Leaves.
//   - Apply decodes each Change with DecodeChange into an Edit (interface
//     description, mtu, enabled, IPv4 address; neighbor peer-as,
//     description, enabled, removal), applies them in order to a copy of
//     its config and swaps the copy in only if every edit succeeded.
//   - Watch comes from an embedded Notifier; the device calls its Notify
//     after any change the surfaces show: config applied from any surface,
//     a link cut, a session going down.
//
// Leaves carry Go types that stand for the YANG types (uint64 counters,
// uint16 mtu, float64 dBm); DeviceView gets them right.
package gnmitarget
