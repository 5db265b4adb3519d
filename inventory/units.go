package inventory

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// lengthUnits are NetBox's cable length units, in metres.
var lengthUnits = map[string]float64{
	"km": 1000, "m": 1, "cm": 0.01, "mi": 1609.344, "ft": 0.3048, "in": 0.0254,
}

// Length is a cable length normalized to metres. Unit remembers how the
// source wrote it so that a round trip through YAML or NetBox keeps it.
type Length struct {
	Meters float64 `json:"meters"`
	Unit   string  `json:"unit,omitempty"`
}

// Km returns the length in kilometres.
func (l Length) Km() float64 { return l.Meters / 1000 }

// IsZero reports whether no length is set.
func (l Length) IsZero() bool { return l.Meters == 0 && l.Unit == "" }

// Value returns the length expressed in its own unit (metres when none is set).
func (l Length) Value() float64 {
	f, ok := lengthUnits[l.Unit]
	if !ok {
		return l.Meters
	}
	return roundTo(l.Meters/f, 6)
}

// String prints the length in its source unit: "12.4 km".
func (l Length) String() string {
	u := l.Unit
	if u == "" {
		u = "m"
	}
	return strconv.FormatFloat(l.Value(), 'f', -1, 64) + " " + u
}

// NewLength builds a Length from a value and one of km, m, cm, mi, ft, in.
func NewLength(v float64, unit string) (Length, error) {
	f, ok := lengthUnits[unit]
	if !ok {
		return Length{}, fmt.Errorf("unknown length unit %q (want km, m, cm, mi, ft or in)", unit)
	}
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return Length{}, fmt.Errorf("length %v is not a number", v)
	}
	return Length{Meters: roundTo(v*f, 6), Unit: unit}, nil
}

// ParseLength reads "12.4 km", "800m" or "3.2 mi". A bare number is refused:
// 12.4 could mean metres or kilometres and a wrong guess breaks every budget.
func ParseLength(s string) (Length, error) {
	s = strings.TrimSpace(s)
	i := strings.IndexFunc(s, func(r rune) bool {
		return (r < '0' || r > '9') && r != '.' && r != '-' && r != '+' && r != 'e' && r != 'E'
	})
	if i < 0 {
		return Length{}, fmt.Errorf("length %q has no unit: write it as \"%s km\" or \"%s m\"", s, s, s)
	}
	num, unit := strings.TrimSpace(s[:i]), strings.TrimSpace(s[i:])
	if num == "" {
		return Length{}, fmt.Errorf("length %q has no number", s)
	}
	v, err := strconv.ParseFloat(num, 64)
	if err != nil {
		return Length{}, fmt.Errorf("length %q: %q is not a number", s, num)
	}
	return NewLength(v, strings.ToLower(unit))
}

// MarshalText writes the length as "12.4 km".
func (l Length) MarshalText() ([]byte, error) { return []byte(l.String()), nil }

// UnmarshalText reads the forms ParseLength accepts.
func (l *Length) UnmarshalText(b []byte) error {
	v, err := ParseLength(string(b))
	if err != nil {
		return err
	}
	*l = v
	return nil
}

// MarshalJSON writes {"meters": N, "unit": U} so JSON consumers need no parsing.
func (l Length) MarshalJSON() ([]byte, error) {
	type plain Length
	return json.Marshal(plain(l))
}

// UnmarshalJSON reads what MarshalJSON writes.
func (l *Length) UnmarshalJSON(b []byte) error {
	type plain Length
	var p plain
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	*l = Length(p)
	return nil
}

func roundTo(v float64, digits int) float64 {
	p := math.Pow10(digits)
	return math.Round(v*p) / p
}

// Speed is a bit rate in Mbit/s.
type Speed int64

// ParseSpeed reads "10G", "100M", "2.5G", "400G" or a plain number of Mbit/s.
func ParseSpeed(s string) (Speed, error) {
	t := strings.ToUpper(strings.TrimSpace(s))
	t = strings.TrimSuffix(strings.TrimSuffix(t, "BPS"), "B")
	mult := 1.0
	switch {
	case strings.HasSuffix(t, "T"):
		mult, t = 1e6, strings.TrimSuffix(t, "T")
	case strings.HasSuffix(t, "G"):
		mult, t = 1e3, strings.TrimSuffix(t, "G")
	case strings.HasSuffix(t, "M"):
		t = strings.TrimSuffix(t, "M")
	case strings.HasSuffix(t, "K"):
		mult, t = 1e-3, strings.TrimSuffix(t, "K")
	}
	v, err := strconv.ParseFloat(strings.TrimSpace(t), 64)
	if err != nil || v < 0 || math.IsInf(v, 0) || v*mult > 1e9 {
		return 0, fmt.Errorf("speed %q is not a bit rate (write 1G, 10G, 100M or a number of Mbit/s)", s)
	}
	return Speed(math.Round(v * mult)), nil
}

// String writes the speed as 10G, 2500M or 100M.
func (s Speed) String() string {
	switch {
	case s >= 1_000_000 && s%1_000_000 == 0:
		return strconv.FormatInt(int64(s/1_000_000), 10) + "T"
	case s >= 1000 && s%1000 == 0:
		return strconv.FormatInt(int64(s/1000), 10) + "G"
	}
	return strconv.FormatInt(int64(s), 10) + "M"
}

// MarshalText writes the human form (10G).
func (s Speed) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText reads the forms ParseSpeed accepts.
func (s *Speed) UnmarshalText(b []byte) error {
	v, err := ParseSpeed(string(b))
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// MarshalJSON writes the number of Mbit/s.
func (s Speed) MarshalJSON() ([]byte, error) { return []byte(strconv.FormatInt(int64(s), 10)), nil }

// UnmarshalJSON reads a number of Mbit/s.
func (s *Speed) UnmarshalJSON(b []byte) error {
	var v int64
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*s = Speed(v)
	return nil
}
