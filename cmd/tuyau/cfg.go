package main

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"os/user"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"
	"gopkg.in/yaml.v3"

	"github.com/tuyau-net/tuyau/bgp"
	"github.com/tuyau-net/tuyau/inventory"
	"github.com/tuyau-net/tuyau/provisioning"
	"github.com/tuyau-net/tuyau/provisioning/gnmiset"
	"github.com/tuyau-net/tuyau/provisioning/sshcli"
	"github.com/tuyau-net/tuyau/testlab/gnmitarget"
)

// cfgOpts are the flags shared by the config subcommands.
type cfgOpts struct {
	KnownHosts string
	TOFU       bool
	Secrets    string
	Targets    string
	Transport  string
	Records    string
	Parallel   int
	Timeout    time.Duration
	NTP        []string
	Syslog     []string
	Insecure   bool
	GNMICA     string
	Lab        string
	LabDir     string
	LabState   string
	NoIGP      bool
	GNMIPaths  []string
	ConfirmDir string

	// sec keeps passwords out of plans, output and records (secrets()).
	sec *provisioning.Secrets
}

// secrets returns the command's redactor, made once: keyed by bgp.hash_key
// of the secrets file, else by a key kept next to the records (made on
// first use), and knowing every password of the secrets file so a record
// holding their tokens can be pushed back.
func (o *cfgOpts) secrets(d *deps) (*provisioning.Secrets, error) {
	if o.sec != nil {
		return o.sec, nil
	}
	pw, err := bgp.LoadPasswords(o.Secrets)
	if err != nil {
		return nil, err
	}
	var key []byte
	if h := pw.HashKey(); h != "" {
		if key, err = hex.DecodeString(h); err != nil || len(key) < 16 {
			return nil, fmt.Errorf("secrets file %s: bgp.hash_key is not 16 or more hex-encoded bytes", o.Secrets)
		}
	} else {
		dir, err := o.recordsDir(d)
		if err != nil {
			return nil, err
		}
		if key, err = provisioning.LoadSecretKey(dir + ".secret-hash-key"); err != nil {
			return nil, err
		}
	}
	s, err := provisioning.NewSecrets(key)
	if err != nil {
		return nil, err
	}
	pw.Each(func(_, p string) { s.Token(p) })
	o.sec = s
	return s, nil
}

// newPool is the command's session pool, the boundary of the passwords.
func (o *cfgOpts) newPool(d *deps, cd provisioning.Dialer) (*provisioning.Pool, error) {
	s, err := o.secrets(d)
	if err != nil {
		return nil, err
	}
	p := provisioning.NewPool(cd)
	p.RedactSecrets(s)
	return p, nil
}

// registry is the platform registry, with OpenConfig limited to the
// managed gNMI paths when some are given.
func (o *cfgOpts) registry() *provisioning.Registry {
	reg := provisioning.Builtin()
	if paths := o.gnmiPaths(); len(paths) > 0 {
		reg.Register(provisioning.OpenConfig{Only: paths})
	}
	return reg
}

func (o *cfgOpts) gnmiPaths() []string {
	if len(o.GNMIPaths) == 0 && o.Lab != "" && o.Transport == "gnmi" {
		return gnmitarget.SetPaths()
	}
	return o.GNMIPaths
}

// gnmiRoots are the subtrees read as running config: the first element of
// each managed path.
func (o *cfgOpts) gnmiRoots() []string {
	var roots []string
	for _, p := range o.gnmiPaths() {
		r := "/" + strings.SplitN(strings.TrimPrefix(p, "/"), "/", 2)[0]
		if !slices.Contains(roots, r) {
			roots = append(roots, r)
		}
	}
	return roots
}

func newConfigCmd(d *deps) *cobra.Command {
	o := &cfgOpts{}
	c := &cobra.Command{
		Use:   "config",
		Short: "Render, plan, apply, confirm and roll back device configs",
		Long: `Device configs are rendered from the inventory. "plan" reads each device's
running config and shows the diff and the exact commands "apply" will send;
"apply" changes only the devices that differ, verifies them, and with
--confirm keeps a change only once post-checks pass or "config confirm" is
run, rolling back otherwise. Over SSH (FRR has no commit-confirmed) the
window is also kept by a detached timer process the apply starts: kill the
apply or close its terminal inside the window and the timer still rolls
the device back at the deadline, unless "config confirm" keeps it
("config confirm --status" lists what is pending). Over gNMI the Set
carries the commit-confirmed extension: the device itself rolls back
unless tuyau confirms in time. Every backup and apply is committed to the
records repository (--records) with an audit log. FRR is applied over SSH;
EOS, IOS-XE, Junos and SR Linux only over gNMI/OpenConfig ("config
platforms" says what works where and how it was tested).

Credentials come from TUYAU_SSH_USERNAME / TUYAU_SSH_PASSWORD / TUYAU_SSH_KEY
or a secrets file (--secrets, YAML with an ssh: section); never the inventory.`,
		Example: `  tuyau config plan -i examples/manche
  tuyau config plan -o json --detailed-exitcode --out plan.json
  tuyau config apply --plan plan.json --confirm 5m
  tuyau config confirm
  tuyau config rollback saint-lo-dc-r1 --to 1`,
	}
	home, _ := os.UserHomeDir()
	pf := c.PersistentFlags()
	pf.StringVar(&o.KnownHosts, "known-hosts", envOr(d, "TUYAU_KNOWN_HOSTS", filepath.Join(home, ".ssh", "known_hosts")), "known_hosts file SSH host keys are checked against (env TUYAU_KNOWN_HOSTS)")
	pf.BoolVar(&o.TOFU, "trust-on-first-use", false, "record the host key of a device absent from known_hosts instead of refusing it")
	pf.StringVar(&o.Secrets, "secrets", envOr(d, "TUYAU_SECRETS", ""), "secrets file (YAML, ssh: username/password/private_key) (env TUYAU_SECRETS)")
	pf.StringVar(&o.Targets, "targets", envOr(d, "TUYAU_TARGETS", ""), "YAML/JSON map of device name to SSH host:port, overriding management addresses (labs)")
	pf.StringVar(&o.Transport, "transport", "", "force ssh or gnmi (default: ssh when the device has it and its platform is applied over SSH (FRR), else gnmi)")
	pf.StringVar(&o.Records, "records", "", "records git repository: running configs and audit log (env TUYAU_RECORDS, records: in tuyau.yaml; default $XDG_STATE_HOME/tuyau/records)")
	// 20 at once, Nornir's default: a client holds 20 SSH sessions for
	// nothing, and a fleet of 20 routers gets one wave of logins, not two.
	pf.IntVar(&o.Parallel, "parallel", 20, "devices handled at once")
	pf.DurationVar(&o.Timeout, "timeout", 30*time.Second, "timeout of each device operation")
	pf.StringSliceVar(&o.NTP, "ntp", nil, "NTP servers to configure (default: the route reflectors' loopbacks)")
	pf.StringSliceVar(&o.Syslog, "syslog", nil, "syslog servers to configure")
	pf.StringSliceVar(&o.GNMIPaths, "gnmi-paths", nil, "OpenConfig path prefixes tuyau manages over gNMI (default: all it renders; with --lab, what the lab target accepts)")
	pf.BoolVar(&o.NoIGP, "no-igp", false, "render no OSPF (the IGP is managed elsewhere)")
	pf.BoolVar(&o.Insecure, "insecure", false, "gNMI without TLS (labs only)")
	pf.StringVar(&o.GNMICA, "gnmi-ca", envOr(d, "TUYAU_GNMI_CA", ""), "CA certificate the gNMI targets' certificates are checked against (default: system pool)")
	pf.StringVar(&o.Lab, "lab", "", "reach the devices of this virtual lab (tuyau lab up): its addresses, known_hosts, credentials and CA")
	pf.StringVar(&o.LabDir, "lab-dir", "", "directory of the labs' state (env TUYAU_LAB_DIR)")
	pf.StringVar(&o.LabState, "lab-netns", "", "reach the devices of the netns lab with this state file (tuyau lab up --mode netns); password in TUYAU_LAB_PASSWORD, or a key it authorizes in TUYAU_SSH_KEY")
	pf.StringVar(&o.ConfirmDir, "confirm-dir", "", "directory of the pending --confirm commits and their timers' logs (env TUYAU_CONFIRMS; default $XDG_STATE_HOME/tuyau/confirms)")
	c.AddCommand(newCfgRenderCmd(d, o), newCfgPlanCmd(d, o), newCfgApplyCmd(d, o), newCfgConfirmCmd(d, o), newCfgConfirmTimerCmd(d, o),
		newCfgRollbackCmd(d, o), newCfgBackupCmd(d, o), newCfgPlatformsCmd(d))
	return c
}

func envOr(d *deps, key, def string) string {
	if v := d.getenv(key); v != "" {
		return v
	}
	return def
}

func (o *cfgOpts) renderOptions(d *deps) (provisioning.Options, error) {
	r := provisioning.Options{NoIGP: o.NoIGP}
	// Sessions' MD5 passwords, read only when a session has one; the
	// config gets their tokens, the push the passwords.
	pw, err := bgp.LoadPasswords(o.Secrets)
	if err != nil {
		return r, err
	}
	sec, err := o.secrets(d)
	if err != nil {
		return r, err
	}
	r.BGPPassword = sec.Lookup(pw.Lookup)
	for _, s := range o.NTP {
		a, err := netip.ParseAddr(s)
		if err != nil {
			return r, fmt.Errorf("--ntp %q: %w", s, err)
		}
		r.NTP = append(r.NTP, a)
	}
	for _, s := range o.Syslog {
		a, err := netip.ParseAddr(s)
		if err != nil {
			return r, fmt.Errorf("--syslog %q: %w", s, err)
		}
		r.Syslog = append(r.Syslog, a)
	}
	return r, nil
}

// dialer builds the transports; credentials are read on first dial so
// commands that never connect do not need them.
func (o *cfgOpts) dialer(ctx context.Context, d *deps) (*cliDialer, error) {
	if o.Lab != "" || o.LabState != "" {
		return o.labDialer(ctx, d)
	}
	targets := map[string]string{}
	if o.Targets != "" {
		data, err := os.ReadFile(o.Targets)
		if err != nil {
			return nil, fmt.Errorf("--targets: %w", err)
		}
		if err := yaml.Unmarshal(data, &targets); err != nil {
			return nil, fmt.Errorf("--targets %s: want a map of device to host:port: %w", o.Targets, err)
		}
	}
	return &cliDialer{o: o, d: d, targets: targets}, nil
}

// cliDialer builds each transport's dialer on first use, once: plan and
// apply dial devices in parallel, and one sshcli.Dialer means one lock on
// the known_hosts file.
type cliDialer struct {
	o       *cfgOpts
	d       *deps
	targets map[string]string

	mu   sync.Mutex
	ssh  *sshcli.Dialer
	gnmi *gnmiset.Dialer
}

func (c *cliDialer) Dial(ctx context.Context, dev inventory.Device, tr string) (provisioning.Conn, error) {
	ctx, cancel := context.WithTimeout(ctx, c.o.Timeout)
	defer cancel()
	switch tr {
	case "ssh":
		sd, err := c.sshDialer()
		if err != nil {
			return nil, err
		}
		return sd.Dial(ctx, dev, tr)
	case "gnmi":
		return c.gnmiDialer().Dial(ctx, dev, tr)
	}
	return nil, fmt.Errorf("device %s: transport %s not available", dev.Name, tr)
}

func (c *cliDialer) sshDialer() (*sshcli.Dialer, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ssh == nil {
		creds, err := sshcli.LoadCredentials(c.d.getenv, c.o.Secrets)
		if err != nil {
			return nil, err
		}
		c.ssh = &sshcli.Dialer{KnownHosts: c.o.KnownHosts, TrustOnFirstUse: c.o.TOFU, Credentials: creds,
			Targets: c.targets, Timeout: c.o.Timeout}
	}
	return c.ssh, nil
}

func (c *cliDialer) gnmiDialer() *gnmiset.Dialer {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gnmi == nil {
		// --targets holds SSH addresses; gNMI goes to the management address.
		c.gnmi = &gnmiset.Dialer{CAFile: c.o.GNMICA, Insecure: c.o.Insecure,
			Username: c.d.getenv("TUYAU_GNMI_USERNAME"), Password: c.d.getenv("TUYAU_GNMI_PASSWORD"), Timeout: c.o.Timeout,
			Roots: c.o.gnmiRoots()}
	}
	return c.gnmi
}

// prepare loads credentials up front so a missing secret is one clear
// error, not one per device.
func (c *cliDialer) prepare() error {
	if c.o.Transport == "gnmi" {
		return nil
	}
	_, err := c.sshDialer()
	return err
}

// records opens the records repository: --records, then TUYAU_RECORDS,
// then records: in tuyau.yaml, then the user's state directory
// ($XDG_STATE_HOME/tuyau/records, ~/.local/state/tuyau/records), never
// the directory the command runs in.
func (o *cfgOpts) records(ctx context.Context, d *deps) (*provisioning.Records, error) {
	dir, err := o.recordsDir(d)
	if err != nil {
		return nil, err
	}
	return provisioning.OpenRecords(ctx, dir)
}

// startupSource is the records as plan reads them, to tell an unsaved
// running config on devices that cannot show their startup config; nil
// when there are no records yet (plan creates none).
func (o *cfgOpts) startupSource(d *deps) (provisioning.StartupSource, error) {
	dir, err := o.recordsDir(d)
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(filepath.Join(dir, ".git")); err != nil {
		return nil, nil
	}
	return &provisioning.Records{Dir: dir, Now: time.Now}, nil
}

func (o *cfgOpts) recordsDir(d *deps) (string, error) {
	dir := o.Records
	if dir == "" {
		dir = d.getenv("TUYAU_RECORDS")
	}
	if dir == "" {
		c, err := d.loadConfig()
		if err != nil {
			return "", err
		}
		dir = c.Records
	}
	if dir == "" {
		return d.stateDir("records", "--records DIR, TUYAU_RECORDS or records: in tuyau.yaml")
	}
	return dir, nil
}

// stateDir is $XDG_STATE_HOME/tuyau/NAME, or ~/.local/state/tuyau/NAME as
// the XDG base directory specification defaults it; give names what the
// user can set instead when neither variable is there.
func (d *deps) stateDir(name, give string) (string, error) {
	state := d.getenv("XDG_STATE_HOME")
	if state == "" {
		home := d.getenv("HOME")
		if home == "" {
			return "", fmt.Errorf("no %s directory: give %s (no HOME to default to)", name, give)
		}
		state = filepath.Join(home, ".local", "state")
	}
	return filepath.Join(state, "tuyau", name), nil
}

func (d *deps) loadIndex(ctx context.Context) (*inventory.Index, error) {
	s, err := d.loadInventory(ctx)
	if err != nil {
		return nil, err
	}
	return inventory.NewIndex(s), nil
}

func whoami(d *deps) string {
	if u := d.getenv("TUYAU_USER"); u != "" {
		return u
	}
	if u, err := user.Current(); err == nil {
		return u.Username
	}
	return "unknown"
}

func readPlan(path string) (*provisioning.Plan, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("plan: %w", err)
	}
	var p provisioning.Plan
	if err := json.Unmarshal(data, &p); err != nil {
		return nil, fmt.Errorf("plan %s: %w", path, err)
	}
	if p.Format != provisioning.PlanFormat {
		return nil, fmt.Errorf("plan %s: format %d, this tuyau reads %d", path, p.Format, provisioning.PlanFormat)
	}
	return &p, nil
}

func shortHash(h string) string {
	if len(h) > 12 {
		return h[:12]
	}
	return h
}

func plural(n int, s string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, s)
	}
	return fmt.Sprintf("%d %ss", n, strings.TrimSuffix(s, "s"))
}
