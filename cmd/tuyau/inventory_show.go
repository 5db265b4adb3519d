package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/tuyau-net/tuyau/inventory"
)

type showOpts struct{ Output string }

var showViews = []string{"summary", "sites", "devices", "cables", "circuits", "sessions", "services"}

func newInventoryShowCmd(d *deps) *cobra.Command {
	var o showOpts
	c := &cobra.Command{
		Use:   "show [" + strings.Join(showViews, "|") + "]",
		Short: "Show the inventory: a summary or one kind of object",
		Example: `  tuyau inventory show -i examples/manche
  tuyau inventory show cables -i examples/manche
  tuyau inventory show devices -o json -i examples/manche`,
		Args:      cobra.MaximumNArgs(1),
		ValidArgs: showViews,
		RunE: func(c *cobra.Command, args []string) error {
			view := "summary"
			if len(args) == 1 {
				view = args[0]
			}
			return runShow(c.Context(), d, o, view)
		},
	}
	c.Flags().StringVarP(&o.Output, "output", "o", "table", "table|json|yaml")
	return c
}

func runShow(ctx context.Context, d *deps, o showOpts, view string) error {
	if err := checkFormat(o.Output, "table", "json", "yaml"); err != nil {
		return err
	}
	if err := checkFormat(view, showViews...); err != nil {
		return fmt.Errorf("unknown view %q (want one of %v)", view, showViews)
	}
	snap, err := d.loadInventory(ctx)
	if err != nil {
		return err
	}
	var data any
	var header []string
	var rows [][]string
	switch view {
	case "summary":
		s := inventory.Summarize(snap)
		data = s
		header = []string{"WHAT", "COUNT", "DETAIL"}
		rows = [][]string{
			{"network", snap.Network.Name, snap.Network.Description},
			{"sites", itoa(s.Sites), counts(s.SitesByRole)},
			{"devices", itoa(s.Devices), counts(s.DevicesByRole)},
			{"platforms", itoa(len(s.Platforms)), counts(s.Platforms)},
			{"interfaces", itoa(s.Interfaces), ""},
			{"patch panels", itoa(s.PatchPanels), ""},
			{"cables", itoa(s.Cables), fmt.Sprintf("%.1f km of fiber, %d shared-risk groups", s.FiberKm, s.SRLGs)},
			{"member sites", itoa(s.MultiHomed + s.SingleHomed), fmt.Sprintf("%d multi-homed, %d single-homed", s.MultiHomed, s.SingleHomed)},
			{"circuits", itoa(s.Circuits), ""},
			{"prefixes", itoa(s.Prefixes), ""},
			{"bgp sessions", itoa(s.BGPSessions), ""},
			{"services", itoa(s.Services), ""},
		}
	case "sites":
		data = snap.Sites
		header = []string{"SITE", "ROLE", "FACILITY", "NAME", "LAT", "LON"}
		for _, s := range snap.Sites {
			rows = append(rows, []string{s.Slug, string(s.Role), s.Facility, s.Name, ftoa(s.Latitude), ftoa(s.Longitude)})
		}
	case "devices":
		data = snap.Devices
		header = []string{"DEVICE", "SITE", "ROLE", "PLATFORM", "MGMT", "LOOPBACK", "ASN", "INTERFACES", "BGP"}
		for _, dv := range snap.Devices {
			rows = append(rows, []string{dv.Name, dv.Site, string(dv.Role), dv.Platform, addr(dv.Mgmt.String(), dv.Mgmt.IsValid()),
				addr(dv.Loopback.String(), dv.Loopback.IsValid()), strconv.FormatUint(uint64(dv.ASN), 10), itoa(len(dv.Interfaces)), itoa(len(dv.BGPSessions))})
		}
	case "cables":
		data = snap.Cables
		header = []string{"CABLE", "A", "B", "TYPE", "LENGTH", "SPLICES", "SRLGS", "STATUS"}
		for _, c := range snap.Cables {
			rows = append(rows, []string{c.Label, c.A.String(), c.B.String(), string(c.Type), c.Length.String(), itoa(c.Splices), strings.Join(c.SRLGs, ","), string(c.Status)})
		}
	case "circuits":
		data = snap.Circuits
		header = []string{"CIRCUIT", "PROVIDER", "TYPE", "BANDWIDTH", "A SITE", "A INTERFACE"}
		for _, c := range snap.Circuits {
			rows = append(rows, []string{c.ID, c.Provider, c.Type, c.Bandwidth.String(), c.A.Site, c.A.Device + ":" + c.A.Interface})
		}
	case "sessions":
		type row struct {
			Device string `json:"device"`
			inventory.BGPSession
		}
		list := []row{}
		header = []string{"DEVICE", "PEER", "PEER ASN", "ROLE", "PEER DEVICE", "FAMILIES"}
		for _, dv := range snap.Devices {
			for _, b := range dv.BGPSessions {
				list = append(list, row{dv.Name, b})
				rows = append(rows, []string{dv.Name, b.PeerAddress.String(), strconv.FormatUint(uint64(b.PeerASN), 10), string(b.Role), b.PeerDevice, strings.Join(b.Families, ",")})
			}
		}
		data = list
	case "services":
		data = snap.Services
		header = []string{"SERVICE", "PREFIXES", "ANNOUNCED FROM (preferred first)"}
		for _, h := range snap.Services {
			var ps []string
			for _, p := range h.Prefixes {
				ps = append(ps, p.String())
			}
			rows = append(rows, []string{h.Name, strings.Join(ps, ","), strings.Join(h.Sites, ",")})
		}
	}
	switch o.Output {
	case "json":
		return writeJSON(d.stdout, nonNil(data))
	case "yaml":
		return writeYAML(d.stdout, data)
	}
	return table(d.stdout, header, rows)
}

// nonNil keeps "-o json" printing [] rather than null for an empty list.
func nonNil(v any) any {
	switch x := v.(type) {
	case []inventory.Site:
		if x == nil {
			return []inventory.Site{}
		}
	case []inventory.Device:
		if x == nil {
			return []inventory.Device{}
		}
	case []inventory.Cable:
		if x == nil {
			return []inventory.Cable{}
		}
	case []inventory.Circuit:
		if x == nil {
			return []inventory.Circuit{}
		}
	case []inventory.HostingService:
		if x == nil {
			return []inventory.HostingService{}
		}
	}
	if v == nil {
		return []any{}
	}
	return v
}

func itoa(n int) string     { return strconv.Itoa(n) }
func ftoa(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }
func addr(s string, ok bool) string {
	if !ok {
		return "-"
	}
	return s
}

func counts(m map[string]int) string {
	var parts []string
	for _, k := range inventory.SortedKeys(m) {
		parts = append(parts, fmt.Sprintf("%s %d", k, m[k]))
	}
	return strings.Join(parts, ", ")
}
