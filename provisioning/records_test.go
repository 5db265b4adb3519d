package provisioning

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestRecords(t *testing.T) {
	ctx := context.Background()
	rec, err := OpenRecords(ctx, filepath.Join(t.TempDir(), "records"))
	if err != nil {
		t.Fatal(err)
	}
	c1, changed, err := rec.Save(ctx, "backup of 2 devices", texts("r1", []byte("hostname r1\n"), "r2", []byte("hostname r2\n")), nil)
	if err != nil || c1 == "" || strings.Join(changed, ",") != "r1,r2" {
		t.Fatalf("first Save = %q %v %v, want a commit changing r1,r2", c1, changed, err)
	}
	c2, changed, err := rec.Save(ctx, "apply", texts("r1", []byte("hostname r1\nlog syslog\n"), "r2", []byte("hostname r2\n")),
		[]AuditEntry{{When: time.Unix(0, 0).UTC(), Who: "noc", Action: "apply", Device: "r1", PlanHash: "abc", Result: Applied}})
	if err != nil || c2 == "" || strings.Join(changed, ",") != "r1" {
		t.Fatalf("second Save = %q %v %v, want a commit changing r1", c2, changed, err)
	}
	msg, _ := rec.git(ctx, "log", "-1", "--format=%s")
	if strings.TrimSpace(msg) != "apply: r1 changed" {
		t.Errorf("commit message %q, want %q", msg, "apply: r1 changed")
	}
	c3, _, err := rec.Save(ctx, "backup", texts("r1", []byte("hostname r1\nlog syslog\n")), nil)
	if err != nil || c3 != "" {
		t.Errorf("Save with nothing new = %q, %v; want no commit", c3, err)
	}
	for n, want := range []string{"hostname r1\nlog syslog\n", "hostname r1\n"} {
		got, err := rec.Version(ctx, "r1", n)
		if err != nil || string(got.Text) != want || got.Platform != "frr" || got.Transport != "ssh" {
			t.Errorf("Version(r1, %d) = %q (%s over %s), %v; want %q", n, got.Text, got.Platform, got.Transport, err, want)
		}
	}
	if _, err := rec.Version(ctx, "r1", 2); err == nil {
		t.Error("Version(r1, 2) succeeded with only two versions")
	}
	audit, err := os.ReadFile(filepath.Join(rec.Dir, "audit.jsonl"))
	if err != nil || !strings.Contains(string(audit), `"plan_hash":"abc"`) {
		t.Errorf("audit.jsonl = %q, %v", audit, err)
	}
	start := time.Now().Add(-time.Second)
	if rec.ConfirmedSince(start) {
		t.Error("confirmed before any confirmation")
	}
	if err := rec.Confirm(); err != nil || !rec.ConfirmedSince(start) {
		t.Errorf("Confirm: %v, ConfirmedSince = %v", err, rec.ConfirmedSince(start))
	}
}

// texts records configs as FRR text read over SSH.
func texts(kv ...any) map[string]RecordedConfig {
	m := map[string]RecordedConfig{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i].(string)] = RecordedConfig{Text: kv[i+1].([]byte), Platform: "frr", Transport: "ssh"}
	}
	return m
}

// TestRecordsLatest checks the one-process read of every device's last
// recorded config against Version(device, 0), which reads it per device.
func TestRecordsLatest(t *testing.T) {
	ctx := context.Background()
	rec, err := OpenRecords(ctx, filepath.Join(t.TempDir(), "records"))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := rec.Latest(ctx, []string{"r1"}); err != nil || len(got) != 0 {
		t.Fatalf("Latest before any commit = %q, %v; want nothing", got, err)
	}
	empty := []byte{}
	if _, _, err := rec.Save(ctx, "backup", texts("r1", []byte("hostname r1\n"), "r2", []byte("hostname r2\n\n"), "r3", empty), nil); err != nil {
		t.Fatal(err)
	}
	if _, _, err := rec.Save(ctx, "apply", texts("r1", []byte("hostname r1\nlog syslog\n")), nil); err != nil {
		t.Fatal(err)
	}
	devs := []string{"r2", "never", "r1", "r3", "odd name"}
	got, err := rec.Latest(ctx, devs)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range devs {
		v, verr := rec.Version(ctx, d, 0)
		text, ok := got[d]
		switch {
		case verr != nil && ok:
			t.Errorf("Latest[%s] = %q, but Version(%s, 0) fails: %v", d, text, d, verr)
		case verr == nil && (!ok || string(text) != string(v.Text)):
			t.Errorf("Latest[%s] = %q (%v), want Version(%s, 0) = %q", d, text, ok, d, v.Text)
		}
	}
	if len(got) != 3 {
		t.Errorf("Latest = %d devices, want 3 (r1, r2, r3)", len(got))
	}
	if _, err := rec.Latest(ctx, []string{"bad\nname"}); err == nil {
		t.Error("Latest took a device name with a newline")
	}
}
