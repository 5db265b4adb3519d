package netbox

import (
	"crypto/tls"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	gonetbox "github.com/netbox-community/go-netbox/v4"

	"github.com/tuyau-net/tuyau/inventory"
)

// Store is a NetBox 4.x instance used as the inventory: Load reads the
// whole network, Apply writes a change set in dependency order.
type Store struct {
	c       client
	mapping Mapping
	filter  Filter
	// wholeReads forces a filtered read to read every list whole (true)
	// or by chunks of ids (false); nil chooses by the lists' counts.
	wholeReads *bool
	// optics is the user optics table loads add (NetBox has no place for
	// it); opticsFrom names its file.
	optics     []inventory.Optic
	opticsFrom string
	// progress, when set, hears each kind a push writes: done of total.
	progress func(kind string, done, total int)
}

// WithProgress calls fn as a push starts and finishes each kind of object.
func WithProgress(fn func(kind string, done, total int)) Option {
	return func(s *Store) error { s.progress = fn; return nil }
}

var _ inventory.Store = (*Store)(nil)

// New returns a store for the NetBox at baseURL (https://netbox.example.org).
// Nothing is contacted until Load or Apply.
func New(baseURL string, opts ...Option) (*Store, error) {
	u, err := url.Parse(strings.TrimSpace(baseURL))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("netbox URL %q: want http(s)://host[:port]", baseURL)
	}
	u.Path = strings.TrimSuffix(strings.TrimSuffix(u.Path, "/"), "/api")
	cfg := gonetbox.NewConfiguration()
	cfg.Servers = gonetbox.ServerConfigurations{{URL: u.String(), Description: "NetBox"}}
	s := &Store{mapping: DefaultMapping(), c: client{base: u.String(), hc: newHTTPClient(), cfg: cfg, log: slog.New(slog.DiscardHandler),
		concurrency: 8, pageSize: 1000, attempts: 5, backoff: 250 * time.Millisecond,
		maxBackoff: 10 * time.Second, timeout: 30 * time.Second, sleep: sleepCtx}}
	for _, o := range opts {
		if err := o(s); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// URL returns the NetBox base URL.
func (s *Store) URL() string { return s.c.base }

func (s *Store) tlsConfig() *tls.Config {
	tr, ok := s.c.hc.Transport.(*http.Transport)
	if !ok {
		tr = http.DefaultTransport.(*http.Transport).Clone()
		s.c.hc.Transport = tr
	}
	if tr.TLSClientConfig == nil {
		tr.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	return tr.TLSClientConfig
}
