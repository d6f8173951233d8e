package datadog

import (
	"context"
	"fmt"
	"testing"

	"github.com/ddrotate/ddrotate/internal/ddemu"
	"github.com/ddrotate/ddrotate/shared/credential"
)

func TestAPIKeyRoundTrip(t *testing.T) {
	o := newOrg(t, Options{})
	ctx := context.Background()

	created, err := o.client.CreateAPIKey(ctx, "ddrotate-payments-4f2a9c1e")
	if err != nil {
		t.Fatal(err)
	}
	if !credential.ValidAPIKey(created.Key.Reveal()) || !o.emu.APIKeyValid(created.Key.Reveal()) {
		t.Fatal("created key is not a live API key of the org")
	}
	if created.Name != "ddrotate-payments-4f2a9c1e" || created.Last4 != created.Key.Last4() || created.CreatedAt.IsZero() {
		t.Errorf("created key = %+v", created)
	}

	got, err := o.client.GetAPIKey(ctx, created.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Key.Equal(created.Key) || got.Name != created.Name {
		t.Errorf("GetAPIKey = %+v, want the created key with its value", got)
	}

	listed, err := o.client.ListAPIKeys(ctx, "ddrotate-payments-")
	if err != nil {
		t.Fatal(err)
	}
	if len(listed) != 1 || listed[0].ID != created.ID || listed[0].Last4 != created.Last4 {
		t.Fatalf("ListAPIKeys = %+v, want only the created key", listed)
	}
	if !listed[0].Key.IsZero() {
		t.Error("a listed key carries a value")
	}

	if err := o.client.DeleteAPIKey(ctx, created.ID); err != nil {
		t.Fatal(err)
	}
	if o.emu.APIKeyValid(created.Key.Reveal()) {
		t.Error("deleted key still works")
	}
	_, err = o.client.GetAPIKey(ctx, created.ID)
	errorKind(t, err, KindNotFound)
}

func TestDeleteAPIKeyTwice(t *testing.T) {
	o := newOrg(t, Options{})
	key := o.emu.AddAPIKey("ddrotate-payments-old")
	ctx := context.Background()
	if err := o.client.DeleteAPIKey(ctx, key.ID); err != nil {
		t.Fatal(err)
	}
	err := o.client.DeleteAPIKey(ctx, key.ID)
	if !IsNotFound(err) {
		t.Fatalf("second delete: %v, want NotFound", err)
	}
	if IgnoreNotFound(err) != nil {
		t.Error("IgnoreNotFound kept a NotFound error")
	}
}

func TestListAPIKeysReadsEveryPage(t *testing.T) {
	o := newOrg(t, Options{})
	const managed = 2*pageSize + 17
	want := map[string]bool{}
	for i := range managed {
		want[o.emu.AddAPIKey(fmt.Sprintf("ddrotate-fleet-%03d", i)).ID] = true
	}
	o.emu.AddAPIKey("someone-else")
	o.emu.AddAPIKey("DDROTATE-FLEET-upper") // Datadog's filter ignores case

	listed, err := o.client.ListAPIKeys(context.Background(), "ddrotate-fleet-")
	if err != nil {
		t.Fatal(err)
	}
	if len(listed) != managed+1 {
		t.Errorf("listed %d keys, want %d", len(listed), managed+1)
	}
	for _, k := range listed {
		delete(want, k.ID)
	}
	if len(want) != 0 {
		t.Errorf("%d keys missing from the list", len(want))
	}
	if got := o.calls(ddemu.ListAPIKeys); got != 3 {
		t.Errorf("ListAPIKeys made %d calls, want 3 pages", got)
	}
}

func TestAPIKeyIDIsCheckedBeforeSending(t *testing.T) {
	o := newOrg(t, Options{})
	ctx := context.Background()
	for _, id := range []string{"", "../../v1/validate", "9286A10E-FE08-48BA-9884-8E26E7E67695"} {
		_, err := o.client.GetAPIKey(ctx, id)
		errorKind(t, err, KindBadRequest)
		errorKind(t, o.client.DeleteAPIKey(ctx, id), KindBadRequest)
	}
	if _, err := o.client.CreateAPIKey(ctx, " "); KindOf(err) != KindBadRequest {
		t.Errorf("CreateAPIKey with a blank name: %v, want BadRequest", err)
	}
	if n := len(o.emu.Calls()); n != 0 {
		t.Errorf("%d requests sent for refused arguments", n)
	}
}
