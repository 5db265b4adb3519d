package sshcli

import (
	"bytes"
	"errors"
	"fmt"
	"os"

	"gopkg.in/yaml.v3"
)

// Credentials log in to devices. They come from the environment or a
// secrets file, never from the inventory; String never shows them.
type Credentials struct {
	Username string `yaml:"username"`
	Password string `yaml:"password"`
	// PrivateKey is the path of a private key file.
	PrivateKey string `yaml:"private_key"`
}

// String hides the secrets so a credential printed by mistake leaks nothing.
func (c Credentials) String() string {
	return fmt.Sprintf("user %s (password %t, key %t)", c.Username, c.Password != "", c.PrivateKey != "")
}

// GoString hides the secrets from %#v too.
func (c Credentials) GoString() string { return c.String() }

// LoadCredentials reads TUYAU_SSH_USERNAME, TUYAU_SSH_PASSWORD and
// TUYAU_SSH_KEY, then fills what is missing from the secrets file (YAML
// with an "ssh:" section) when one is named.
func LoadCredentials(getenv func(string) string, secretsFile string) (Credentials, error) {
	c := Credentials{Username: getenv("TUYAU_SSH_USERNAME"), Password: getenv("TUYAU_SSH_PASSWORD"), PrivateKey: getenv("TUYAU_SSH_KEY")}
	if secretsFile != "" {
		data, err := os.ReadFile(secretsFile)
		if err != nil {
			return c, fmt.Errorf("secrets file: %w", err)
		}
		var f struct {
			SSH Credentials `yaml:"ssh"`
		}
		dec := yaml.NewDecoder(bytes.NewReader(data))
		if err := dec.Decode(&f); err != nil {
			// The YAML error may quote the file: do not wrap it.
			return c, fmt.Errorf("secrets file %s: not valid YAML with an ssh: section", secretsFile)
		}
		if c.Username == "" {
			c.Username = f.SSH.Username
		}
		if c.Password == "" {
			c.Password = f.SSH.Password
		}
		if c.PrivateKey == "" {
			c.PrivateKey = f.SSH.PrivateKey
		}
	}
	if c.Username == "" {
		return c, errors.New("no SSH username: set TUYAU_SSH_USERNAME or ssh.username in the secrets file")
	}
	if c.Password == "" && c.PrivateKey == "" {
		return c, errors.New("no SSH password or key: set TUYAU_SSH_PASSWORD or TUYAU_SSH_KEY, or the secrets file")
	}
	return c, nil
}
