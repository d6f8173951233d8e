package ddemu

import (
	"net/http"
	"slices"
	"testing"
)

func saAppKeysPath(saID string) string {
	return "/api/v2/service_accounts/" + saID + "/application_keys"
}

func TestServiceAccountAppKeyOneTimeRead(t *testing.T) {
	h := newHarness(t)
	sa := h.srv.AddServiceAccount("team-a")
	scopes := []string{"metrics_read", "dashboards_read"}

	created := h.do("POST", saAppKeysPath(sa.ID), appKeyBody("team-a-key", scopes)).mustStatus(t, http.StatusCreated)
	id, value := created.str("data", "id"), created.str("data", "attributes", "key")
	if !isLowerHex(value, 40) {
		t.Fatalf("created key is not 40 lowercase hex characters (length %d)", len(value))
	}
	if got := created.str("data", "relationships", "owned_by", "data", "id"); got != sa.ID {
		t.Errorf("owned_by = %q, want %q", got, sa.ID)
	}
	if !h.srv.AppKeyValid(value) {
		t.Error("the created key does not validate")
	}

	// Every later read, on every route, withholds the value.
	reads := []struct{ name, path string }{
		{"service account get", saAppKeysPath(sa.ID) + "/" + id},
		{"org get", "/api/v2/application_keys/" + id},
	}
	for _, read := range reads {
		rep := h.do("GET", read.path, nil).mustStatus(t, http.StatusOK)
		attrs := rep.path("data", "attributes").(map[string]any)
		if _, ok := attrs["key"]; ok {
			t.Errorf("%s returned the key value", read.name)
		}
		if got := toStrings(attrs["scopes"]); !slices.Equal(got, scopes) {
			t.Errorf("%s: scopes = %q, want %q", read.name, got, scopes)
		}
	}
	lists := []string{saAppKeysPath(sa.ID), "/api/v2/application_keys"}
	for _, path := range lists {
		for _, item := range h.do("GET", path, nil).mustStatus(t, http.StatusOK).dataList() {
			if _, ok := item["attributes"].(map[string]any)["key"]; ok {
				t.Errorf("list %s returned the value of key %v", path, item["id"])
			}
		}
	}
}

func TestUpdateAppKeyKeepsOrChangesScopes(t *testing.T) {
	tests := []struct {
		name       string
		attributes map[string]any
		wantName   string
		wantScopes []string // nil = unscoped
	}{
		{"rename keeps scopes", map[string]any{"name": "renamed"}, "renamed", []string{"metrics_read"}},
		{"new scopes", map[string]any{"scopes": []string{"logs_read_data"}}, "orig", []string{"logs_read_data"}},
		{"null scopes unscope", map[string]any{"scopes": nil}, "orig", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			sa := h.srv.AddServiceAccount("team-a")
			key := h.srv.AddAppKey(sa.ID, "orig", []string{"metrics_read"})
			body := map[string]any{"data": map[string]any{"type": "application_keys", "id": key.ID, "attributes": tt.attributes}}

			rep := h.do("PATCH", saAppKeysPath(sa.ID)+"/"+key.ID, body).mustStatus(t, http.StatusOK)
			if _, ok := rep.path("data", "attributes").(map[string]any)["key"]; ok {
				t.Error("update returned the key value")
			}
			got := h.srv.AppKeys()[1]
			if got.Name != tt.wantName || !slices.Equal(got.Scopes, tt.wantScopes) || (got.Scopes == nil) != (tt.wantScopes == nil) {
				t.Errorf("key = %v, want name %q scopes %q", got, tt.wantName, tt.wantScopes)
			}
			if got.Key != key.Key {
				t.Error("update changed the key value")
			}
		})
	}
}

func TestDeleteAppKeyTwiceIsNotFound(t *testing.T) {
	tests := []struct {
		name string
		path func(saID, keyID string) string
	}{
		{"service account route", func(saID, keyID string) string { return saAppKeysPath(saID) + "/" + keyID }},
		{"org route", func(_, keyID string) string { return "/api/v2/application_keys/" + keyID }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			sa := h.srv.AddServiceAccount("team-a")
			key := h.srv.AddAppKey(sa.ID, "doomed", nil)
			path := tt.path(sa.ID, key.ID)

			h.do("DELETE", path, nil).mustStatus(t, http.StatusNoContent)
			rep := h.do("DELETE", path, nil).mustStatus(t, http.StatusNotFound)
			if !slices.Equal(rep.errors(), []string{"Application key not found"}) {
				t.Errorf("errors = %q, want the recorded [Application key not found]", rep.errors())
			}
			if h.srv.AppKeyValid(key.Key) {
				t.Error("the deleted key still validates")
			}
		})
	}
}

func TestServiceAccountRoutesStayWithinTheAccount(t *testing.T) {
	h := newHarness(t)
	a, b := h.srv.AddServiceAccount("a"), h.srv.AddServiceAccount("b")
	keyOfB := h.srv.AddAppKey(b.ID, "b-key", nil)

	h.do("GET", saAppKeysPath(a.ID)+"/"+keyOfB.ID, nil).mustStatus(t, http.StatusNotFound)
	h.do("DELETE", saAppKeysPath(a.ID)+"/"+keyOfB.ID, nil).mustStatus(t, http.StatusNotFound)
	if !h.srv.AppKeyValid(keyOfB.Key) {
		t.Fatal("a delete through another account's route removed the key")
	}
	if n := len(h.do("GET", saAppKeysPath(a.ID), nil).mustStatus(t, http.StatusOK).dataList()); n != 0 {
		t.Errorf("account a lists %d keys, want 0", n)
	}

	rep := h.do("POST", saAppKeysPath("no-such-account"), appKeyBody("x", nil)).mustStatus(t, http.StatusNotFound)
	if !slices.Equal(rep.errors(), []string{msgServiceAccountNotFound}) {
		t.Errorf("errors = %q", rep.errors())
	}
}

func TestCurrentUserRoutesSeeOnlyTheCallersKeys(t *testing.T) {
	h := newHarness(t)
	other := h.srv.AddServiceAccount("other")
	otherKey := h.srv.AddAppKey(other.ID, "other-key", nil)
	caller := h.srv.AddAppKey(h.admin.ServiceAccountID, "unscoped", nil) // current_user routes need user_app_keys
	callerKeys := keys{api: h.admin.APIKey, app: caller.Key}

	created := h.doWith(callerKeys, "POST", "/api/v2/current_user/application_keys", appKeyBody("mine", nil)).mustStatus(t, http.StatusCreated)
	if created.str("data", "attributes", "key") == "" {
		t.Error("create did not return the key value")
	}
	if got := created.str("data", "relationships", "owned_by", "data", "id"); got != h.admin.ServiceAccountID {
		t.Errorf("owned_by = %q, want the caller's owner", got)
	}

	list := h.doWith(callerKeys, "GET", "/api/v2/current_user/application_keys", nil).mustStatus(t, http.StatusOK)
	var names []string
	for _, item := range list.dataList() {
		names = append(names, item["attributes"].(map[string]any)["name"].(string))
	}
	slices.Sort(names)
	if want := []string{"ddrotate-admin", "mine", "unscoped"}; !slices.Equal(names, want) {
		t.Errorf("current user lists %q, want %q", names, want)
	}

	h.doWith(callerKeys, "GET", "/api/v2/current_user/application_keys/"+otherKey.ID, nil).mustStatus(t, http.StatusNotFound)
	got := h.doWith(callerKeys, "GET", "/api/v2/current_user/application_keys/"+caller.ID, nil).mustStatus(t, http.StatusOK)
	if _, ok := got.path("data", "attributes").(map[string]any)["key"]; ok {
		t.Error("current user get returned the key value")
	}
	if got.str("included", 0, "id") != h.admin.ServiceAccountID || got.str("included", 1, "type") != "roles" {
		t.Errorf("included = %v, want the owner and its role", got.path("included"))
	}
}

func toStrings(v any) []string {
	list, ok := v.([]any)
	if !ok {
		return nil
	}
	out := []string{}
	for _, item := range list {
		s, _ := item.(string)
		out = append(out, s)
	}
	return out
}
