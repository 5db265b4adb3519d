package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/tuyau-net/tuyau/testlab"
	"github.com/tuyau-net/tuyau/testlab/netns"
)

type labStatusOpts struct {
	labOpts
	Output    string
	Addresses bool
	Links     bool
	Brief     bool
}

func newLabStatusCmd(d *deps) *cobra.Command {
	var o labStatusOpts
	c := &cobra.Command{
		Use:   "status",
		Short: "Show a lab: devices, BGP, links, faults, and the inventory-to-lab address map",
		Example: `  tuyau lab status
  tuyau lab status --addresses      # inventory address -> lab address
  tuyau lab status --links -o json`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			return runLabStatus(c.Context(), d, o)
		},
	}
	o.flags(c)
	c.Flags().StringVarP(&o.Output, "output", "o", "table", "table|json")
	c.Flags().BoolVar(&o.Addresses, "addresses", false, "list every inventory address and the lab address standing for it")
	c.Flags().BoolVar(&o.Links, "links", false, "list every link, not only those down")
	c.Flags().BoolVar(&o.Brief, "brief", false, "leave out the devices' BGP sessions (answers at once while a large lab's BGP converges)")
	return c
}

func runLabStatus(ctx context.Context, d *deps, o labStatusOpts) error {
	if err := checkFormat(o.Output, "table", "json"); err != nil {
		return err
	}
	o.resolve(d)
	if p := netns.StatePath("", o.Name); fileExists(p) {
		return runNetnsStatus(ctx, d, p, o)
	}
	status := testlab.StatusOf
	if o.Brief {
		status = testlab.BriefStatusOf
	}
	st, err := status(ctx, o.Dir, o.Name)
	if err != nil {
		return err
	}
	if o.Output == "json" {
		return writeJSON(d.stdout, st)
	}
	return printLabStatus(d.stdout, st, o)
}

func printLabStatus(w io.Writer, st testlab.LabStatus, o labStatusOpts) error {
	state := "running"
	if !st.Running {
		state = "NOT RUNNING (" + st.Note + ")"
	}
	fmt.Fprintf(w, "lab %s (%s) %s, pid %d, block %s, ports ssh %d gnmi %d bgp %d\n",
		st.Name, st.Mode, state, st.PID, st.Block, st.Ports.SSH, st.Ports.GNMI, st.Ports.BGP)
	fmt.Fprintf(w, "ssh user %s, password file %s, key %s, known_hosts %s\n", st.User, st.Password, st.ClientKey, st.KnownHosts)
	if st.GNMICA != "" {
		fmt.Fprintf(w, "gnmi TLS CA %s, same user and password\n", st.GNMICA)
	}
	fmt.Fprintln(w)
	if o.Addresses {
		var rows [][]string
		for _, m := range st.Mapping {
			rows = append(rows, []string{m.Device, m.Interface, fmt.Sprintf("%s/%d", m.Inventory, m.Prefix), m.Lab.String()})
		}
		return table(w, []string{"DEVICE", "INTERFACE", "INVENTORY", "LAB"}, rows)
	}
	if !st.Running {
		return nil
	}
	var rows [][]string
	for _, dv := range st.Devices {
		alive := "up"
		if !dv.Alive {
			alive = "KILLED"
		}
		bgpUp := fmt.Sprintf("%d/%d", dv.BGPUp, dv.BGPConf)
		if st.Brief {
			bgpUp = "-"
		}
		rows = append(rows, []string{dv.Name, dv.Role, dv.SSH, alive, bgpUp})
	}
	if err := table(w, []string{"DEVICE", "ROLE", "SSH", "STATE", "BGP UP"}, rows); err != nil {
		return err
	}
	up := 0
	rows = rows[:0]
	for _, l := range st.Links {
		if l.Up {
			up++
		}
		if l.Up && !o.Links {
			continue
		}
		state, rx := "up", "-"
		if !l.Up {
			state = "DOWN: " + l.Why
		}
		if l.RxA != nil {
			rx = fmt.Sprintf("%.2f / %.2f", *l.RxA, *l.RxB)
		}
		rows = append(rows, []string{l.ID, state, rx, fmt.Sprintf("%.2f", l.LossDB), strings.Join(l.Cables, " ")})
	}
	fmt.Fprintf(w, "\nlinks: %d, %d up, %d down\n", len(st.Links), up, len(st.Links)-up)
	if len(rows) > 0 {
		if err := table(w, []string{"LINK", "STATE", "RX dBm (A / B)", "LOSS dB", "CABLES"}, rows); err != nil {
			return err
		}
	}
	if len(st.Endpoints) > 0 {
		rows = rows[:0]
		for _, e := range st.Endpoints {
			rows = append(rows, []string{e.Service, e.Site, "http://" + e.Addr + "/", endpointHealth(e)})
		}
		fmt.Fprintf(w, "\nhosting endpoints: %d\n", len(st.Endpoints))
		if err := table(w, []string{"SERVICE", "SITE", "ENDPOINT", "HEALTH"}, rows); err != nil {
			return err
		}
	}
	fmt.Fprintf(w, "\naddresses: %d inventory addresses stand on lab addresses in %s (--addresses lists them)\n", len(st.Mapping), st.Block)
	f := st.Faults
	var failed []string
	for _, e := range st.Endpoints {
		if !e.Healthy {
			failed = append(failed, e.Service+"@"+e.Site)
		}
	}
	if len(f.Cut)+len(f.Degraded)+len(f.Killed)+len(f.Errors)+len(f.Load)+len(failed) == 0 {
		fmt.Fprintln(w, "\nfaults: none")
		return nil
	}
	var deg []string
	for c, db := range f.Degraded {
		deg = append(deg, fmt.Sprintf("%s +%.1f dB", c, db))
	}
	sort.Strings(deg)
	fmt.Fprintf(w, "\nfaults: cut %v, degraded %v, killed %v, services failed %v\n", f.Cut, deg, f.Killed, failed)
	var traffic []string
	for id, e := range f.Errors {
		traffic = append(traffic, fmt.Sprintf("%s errors %g/s discards %g/s", id, e.Errors, e.Discards))
	}
	for id, pct := range f.Load {
		traffic = append(traffic, fmt.Sprintf("%s load %g %%", id, pct))
	}
	sort.Strings(traffic)
	for _, t := range traffic {
		fmt.Fprintf(w, "  %s\n", t)
	}
	return nil
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// runNetnsStatus shows a netns lab: its devices, their daemons and BGP,
// its links as the kernel sees them.
func runNetnsStatus(ctx context.Context, d *deps, path string, o labStatusOpts) error {
	lab, err := netns.Open(path)
	if err != nil {
		return err
	}
	st, err := lab.Status(ctx, netns.StatusOptions{BGP: true})
	if err != nil {
		return err
	}
	if o.Output == "json" {
		return writeJSON(d.stdout, st)
	}
	w := d.stdout
	fmt.Fprintf(w, "lab %s (netns) %s, config %s, management %s\nssh user %s, known_hosts %s\n\n",
		st.Name, st.Phase, st.Config, st.MgmtPrefix, st.User, st.KnownHosts)
	var rows [][]string
	for _, dv := range st.Devices {
		state := "up"
		switch {
		case dv.Killed:
			state = "KILLED"
		case !dv.Running():
			state = "DEGRADED: " + strings.Join(dv.Processes, ",")
		}
		up := 0
		for _, p := range dv.BGP {
			if p.State == "Established" {
				up++
			}
		}
		rows = append(rows, []string{dv.Name, dv.SSH, state, fmt.Sprintf("%d/%d", up, len(dv.BGP))})
	}
	if err := table(w, []string{"DEVICE", "SSH", "STATE", "BGP UP"}, rows); err != nil {
		return err
	}
	rows = rows[:0]
	down := 0
	for _, l := range st.Links {
		if l.OperA != "UP" || l.OperB != "UP" {
			down++
			rows = append(rows, []string{l.String(), l.OperA + " / " + l.OperB, l.Want})
		}
	}
	fmt.Fprintf(w, "\nlinks: %d, %d down\n", len(st.Links), down)
	if len(rows) > 0 {
		table(w, []string{"LINK", "OPER (A / B)", "WANT"}, rows)
	}
	fmt.Fprintf(w, "\nfaults: cut %v, killed %v\n", st.Faults.Cables, st.Faults.Devices)
	return nil
}
