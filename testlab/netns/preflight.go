package netns

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
)

// Errors for a machine that cannot run a netns lab; Preflight wraps them
// with what to do.
var (
	ErrNotRoot  = errors.New("netns lab needs root")
	ErrMissing  = errors.New("netns lab: missing software")
	frrBinaries = []string{"/usr/lib/frr/watchfrr", "/usr/lib/frr/zebra", "/usr/lib/frr/bgpd",
		"/usr/lib/frr/ospfd", "/usr/lib/frr/staticd", "/usr/lib/frr/frrinit.sh", "/usr/bin/vtysh"}
)

// Preflight says whether this machine can run a netns lab, and if not,
// what is missing and how to get it.
func Preflight() error { return preflight(os.Geteuid(), frrBinaries) }

func preflight(euid int, frrBinaries []string) error {
	if euid != 0 {
		return fmt.Errorf("%w: namespaces, veth pairs and FRR daemons need root (use sudo, or the virtual lab: tuyau lab up --mode virtual)", ErrNotRoot)
	}
	var missing []error
	for _, b := range frrBinaries {
		if _, err := os.Stat(b); err != nil {
			missing = append(missing, fmt.Errorf("%w: %s not found: install FRR (apt-get install frr)", ErrMissing, b))
		}
	}
	for _, g := range []string{"frr", "frrvty"} {
		if _, err := user.LookupGroup(g); err != nil {
			missing = append(missing, fmt.Errorf("%w: group %s not found: install FRR (apt-get install frr)", ErrMissing, g))
		}
	}
	if _, err := user.Lookup("frr"); err != nil {
		missing = append(missing, fmt.Errorf("%w: user frr not found: install FRR (apt-get install frr)", ErrMissing))
	}
	if _, err := os.Stat("/usr/sbin/sshd"); err != nil {
		missing = append(missing, fmt.Errorf("%w: /usr/sbin/sshd not found: apt-get install openssh-server", ErrMissing))
	}
	for _, c := range []struct{ cmd, pkg string }{{"ip", "iproute2"}, {"unshare", "util-linux"}} {
		if _, err := exec.LookPath(c.cmd); err != nil {
			missing = append(missing, fmt.Errorf("%w: %s not on PATH: apt-get install %s", ErrMissing, c.cmd, c.pkg))
		}
	}
	return errors.Join(missing...)
}
