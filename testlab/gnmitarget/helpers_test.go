package gnmitarget

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

const (
	testUser     = "lab"
	testPassword = "s3cret-lab-pass"
)

// fixtureLeaf is a leaf in testdata: JSON cannot carry the Go type that
// stands for the YANG type, so it is named.
type fixtureLeaf struct {
	Path  string          `json:"path"`
	Type  string          `json:"type"`
	Value json.RawMessage `json:"value"`
}

func loadLeaves(t testing.TB, file string) []Leaf {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", file))
	if err != nil {
		t.Fatal(err)
	}
	var fl []fixtureLeaf
	if err := json.Unmarshal(b, &fl); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	out := make([]Leaf, len(fl))
	for i, f := range fl {
		var v any
		var err error
		switch f.Type {
		case "string":
			var s string
			err, v = json.Unmarshal(f.Value, &s), &s
		case "bool":
			var x bool
			err, v = json.Unmarshal(f.Value, &x), &x
		case "uint8":
			var x uint8
			err, v = json.Unmarshal(f.Value, &x), &x
		case "uint16":
			var x uint16
			err, v = json.Unmarshal(f.Value, &x), &x
		case "uint32":
			var x uint32
			err, v = json.Unmarshal(f.Value, &x), &x
		case "uint64":
			var x uint64
			err, v = json.Unmarshal(f.Value, &x), &x
		case "float64":
			var x float64
			err, v = json.Unmarshal(f.Value, &x), &x
		default:
			err = errors.New("unknown type " + f.Type)
		}
		if err != nil {
			t.Fatalf("%s: leaf %s: %v", file, f.Path, err)
		}
		out[i] = Leaf{Path: f.Path, Value: deref(v)}
	}
	return out
}

func deref(v any) any {
	switch x := v.(type) {
	case *string:
		return *x
	case *bool:
		return *x
	case *uint8:
		return *x
	case *uint16:
		return *x
	case *uint32:
		return *x
	case *uint64:
		return *x
	case *float64:
		return *x
	}
	return v
}

func newDevice(t testing.TB) *MemBackend {
	t.Helper()
	m, err := NewMemBackend(loadLeaves(t, "device-r1.json")...)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// labTarget is a running target and what a client needs to reach it.
type labTarget struct {
	addr   string
	caFile string
	dev    *MemBackend
	srv    *Server
	stop   func() // stops the server and waits for Serve; runs at cleanup too
}

// startTarget serves dev over TLS with the lab CA (or plaintext when
// insecure) and credentials, until the test ends; it fails the test if
// Serve does not shut down cleanly.
func startTarget(t testing.TB, dev *MemBackend, insecure bool, opts ...Option) *labTarget {
	t.Helper()
	return startTargetAt(t, dev, "127.0.0.1", "127.0.0.1", insecure, opts...)
}

// startTargetAt listens on ip (any 127.x.y.z works without root on Linux,
// as each lab device has its own) with a certificate issued for certIP.
func startTargetAt(t testing.TB, dev *MemBackend, ip, certIP string, insecure bool, opts ...Option) *labTarget {
	t.Helper()
	return startBackendAt(t, dev, dev, ip, certIP, insecure, opts...)
}

// startBackendAt serves any backend; mem is the MemBackend behind it, if
// the test wants to change its leaves.
func startBackendAt(t testing.TB, b Backend, mem *MemBackend, ip, certIP string, insecure bool, opts ...Option) *labTarget {
	t.Helper()
	lis, err := net.Listen("tcp", net.JoinHostPort(ip, "0"))
	if err != nil {
		t.Fatal(err)
	}
	lt := &labTarget{addr: lis.Addr().String(), dev: mem}
	opts = append([]Option{WithCredentials(testUser, testPassword), WithName("r1")}, opts...)
	if insecure {
		opts = append(opts, WithInsecure())
	} else {
		dir := t.TempDir()
		ca, err := NewLabCA("test", time.Now(), time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		lt.caFile = filepath.Join(dir, "ca.pem")
		if err := ca.WriteFiles(lt.caFile, filepath.Join(dir, "ca.key")); err != nil {
			t.Fatal(err)
		}
		cert, err := ca.Issue("r1", []net.IP{net.ParseIP(certIP)}, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		opts = append(opts, WithTLS(cert))
	}
	lt.srv = New(b, opts...)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- lt.srv.Serve(ctx, lis) }()
	var once sync.Once
	lt.stop = func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("Serve: %v", err)
				}
			case <-time.After(10 * time.Second):
				t.Errorf("Serve did not return 10s after its context ended")
			}
		})
	}
	t.Cleanup(lt.stop)
	return lt
}
