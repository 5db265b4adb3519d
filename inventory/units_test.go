package inventory

import "testing"

func TestParseLength(t *testing.T) {
	tests := []struct {
		in      string
		meters  float64
		unit    string
		wantErr bool
	}{
		{"12.4 km", 12400, "km", false},
		{"800m", 800, "m", false},
		{"800 m", 800, "m", false},
		{"3 mi", 4828.032, "mi", false},
		{"100 ft", 30.48, "ft", false},
		{"2.5 KM", 2500, "km", false},
		{"-3 km", -3000, "km", false}, // parsed; Validate reports it
		{"12", 0, "", true},
		{"km", 0, "", true},
		{"12 furlongs", 0, "", true},
		{"1.2.3 km", 0, "", true},
		{"", 0, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseLength(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("ParseLength(%q) error = %v, want error %v", tt.in, err, tt.wantErr)
			}
			if err == nil && (got.Meters != tt.meters || got.Unit != tt.unit) {
				t.Errorf("ParseLength(%q) = %+v, want %v m in %s", tt.in, got, tt.meters, tt.unit)
			}
		})
	}
}

func TestLengthRoundTrip(t *testing.T) {
	for _, s := range []string{"12.4 km", "3 m", "0.35 km", "1.25 mi"} {
		l, err := ParseLength(s)
		if err != nil {
			t.Fatal(err)
		}
		if l.String() != s {
			t.Errorf("ParseLength(%q).String() = %q", s, l.String())
		}
	}
}

func TestParseSpeed(t *testing.T) {
	tests := []struct {
		in      string
		want    Speed
		str     string
		wantErr bool
	}{
		{"10G", 10000, "10G", false},
		{"1G", 1000, "1G", false},
		{"100M", 100, "100M", false},
		{"2.5G", 2500, "2500M", false},
		{"400G", 400000, "400G", false},
		{"10Gbps", 10000, "10G", false},
		{"1000", 1000, "1G", false},
		{"fast", 0, "", true},
		{"-1G", 0, "", true},
		{"1e30G", 0, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseSpeed(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("ParseSpeed(%q) error = %v, want error %v", tt.in, err, tt.wantErr)
			}
			if err == nil && (got != tt.want || got.String() != tt.str) {
				t.Errorf("ParseSpeed(%q) = %d (%s), want %d (%s)", tt.in, got, got, tt.want, tt.str)
			}
		})
	}
}
