package report

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ParseTime reads a report bound: RFC 3339 (2026-11-01T00:00:00Z), a date
// (2026-11-01, midnight UTC), "now", or relative to now: -7d, -12h, -30m,
// -2w (d a day of 24 h, w seven).
func ParseTime(s string, now time.Time) (time.Time, error) {
	s = strings.TrimSpace(s)
	switch {
	case s == "now" || s == "":
		return now, nil
	case strings.HasPrefix(s, "-") || strings.HasPrefix(s, "+"):
		d, err := parseRelative(s[1:])
		if err != nil {
			return time.Time{}, fmt.Errorf("time %q: %w", s, err)
		}
		if s[0] == '-' {
			d = -d
		}
		return now.Add(d), nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse("2006-01-02", s); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("time %q: want RFC 3339 (2026-11-01T00:00:00Z), a date (2026-11-01), now, or relative (-7d, -12h, -30m)", s)
}

func parseRelative(s string) (time.Duration, error) {
	if n := len(s); n > 1 && (s[n-1] == 'd' || s[n-1] == 'w') {
		v, err := strconv.ParseFloat(s[:n-1], 64)
		// NaN and anything past a few centuries do not fit a duration.
		if err != nil || !(v >= 0 && v <= 100_000) {
			return 0, fmt.Errorf("%q is not a number of days or weeks (0 to 100000)", s[:n-1])
		}
		unit := 24 * time.Hour
		if s[n-1] == 'w' {
			unit *= 7
		}
		return time.Duration(v * float64(unit)), nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("%q: want a duration such as 7d, 12h, 30m", s)
	}
	return d, nil
}
