package sshcli

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"
)

// chunks hands its reads over one at a time, as SSH packets arrive.
type chunks []string

func (c *chunks) Read(p []byte) (int, error) {
	if len(*c) == 0 {
		return 0, io.EOF
	}
	n := copy(p, (*c)[0])
	*c = (*c)[1:]
	return n, nil
}

// TestSessionRead checks what the reader keeps of vtysh's output: no CR,
// no escape sequence, even one cut between two reads (readline wraps
// every prompt in bracketed-paste switches), and everything else as is.
func TestSessionRead(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   chunks
		want string
	}{
		{"plain", chunks{"r1# show daemons\r\n", " zebra bgpd\r\nr1# "}, "r1# show daemons\n zebra bgpd\nr1# "},
		{"bracketed paste", chunks{"\x1b[?2004hr1# show x\r\n\x1b[?2004l\rout\r\n"}, "r1# show x\nout\n"},
		{"escape cut", chunks{"line\r\n\x1b[?20", "04hr1# "}, "line\nr1# "},
		{"escape cut after ESC", chunks{"a\x1b", "[Kb"}, "ab"},
		{"lone ESC kept", chunks{"a\x1b" + "0123456789abcdefghij"}, "a\x1b0123456789abcdefghij"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := &session{more: make(chan struct{}, 1)}
			in := tc.in
			s.read(&in)
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			defer cancel()
			var got []byte
			for {
				b, err := s.next(ctx)
				if err != nil {
					break
				}
				got = append(got, b...)
			}
			if string(got) != tc.want {
				t.Errorf("read %q = %q, want %q", []string(tc.in), got, tc.want)
			}
		})
	}
}

// FuzzSessionRead feeds the reader vtysh output cut anywhere: it never
// keeps a CR, and output without escapes comes out whole whatever the cut.
func FuzzSessionRead(f *testing.F) {
	f.Add("r1# show daemons\r\n zebra bgpd\r\nr1# ", 5)
	f.Add("\x1b[?2004hr1# show x\r\n\x1b[?2004l\rout\r\n", 3)
	f.Add("line\r\n\x1b[?2004hr1# ", 8)
	f.Fuzz(func(t *testing.T, in string, cut int) {
		if cut < 0 || cut > len(in) {
			cut = len(in) / 2
		}
		s := &session{more: make(chan struct{}, 1)}
		c := chunks{in[:cut], in[cut:]}
		s.read(&c)
		got := string(s.out)
		if strings.Contains(got, "\r") {
			t.Errorf("read %q cut at %d kept a CR: %q", in, cut, got)
		}
		if !strings.Contains(in, "\x1b") {
			if want := strings.ReplaceAll(in, "\r", ""); got != want {
				t.Errorf("read %q cut at %d = %q, want %q", in, cut, got, want)
			}
		}
	})
}
