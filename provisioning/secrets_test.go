package provisioning

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// TestSecretsRoundTrip: every platform's password line is redacted to the
// same token the renderer gets, the token goes back to the password in
// pushed commands, a different key gives a different token, an unknown
// token is refused, and a device error echoing the password is scrubbed
// (CommandError included) while errors.As still finds it.
func TestSecretsRoundTrip(t *testing.T) {
	s, err := NewSecrets([]byte("0123456789abcdef-test-key"))
	if err != nil {
		t.Fatal(err)
	}
	const pw = "s3cret!Pw"
	tok, err := s.Lookup(func(string) (string, error) { return pw, nil })("k")
	if err != nil || !strings.HasPrefix(tok, SecretTokenPrefix) || strings.Contains(tok, pw) {
		t.Fatalf("Lookup = %q, %v", tok, err)
	}
	for _, line := range []string{
		" neighbor 10.0.0.1 password " + pw,
		"   neighbor 10.0.0.1 password 0 " + pw,
		`                authentication-key "` + pw + `";`,
		`set / network-instance default protocols bgp neighbor 10.0.0.1 authentication password "` + pw + `"`,
	} {
		got := string(s.Redact([]byte("x\n" + line + "\ny")))
		if strings.Contains(got, pw) || !strings.Contains(got, tok) {
			t.Errorf("Redact(%q) = %q, want the token %s", line, got, tok)
		}
	}
	cmds, err := s.Resolve([]string{"router bgp 1", "neighbor 10.0.0.1 password " + tok})
	if err != nil || cmds[1] != "neighbor 10.0.0.1 password "+pw {
		t.Errorf("Resolve = %q, %v", cmds, err)
	}
	other, _ := NewSecrets([]byte("another-key-of-16-bytes"))
	if other.Token(pw) == tok {
		t.Error("two keys give the same token")
	}
	if _, err := other.Resolve([]string{"neighbor 10.0.0.1 password " + tok}); !errors.Is(err, ErrUnknownSecret) {
		t.Errorf("unknown token: %v, want ErrUnknownSecret", err)
	}
	ce := &CommandError{Position: 2, Total: 2, Command: "neighbor 10.0.0.1 password " + pw, Message: "% Unknown command: neighbor 10.0.0.1 password " + pw}
	err = s.scrubErr(fmt.Errorf("device r1: push: %w", ce))
	var got *CommandError
	if strings.Contains(err.Error(), pw) || !errors.As(err, &got) || strings.Contains(got.Command+got.Message, pw) {
		t.Errorf("scrubbed error %q still holds the password (or lost its CommandError)", err)
	}
	if _, err := NewSecrets([]byte("short")); err == nil {
		t.Error("a 5-byte key accepted")
	}
}
