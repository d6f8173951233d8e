package rotation_test

import (
	"slices"
	"testing"

	"github.com/ddrotate/ddrotate/internal/ddemu"
	"github.com/ddrotate/ddrotate/shared/rotation"
)

// A delete that fails for any reason but "not found" fails DeleteOld with a
// typed error that tells Step Functions whether to retry (TransientError)
// or not (DatadogError); the key lives and the step reports nothing done.
// Run again once Datadog answers, DeleteOld revokes it. A key Datadog says
// is already gone (404) counts as revoked.
func TestDeleteOldFailsUnlessTheDeleteIsDone(t *testing.T) {
	cases := []struct {
		name, target string
		mode         rotation.Mode
		fault        ddemu.Fault
		want         string // the error's name; "" for success
	}{
		{"API key refused (403)", payments, rotation.ModeScheduled, ddemu.Fault{Op: ddemu.DeleteAPIKey, Status: 403}, "DatadogError"},
		{"API key connection reset", payments, rotation.ModeCompromise, ddemu.Fault{Op: ddemu.DeleteAPIKey, ResetConn: true}, "TransientError"},
		{"application key refused (403)", analytics, rotation.ModeScheduled, ddemu.Fault{Op: ddemu.DeleteServiceAccountAppKey, Status: 403}, "DatadogError"},
		{"application key connection reset", analytics, rotation.ModeCompromise, ddemu.Fault{Op: ddemu.DeleteServiceAccountAppKey, ResetConn: true}, "TransientError"},
		{"API key already gone (404)", payments, rotation.ModeScheduled, ddemu.Fault{Op: ddemu.DeleteAPIKey, Status: 404, Times: 1}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t)
			rec := f.rotateThroughStore(c.target, c.mode)
			old := rec.Old.APIKeyID
			if c.fault.Op == ddemu.DeleteServiceAccountAppKey {
				old = rec.Old.AppKeyID
			}
			f.dd.AddFault(c.fault)
			res, err := f.deleteOld(rec)
			f.dd.ClearFaults()
			if c.want == "" {
				if err != nil {
					t.Fatalf("DeleteOld: %v", err)
				}
				if !slices.Contains(revokedIDs(res), old) {
					t.Errorf("DeleteOld reported %v revoked, want %s among them", revokedIDs(res), old)
				}
				return
			}
			wantErrorName(t, err, c.want)
			if slices.Contains(revokedIDs(res), old) {
				t.Errorf("DeleteOld failed but reported %s revoked", old)
			}
			if !f.keyAlive(old) {
				t.Fatalf("the key %s is gone although its delete failed", old)
			}
			res, err = f.deleteOld(rec)
			if err != nil {
				t.Fatalf("DeleteOld again, Datadog healthy: %v", err)
			}
			if !slices.Contains(revokedIDs(res), old) {
				t.Errorf("DeleteOld again reported %v revoked, want %s among them", revokedIDs(res), old)
			}
			if f.keyAlive(old) {
				t.Errorf("the key %s survives DeleteOld", old)
			}
		})
	}
}

// keyAlive reports whether Datadog still has the API or application key.
func (f *fixture) keyAlive(id string) bool {
	s := f.snapshot()
	_, api := s.apiKeys[id]
	_, app := s.appKeys[id]
	return api || app
}
