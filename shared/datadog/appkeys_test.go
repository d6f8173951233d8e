package datadog

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/ddrotate/ddrotate/internal/ddemu"
	"github.com/ddrotate/ddrotate/shared/credential"
)

func TestAppKeyRoundTrip(t *testing.T) {
	o := newOrg(t, Options{})
	ctx := context.Background()
	sa := o.emu.AddServiceAccount("payments")
	scopes := []string{"dashboards_read", "metrics_read"}

	created, err := o.client.CreateAppKey(ctx, sa.ID, "ddrotate-payments-4f2a9c1e", scopes)
	if err != nil {
		t.Fatal(err)
	}
	if !credential.ValidAppKey(created.Key.Reveal()) || !o.emu.AppKeyValid(created.Key.Reveal()) {
		t.Fatal("created key is not a live application key of the org")
	}
	if created.OwnerID != sa.ID || !slices.Equal(created.Scopes, scopes) || created.Last4 != created.Key.Last4() {
		t.Errorf("created key = %+v", created)
	}

	got, err := o.client.GetAppKey(ctx, sa.ID, created.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Key.IsZero() {
		t.Error("GetAppKey returned a value; One-Time Read shows it only at creation")
	}
	if got.ID != created.ID || got.Name != created.Name || got.Last4 != created.Last4 ||
		got.OwnerID != sa.ID || !slices.Equal(got.Scopes, scopes) {
		t.Errorf("GetAppKey = %+v, want %+v without value", got, created)
	}

	listed, err := o.client.ListAppKeys(ctx, sa.ID, "ddrotate-payments-")
	if err != nil {
		t.Fatal(err)
	}
	if len(listed) != 1 || listed[0].ID != created.ID || !listed[0].Key.IsZero() {
		t.Fatalf("ListAppKeys = %+v, want only the created key, without value", listed)
	}

	if err := o.client.DeleteAppKey(ctx, sa.ID, created.ID); err != nil {
		t.Fatal(err)
	}
	if o.emu.AppKeyValid(created.Key.Reveal()) {
		t.Error("deleted key still works")
	}
	err = o.client.DeleteAppKey(ctx, sa.ID, created.ID)
	errorKind(t, err, KindNotFound)
	if IgnoreNotFound(err) != nil {
		t.Error("IgnoreNotFound kept a NotFound error")
	}
}

func TestCreateUnscopedAppKey(t *testing.T) {
	o := newOrg(t, Options{})
	sa := o.emu.AddServiceAccount("legacy")
	created, err := o.client.CreateAppKey(context.Background(), sa.ID, "ddrotate-legacy-1", nil)
	if err != nil {
		t.Fatal(err)
	}
	if created.Scopes != nil {
		t.Errorf("Scopes = %v, want nil for an unscoped key", created.Scopes)
	}
	for _, k := range o.emu.AppKeys() {
		if k.ID == created.ID && k.Scopes != nil {
			t.Errorf("emulator holds scopes %v, want an unscoped key", k.Scopes)
		}
	}
}

func TestListAppKeysReadsEveryPageOfOneServiceAccount(t *testing.T) {
	o := newOrg(t, Options{})
	sa := o.emu.AddServiceAccount("fleet")
	other := o.emu.AddServiceAccount("other")
	const managed = pageSize + 1
	for i := range managed {
		o.emu.AddAppKey(sa.ID, fmt.Sprintf("ddrotate-fleet-%03d", i), nil)
	}
	o.emu.AddAppKey(other.ID, "ddrotate-fleet-elsewhere", nil)

	listed, err := o.client.ListAppKeys(context.Background(), sa.ID, "ddrotate-fleet-")
	if err != nil {
		t.Fatal(err)
	}
	if len(listed) != managed {
		t.Errorf("listed %d keys, want %d", len(listed), managed)
	}
	for _, k := range listed {
		if k.OwnerID != sa.ID {
			t.Errorf("listed key %s of owner %s", k.ID, k.OwnerID)
		}
	}
	if got := o.calls(ddemu.ListServiceAccountAppKeys); got != 2 {
		t.Errorf("made %d list calls, want 2 pages", got)
	}
}

func TestGetAppKeyOfUnknownServiceAccount(t *testing.T) {
	o := newOrg(t, Options{})
	_, err := o.client.GetAppKey(context.Background(), unknownID, o.admin.AppKeyID)
	errorKind(t, err, KindNotFound)
}
