// Package platforms embeds the scrapligo platform definitions tuyau needs
// and scrapligo does not ship correctly, starting with FRR's vtysh.
//
//	p, err := platform.NewPlatform(platforms.FRRVtysh(), "127.16.0.1",
//		options.WithPort(20000), options.WithAuthUsername("admin"),
//		options.WithAuthPassword(pw), options.WithSSHKnownHostsFile(kh))
//	d, err := p.GetNetworkDriver()
//	err = d.Open()
//	r, err := d.SendCommand("show bgp summary json")
package platforms
