package gnmitarget

import (
	"fmt"

	gpb "github.com/openconfig/gnmi/proto/gnmi"
)

// modelSet is a set of Models, one bit per entry of Models.
type modelSet uint16

// allModels is every model this target serves: no use_models given.
var allModels = modelSet(1)<<len(Models) - 1

func modelBit(name string) modelSet {
	for i, m := range Models {
		if m.Name == name {
			return 1 << i
		}
	}
	panic("gnmitarget: model " + name + " is not in Models")
}

var (
	mInterfaces  = modelBit("openconfig-interfaces")
	mIfIP        = modelBit("openconfig-if-ip")
	mPlatform    = modelBit("openconfig-platform")
	mTransceiver = modelBit("openconfig-platform-transceiver")
	mNetInst     = modelBit("openconfig-network-instance")
	mBGP         = modelBit("openconfig-bgp")
)

// leafModels is the set of models that define a leaf: the module of the
// tree it is in, or of the augment it comes from (openconfig-if-ip's ipv4
// under a subinterface, openconfig-platform-transceiver's transceiver under
// a component and its leaf under an interface's state). BGP data is
// defined by openconfig-bgp's groupings, used in openconfig-network-instance:
// either model selects it.
func leafModels(p Path) modelSet {
	if len(p) == 0 {
		return 0
	}
	has := func(name string) bool {
		for _, e := range p {
			if e.Name == name {
				return true
			}
		}
		return false
	}
	switch p[0].Name {
	case "interfaces":
		switch {
		case has("ipv4"), has("ipv6"):
			return mIfIP
		case p[len(p)-1].Name == "transceiver":
			return mTransceiver
		}
		return mInterfaces
	case "components":
		if has("transceiver") {
			return mTransceiver
		}
		return mPlatform
	case "network-instances":
		if has("bgp") {
			return mNetInst | mBGP
		}
		return mNetInst
	}
	return 0
}

// useModels reads a request's use_models. Every model asked for must be
// one this target serves (by name, and by organization and version when
// given), else the request fails as gNMI asks for an unsupported one:
// Unimplemented, naming it.
func useModels(req []*gpb.ModelData) (modelSet, error) {
	if len(req) == 0 {
		return allModels, nil
	}
	var set modelSet
	for _, want := range req {
		found := false
		for i, m := range Models {
			if want.GetName() != m.Name {
				continue
			}
			if o := want.GetOrganization(); o != "" && o != m.Organization {
				return 0, fmt.Errorf("model %s of organization %q is not supported (this target serves %s of %q)", want.GetName(), o, m.Name, m.Organization)
			}
			if v := want.GetVersion(); v != "" && v != m.Version {
				return 0, fmt.Errorf("model %s version %s is not supported (this target serves version %s)", want.GetName(), v, m.Version)
			}
			set |= 1 << i
			found = true
		}
		if !found {
			return 0, fmt.Errorf("model %q is not supported (see Capabilities)", want.GetName())
		}
	}
	return set, nil
}

// inModels keeps the leaves defined by a model of set.
func inModels(state []parsedLeaf, set modelSet) []parsedLeaf {
	if set == allModels {
		return state
	}
	out := make([]parsedLeaf, 0, len(state))
	for _, l := range state {
		if l.models&set != 0 {
			out = append(out, l)
		}
	}
	return out
}
