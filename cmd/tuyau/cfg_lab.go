package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/tuyau-net/tuyau/provisioning/gnmiset"
	"github.com/tuyau-net/tuyau/provisioning/sshcli"
	"github.com/tuyau-net/tuyau/testlab"
	"github.com/tuyau-net/tuyau/testlab/netns"
)

// labDialer reaches a lab's devices with what the lab wrote in its state
// directory: addresses, known_hosts, the password or client key, the CA.
func (o *cfgOpts) labDialer(ctx context.Context, d *deps) (*cliDialer, error) {
	c := &cliDialer{o: o, d: d, targets: map[string]string{}}
	if o.LabState != "" {
		lab, err := netns.Open(o.LabState)
		if err != nil {
			return nil, fmt.Errorf("--lab-netns: %w", err)
		}
		// A key (the lab's --authorized-keys) logs in cheaper than the
		// password: sshd checks a signature instead of running the
		// password through crypt(3) and PAM on every login.
		pw, key := d.getenv("TUYAU_LAB_PASSWORD"), d.getenv("TUYAU_SSH_KEY")
		if pw == "" && key == "" {
			return nil, fmt.Errorf("--lab-netns: set TUYAU_LAB_PASSWORD to the password the lab was started with, or TUYAU_SSH_KEY to a key it authorizes")
		}
		c.targets = lab.Targets()
		c.ssh = &sshcli.Dialer{KnownHosts: lab.KnownHosts(), Credentials: sshcli.Credentials{Username: lab.User(), Password: pw, PrivateKey: key},
			Targets: c.targets, Timeout: o.Timeout}
		return c, nil
	}
	lo := labOpts{Dir: o.LabDir, Name: o.Lab}
	st, err := lo.running(ctx, d)
	if err != nil {
		return nil, err
	}
	pw, err := os.ReadFile(st.Password)
	if err != nil {
		return nil, fmt.Errorf("lab %s: password: %w", lo.Name, err)
	}
	for _, dev := range st.Devices {
		c.targets[dev.Name] = dev.SSH
	}
	c.ssh = &sshcli.Dialer{KnownHosts: st.KnownHosts, Credentials: sshcli.Credentials{Username: st.User, Password: strings.TrimSpace(string(pw))},
		Targets: c.targets, Timeout: o.Timeout}
	if o.Transport == "gnmi" {
		gt := map[string]string{}
		for _, dev := range st.Devices {
			gt[dev.Name] = fmt.Sprintf("%s:%d", dev.Addr, st.Ports.GNMI)
		}
		c.gnmi = &gnmiset.Dialer{Targets: gt, CAFile: filepath.Join(st.Dir, testlab.CAFile), Insecure: o.Insecure,
			Username: st.User, Password: strings.TrimSpace(string(pw)), Timeout: o.Timeout, Roots: o.gnmiRoots()}
	}
	return c, nil
}
