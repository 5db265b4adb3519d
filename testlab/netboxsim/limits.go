package netboxsim

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
)

// limit is one field's constraints as NetBox's request schema states them
// (limits_gen.go): they come from the serializers' max_length and the
// models' validators, and NetBox answers 400 when a value breaks one.
type limit struct {
	maxLen           int
	min, max         *float64
	exclMin, exclMax bool
	pattern          string
	re               *regexp.Regexp
	// decimal is a DecimalField's precision, which the schema does not state.
	decimal *decimalSpec
}

// decimalSpec is a Django DecimalField's max_digits and decimal_places.
type decimalSpec struct{ digits, places int }

// decimals are the DecimalFields of the models the simulator serves
// (NetBox 4.0 to 4.7 models: dcim/models/cables.py, sites.py,
// devices.py). The schema shows each only as the bound
// ±10^(digits-places), which a test checks against this table.
var decimals = map[string]map[string]decimalSpec{
	"dcim/cables":       {"length": {8, 2}},
	"dcim/sites":        {"latitude": {8, 6}, "longitude": {9, 6}},
	"dcim/device-types": {"u_height": {4, 1}, "weight": {8, 2}},
}

func ptr(f float64) *float64 { return &f }

// applyLimits gives each field of the kinds its release's constraints.
func applyLimits(all []*kind, limits map[string]map[string]limit) {
	res := map[string]*regexp.Regexp{}
	for _, k := range all {
		for i := range k.fields {
			f := &k.fields[i]
			l, ok := limits[k.path][f.name]
			d, isDec := decimals[k.path][f.name]
			if !ok && !isDec {
				continue
			}
			if l.pattern != "" {
				if res[l.pattern] == nil {
					res[l.pattern] = regexp.MustCompile(l.pattern)
				}
				l.re = res[l.pattern]
			}
			if isDec {
				l.decimal = &d
			}
			f.lim = &l
		}
	}
}

// checkString is DRF's CharField max_length and the model's regex validators.
func (l *limit) checkString(v string) string {
	if l == nil {
		return ""
	}
	if l.maxLen > 0 && len([]rune(v)) > l.maxLen {
		return fmt.Sprintf("Ensure this field has no more than %d characters.", l.maxLen)
	}
	if l.re != nil && v != "" && !l.re.MatchString(v) {
		switch l.pattern {
		case `^[-a-zA-Z0-9_]+$`:
			return "Enter a valid “slug” consisting of letters, numbers, underscores or hyphens."
		case `^[0-9a-f]{6}$`:
			return "Enter a valid hexadecimal RGB color code."
		}
		return "Enter a valid value."
	}
	return ""
}

// checkNumber is DRF's min_value/max_value and, for a DecimalField, its
// precision checks, with DRF's messages.
func (l *limit) checkNumber(n float64) string {
	if l == nil {
		return ""
	}
	if d := l.decimal; d != nil {
		total, places, whole := precision(n)
		switch {
		case total > d.digits:
			return fmt.Sprintf("Ensure that there are no more than %d digits in total.", d.digits)
		case places > d.places:
			return fmt.Sprintf("Ensure that there are no more than %d decimal places.", d.places)
		case whole > d.digits-d.places:
			return fmt.Sprintf("Ensure that there are no more than %d digits before the decimal point.", d.digits-d.places)
		}
		// The exclusive ±10^whole bounds are the precision just checked;
		// only a model validator (a plain bound) is left.
		if l.min != nil && !l.exclMin && n < *l.min {
			return "Ensure this value is greater than or equal to " + num(*l.min) + "."
		}
		return ""
	}
	if l.min != nil && (n < *l.min || l.exclMin && n == *l.min) {
		return "Ensure this value is greater than or equal to " + num(*l.min) + "."
	}
	if l.max != nil && (n > *l.max || l.exclMax && n == *l.max) {
		return "Ensure this value is less than or equal to " + num(*l.max) + "."
	}
	return ""
}

func num(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// precision counts a JSON number's digits the way DRF's DecimalField does:
// it reads the number's shortest text (Python's str of a float, "12.0"
// for a whole number) as a Decimal and counts digits in total, after the
// point and before it.
func precision(n float64) (total, places, whole int) {
	s := strconv.FormatFloat(math.Abs(n), 'f', -1, 64)
	intPart, frac, _ := strings.Cut(s, ".")
	if frac == "" && math.Abs(n) < 1e16 {
		frac = "0" // str(12.0) is "12.0": one decimal place
	}
	digits := strings.TrimLeft(intPart+frac, "0")
	places = len(frac)
	if len(digits) > places {
		return len(digits), places, len(digits) - places
	}
	return places, places, 0
}
