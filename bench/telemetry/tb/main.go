// Command tb is the measuring side of bench/telemetry/run: it writes
// openconfig gnmi_collector's configuration for the targets tuyau plans
// (the same SubscribeRequest per target), a self-signed certificate for
// gnmi_collector's own server, measures one run (CPU and memory of each
// collector from /proc, leaves from tuyau's API, delay from Redis) and
// summarises the runs kept under bench/telemetry/results.
//
//	tb cert DIR
//	tb gnmicfg -i INV -status STATUS.json -password FILE -interval 10s > gc.cfg
//	tb wait -api ADDR -timeout 240s
//	tb measure -tuyau PID -peer PID -lab PID -api ADDR -redis ADDR -duration 30s ... > run.json
//	tb summary DIR
package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"time"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: tb cert|gnmicfg|measure|summary ...")
		os.Exit(2)
	}
	ctx := context.Background()
	var err error
	switch os.Args[1] {
	case "cert":
		err = cert(os.Args[2:])
	case "gnmicfg":
		err = gnmiConfig(ctx, os.Args[2:])
	case "wait":
		err = wait(ctx, os.Args[2:])
	case "measure":
		err = measure(ctx, os.Args[2:])
	case "summary":
		err = summary(os.Args[2:])
	default:
		err = fmt.Errorf("unknown command %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "tb:", err)
		os.Exit(1)
	}
}

// cert writes DIR/cert.pem and DIR/key.pem: gnmi_collector refuses to
// start without a TLS identity for its own gNMI server (which the bench
// does not use).
func cert(args []string) error {
	if len(args) != 1 {
		return fmt.Errorf("usage: tb cert DIR")
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	tpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "bench-gnmi-collector"},
		DNSNames: []string{"localhost"}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tpl, tpl, &key.PublicKey, key)
	if err != nil {
		return err
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(args[0], "cert.pem"), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(args[0], "key.pem"), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600)
}
