package bgp

import "github.com/tuyau-net/tuyau/bgp/hosting"

// HostingViewOf is HostingView over the local speaker and the other sites'
// speakers reached over their API, as "tuyau bgp serve" runs the failover.
func HostingViewOf(local *Speaker, remote ...*Client) hosting.View {
	v := hostingView{local}
	for _, c := range remote {
		v = append(v, c)
	}
	return v
}
