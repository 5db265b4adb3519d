package main

import (
	"github.com/tuyau-net/tuyau/bgp"
	"github.com/tuyau-net/tuyau/bgp/hosting"
	"time"

	"bytes"
	"errors"
	"fmt"
	"os"

	"gopkg.in/yaml.v3"

	"github.com/tuyau-net/tuyau/inventory/netbox"
	"github.com/tuyau-net/tuyau/telemetry"
)

// config is tuyau.yaml. Precedence: flag > environment (TUYAU_*) > this file > default.
type config struct {
	Inventory string `yaml:"inventory"`
	// Records is the records repository of "tuyau config" (--records).
	Records string `yaml:"records"`
	NetBox  struct {
		// Mapping translates the NetBox's own slugs (device roles,
		// platforms, cable types) into tuyau's; docs/netbox.md.
		Mapping netbox.Mapping `yaml:"mapping"`
		// Filter selects the network's sites in a larger NetBox.
		Filter netbox.Filter `yaml:"filter"`
		// Optics is the file of the user optics table the NetBox's
		// interfaces may name (NetBox has no place for it).
		Optics string `yaml:"optics"`
	} `yaml:"netbox"`
	// Alarms are the alarm rules of "tuyau telemetry collect", kept as a
	// node so that telemetry.ParseRulesNode names their lines.
	Alarms yaml.Node `yaml:"alarms"`
	// Hosting is the failover configuration of each hosting service, by
	// name, that "tuyau bgp serve" runs (docs/bgp.md "Hosting failover").
	Hosting map[string]hosting.Config `yaml:"hosting"`
	// BGP holds the route monitor's thresholds of "tuyau bgp serve"
	// (docs/bgp.md "Alarms").
	BGP struct {
		Monitor bgp.MonitorConfig `yaml:"monitor"`
		// Snapshots: the MRT dumps around failovers (settle, keep).
		Snapshots struct {
			Settle time.Duration `yaml:"settle"`
			Keep   int           `yaml:"keep"`
		} `yaml:"snapshots"`
	} `yaml:"bgp"`
	// Serve is the serve: section of "tuyau serve" (which parts run,
	// where they listen), kept as a node so that errors name its lines.
	Serve yaml.Node `yaml:"serve"`
	// file is the path read ("" when there was none), for errors.
	file string
}

func (d *deps) loadConfig() (config, error) {
	var c config
	path, explicit := d.configPath, true
	if path == "" {
		path, explicit = d.getenv("TUYAU_CONFIG"), true
	}
	if path == "" {
		path, explicit = "tuyau.yaml", false
	}
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) && !explicit {
		return c, nil
	}
	if err != nil {
		return c, fmt.Errorf("config %s: %w", path, err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil && err.Error() != "EOF" {
		return c, fmt.Errorf("config %s: %w", path, err)
	}
	c.file = path
	return c, nil
}

// alarmRules reads the alarms: section of tuyau.yaml (the defaults when
// there is none); errors name the file's line.
func (d *deps) alarmRules() (telemetry.Rules, error) {
	c, err := d.loadConfig()
	if err != nil {
		return telemetry.Rules{}, err
	}
	return telemetry.ParseRulesNode(&c.Alarms, c.file)
}

// inventoryPath resolves the inventory location: --inventory, then
// TUYAU_INVENTORY, then inventory: in tuyau.yaml.
func (d *deps) inventoryPath() (string, error) {
	if d.inventory != "" {
		return d.inventory, nil
	}
	if p := d.getenv("TUYAU_INVENTORY"); p != "" {
		return p, nil
	}
	c, err := d.loadConfig()
	if err != nil {
		return "", err
	}
	if c.Inventory != "" {
		return c.Inventory, nil
	}
	return "", errors.New("no inventory given: use --inventory PATH, set TUYAU_INVENTORY, or put \"inventory: PATH\" in tuyau.yaml")
}
