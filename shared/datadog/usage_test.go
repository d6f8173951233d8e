package datadog

import (
	"testing"
)

// The last use Datadog reports for a key (date_last_used, last_used_at)
// reaches the client's types: unused keys read zero, a key that has
// authenticated a request reads that moment.
func TestKeysReportTheirLastUse(t *testing.T) {
	o := newOrg(t, Options{})
	ctx := t.Context()
	api, err := o.client.CreateAPIKey(ctx, "usage-api")
	if err != nil {
		t.Fatal(err)
	}
	app, err := o.client.CreateAppKey(ctx, o.admin.ServiceAccountID, "usage-app", []string{"dashboards_read"})
	if err != nil {
		t.Fatal(err)
	}
	listed := func() APIKey {
		t.Helper()
		keys, err := o.client.ListAPIKeys(ctx, "usage-api")
		if err != nil || len(keys) != 1 {
			t.Fatalf("list: %v, %d keys", err, len(keys))
		}
		return keys[0]
	}
	if got := listed(); !got.LastUsed.IsZero() {
		t.Errorf("an unused API key lists LastUsed %v, want zero", got.LastUsed)
	}
	if got, err := o.client.GetOrgAppKey(ctx, app.ID); err != nil || !got.LastUsed.IsZero() || got.OwnerID != o.admin.ServiceAccountID {
		t.Errorf("GetOrgAppKey of an unused key = %+v, %v; want no last use, owned by the service account", got, err)
	}

	consumer := o.newClient(t, api.Key.Reveal(), app.Key.Reveal(), Options{})
	if err := consumer.ValidateKeys(ctx, api.Key, app.Key); err != nil {
		t.Fatal(err)
	}
	if got := listed(); got.LastUsed.IsZero() {
		t.Error("a used API key lists no LastUsed")
	}
	if got, err := o.client.GetAPIKey(ctx, api.ID); err != nil || got.LastUsed.IsZero() {
		t.Errorf("GetAPIKey of a used key: LastUsed %v, %v", got.LastUsed, err)
	}
	if got, err := o.client.GetOrgAppKey(ctx, app.ID); err != nil || got.LastUsed.IsZero() {
		t.Errorf("GetOrgAppKey of a used key = %+v, %v; want its last use", got, err)
	}
	if _, err := o.client.GetOrgAppKey(ctx, "not-a-uuid"); err == nil {
		t.Error("GetOrgAppKey accepted a malformed id")
	}
}
