package cli

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sessbridge/sessbridge/internal/testenv"
)

// startTLSRedis starts a redis-server that speaks only TLS, with a
// self-signed certificate, and returns its address.
func startTLSRedis(t *testing.T) string {
	t.Helper()
	bin := testenv.MustHaveExecPath(t, "redis-server")
	dir := t.TempDir()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "localhost"}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	cert, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(cert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
		t.Fatal(err)
	}
	port := testenv.FreePort(t)
	addr := "127.0.0.1:" + strconv.Itoa(port)
	testenv.StartProcess(t, filepath.Join(dir, "redis.log"), bin, "--port", "0", "--bind", "127.0.0.1", "--tls-port", strconv.Itoa(port),
		"--tls-cert-file", cert, "--tls-key-file", keyFile, "--tls-auth-clients", "no", "--save", "", "--dir", dir)
	if err := testenv.WaitForTCP(addr, 5*time.Second); err != nil {
		log, _ := os.ReadFile(filepath.Join(dir, "redis.log"))
		t.Fatalf("%v\n%s", err, log)
	}
	return addr
}

// TestTLSMismatch gives a rediss:// URL to a plain Redis and a redis://
// URL to a TLS one: each fails at once with the scheme to use.
func TestTLSMismatch(t *testing.T) {
	plain := testenv.StartRedis(t).Addr
	secure := startTLSRedis(t)
	for _, tt := range []struct{ name, url, addr string }{
		{"rediss-on-plain", "rediss://" + plain, plain},
		{"redis-on-tls", "redis://" + secure, secure},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ios, _, stderr := testStreams("", false)
			start := time.Now()
			code := run(t.Context(), []string{"get", "abc", "--store", tt.url}, ios)
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("took %v, want the mismatch found at once", d)
			}
			if code != exitError {
				t.Errorf("exit %d, want %d", code, exitError)
			}
			golden(t, "get/"+tt.name, []byte(strings.ReplaceAll(stderr.String(), tt.addr, "$REDIS")))
		})
	}
}
