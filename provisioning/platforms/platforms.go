package platforms

import _ "embed"

//go:embed frr_vtysh.yaml
var frrVtysh []byte

// FRRVtysh returns the scrapligo platform definition for FRR's vtysh as
// YAML, ready for platform.NewPlatform. Its configuration privilege level
// matches every sub-mode prompt (config-router, config-if,
// config-router-af), which scrapligo's cumulus_vtysh does not.
//
// A fresh copy is returned each time so callers cannot alter the embedded
// definition.
func FRRVtysh() []byte {
	return append([]byte(nil), frrVtysh...)
}
