package ddemu

import (
	"net/http"
	"slices"
	"testing"
	"time"
)

// listingHarness holds API keys named c-key, a-key, b-key, created a minute
// apart in that order, beside the admin key (ddrotate-admin, created first).
func listingHarness(t *testing.T) *harness {
	h := newHarness(t)
	for _, name := range []string{"c-key", "a-key", "b-key"} {
		h.clock.Advance(time.Minute)
		h.srv.AddAPIKey(name)
	}
	return h
}

func names(rep reply) []string {
	var out []string
	for _, item := range rep.dataList() {
		out = append(out, item["attributes"].(map[string]any)["name"].(string))
	}
	return out
}

func TestListAPIKeysQuery(t *testing.T) {
	tests := []struct {
		query     string
		wantNames []string
		wantTotal float64
	}{
		{"", []string{"a-key", "b-key", "c-key", "ddrotate-admin"}, 4}, // by name by default
		{"?sort=-name", []string{"ddrotate-admin", "c-key", "b-key", "a-key"}, 4},
		{"?sort=created_at", []string{"ddrotate-admin", "c-key", "a-key", "b-key"}, 4},
		{"?sort=-created_at", []string{"b-key", "a-key", "c-key", "ddrotate-admin"}, 4},
		{"?filter=KEY", []string{"a-key", "b-key", "c-key"}, 3}, // case-insensitive substring
		{"?filter=admin", []string{"ddrotate-admin"}, 1},
		{"?filter=nothing", nil, 0},
		{"?page[size]=2", []string{"a-key", "b-key"}, 4},
		{"?page[size]=2&page[number]=1", []string{"c-key", "ddrotate-admin"}, 4},
		{"?page[size]=2&page[number]=2", nil, 4},
		{"?filter=key&sort=-created_at&page[size]=1&page[number]=1", []string{"a-key"}, 3},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			h := listingHarness(t)
			rep := h.do("GET", "/api/v2/api_keys"+tt.query, nil).mustStatus(t, http.StatusOK)
			if got := names(rep); !slices.Equal(got, tt.wantNames) {
				t.Errorf("names = %q, want %q", got, tt.wantNames)
			}
			if got := rep.path("meta", "page", "total_filtered_count"); got != tt.wantTotal {
				t.Errorf("total_filtered_count = %v, want %v", got, tt.wantTotal)
			}
			if _, ok := rep.json["data"].([]any); !ok {
				t.Errorf("data is %T, want a list even when empty", rep.json["data"])
			}
		})
	}
}

func TestListAPIKeysDefaultPageSize(t *testing.T) {
	h := newHarness(t)
	for range 15 {
		h.srv.AddAPIKey("bulk")
	}
	rep := h.do("GET", "/api/v2/api_keys", nil).mustStatus(t, http.StatusOK)
	if n := len(rep.dataList()); n != defaultAPIKeyPageSize {
		t.Errorf("first page has %d keys, want %d", n, defaultAPIKeyPageSize)
	}
	if got := rep.path("meta", "page", "total_filtered_count"); got != float64(16) {
		t.Errorf("total_filtered_count = %v, want 16", got)
	}
	rep = h.do("GET", "/api/v2/api_keys?page[size]=1000", nil).mustStatus(t, http.StatusOK)
	if n := len(rep.dataList()); n != 16 {
		t.Errorf("page[size]=1000 returned %d keys, want all 16 (size capped at %d)", n, maxPageSize)
	}
}

func TestListAppKeysQuery(t *testing.T) {
	h := newHarness(t)
	sa := h.srv.AddServiceAccount("team")
	for _, name := range []string{"z-key", "x-key", "y-key"} {
		h.clock.Advance(time.Minute)
		h.srv.AddAppKey(sa.ID, name, nil)
	}
	tests := []struct {
		path      string
		wantNames []string
	}{
		{saAppKeysPath(sa.ID), []string{"x-key", "y-key", "z-key"}},
		{saAppKeysPath(sa.ID) + "?sort=-created_at", []string{"y-key", "x-key", "z-key"}},
		{saAppKeysPath(sa.ID) + "?filter=y-&page[size]=5", []string{"y-key"}},
		{"/api/v2/application_keys?page[size]=2&page[number]=1", []string{"y-key", "z-key"}},
		{"/api/v2/application_keys?sort=created_at", []string{"ddrotate-admin", "z-key", "x-key", "y-key"}},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			rep := h.do("GET", tt.path, nil).mustStatus(t, http.StatusOK)
			if got := names(rep); !slices.Equal(got, tt.wantNames) {
				t.Errorf("names = %q, want %q", got, tt.wantNames)
			}
			if rep.path("meta", "max_allowed_per_user") != float64(maxAppKeysPerUser) {
				t.Errorf("meta = %v", rep.path("meta"))
			}
		})
	}
}

func TestListQueryRejectsMalformedParameters(t *testing.T) {
	for _, path := range []string{
		"/api/v2/api_keys?sort=owner",
		"/api/v2/api_keys?sort=-",
		"/api/v2/api_keys?page[size]=0",
		"/api/v2/api_keys?page[size]=ten",
		"/api/v2/api_keys?page[number]=-1",
		"/api/v2/application_keys?sort=modified_at", // not sortable for application keys
	} {
		t.Run(path, func(t *testing.T) {
			rep := newHarness(t).do("GET", path, nil).mustStatus(t, http.StatusBadRequest)
			if len(rep.errors()) != 1 {
				t.Errorf("errors = %q, want one message", rep.errors())
			}
		})
	}
}
