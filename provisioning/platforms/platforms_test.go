package platforms

import (
	"regexp"
	"testing"

	"gopkg.in/yaml.v3"
)

// TestPromptPatterns checks the prompts FRR prints against the privilege
// levels, so that a sub-mode prompt is never mistaken for exec or missed.
func TestPromptPatterns(t *testing.T) {
	var def struct {
		Default struct {
			PrivilegeLevels map[string]struct {
				Pattern string `yaml:"pattern"`
			} `yaml:"privilege-levels"`
		} `yaml:"default"`
	}
	if err := yaml.Unmarshal(FRRVtysh(), &def); err != nil {
		t.Fatalf("parse definition: %v", err)
	}
	levels := def.Default.PrivilegeLevels
	tests := []struct {
		prompt string
		level  string
	}{
		{"saint-lo-dc-r1# ", "exec"},
		{"r1#", "exec"},
		{"r1(config)# ", "configuration"},
		{"r1(config-router)# ", "configuration"},
		{"r1(config-if)# ", "configuration"},
		{"r1(config-router-af)# ", "configuration"},
		{"granville-pop-r1.lab(config-router-af)# ", "configuration"},
	}
	for _, tc := range tests {
		t.Run(tc.prompt, func(t *testing.T) {
			var matched []string
			for name, l := range levels {
				if regexp.MustCompile(l.Pattern).MatchString(tc.prompt) {
					matched = append(matched, name)
				}
			}
			if len(matched) != 1 || matched[0] != tc.level {
				t.Errorf("prompt %q matched levels %v, want only %s", tc.prompt, matched, tc.level)
			}
		})
	}
}
