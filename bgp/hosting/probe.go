package hosting

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"slices"
	"strings"
)

// NewProbe builds the check c describes against one endpoint ("host:port").
func NewProbe(c CheckConfig, endpoint string) (Check, error) {
	c = Config{Check: c}.withDefaults().Check
	if _, _, err := net.SplitHostPort(endpoint); err != nil {
		return nil, fmt.Errorf("endpoint %q: want host:port: %w", endpoint, err)
	}
	switch c.Kind {
	case "tcp":
		return &TCPCheck{Addr: endpoint}, nil
	case "http":
		return NewHTTPCheck(c, endpoint)
	}
	return nil, fmt.Errorf("check kind %q: want tcp or http", c.Kind)
}

// TCPCheck is healthy when a TCP connection to Addr opens.
type TCPCheck struct{ Addr string }

func (c *TCPCheck) String() string { return "tcp " + c.Addr }

// Check connects and closes at once.
func (c *TCPCheck) Check(ctx context.Context) error {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", c.Addr)
	if err != nil {
		return fmt.Errorf("tcp %s: %w", c.Addr, err)
	}
	return conn.Close()
}

// HTTPCheck is healthy when a GET of URL answers one of Status and, when
// Body is set, its body holds Body.
type HTTPCheck struct {
	URL    string
	Host   string
	Status []int
	Body   string
	client *http.Client
}

// bodyLimit bounds what a check reads of a body.
const bodyLimit = 64 << 10

// NewHTTPCheck builds the HTTP check of c against endpoint. Keep-alives are
// off: every check opens its own connection, as a new client would, so a
// dead listener cannot hide behind a pooled connection.
func NewHTTPCheck(c CheckConfig, endpoint string) (*HTTPCheck, error) {
	c = Config{Check: c}.withDefaults().Check
	path := c.Path
	if !strings.HasPrefix(path, "/") {
		path = "/" + path
	}
	tr := &http.Transport{DisableKeepAlives: true, Proxy: nil}
	if c.Scheme == "https" {
		tr.TLSClientConfig = &tls.Config{ServerName: c.Host, MinVersion: tls.VersionTLS12, InsecureSkipVerify: c.Insecure}
		if c.CAFile != "" {
			pem, err := os.ReadFile(c.CAFile)
			if err != nil {
				return nil, fmt.Errorf("check CA file: %w", err)
			}
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(pem) {
				return nil, fmt.Errorf("check CA file %s: no PEM certificate", c.CAFile)
			}
			tr.TLSClientConfig.RootCAs = pool
		}
	}
	return &HTTPCheck{URL: c.Scheme + "://" + endpoint + path, Host: c.Host, Status: c.Status, Body: c.Body,
		client: &http.Client{Transport: tr, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}, nil
}

func (c *HTTPCheck) String() string { return "http " + c.URL }

// Check sends one GET bounded by ctx.
func (c *HTTPCheck) Check(ctx context.Context) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.URL, nil)
	if err != nil {
		return fmt.Errorf("http %s: %w", c.URL, err)
	}
	if c.Host != "" {
		req.Host = c.Host
	}
	req.Header.Set("User-Agent", "tuyau-healthcheck")
	resp, err := c.client.Do(req)
	if err != nil {
		return fmt.Errorf("http %s: %w", c.URL, err)
	}
	defer resp.Body.Close()
	if !slices.Contains(c.Status, resp.StatusCode) {
		return fmt.Errorf("http %s: status %d, want %v", c.URL, resp.StatusCode, c.Status)
	}
	if c.Body == "" {
		return nil
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, bodyLimit))
	if err != nil {
		return fmt.Errorf("http %s: body: %w", c.URL, err)
	}
	if !bytes.Contains(b, []byte(c.Body)) {
		return fmt.Errorf("http %s: body does not contain %q", c.URL, c.Body)
	}
	return nil
}

// LinkSource is the telemetry view of a site's links, which cmd wires from
// the collector's link states: how many of the site's routed links (those
// with an end at the site) are up, out of how many known.
type LinkSource interface {
	SiteLinks(ctx context.Context, site string) (up, total int, err error)
}

// LinkCheck is healthy when at least MinUp (default 1) of the site's links
// are up. It fails open: no telemetry data about the site (total 0) or a
// telemetry error does not make the site unhealthy, because losing the
// collector must not move the hosting.
type LinkCheck struct {
	Source LinkSource
	Site   string
	MinUp  int
}

func (c *LinkCheck) String() string { return "links of " + c.Site }

// Check asks the source.
func (c *LinkCheck) Check(ctx context.Context) error {
	up, total, err := c.Source.SiteLinks(ctx, c.Site)
	if err != nil || total == 0 {
		return nil
	}
	if up < max(c.MinUp, 1) {
		return fmt.Errorf("links of %s: %d of %d up, want at least %d", c.Site, up, total, max(c.MinUp, 1))
	}
	return nil
}
