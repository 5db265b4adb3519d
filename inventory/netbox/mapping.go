package netbox

import (
	"strings"

	gonetbox "github.com/netbox-community/go-netbox/v4"

	"github.com/tuyau-net/tuyau/inventory"
)

// What NetBox has no native object for is kept in custom fields, in a
// device's local config context and in config contexts; docs/netbox.md
// documents the mapping. The names are part of the contract with a NetBox
// admin: changing one orphans data already written.
const (
	cfSiteRole       = "tuyau_site_role"
	cfASN            = "tuyau_asn"
	cfLoopback       = "tuyau_loopback"
	cfLoopback6      = "tuyau_loopback6"
	cfTransports     = "tuyau_transports"
	cfRouteReflector = "tuyau_route_reflector"
	cfTransceiver    = "tuyau_transceiver"
	cfStrands        = "tuyau_strands"
	cfSRLGs          = "tuyau_srlgs"
	cfSplices        = "tuyau_splices"
	cfConnectors     = "tuyau_connectors"
	cfAttenuator     = "tuyau_attenuator_db"
	cfCircuitDevice  = "tuyau_device"
	cfCircuitIface   = "tuyau_interface"
	cfASNName        = "tuyau_asn_name"

	// localBGPKey holds a device's BGP sessions in its local config context.
	localBGPKey = "tuyau_bgp_sessions"
	// networkContext is the config context holding the network's name and ASN.
	networkContext = "tuyau-network"
	networkKey     = "tuyau_network"
	// servicePrefix names one config context per hosting service, assigned
	// to the sites that announce it; its data is under servicesKey.
	servicePrefix = "tuyau-service-"
	servicesKey   = "tuyau_services"

	// panelRole is the device role of patch panels; they are devices in NetBox.
	panelRole = "patch-panel"
	// mgmtInterface carries a device's management address (mgmt_only), so
	// that it can be the device's primary IP as NetBox requires.
	mgmtInterface = "mgmt0"

	manufacturerSlug = "generic"
	routerType       = "tuyau-router"
	panelType        = "tuyau-patch-panel"
	rirSlug          = "tuyau"
	circuitTypeNone  = "unspecified"
)

// CustomFieldSpec is one custom field tuyau needs in NetBox.
type CustomFieldSpec struct {
	Name        string
	Type        gonetbox.PatchedWritableCustomFieldRequestType
	ObjectTypes []string
	Description string
}

// RequiredCustomFields lists the custom fields `tuyau netbox bootstrap` creates.
func RequiredCustomFields() []CustomFieldSpec {
	return []CustomFieldSpec{
		{cfSiteRole, gonetbox.PATCHEDWRITABLECUSTOMFIELDREQUESTTYPE_TEXT, []string{"dcim.site"}, "tuyau site role: core, aggregation or member"},
		{cfASN, gonetbox.PATCHEDWRITABLECUSTOMFIELDREQUESTTYPE_INTEGER, []string{"dcim.device"}, "BGP autonomous system of the router"},
		{cfLoopback, gonetbox.PATCHEDWRITABLECUSTOMFIELDREQUESTTYPE_TEXT, []string{"dcim.device"}, "IPv4 loopback (router id)"},
		{cfLoopback6, gonetbox.PATCHEDWRITABLECUSTOMFIELDREQUESTTYPE_TEXT, []string{"dcim.device"}, "IPv6 loopback"},
		{cfTransports, gonetbox.PATCHEDWRITABLECUSTOMFIELDREQUESTTYPE_JSON, []string{"dcim.device"}, "management transports, in order: [\"ssh\", \"gnmi\"]"},
		{cfRouteReflector, gonetbox.PATCHEDWRITABLECUSTOMFIELDREQUESTTYPE_BOOLEAN, []string{"dcim.device"}, "iBGP route reflector"},
		{cfTransceiver, gonetbox.PATCHEDWRITABLECUSTOMFIELDREQUESTTYPE_TEXT, []string{"dcim.interface"}, "optic type, as in the optics table: 10GBASE-LR..."},
		{cfStrands, gonetbox.PATCHEDWRITABLECUSTOMFIELDREQUESTTYPE_INTEGER, []string{"dcim.cable"}, "fiber strands in the cable"},
		{cfSRLGs, gonetbox.PATCHEDWRITABLECUSTOMFIELDREQUESTTYPE_JSON, []string{"dcim.cable"}, "shared-risk groups (ducts, trenches, bridges): [\"duct-a\"]"},
		{cfSplices, gonetbox.PATCHEDWRITABLECUSTOMFIELDREQUESTTYPE_INTEGER, []string{"dcim.cable"}, "fusion splices along the cable"},
		{cfConnectors, gonetbox.PATCHEDWRITABLECUSTOMFIELDREQUESTTYPE_INTEGER, []string{"dcim.cable"}, "mated connector pairs along the cable"},
		{cfAttenuator, gonetbox.PATCHEDWRITABLECUSTOMFIELDREQUESTTYPE_DECIMAL, []string{"dcim.cable"}, "inline fixed attenuator on the cable, dB"},
		{cfCircuitDevice, gonetbox.PATCHEDWRITABLECUSTOMFIELDREQUESTTYPE_TEXT, []string{"circuits.circuittermination"}, "device the circuit is handed over on"},
		{cfCircuitIface, gonetbox.PATCHEDWRITABLECUSTOMFIELDREQUESTTYPE_TEXT, []string{"circuits.circuittermination"}, "interface the circuit is handed over on"},
		{cfASNName, gonetbox.PATCHEDWRITABLECUSTOMFIELDREQUESTTYPE_TEXT, []string{"ipam.asn"}, "name of the autonomous system"},
	}
}

// interfaceType picks a NetBox interface type from what the inventory knows.
func interfaceType(i inventory.Interface) gonetbox.InterfaceTypeValue {
	switch {
	case i.Name == "lo" || strings.HasPrefix(i.Name, "lo") && i.Speed == 0:
		return gonetbox.INTERFACETYPEVALUE_VIRTUAL
	case i.Speed >= 400000:
		return gonetbox.INTERFACETYPEVALUE__400GBASE_X_QSFPDD
	case i.Speed >= 100000:
		return gonetbox.INTERFACETYPEVALUE__100GBASE_X_QSFP28
	case i.Speed >= 40000:
		return gonetbox.INTERFACETYPEVALUE__40GBASE_X_QSFPP
	case i.Speed >= 25000:
		return gonetbox.INTERFACETYPEVALUE__25GBASE_X_SFP28
	case i.Speed >= 10000:
		return gonetbox.INTERFACETYPEVALUE__10GBASE_X_SFPP
	case i.Speed >= 1000:
		return gonetbox.INTERFACETYPEVALUE__1000BASE_X_SFP
	case i.Speed > 0:
		return gonetbox.INTERFACETYPEVALUE__100BASE_TX
	}
	return gonetbox.INTERFACETYPEVALUE_OTHER
}

func slugify(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		switch {
		case r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_':
			b.WriteRune(r)
			dash = false
		case !dash && b.Len() > 0:
			b.WriteByte('-')
			dash = true
		}
	}
	return strings.TrimSuffix(b.String(), "-")
}
