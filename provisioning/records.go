package provisioning

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Records is a git repository directory holding the last known running
// config of every device (configs/DEVICE.conf) and the audit log
// (audit.jsonl). Every backup and apply is one commit, so "git log -p"
// is the history of the network.
type Records struct {
	Dir string
	Now func() time.Time
}

// RecordedConfig is a device's running config as it was read, and how:
// the platform whose text it is ("frr" vtysh text, "openconfig" JSON_IETF,
// "eos"...) and the transport it came over. A config is only ever put
// back through the same platform: FRR's delta engine fed gNMI JSON would
// remove everything and send garbage.
type RecordedConfig struct {
	Text      []byte `json:"-"`
	Platform  string `json:"platform"`
	Transport string `json:"transport"`
	// Format says what Text is, for a person reading the records.
	Format string `json:"format"`
	// Saved says Text was made the device's startup config ("write
	// memory") right after it was read: Save then also keeps it as the
	// device's startup config (configs/DEVICE.startup), which plan
	// compares the running config with on devices that cannot show
	// their startup config (FRR 8.4's vtysh has no "show startup-config").
	Saved bool `json:"saved,omitempty"`
	// When is when the config was recorded (set by Save for startups).
	When time.Time `json:"when,omitzero"`
}

// formatOf names the text format of a platform's configs.
func formatOf(platform string) string {
	switch platform {
	case "openconfig":
		return "openconfig JSON_IETF (gNMI Get, CONFIG)"
	case "frr":
		return "FRR vtysh show running-config"
	case "junos":
		return "Junos show configuration"
	}
	return platform + " show running-config"
}

// AuditEntry is one line of audit.jsonl.
type AuditEntry struct {
	When      time.Time `json:"when"`
	Who       string    `json:"who"`
	Action    string    `json:"action"` // apply, rollback
	Device    string    `json:"device"`
	Platform  string    `json:"platform,omitempty"`
	Transport string    `json:"transport,omitempty"`
	// Saved says the kept config was written to the device's startup config.
	Saved    bool    `json:"saved,omitempty"`
	PlanHash string  `json:"plan_hash,omitempty"`
	Result   Outcome `json:"result"`
	// CommitID is the device-side confirmed commit of a --confirm apply
	// over gNMI (commit-confirmed): what a device's own logs name.
	CommitID string `json:"commit_id,omitempty"`
	Error    string `json:"error,omitempty"`
	// Rollback is set when the device was rolled back, and says why.
	Rollback string `json:"rollback,omitempty"`
	Commit   string `json:"commit,omitempty"`
}

// OpenRecords opens or creates the records repository.
func OpenRecords(ctx context.Context, dir string) (*Records, error) {
	if err := os.MkdirAll(filepath.Join(dir, "configs"), 0o755); err != nil {
		return nil, fmt.Errorf("records %s: %w", dir, err)
	}
	r := &Records{Dir: dir, Now: time.Now}
	if _, err := os.Stat(filepath.Join(dir, ".git")); errors.Is(err, os.ErrNotExist) {
		if _, err := r.git(ctx, "init", "-q"); err != nil {
			return nil, err
		}
		if err := os.WriteFile(filepath.Join(dir, ".gitignore"), []byte("confirm\n"), 0o644); err != nil {
			return nil, fmt.Errorf("records %s: %w", dir, err)
		}
	}
	return r, nil
}

func (r *Records) git(ctx context.Context, args ...string) (string, error) {
	return r.gitIn(ctx, nil, args...)
}

// gitIn runs git with stdin (nil: none) in the records directory.
func (r *Records) gitIn(ctx context.Context, stdin io.Reader, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "git", append([]string{"-C", r.Dir}, args...)...)
	cmd.Stdin = stdin
	// Records must commit on a fresh CI runner with no git identity.
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=tuyau", "GIT_AUTHOR_EMAIL=tuyau@localhost",
		"GIT_COMMITTER_NAME=tuyau", "GIT_COMMITTER_EMAIL=tuyau@localhost")
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("records %s: git %s: %w: %s", r.Dir, args[0], err, strings.TrimSpace(stderr.String()))
	}
	return out.String(), nil
}

// Save writes the configs and the audit entries and commits them in one
// commit whose message starts with subject and names the changed devices.
// It returns the commit hash ("" when nothing changed) and the devices
// whose config changed.
func (r *Records) Save(ctx context.Context, subject string, configs map[string]RecordedConfig, audit []AuditEntry) (string, []string, error) {
	return r.save(ctx, subject, configs, audit, true)
}

// save is Save; without hash, it commits without asking git for the
// commit's hash (one git process fewer) and returns "" for it.
func (r *Records) save(ctx context.Context, subject string, configs map[string]RecordedConfig, audit []AuditEntry, hash bool) (string, []string, error) {
	names := make([]string, 0, len(configs))
	for n := range configs {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		c := configs[n]
		if c.Format == "" {
			c.Format = formatOf(c.Platform)
		}
		meta, err := json.MarshalIndent(c, "", "  ")
		if err != nil {
			return "", nil, fmt.Errorf("records: device %s: %w", n, err)
		}
		if err := os.WriteFile(filepath.Join(r.Dir, "configs", n+".conf"), c.Text, 0o644); err != nil {
			return "", nil, fmt.Errorf("records: %w", err)
		}
		if err := os.WriteFile(filepath.Join(r.Dir, "configs", n+".meta.json"), append(meta, '\n'), 0o644); err != nil {
			return "", nil, fmt.Errorf("records: %w", err)
		}
		if c.Saved {
			if err := r.writeStartup(n, c); err != nil {
				return "", nil, err
			}
		}
	}
	if len(audit) > 0 {
		f, err := os.OpenFile(filepath.Join(r.Dir, "audit.jsonl"), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
		if err != nil {
			return "", nil, fmt.Errorf("records: %w", err)
		}
		enc := json.NewEncoder(f)
		for _, e := range audit {
			if err := enc.Encode(e); err != nil {
				f.Close()
				return "", nil, fmt.Errorf("records: audit: %w", err)
			}
		}
		if err := f.Close(); err != nil {
			return "", nil, fmt.Errorf("records: audit: %w", err)
		}
	}
	if _, err := r.git(ctx, "add", "-A", "."); err != nil {
		return "", nil, err
	}
	st, err := r.git(ctx, "status", "--porcelain")
	if err != nil {
		return "", nil, err
	}
	var changed []string
	for _, l := range strings.Split(st, "\n") {
		if len(l) > 3 && strings.HasPrefix(l[3:], "configs/") && strings.HasSuffix(l, ".conf") {
			changed = append(changed, strings.TrimSuffix(strings.TrimPrefix(l[3:], "configs/"), ".conf"))
		}
	}
	if strings.TrimSpace(st) == "" {
		return "", nil, nil
	}
	msg := subject
	switch {
	case len(changed) == 0:
		msg += ": no config changed"
	case len(changed) <= 5:
		msg += ": " + strings.Join(changed, ", ") + " changed"
	default:
		msg += fmt.Sprintf(": %d devices changed (%s, ...)", len(changed), strings.Join(changed[:5], ", "))
	}
	if len(changed) > 0 {
		msg += "\n\n" + strings.Join(changed, "\n")
	}
	if _, err := r.git(ctx, "commit", "-q", "-m", msg); err != nil {
		return "", nil, err
	}
	if !hash {
		return "", changed, nil
	}
	h, err := r.git(ctx, "rev-parse", "HEAD")
	return strings.TrimSpace(h), changed, err
}

// Version returns a recorded config of the device: 0 is the latest, 1 the
// one before, and so on, with the platform and transport it was read
// with. Records written before those were kept say nothing: a config that
// is JSON is then taken as OpenConfig over gNMI, any other as the
// device's CLI text over SSH.
func (r *Records) Version(ctx context.Context, device string, n int) (RecordedConfig, error) {
	path := "configs/" + device + ".conf"
	log, err := r.git(ctx, "log", "--format=%H", "--", path)
	if err != nil {
		return RecordedConfig{}, err
	}
	hashes := strings.Fields(log)
	if n < 0 || n >= len(hashes) {
		return RecordedConfig{}, fmt.Errorf("device %s: records hold %d versions of its config, no version %d", device, len(hashes), n)
	}
	out, err := r.git(ctx, "show", hashes[n]+":"+path)
	if err != nil {
		return RecordedConfig{}, err
	}
	c := RecordedConfig{Text: []byte(out)}
	if meta, err := r.git(ctx, "show", hashes[n]+":configs/"+device+".meta.json"); err == nil {
		if err := json.Unmarshal([]byte(meta), &c); err != nil {
			return c, fmt.Errorf("records %s: device %s version %d: meta: %w", r.Dir, device, n, err)
		}
	} else if t := strings.TrimSpace(out); strings.HasPrefix(t, "{") {
		c.Platform, c.Transport = "openconfig", "gnmi"
	} else {
		c.Transport = "ssh"
	}
	return c, nil
}

// Latest returns each device's config text as the last commit (HEAD)
// holds it, which is its version 0, read in one git process for all of
// them: an apply checks every device it touched, and a git process per
// device cost about 25 ms of wall time each on a loaded machine (20
// routers: half a second after the last router was done). A device the
// records never held, or no commit at all, is absent from the map.
func (r *Records) Latest(ctx context.Context, devices []string) (map[string][]byte, error) {
	got := map[string][]byte{}
	if len(devices) == 0 {
		return got, nil
	}
	var in bytes.Buffer
	for _, d := range devices {
		if strings.ContainsAny(d, "\n\r") {
			return nil, fmt.Errorf("records: device name %q", d)
		}
		in.WriteString("HEAD:configs/" + d + ".conf\n")
	}
	out, err := r.gitIn(ctx, &in, "cat-file", "--batch")
	if err != nil {
		return nil, err
	}
	// Each answer is "<object> missing" (also with no commit yet) or
	// "<oid> blob <size>", then the size's bytes and a newline, in the
	// order asked.
	b := []byte(out)
	for _, d := range devices {
		line, rest, ok := bytes.Cut(b, []byte("\n"))
		if !ok {
			return nil, fmt.Errorf("records %s: git cat-file: answer for %s cut short", r.Dir, d)
		}
		if string(line) == "HEAD:configs/"+d+".conf missing" {
			b = rest
			continue
		}
		f := strings.Fields(string(line))
		if len(f) != 3 || f[1] != "blob" {
			return nil, fmt.Errorf("records %s: git cat-file: %s: %q", r.Dir, d, line)
		}
		n, err := strconv.Atoi(f[2])
		if err != nil || n < 0 || n+1 > len(rest) {
			return nil, fmt.Errorf("records %s: git cat-file: %s: %q", r.Dir, d, line)
		}
		got[d] = rest[:n:n]
		b = rest[n+1:]
	}
	return got, nil
}

// writeStartup keeps c as the config device n boots with.
func (r *Records) writeStartup(n string, c RecordedConfig) error {
	c.When = r.Now().UTC()
	meta, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return fmt.Errorf("records: device %s: %w", n, err)
	}
	if err := os.WriteFile(filepath.Join(r.Dir, "configs", n+".startup"), c.Text, 0o644); err != nil {
		return fmt.Errorf("records: %w", err)
	}
	if err := os.WriteFile(filepath.Join(r.Dir, "configs", n+".startup.meta.json"), append(meta, '\n'), 0o644); err != nil {
		return fmt.Errorf("records: %w", err)
	}
	return nil
}

// Startup returns the config tuyau last made the device's startup config
// (apply, confirm or rollback followed by "write memory"), and false when
// tuyau never saved the device. It implements StartupSource.
func (r *Records) Startup(_ context.Context, device string) (RecordedConfig, bool, error) {
	text, err := os.ReadFile(filepath.Join(r.Dir, "configs", device+".startup"))
	if errors.Is(err, os.ErrNotExist) {
		return RecordedConfig{}, false, nil
	}
	if err != nil {
		return RecordedConfig{}, false, fmt.Errorf("records %s: device %s: startup: %w", r.Dir, device, err)
	}
	c := RecordedConfig{}
	meta, err := os.ReadFile(filepath.Join(r.Dir, "configs", device+".startup.meta.json"))
	if err == nil {
		err = json.Unmarshal(meta, &c)
	}
	if err != nil {
		return RecordedConfig{}, false, fmt.Errorf("records %s: device %s: startup meta: %w", r.Dir, device, err)
	}
	c.Text = text
	return c, true, nil
}

// ConfirmFile is the file "tuyau config confirm" touches; an apply waiting
// with --confirm keeps its change when it appears after the apply started.
func (r *Records) ConfirmFile() string { return filepath.Join(r.Dir, "confirm") }

// Confirm records an operator's confirmation of pending applies.
func (r *Records) Confirm() error {
	return os.WriteFile(r.ConfirmFile(), []byte(r.Now().UTC().Format(time.RFC3339Nano)+"\n"), 0o644)
}

// ConfirmedSince reports whether a confirmation was recorded after t.
func (r *Records) ConfirmedSince(t time.Time) bool {
	fi, err := os.Stat(r.ConfirmFile())
	return err == nil && !fi.ModTime().Before(t)
}
