package gnmitarget

import (
	"context"
	"crypto/x509"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	gpb "github.com/openconfig/gnmi/proto/gnmi"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

func TestLabCA(t *testing.T) {
	now := time.Now()
	ca, err := NewLabCA("manche", now, 24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "ca.pem"), filepath.Join(dir, "ca.key")
	if err := ca.WriteFiles(certFile, keyFile); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(keyFile); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("CA key mode = %v, %v; want 0600", fi.Mode().Perm(), err)
	}
	// A lab restarted from its state keeps its CA: certificates issued by
	// the reloaded CA verify against the file clients already have.
	again, err := LoadLabCA(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	pem, _ := os.ReadFile(certFile)
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		t.Fatal("CA file holds no certificate")
	}
	cert, err := again.Issue("r17", []net.IP{net.ParseIP("127.0.3.17")}, now)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		ok   bool
	}{
		{"127.0.3.17", true},
		{"r17", true},
		{"127.0.3.18", false},
		{"r18", false},
	}
	for _, tt := range tests {
		_, err := cert.Leaf.Verify(x509.VerifyOptions{DNSName: tt.name, Roots: pool, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}})
		if (err == nil) != tt.ok {
			t.Errorf("certificate for r17/127.0.3.17 verified as %s: %v, want ok=%v", tt.name, err, tt.ok)
		}
	}

	other, _ := NewLabCA("other", now, time.Hour)
	otherKey := filepath.Join(dir, "other.key")
	if err := other.WriteFiles(filepath.Join(dir, "other.pem"), otherKey); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadLabCA(certFile, otherKey); err == nil || !strings.Contains(err.Error(), "does not match") {
		t.Errorf("LoadLabCA with another CA's key: %v, want a mismatch error", err)
	}
}

func TestServeNeedsTLSOrInsecure(t *testing.T) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	err = New(&MemBackend{}, WithName("r1")).Serve(context.Background(), lis)
	if err == nil || !strings.Contains(err.Error(), "no TLS certificate") {
		t.Fatalf("Serve without TLS nor WithInsecure = %v, want a refusal", err)
	}
}

// stuckBackend never answers, like a device whose process hangs.
type stuckBackend struct{}

func (stuckBackend) State(ctx context.Context) ([]Leaf, error) {
	<-ctx.Done()
	return nil, ctx.Err()
}

func (stuckBackend) Apply(ctx context.Context, _ []Change) error {
	<-ctx.Done()
	return ctx.Err()
}

func (stuckBackend) Watch(context.Context, func()) {}

func TestBackendTimeout(t *testing.T) {
	s := New(stuckBackend{}, WithBackendTimeout(50*time.Millisecond))
	_, err := s.Get(context.Background(), &gpb.GetRequest{})
	if status.Code(err) != codes.DeadlineExceeded {
		t.Errorf("Get on a stuck device = %v, want DeadlineExceeded", err)
	}
}
