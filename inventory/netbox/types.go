package netbox

import (
	"encoding/json"
	"fmt"
	"strconv"
)

// These types decode what NetBox 4.0 really sends. Related objects come in
// their brief form (NetBox's brief_fields), which go-netbox v4.0.3-0's
// response models reject because they declare full objects there
// (netbox-community/netbox#16419, go-netbox #182 and #192).

// Brief is a related object in brief form. Every brief object has id, url
// and display; most have name/slug/description; the rest are in the
// kind-specific brief types below.
type Brief struct {
	ID          int    `json:"id"`
	URL         string `json:"url"`
	Display     string `json:"display"`
	Name        string `json:"name"`
	Slug        string `json:"slug"`
	Description string `json:"description"`
}

// Choice is a choice field: {"value": "active", "label": "Active"}. Some
// values are numbers (an IP family), kept here as text.
type Choice struct {
	Value ChoiceValue `json:"value"`
	Label string      `json:"label"`
}

// ChoiceValue is a choice's value, string or number on the wire.
type ChoiceValue string

// UnmarshalJSON accepts "active" and 4 alike.
func (v *ChoiceValue) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*v = ChoiceValue(s)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return err
	}
	*v = ChoiceValue(n.String())
	return nil
}

func valueOf(c *Choice) string {
	if c == nil {
		return ""
	}
	return string(c.Value)
}

// BriefCable is a cable inside a port or termination.
type BriefCable struct {
	ID          int    `json:"id"`
	URL         string `json:"url"`
	Display     string `json:"display"`
	Label       string `json:"label"`
	Description string `json:"description"`
}

// BriefPort is an interface, front port or rear port in brief form.
type BriefPort struct {
	ID          int         `json:"id"`
	URL         string      `json:"url"`
	Display     string      `json:"display"`
	Device      Brief       `json:"device"`
	Name        string      `json:"name"`
	Description string      `json:"description"`
	Cable       *BriefCable `json:"cable"`
	Occupied    bool        `json:"_occupied"`
}

// BriefCircuit is a circuit in brief form.
type BriefCircuit struct {
	ID          int    `json:"id"`
	URL         string `json:"url"`
	Display     string `json:"display"`
	CID         string `json:"cid"`
	Description string `json:"description"`
}

// BriefCircuitTermination is a circuit termination in brief form.
type BriefCircuitTermination struct {
	ID          int          `json:"id"`
	URL         string       `json:"url"`
	Display     string       `json:"display"`
	Circuit     BriefCircuit `json:"circuit"`
	TermSide    string       `json:"term_side"`
	Description string       `json:"description"`
	Cable       *BriefCable  `json:"cable"`
	Occupied    bool         `json:"_occupied"`
}

// BriefIP is an IP address in brief form (a device's primary_ip4).
type BriefIP struct {
	ID          int    `json:"id"`
	URL         string `json:"url"`
	Display     string `json:"display"`
	Family      Choice `json:"family"`
	Address     string `json:"address"`
	Description string `json:"description"`
}

// CustomFields holds custom field values as NetBox sends them: every
// defined field, null when unset.
type CustomFields map[string]json.RawMessage

func (cf CustomFields) text(name string) string {
	var s string
	_ = json.Unmarshal(cf[name], &s)
	return s
}

func (cf CustomFields) integer(name string) (int64, bool) {
	var n *json.Number
	if json.Unmarshal(cf[name], &n) != nil || n == nil {
		return 0, false
	}
	v, err := strconv.ParseInt(n.String(), 10, 64)
	return v, err == nil
}

// decimal reads a decimal custom field, sent as a JSON number or, as
// NetBox's DecimalField may serialize it, a string.
func (cf CustomFields) decimal(name string) (float64, bool) {
	raw := cf[name]
	if len(raw) > 1 && raw[0] == '"' {
		raw = raw[1 : len(raw)-1]
	}
	v, err := strconv.ParseFloat(string(raw), 64)
	return v, err == nil
}

func (cf CustomFields) boolean(name string) bool {
	var b bool
	_ = json.Unmarshal(cf[name], &b)
	return b
}

// Region is dcim.region.
type Region struct {
	ID          int          `json:"id"`
	Name        string       `json:"name"`
	Slug        string       `json:"slug"`
	Description string       `json:"description"`
	Parent      *Brief       `json:"parent"`
	Custom      CustomFields `json:"custom_fields"`
	Tags        []Brief      `json:"tags"`
}

// Site is dcim.site.
type Site struct {
	ID              int          `json:"id"`
	Name            string       `json:"name"`
	Slug            string       `json:"slug"`
	Status          *Choice      `json:"status"`
	Region          *Brief       `json:"region"`
	Facility        string       `json:"facility"`
	PhysicalAddress string       `json:"physical_address"`
	Latitude        *float64     `json:"latitude"`
	Longitude       *float64     `json:"longitude"`
	Description     string       `json:"description"`
	ASNs            []BriefASN   `json:"asns"`
	Custom          CustomFields `json:"custom_fields"`
	Tags            []Brief      `json:"tags"`
}

// BriefASN is an ASN in brief form (a site's asns).
type BriefASN struct {
	ID  int   `json:"id"`
	ASN int64 `json:"asn"`
}

// Location is dcim.location: a room or building inside a site. Its parent
// is a brief location (with _depth), its site a brief site.
type Location struct {
	ID          int          `json:"id"`
	Name        string       `json:"name"`
	Slug        string       `json:"slug"`
	Site        Brief        `json:"site"`
	Parent      *Brief       `json:"parent"`
	Status      *Choice      `json:"status"`
	Description string       `json:"description"`
	Custom      CustomFields `json:"custom_fields"`
	Tags        []Brief      `json:"tags"`
}

// Device is dcim.device (with config context).
type Device struct {
	ID               int             `json:"id"`
	Name             *string         `json:"name"`
	DeviceType       Brief           `json:"device_type"`
	Role             Brief           `json:"role"`
	Platform         *Brief          `json:"platform"`
	Site             Brief           `json:"site"`
	Location         *Brief          `json:"location"`
	Status           *Choice         `json:"status"`
	PrimaryIP4       *BriefIP        `json:"primary_ip4"`
	PrimaryIP6       *BriefIP        `json:"primary_ip6"`
	LocalContextData json.RawMessage `json:"local_context_data"`
	Custom           CustomFields    `json:"custom_fields"`
	Tags             []Brief         `json:"tags"`
}

// Interface is dcim.interface.
type Interface struct {
	ID          int          `json:"id"`
	Device      Brief        `json:"device"`
	Name        string       `json:"name"`
	Type        *Choice      `json:"type"`
	Enabled     bool         `json:"enabled"`
	MTU         *int         `json:"mtu"`
	Speed       *int64       `json:"speed"` // Kbit/s
	MgmtOnly    bool         `json:"mgmt_only"`
	Description string       `json:"description"`
	Cable       *BriefCable  `json:"cable"`
	CableEnd    string       `json:"cable_end"`
	Custom      CustomFields `json:"custom_fields"`
	Tags        []Brief      `json:"tags"`
}

// FrontPort is dcim.frontport.
type FrontPort struct {
	ID               int     `json:"id"`
	Device           Brief   `json:"device"`
	Name             string  `json:"name"`
	Type             *Choice `json:"type"`
	RearPort         Brief   `json:"rear_port"`
	RearPortPosition int     `json:"rear_port_position"`
	// RearPorts are NetBox 4.5's port mappings, which replace RearPort
	// and RearPortPosition there.
	RearPorts []PortMapping `json:"rear_ports"`
	Cable     *BriefCable   `json:"cable"`
	Custom    CustomFields  `json:"custom_fields"`
	Tags      []Brief       `json:"tags"`
}

// RearPort is dcim.rearport.
type RearPort struct {
	ID        int          `json:"id"`
	Device    Brief        `json:"device"`
	Name      string       `json:"name"`
	Type      *Choice      `json:"type"`
	Positions int          `json:"positions"`
	Cable     *BriefCable  `json:"cable"`
	Custom    CustomFields `json:"custom_fields"`
	Tags      []Brief      `json:"tags"`
}

// CableTermination is one entry of a cable's a_terminations or b_terminations.
type CableTermination struct {
	ObjectType string          `json:"object_type"`
	ObjectID   int             `json:"object_id"`
	Object     json.RawMessage `json:"object"`
}

// Cable is dcim.cable. Its type is a plain string, not a choice object.
type Cable struct {
	ID            int                `json:"id"`
	Type          string             `json:"type"`
	ATerminations []CableTermination `json:"a_terminations"`
	BTerminations []CableTermination `json:"b_terminations"`
	Status        *Choice            `json:"status"`
	Label         string             `json:"label"`
	Color         string             `json:"color"`
	Length        *float64           `json:"length"`
	LengthUnit    *Choice            `json:"length_unit"`
	Description   string             `json:"description"`
	Custom        CustomFields       `json:"custom_fields"`
	Tags          []Brief            `json:"tags"`
}

// Provider is circuits.provider.
type Provider struct {
	ID   int    `json:"id"`
	Name string `json:"name"`
	Slug string `json:"slug"`
}

// Circuit is circuits.circuit.
type Circuit struct {
	ID          int          `json:"id"`
	CID         string       `json:"cid"`
	Provider    Brief        `json:"provider"`
	Type        Brief        `json:"type"`
	Status      *Choice      `json:"status"`
	CommitRate  *int64       `json:"commit_rate"` // Kbit/s
	Description string       `json:"description"`
	Custom      CustomFields `json:"custom_fields"`
	Tags        []Brief      `json:"tags"`
}

// CircuitTermination is circuits.circuittermination.
type CircuitTermination struct {
	ID       int          `json:"id"`
	Circuit  BriefCircuit `json:"circuit"`
	TermSide string       `json:"term_side"`
	// Site is NetBox 4.0/4.1's; 4.2 has TerminationType ("dcim.site"),
	// TerminationID and Termination (a brief site) instead.
	Site            *Brief       `json:"site"`
	TerminationType *string      `json:"termination_type"`
	TerminationID   *int         `json:"termination_id"`
	Termination     *Brief       `json:"termination"`
	PortSpeed       *int64       `json:"port_speed"`
	Description     string       `json:"description"`
	Cable           *BriefCable  `json:"cable"`
	Custom          CustomFields `json:"custom_fields"`
	Tags            []Brief      `json:"tags"`
}

// IPAddress is ipam.ipaddress.
type IPAddress struct {
	ID                 int          `json:"id"`
	Address            string       `json:"address"`
	Family             *Choice      `json:"family"`
	Status             *Choice      `json:"status"`
	Role               *Choice      `json:"role"`
	AssignedObjectType *string      `json:"assigned_object_type"`
	AssignedObjectID   *int         `json:"assigned_object_id"`
	AssignedObject     *BriefPort   `json:"assigned_object"`
	Description        string       `json:"description"`
	Custom             CustomFields `json:"custom_fields"`
	Tags               []Brief      `json:"tags"`
}

// Prefix is ipam.prefix.
type Prefix struct {
	ID     int    `json:"id"`
	Prefix string `json:"prefix"`
	// Site is NetBox 4.0/4.1's; 4.2 has ScopeType, ScopeID and Scope.
	Site        *Brief       `json:"site"`
	ScopeType   *string      `json:"scope_type"`
	ScopeID     *int         `json:"scope_id"`
	Scope       *Brief       `json:"scope"`
	Role        *Brief       `json:"role"`
	Status      *Choice      `json:"status"`
	Description string       `json:"description"`
	Custom      CustomFields `json:"custom_fields"`
	Tags        []Brief      `json:"tags"`
}

// ASN is ipam.asn.
type ASN struct {
	ID          int          `json:"id"`
	ASN         int64        `json:"asn"`
	RIR         *Brief       `json:"rir"`
	Description string       `json:"description"`
	Custom      CustomFields `json:"custom_fields"`
	Tags        []Brief      `json:"tags"`
}

// ConfigContext is extras.configcontext.
type ConfigContext struct {
	ID          int             `json:"id"`
	Name        string          `json:"name"`
	Weight      int             `json:"weight"`
	Description string          `json:"description"`
	IsActive    bool            `json:"is_active"`
	Sites       []Brief         `json:"sites"`
	Data        json.RawMessage `json:"data"`
}

// CustomField is extras.customfield.
type CustomField struct {
	ID          int      `json:"id"`
	Name        string   `json:"name"`
	ObjectTypes []string `json:"object_types"`
	Type        *Choice  `json:"type"`
}

// Slugged is any organizational object read for its id and slug: device
// roles, platforms, manufacturers, device types, circuit types, IPAM roles, RIRs.
type Slugged struct {
	ID   int    `json:"id"`
	Name string `json:"name"`
	Slug string `json:"slug"`
}

func (o Region) objectID() int             { return o.ID }
func (o Site) objectID() int               { return o.ID }
func (o Location) objectID() int           { return o.ID }
func (o Device) objectID() int             { return o.ID }
func (o Interface) objectID() int          { return o.ID }
func (o FrontPort) objectID() int          { return o.ID }
func (o RearPort) objectID() int           { return o.ID }
func (o Cable) objectID() int              { return o.ID }
func (o Provider) objectID() int           { return o.ID }
func (o Circuit) objectID() int            { return o.ID }
func (o CircuitTermination) objectID() int { return o.ID }
func (o IPAddress) objectID() int          { return o.ID }
func (o Prefix) objectID() int             { return o.ID }
func (o ASN) objectID() int                { return o.ID }
func (o ConfigContext) objectID() int      { return o.ID }
func (o CustomField) objectID() int        { return o.ID }
func (o Slugged) objectID() int            { return o.ID }

// siteOf is the site a 4.0 site field or a 4.2 scope names.
func siteOf(site *Brief, scopeType *string, scope *Brief) *Brief {
	if site != nil {
		return site
	}
	if scopeType != nil && *scopeType == "dcim.site" {
		return scope
	}
	return nil
}

// PortMapping is one of a NetBox 4.5 front port's rear_ports: its
// position Position carries the rear port's position RearPortPosition.
type PortMapping struct {
	Position         int   `json:"position"`
	RearPort         refID `json:"rear_port"`
	RearPortPosition int   `json:"rear_port_position"`
}

// refID is a reference NetBox sends as an id or as a brief object.
type refID int

func (r *refID) UnmarshalJSON(b []byte) error {
	var n int
	if err := json.Unmarshal(b, &n); err == nil {
		*r = refID(n)
		return nil
	}
	var o struct {
		ID int `json:"id"`
	}
	if err := json.Unmarshal(b, &o); err != nil {
		return fmt.Errorf("reference %s: want an id or an object with one: %w", b, err)
	}
	*r = refID(o.ID)
	return nil
}
