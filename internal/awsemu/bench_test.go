package awsemu

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// BenchmarkGetSecretValue measures one GetSecretValue through the handler,
// without the network, so that changes to routing or locking show up.
func BenchmarkGetSecretValue(b *testing.B) {
	s := New(Options{})
	b.Cleanup(func() { _ = s.Close() })
	call := func(action, body string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
		req.Header.Set("X-Amz-Target", "secretsmanager."+action)
		req.Header.Set("Authorization", signedBy(adminKey, "secretsmanager"))
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		return rec
	}
	if rec := call("CreateSecret", `{"Name":"bench","SecretString":"value"}`); rec.Code != http.StatusOK {
		b.Fatalf("CreateSecret: %d %s", rec.Code, rec.Body)
	}
	b.ReportAllocs()
	for b.Loop() {
		if rec := call("GetSecretValue", `{"SecretId":"bench"}`); rec.Code != http.StatusOK {
			b.Fatalf("GetSecretValue: %d %s", rec.Code, rec.Body)
		}
	}
}
