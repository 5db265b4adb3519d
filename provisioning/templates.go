package provisioning

import (
	"bytes"
	"embed"
	"fmt"
	"strings"
	"text/template"
)

//go:embed templates/*.tmpl
var templateFS embed.FS

// afArgs passes one address family to a shared template block.
type afArgsT struct {
	BGP    *BGPIntent
	Family string
}

var templateFuncs = template.FuncMap{
	"afArgs":   func(b *BGPIntent, f string) afArgsT { return afArgsT{BGP: b, Family: f} },
	"join":     strings.Join,
	"add":      func(a, b int) int { return a + b },
	"quote":    func(s string) string { return fmt.Sprintf("%q", s) },
	"ifname":   interfaceName,
	"netmask":  netmask,
	"bgpgroup": bgpGroup,
}

// renderTemplate executes templates/NAME.tmpl; templates are parsed per call
// (microseconds) so a platform carries no package-level state.
func renderTemplate(name string, data any) ([]byte, error) {
	text, err := templateFS.ReadFile("templates/" + name + ".tmpl")
	if err != nil {
		return nil, fmt.Errorf("template %s: %w", name, err)
	}
	return renderTemplateText(name, string(text), data)
}

// renderTemplateText executes a template given as text.
func renderTemplateText(name, text string, data any) ([]byte, error) {
	t, err := template.New(name).Funcs(templateFuncs).Option("missingkey=error").Parse(text)
	if err != nil {
		return nil, fmt.Errorf("template %s: %w", name, err)
	}
	var b bytes.Buffer
	if err := t.Execute(&b, data); err != nil {
		return nil, fmt.Errorf("template %s: %w", name, err)
	}
	return b.Bytes(), nil
}
