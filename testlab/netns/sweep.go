package netns

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
)

// labMarker is written in each device's FRR pathspace directory with the
// lab's name: it survives a reboot (which empties /run, and with it the
// state file), so Sweep can still tell which directories are the lab's
// when another lab's name shares a prefix.
const labMarker = ".tuyau-lab"

// Sweep removes what lab name left on this machine without its state
// file: after a reboot (the namespaces and processes are gone, the FRR
// and /etc/netns directories are not) or when the state file was lost.
// It finds the lab's devices by the marker in their FRR directories, and
// its bridge, host veths and wire namespace by their names.
func Sweep(ctx context.Context, stateDir, name string) error {
	if !labName.MatchString(name) {
		return fmt.Errorf("lab name %q: want 1 to 16 lowercase letters, digits or '-'", name)
	}
	tag := labTag(name)
	s := &State{Name: name, Bridge: "ty" + tag, Wire: "tuyau-" + name + "-wire", Dir: filepath.Join(FilesRoot, name)}
	ents, _ := os.ReadDir(frrEtc)
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(frrEtc, e.Name(), labMarker))
		if err != nil || strings.TrimSpace(string(b)) != name {
			continue
		}
		ps := e.Name()
		s.Devices = append(s.Devices, Device{Name: ps, Netns: ps, Pathspace: ps,
			Paths: []string{filepath.Join(frrEtc, ps), filepath.Join(frrRun, ps), filepath.Join("/etc/netns", ps)}})
	}
	ifs, _ := net.Interfaces()
	for _, i := range ifs {
		if strings.HasPrefix(i.Name, "ty"+tag+"m") {
			s.Devices = append(s.Devices, Device{Name: i.Name, HostVeth: i.Name})
		}
	}
	l := &Lab{path: StatePath(stateDir, name), state: s}
	return l.Down(ctx)
}
