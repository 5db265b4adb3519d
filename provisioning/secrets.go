package provisioning

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
)

// Secrets keeps device passwords out of everything tuyau shows or keeps.
// Rendered configs carry a token in place of each password, and the
// running configs read from a device have theirs replaced by the same
// token as soon as they are read (the Pool does it), so plans, diffs,
// saved plans, JSON output, logs and records only ever hold tokens. A
// token is a keyed hash (HMAC-SHA256) of the password: a password change
// is a change of token, so drift is still seen, and without the key a
// token says nothing about the password. The real password goes back in
// only in the commands sent to the device (Resolve), from the secrets
// file or from what the same run read on the device.
type Secrets struct {
	key []byte
	mu  sync.Mutex
	pw  map[string]string // token -> password
}

// SecretTokenPrefix starts every token; a token is one word every
// platform's password syntax takes.
const SecretTokenPrefix = "tuyau-secret-"

var tokenRE = regexp.MustCompile(regexp.QuoteMeta(SecretTokenPrefix) + `[0-9a-f]{24}`)

// NewSecrets returns a redactor keyed by key (at least 16 bytes).
func NewSecrets(key []byte) (*Secrets, error) {
	if len(key) < 16 {
		return nil, errors.New("secret hash key: shorter than 16 bytes")
	}
	return &Secrets{key: key, pw: map[string]string{}}, nil
}

// LoadSecretKey reads the hash key from file, making a random one (mode
// 0600) when the file does not exist, so the tokens of one machine stay
// stable from run to run.
func LoadSecretKey(file string) ([]byte, error) {
	b, err := os.ReadFile(file)
	if err == nil {
		k, derr := hex.DecodeString(strings.TrimSpace(string(b)))
		if derr != nil || len(k) < 16 {
			return nil, fmt.Errorf("secret hash key %s: not 16 or more hex-encoded bytes", file)
		}
		return k, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("secret hash key: %w", err)
	}
	k := make([]byte, 32)
	if _, err := rand.Read(k); err != nil {
		return nil, fmt.Errorf("secret hash key: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(file), 0o700); err != nil {
		return nil, fmt.Errorf("secret hash key: %w", err)
	}
	f, err := os.OpenFile(file, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		if errors.Is(err, os.ErrExist) {
			return LoadSecretKey(file) // made by another tuyau meanwhile
		}
		return nil, fmt.Errorf("secret hash key: %w", err)
	}
	if _, err := f.WriteString(hex.EncodeToString(k) + "\n"); err != nil {
		f.Close()
		return nil, fmt.Errorf("secret hash key %s: %w", file, err)
	}
	return k, f.Close()
}

// Token returns the password's token and remembers the password for
// Resolve.
func (s *Secrets) Token(pw string) string {
	if tokenRE.MatchString(pw) && len(pw) == len(SecretTokenPrefix)+24 {
		return pw
	}
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte(pw))
	t := SecretTokenPrefix + hex.EncodeToString(m.Sum(nil))[:24]
	s.mu.Lock()
	s.pw[t] = pw
	s.mu.Unlock()
	return t
}

// Lookup wraps a secrets-file lookup (Options.BGPPassword) so the renderer
// gets the token: the password is checked as the renderer would, then
// only its token goes into the config.
func (s *Secrets) Lookup(lookup func(key string) (string, error)) func(key string) (string, error) {
	if lookup == nil {
		return nil
	}
	return func(key string) (string, error) {
		pw, err := lookup(key)
		if err != nil {
			return "", err
		}
		if err := checkPassword(key, pw); err != nil {
			return "", err
		}
		return s.Token(pw), nil
	}
}

// passwordLines match a password in a config line of each platform: FRR
// and IOS-XE "neighbor X password PW", EOS "neighbor X password 0 PW",
// Junos authentication-key "PW"; SR Linux authentication password "PW".
var passwordLines = []*regexp.Regexp{
	regexp.MustCompile(`(?m)(\bneighbor \S+ password (?:0 )?)([^\s"]+)`),
	regexp.MustCompile(`(?m)(\bauthentication-key ")([^"]+)(")`),
	regexp.MustCompile(`(?m)(\bauthentication password ")([^"]+)(")`),
}

// Redact replaces every password of a config text by its token.
func (s *Secrets) Redact(b []byte) []byte {
	if s == nil {
		return b
	}
	for _, re := range passwordLines {
		b = re.ReplaceAllFunc(b, func(m []byte) []byte {
			sub := re.FindSubmatch(m)
			out := append([]byte{}, sub[1]...)
			out = append(out, s.Token(string(sub[2]))...)
			if len(sub) > 3 {
				out = append(out, sub[3]...)
			}
			return out
		})
	}
	return b
}

// ErrUnknownSecret is a token no known password hashes to: the secrets
// file no longer holds it (a rotated password) and the device did not show
// it in this run.
var ErrUnknownSecret = errors.New("no password of the secrets file or of the device hashes to this token")

// Resolve puts the passwords back in commands about to be sent.
func (s *Secrets) Resolve(cmds []string) ([]string, error) {
	if s == nil {
		return cmds, nil
	}
	out := make([]string, len(cmds))
	var missing []string
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, c := range cmds {
		out[i] = tokenRE.ReplaceAllStringFunc(c, func(t string) string {
			pw, ok := s.pw[t]
			if !ok {
				missing = append(missing, t)
				return t
			}
			return pw
		})
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("secret %s: %w", missing[0], ErrUnknownSecret)
	}
	return out, nil
}

// Scrub replaces every known password in s by its token: for device
// answers and errors that echo a command.
func (s *Secrets) Scrub(text string) string {
	if s == nil {
		return text
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	// Longest first, so a password containing another is replaced whole.
	toks := make([]string, 0, len(s.pw))
	for t := range s.pw {
		toks = append(toks, t)
	}
	sort.Slice(toks, func(i, j int) bool { return len(s.pw[toks[i]]) > len(s.pw[toks[j]]) })
	for _, t := range toks {
		if pw := s.pw[t]; pw != "" {
			text = strings.ReplaceAll(text, pw, t)
		}
	}
	return text
}

// scrubbedError is an error whose text went through Scrub; the chain
// stays for errors.Is/As, and a CommandError in it is scrubbed in place.
type scrubbedError struct {
	msg string
	err error
}

func (e *scrubbedError) Error() string { return e.msg }
func (e *scrubbedError) Unwrap() error { return e.err }

func (s *Secrets) scrubErr(err error) error {
	if s == nil || err == nil {
		return err
	}
	var ce *CommandError
	if errors.As(err, &ce) {
		ce.Command, ce.Message = s.Scrub(ce.Command), s.Scrub(ce.Message)
		for i := range ce.Others {
			ce.Others[i] = s.Scrub(ce.Others[i])
		}
	}
	return &scrubbedError{msg: s.Scrub(err.Error()), err: err}
}
