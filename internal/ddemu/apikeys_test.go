package ddemu

import (
	"net/http"
	"slices"
	"testing"
)

func TestCreateAPIKeyReturnsValueAndAuthor(t *testing.T) {
	h := newHarness(t)
	rep := h.do("POST", "/api/v2/api_keys", apiKeyBody("team-a")).mustStatus(t, http.StatusCreated)

	value := rep.str("data", "attributes", "key")
	if !isLowerHex(value, 32) {
		t.Fatalf("key is not 32 lowercase hex characters (length %d)", len(value))
	}
	if got := rep.str("data", "attributes", "last4"); got != value[28:] {
		t.Errorf("last4 = %q, want the key's last four characters", got)
	}
	if got := rep.str("data", "attributes", "name"); got != "team-a" {
		t.Errorf("name = %q, want team-a", got)
	}
	if got, want := rep.str("data", "attributes", "created_at"), "2025-09-08T09:24:42.999350+00:00"; got != want {
		t.Errorf("created_at = %q, want %q (Datadog's format, from the injected clock)", got, want)
	}
	if got := rep.str("data", "relationships", "created_by", "data", "id"); got != h.admin.ServiceAccountID {
		t.Errorf("created_by = %q, want the calling key's owner %q", got, h.admin.ServiceAccountID)
	}
	if rep.header.Get("Content-Type") != "application/json" {
		t.Errorf("Content-Type = %q", rep.header.Get("Content-Type"))
	}
	if !h.srv.APIKeyValid(value) {
		t.Error("the created key does not validate")
	}
}

func TestGetAPIKeyReturnsValueButListNever(t *testing.T) {
	h := newHarness(t)
	created := h.do("POST", "/api/v2/api_keys", apiKeyBody("team-a")).mustStatus(t, http.StatusCreated)
	id, value := created.str("data", "id"), created.str("data", "attributes", "key")

	got := h.do("GET", "/api/v2/api_keys/"+id, nil).mustStatus(t, http.StatusOK)
	if got.str("data", "attributes", "key") != value {
		t.Error("GET by id did not return the key value")
	}
	if _, ok := got.path("data", "attributes").(map[string]any)["date_last_used"]; !ok {
		t.Error("GET by id lacks date_last_used")
	}

	list := h.do("GET", "/api/v2/api_keys", nil).mustStatus(t, http.StatusOK)
	if len(list.dataList()) != 2 {
		t.Fatalf("list has %d keys, want 2", len(list.dataList()))
	}
	for _, item := range list.dataList() {
		if _, ok := item["attributes"].(map[string]any)["key"]; ok {
			t.Errorf("list returned the value of key %v", item["id"])
		}
	}
	if got := list.path("meta", "max_allowed"); got != float64(DefaultMaxAPIKeys) {
		t.Errorf("meta.max_allowed = %v, want %d", got, DefaultMaxAPIKeys)
	}
}

func TestUpdateAPIKeyRenames(t *testing.T) {
	h := newHarness(t)
	id := h.do("POST", "/api/v2/api_keys", apiKeyBody("old")).mustStatus(t, http.StatusCreated).str("data", "id")
	h.clock.Advance(61e9)

	body := apiKeyBody("new")
	body["data"].(map[string]any)["id"] = id
	rep := h.do("PATCH", "/api/v2/api_keys/"+id, body).mustStatus(t, http.StatusOK)
	if got := rep.str("data", "attributes", "name"); got != "new" {
		t.Errorf("name = %q, want new", got)
	}
	if rep.str("data", "attributes", "modified_at") == rep.str("data", "attributes", "created_at") {
		t.Error("modified_at did not move")
	}
	keys := h.srv.APIKeys()
	if !slices.ContainsFunc(keys, func(k APIKey) bool { return k.ID == id && k.Name == "new" }) {
		t.Errorf("state not renamed: %v", keys)
	}
}

func TestDeleteAPIKeyTwiceIsNotFound(t *testing.T) {
	h := newHarness(t)
	id := h.do("POST", "/api/v2/api_keys", apiKeyBody("doomed")).mustStatus(t, http.StatusCreated).str("data", "id")

	rep := h.do("DELETE", "/api/v2/api_keys/"+id, nil).mustStatus(t, http.StatusNoContent)
	if len(rep.raw) != 0 {
		t.Errorf("204 has a body: %s", rep.raw)
	}
	rep = h.do("DELETE", "/api/v2/api_keys/"+id, nil).mustStatus(t, http.StatusNotFound)
	if !slices.Equal(rep.errors(), []string{"API key not found"}) {
		t.Errorf("errors = %q, want the recorded [API key not found]", rep.errors())
	}
	h.do("GET", "/api/v2/api_keys/"+id, nil).mustStatus(t, http.StatusNotFound)
	h.do("PATCH", "/api/v2/api_keys/"+id, apiKeyBody("x")).mustStatus(t, http.StatusNotFound)
}

func TestCreateAPIKeyAtCapFails(t *testing.T) {
	h := newHarness(t)
	h.srv.SetMaxAPIKeys(3) // the admin key plus two
	for _, name := range []string{"one", "two"} {
		h.do("POST", "/api/v2/api_keys", apiKeyBody(name)).mustStatus(t, http.StatusCreated)
	}
	rep := h.do("POST", "/api/v2/api_keys", apiKeyBody("three")).mustStatus(t, http.StatusBadRequest)
	if !slices.Equal(rep.errors(), []string{apiKeyCapMessage(3)}) {
		t.Errorf("errors = %q", rep.errors())
	}
	if n := len(h.srv.APIKeys()); n != 3 {
		t.Errorf("org has %d API keys after a refused create, want 3", n)
	}
	list := h.do("GET", "/api/v2/api_keys", nil).mustStatus(t, http.StatusOK)
	if got := list.path("meta", "max_allowed"); got != float64(3) {
		t.Errorf("meta.max_allowed = %v, want 3", got)
	}

	// Deleting one frees a slot.
	one := h.do("GET", "/api/v2/api_keys?filter=one", nil).mustStatus(t, http.StatusOK).str("data", 0, "id")
	h.do("DELETE", "/api/v2/api_keys/"+one, nil).mustStatus(t, http.StatusNoContent)
	h.do("POST", "/api/v2/api_keys", apiKeyBody("three")).mustStatus(t, http.StatusCreated)
}

func TestAPIKeyRequestValidation(t *testing.T) {
	tests := []struct {
		name, method, body string
	}{
		{"not JSON", "POST", "{"},
		{"no data", "POST", `{"name":"x"}`},
		{"wrong type", "POST", `{"data":{"type":"application_keys","attributes":{"name":"x"}}}`},
		{"no attributes", "POST", `{"data":{"type":"api_keys"}}`},
		{"no name", "POST", `{"data":{"type":"api_keys","attributes":{}}}`},
		{"empty name", "POST", `{"data":{"type":"api_keys","attributes":{"name":""}}}`},
		{"id differs from path", "PATCH", `{"data":{"type":"api_keys","id":"other","attributes":{"name":"x"}}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			path := "/api/v2/api_keys"
			if tt.method == "PATCH" {
				path += "/" + h.admin.APIKeyID
			}
			rep := h.do(tt.method, path, tt.body).mustStatus(t, http.StatusBadRequest)
			if len(rep.errors()) != 1 || rep.errors()[0] == "" {
				t.Errorf("errors = %q, want one message", rep.errors())
			}
			if n := len(h.srv.APIKeys()); n != 1 {
				t.Errorf("a refused request changed the key count to %d", n)
			}
		})
	}
}
