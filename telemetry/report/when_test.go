package report

import (
	"testing"
	"time"
)

// FuzzParseTime: any --from or --to is a time or an error naming it,
// never a panic; a relative time never moves the wrong way.
func FuzzParseTime(f *testing.F) {
	for _, s := range []string{"now", "-7d", "+1w", "-12h", "-1.5d", "2026-11-01", "2026-11-01T08:30:00+01:00", "-", "-d", "--7d", "-1e300d", "-NaNd"} {
		f.Add(s)
	}
	now := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, s string) {
		got, err := ParseTime(s, now)
		if err != nil {
			return
		}
		if len(s) > 1 && s[0] == '-' && got.After(now) || len(s) > 1 && s[0] == '+' && got.Before(now) {
			t.Errorf("ParseTime(%q) = %v: the wrong side of now", s, got)
		}
	})
}
