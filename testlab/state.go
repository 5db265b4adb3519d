package testlab

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// Files a lab process makes in its directory and "lab down" removes.
const (
	stateFile     = "state.json"
	socketFile    = "control.sock"
	inventoryFile = "inventory.yaml"
	logFile       = "lab.log"
	authKeysFile  = "authorized_keys"
	configsDir    = "configs"
)

// Phases of a lab process.
const (
	PhaseStarting = "starting"
	PhaseReady    = "ready"
	PhaseFailed   = "failed"
)

// State is a lab's state file: enough for another process to find, query
// and tear down the lab, even after the lab process crashed.
type State struct {
	Name      string    `json:"name"`
	Mode      string    `json:"mode"`
	Dir       string    `json:"dir"`
	PID       int       `json:"pid"`
	Started   time.Time `json:"started"`
	Ready     time.Time `json:"ready,omitzero"`
	Phase     string    `json:"phase"`
	Error     string    `json:"error,omitempty"`
	User      string    `json:"user"`
	Bootstrap Bootstrap `json:"bootstrap"`
	Inventory string    `json:"inventory,omitempty"`
	// GNMIInsecure is set when gNMI runs without TLS.
	GNMIInsecure bool  `json:"gnmi_insecure,omitempty"`
	Plan         *Plan `json:"plan"`
}

// Paths of the lab's files, for people and tools.
func (s *State) Socket() string       { return filepath.Join(s.Dir, socketFile) }
func (s *State) KnownHosts() string   { return filepath.Join(s.Dir, KnownHostsFile) }
func (s *State) PasswordFile() string { return filepath.Join(s.Dir, PasswordFile) }
func (s *State) ClientKey() string    { return filepath.Join(s.Dir, ClientKeyFile) }
func (s *State) LogFile() string      { return filepath.Join(s.Dir, logFile) }

func readState(dir string) (*State, error) {
	b, err := os.ReadFile(filepath.Join(dir, stateFile))
	if err != nil {
		return nil, err
	}
	var s State
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("lab state %s: %w", filepath.Join(dir, stateFile), err)
	}
	if s.Plan != nil {
		s.Plan.reindex()
	}
	return &s, nil
}

// write saves the state atomically: a reader never sees half a file.
func (s *State) write() error {
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	p := filepath.Join(s.Dir, stateFile)
	tmp := p + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return fmt.Errorf("lab state: %w", err)
	}
	return os.Rename(tmp, p)
}
