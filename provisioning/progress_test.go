package provisioning

import (
	"errors"
	"strings"
	"testing"
)

func TestProgress(t *testing.T) {
	events := []Event{{Device: "r1", Stage: "push"}, {Device: "r1", Stage: "done"},
		{Device: "r2", Stage: "rollback", Err: errors.New("bgp 10.0.0.1 Idle")}, {Device: "r2", Stage: "done"}}
	tests := []struct {
		name string
		tty  bool
		want string
	}{
		{"plain lines for CI", false, "r1: push\nr1: done (1/2)\nr2: rollback: bgp 10.0.0.1 Idle\nr2: done (2/2)\n"},
		{"bar on a terminal", true, "\r[###############...............] 1/2 r1 done"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var sb strings.Builder
			p := NewProgress(&sb, 2, tt.tty)
			for _, e := range events {
				p.Event(e)
			}
			p.Finish()
			if got := sb.String(); !strings.Contains(got, tt.want) {
				t.Errorf("progress wrote %q, want it to contain %q", got, tt.want)
			}
			if tt.tty && !strings.HasSuffix(sb.String(), "\n") {
				t.Errorf("Finish did not end the bar's line: %q", sb.String())
			}
		})
	}
}
