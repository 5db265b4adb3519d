package gnmitarget

// SetPaths returns the OpenConfig path prefixes a Set may change on this
// target ("*" for any key): what provisioning manages over gNMI against
// the virtual lab (tuyau config --lab --transport gnmi). Other leaves are
// state or not modelled here.
func SetPaths() []string {
	return []string{
		"/interfaces/interface[name=*]/config/description",
		"/interfaces/interface[name=*]/config/mtu",
		"/interfaces/interface[name=*]/config/enabled",
		"/interfaces/interface[name=*]/subinterfaces/subinterface[index=*]/ipv4/addresses/address[ip=*]/config/prefix-length",
		"/interfaces/interface[name=*]/subinterfaces/subinterface[index=*]/ipv6/addresses/address[ip=*]/config/prefix-length",
		"/network-instances/network-instance[name=default]/protocols/protocol[identifier=BGP][name=BGP]/bgp/neighbors/neighbor[neighbor-address=*]/config",
	}
}
