package datadog

import (
	"context"
	"testing"
	"time"

	"github.com/ddrotate/ddrotate/internal/ddemu"
	"github.com/ddrotate/ddrotate/shared/credential"
)

func TestValidateAPIKey(t *testing.T) {
	o := newOrg(t, Options{})
	live := o.emu.AddAPIKey("live")
	revoked := o.emu.AddAPIKey("revoked")
	o.emu.RevokeAPIKey(revoked.ID)

	tests := []struct {
		name    string
		key     string
		wantErr Kind
	}{
		{"live key", live.Key, ""},
		{"revoked key", revoked.Key, KindInvalid},
		{"never existed", unknownAPIKey, KindInvalid},
		{"empty", "", KindInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := o.client.ValidateAPIKey(context.Background(), credential.NewSecret(tt.key))
			if KindOf(err) != tt.wantErr || (tt.wantErr == "") != (err == nil) {
				t.Errorf("ValidateAPIKey: %v, want kind %q", err, tt.wantErr)
			}
		})
	}
}

func TestValidateKeys(t *testing.T) {
	o := newOrg(t, Options{})
	apiKey := o.emu.AddAPIKey("live")
	appKey := o.emu.AddAppKey(o.admin.ServiceAccountID, "live", []string{"dashboards_read"})
	revokedApp := o.emu.AddAppKey(o.admin.ServiceAccountID, "revoked", nil)
	o.emu.RevokeAppKey(revokedApp.ID)

	tests := []struct {
		name           string
		apiKey, appKey string
		wantErr        Kind
	}{
		{"live pair", apiKey.Key, appKey.Key, ""},
		{"revoked application key", apiKey.Key, revokedApp.Key, KindInvalid},
		{"unknown API key", unknownAPIKey, appKey.Key, KindInvalid},
		{"no application key", apiKey.Key, "", KindInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := o.client.ValidateKeys(context.Background(), credential.NewSecret(tt.apiKey), credential.NewSecret(tt.appKey))
			if KindOf(err) != tt.wantErr || (tt.wantErr == "") != (err == nil) {
				t.Errorf("ValidateKeys: %v, want kind %q", err, tt.wantErr)
			}
		})
	}
	if n := o.calls(ddemu.ValidateKeys); n != 3 {
		t.Errorf("ValidateKeys reached the API %d times, want 3 (none without an application key)", n)
	}
}

func TestValidateDuringOutageIsTransientNotInvalid(t *testing.T) {
	o := newOrg(t, Options{MaxElapsed: time.Second})
	o.emu.AddFault(ddemu.Fault{Op: ddemu.ValidateAPIKey, Status: 503})
	err := o.client.ValidateAPIKey(context.Background(), credential.NewSecret(o.admin.APIKey))
	if KindOf(err) == KindInvalid || !IsTransient(err) {
		t.Errorf("ValidateAPIKey during an outage: %v, want a transient error", err)
	}
}
