package ddemu

import (
	"net/http"
	"testing"
	"time"
)

// Datadog reports when each key was last used (date_last_used on API keys,
// last_used_at on application keys; recorded in the "Get all API keys" and
// "Get all application keys" cassettes). The emulator counts a key as used
// when it authenticates a request.
func TestKeyUsageIsReportedOnceAKeyAuthenticates(t *testing.T) {
	h := newHarness(t)
	created := h.do("POST", "/api/v2/api_keys", map[string]any{"data": map[string]any{"type": "api_keys", "attributes": map[string]any{"name": "consumer"}}}).
		mustStatus(t, http.StatusCreated)
	id := created.path("data", "id").(string)
	value := created.path("data", "attributes", "key").(string)

	unused := h.do("GET", "/api/v2/api_keys/"+id, nil).mustStatus(t, http.StatusOK)
	if got := unused.path("data", "attributes", "date_last_used"); got != nil {
		t.Errorf("date_last_used of a key never used = %v, want null", got)
	}
	if got := unused.path("data", "attributes", "used_in_last_24_hours"); got != false {
		t.Errorf("used_in_last_24_hours of a key never used = %v, want false", got)
	}

	h.clock.Advance(time.Hour)
	usedAt := formatTime(h.clock.Now())
	h.doWith(keys{api: value}, "GET", "/api/v1/validate", nil).mustStatus(t, http.StatusOK)
	h.clock.Advance(time.Hour)
	used := h.do("GET", "/api/v2/api_keys/"+id, nil).mustStatus(t, http.StatusOK)
	if got := used.path("data", "attributes", "date_last_used"); got != usedAt {
		t.Errorf("date_last_used = %v, want %s", got, usedAt)
	}
	if got := used.path("data", "attributes", "last_used_date", "timestamp"); got != usedAt {
		t.Errorf("last_used_date.timestamp = %v, want %s", got, usedAt)
	}
	if got := used.path("data", "attributes", "used_in_last_24_hours"); got != true {
		t.Errorf("used_in_last_24_hours an hour after use = %v, want true", got)
	}

	h.clock.Advance(24 * time.Hour)
	day := h.do("GET", "/api/v2/api_keys?filter=consumer", nil).mustStatus(t, http.StatusOK)
	if got := day.path("data", 0, "attributes", "used_in_last_24_hours"); got != false {
		t.Errorf("used_in_last_24_hours a day after use = %v, want false", got)
	}
	if got := day.path("data", 0, "attributes", "date_last_used"); got != usedAt {
		t.Errorf("listed date_last_used = %v, want %s", got, usedAt)
	}
	h.clock.Advance(90 * 24 * time.Hour)
	old := h.do("GET", "/api/v2/api_keys/"+id, nil).mustStatus(t, http.StatusOK)
	if got := old.path("data", "attributes", "date_last_used"); got != nil {
		t.Errorf("date_last_used beyond the 90-day window = %v, want null", got)
	}
}

func TestAppKeyLastUsedAt(t *testing.T) {
	h := newHarness(t)
	path := "/api/v2/service_accounts/" + h.admin.ServiceAccountID + "/application_keys"
	created := h.do("POST", path, map[string]any{"data": map[string]any{"type": "application_keys", "attributes": map[string]any{"name": "consumer-app"}}}).
		mustStatus(t, http.StatusCreated)
	id := created.path("data", "id").(string)
	value := created.path("data", "attributes", "key").(string)

	if got := h.do("GET", "/api/v2/application_keys/"+id, nil).mustStatus(t, http.StatusOK).path("data", "attributes", "last_used_at"); got != nil {
		t.Errorf("last_used_at of an unused key = %v, want null", got)
	}
	h.clock.Advance(time.Minute)
	usedAt := formatTime(h.clock.Now())
	h.doWith(keys{api: h.admin.APIKey, app: value}, "GET", "/api/v2/validate_keys", nil).mustStatus(t, http.StatusOK)
	if got := h.do("GET", "/api/v2/application_keys/"+id, nil).mustStatus(t, http.StatusOK).path("data", "attributes", "last_used_at"); got != usedAt {
		t.Errorf("last_used_at = %v, want %s", got, usedAt)
	}
}
