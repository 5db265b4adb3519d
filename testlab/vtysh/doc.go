// Package vtysh is FRR's vtysh dialect as a library: a command
// interpreter over a typed running configuration, used by the testlab
// virtual devices' CLI and to read whole FRR configurations.
//
//	run := vtysh.NewRunning(vtysh.NewGrammar(), vtysh.NewConfig("r1"), onChange)
//	s := vtysh.NewSession(run, host) // host answers show commands
//	s.Exec(ctx, "configure terminal")
//	s.Exec(ctx, "router bgp 65000")    // prompt: r1(config-router)#
//	out := s.Exec(ctx, "neighbour 10.0.0.1 remote-as 1")
//	// out == "% Unknown command: neighbour 10.0.0.1 remote-as 1\n"
//
//	cfg, err := vtysh.Parse(frrConf) // frr.conf or show running-config
//	text := cfg.Text()               // reads back to the same Config
package vtysh
