package bgp

import (
	"bytes"
	"errors"
	"fmt"
	"os"

	"gopkg.in/yaml.v3"
)

// Passwords are the TCP MD5 passwords of the secrets file, by key (the
// inventory's password_secret). String never shows them.
type Passwords struct {
	file string
	m    map[string]string
	// hashKey is bgp.hash_key, hex: the key of the tokens that stand for
	// the passwords in plans and records (provisioning.Secrets).
	hashKey string
}

// ErrNoSecret is returned for a key the secrets file does not hold.
var ErrNoSecret = errors.New("no such key in the secrets file")

// LoadPasswords reads the "bgp: passwords:" section of the secrets file
// (the YAML file provisioning reads its SSH credentials from). An empty
// file name gives an empty set: every lookup then fails, naming the key.
func LoadPasswords(file string) (*Passwords, error) {
	p := &Passwords{file: file, m: map[string]string{}}
	if file == "" {
		return p, nil
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("secrets file: %w", err)
	}
	var f struct {
		BGP struct {
			Passwords map[string]string `yaml:"passwords"`
			HashKey   string            `yaml:"hash_key"`
		} `yaml:"bgp"`
	}
	if err := yaml.NewDecoder(bytes.NewReader(data)).Decode(&f); err != nil {
		// The YAML error may quote a password: do not wrap it.
		return nil, fmt.Errorf("secrets file %s: not valid YAML with a bgp: passwords: section", file)
	}
	for k, v := range f.BGP.Passwords {
		p.m[k] = v
	}
	p.hashKey = f.BGP.HashKey
	return p, nil
}

// HashKey returns bgp.hash_key as given (hex), "" when the file has none.
func (p *Passwords) HashKey() string {
	if p == nil {
		return ""
	}
	return p.hashKey
}

// Each calls fn with every password of the file, in no order.
func (p *Passwords) Each(fn func(key, password string)) {
	if p == nil {
		return
	}
	for k, v := range p.m {
		fn(k, v)
	}
}

// Lookup returns the password stored under key.
func (p *Passwords) Lookup(key string) (string, error) {
	if p != nil {
		if v, ok := p.m[key]; ok && v != "" {
			return v, nil
		}
	}
	where := "no secrets file given (--secrets or TUYAU_SECRETS)"
	if p != nil && p.file != "" {
		where = "secrets file " + p.file + ", section bgp: passwords:"
	}
	return "", fmt.Errorf("password_secret %q: %w (%s)", key, ErrNoSecret, where)
}

// String hides the passwords.
func (p *Passwords) String() string {
	if p == nil {
		return "no BGP passwords"
	}
	return fmt.Sprintf("%d BGP passwords from %s", len(p.m), p.file)
}

// GoString hides the passwords from %#v too.
func (p *Passwords) GoString() string { return p.String() }
