package delivery

import (
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"testing"
)

// TestPrivateCA: a server whose certificate comes from a private authority
// is refused by default and reached once COLLECTIF_FEDERATION_CA_FILE
// (LoadCAFile) names that authority.
func TestPrivateCA(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) }))
	defer srv.Close()
	loopback := []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}

	if resp, err := NewClient(Options{AllowedNets: loopback}).Get(srv.URL); err == nil {
		resp.Body.Close()
		t.Fatal("a certificate of an unknown authority was trusted")
	}

	file := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(file, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	pool, err := LoadCAFile(file)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := NewClient(Options{AllowedNets: loopback, RootCAs: pool}).Get(srv.URL)
	if err != nil {
		t.Fatalf("with the authority trusted: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}

	empty := filepath.Join(t.TempDir(), "empty.pem")
	os.WriteFile(empty, []byte("nothing here\n"), 0o600)
	if _, err := LoadCAFile(empty); err == nil {
		t.Fatal("a file without a certificate was accepted")
	}
}
