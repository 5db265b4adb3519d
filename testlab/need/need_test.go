package need

import "testing"

func TestCI(t *testing.T) {
	for _, tc := range []struct {
		env  string
		want bool
	}{{"", false}, {"false", false}, {"0", false}, {"true", true}, {"1", true}} {
		t.Setenv("CI", tc.env)
		if got := CI(); got != tc.want {
			t.Errorf("CI with CI=%q = %v, want %v", tc.env, got, tc.want)
		}
	}
}

func TestToolFound(t *testing.T) {
	if p := Tool(t, "sh", "it is POSIX"); p == "" {
		t.Fatal(`Tool(t, "sh") = "", want its path`)
	}
}
