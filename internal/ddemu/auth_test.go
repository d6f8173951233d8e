package ddemu

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/ddrotate/ddrotate/internal/testkeys"
)

// probe is a request that succeeds for an unscoped key of the admin service account.
type probe struct {
	op, method, path string
	body             any
	permission       string
}

// probes returns one request per emulated endpoint, aimed at a fresh target
// API key and a fresh application key of the admin service account.
func probes(h *harness) []probe {
	sa := h.admin.ServiceAccountID
	apiKey := h.srv.AddAPIKey("target")
	appKey := h.srv.AddAppKey(sa, "target", nil)
	apiPatch := map[string]any{"data": map[string]any{"type": "api_keys", "attributes": map[string]any{"name": "renamed"}}}
	appPatch := map[string]any{"data": map[string]any{"type": "application_keys", "attributes": map[string]any{"name": "renamed"}}}
	return []probe{
		{CreateAPIKey, "POST", "/api/v2/api_keys", apiKeyBody("new"), PermAPIKeysWrite},
		{ListAPIKeys, "GET", "/api/v2/api_keys", nil, PermAPIKeysRead},
		{GetAPIKey, "GET", "/api/v2/api_keys/" + apiKey.ID, nil, PermAPIKeysRead},
		{UpdateAPIKey, "PATCH", "/api/v2/api_keys/" + apiKey.ID, apiPatch, PermAPIKeysWrite},
		{DeleteAPIKey, "DELETE", "/api/v2/api_keys/" + apiKey.ID, nil, PermAPIKeysDelete},
		{CreateServiceAccountAppKey, "POST", saAppKeysPath(sa), appKeyBody("new", nil), PermServiceAccountWrite},
		{ListServiceAccountAppKeys, "GET", saAppKeysPath(sa), nil, PermServiceAccountWrite},
		{GetServiceAccountAppKey, "GET", saAppKeysPath(sa) + "/" + appKey.ID, nil, PermServiceAccountWrite},
		{UpdateServiceAccountAppKey, "PATCH", saAppKeysPath(sa) + "/" + appKey.ID, appPatch, PermServiceAccountWrite},
		{DeleteServiceAccountAppKey, "DELETE", saAppKeysPath(sa) + "/" + appKey.ID, nil, PermServiceAccountWrite},
		{ListAppKeys, "GET", "/api/v2/application_keys", nil, PermOrgAppKeysRead},
		{GetAppKey, "GET", "/api/v2/application_keys/" + appKey.ID, nil, PermOrgAppKeysRead},
		{UpdateAppKey, "PATCH", "/api/v2/application_keys/" + appKey.ID, appPatch, PermOrgAppKeysWrite},
		{DeleteAppKey, "DELETE", "/api/v2/application_keys/" + appKey.ID, nil, PermOrgAppKeysWrite},
		{CreateCurrentUserAppKey, "POST", "/api/v2/current_user/application_keys", appKeyBody("new", nil), PermUserAppKeys},
		{ListCurrentUserAppKeys, "GET", "/api/v2/current_user/application_keys", nil, PermUserAppKeys},
		{GetCurrentUserAppKey, "GET", "/api/v2/current_user/application_keys/" + appKey.ID, nil, PermUserAppKeys},
		{UpdateCurrentUserAppKey, "PATCH", "/api/v2/current_user/application_keys/" + appKey.ID, appPatch, PermUserAppKeys},
		{DeleteCurrentUserAppKey, "DELETE", "/api/v2/current_user/application_keys/" + appKey.ID, nil, PermUserAppKeys},
		{ValidateAPIKey, "GET", "/api/v1/validate", nil, ""},
		{ValidateKeys, "GET", "/api/v2/validate_keys", nil, ""},
	}
}

func TestProbesCoverEveryEndpoint(t *testing.T) {
	var ops []string
	for _, p := range probes(newHarness(t)) {
		ops = append(ops, p.op)
	}
	for _, ep := range endpoints() {
		if !slices.Contains(ops, ep.op) {
			t.Errorf("no auth probe for %s", ep.op)
		}
	}
}

func TestAuth(t *testing.T) {
	unknownAPIKey := testkeys.APIKey("ddemu unknown")
	unknownAppKey := testkeys.AppKey("ddemu unknown")
	allBut := func(perm string) []string {
		return slices.DeleteFunc(append(slices.Clone(AdminScopes), PermUserAppKeys), func(s string) bool { return s == perm })
	}
	tests := []struct {
		name string
		// caller returns the keys to send; it may create an app key of the admin account.
		caller func(h *harness, p probe) keys
		// want returns the expected status and error message ("" = any success).
		want func(p probe) (int, string)
	}{
		{
			name:   "no keys",
			caller: func(*harness, probe) keys { return keys{} },
			want: func(p probe) (int, string) {
				if p.op == ValidateAPIKey {
					return 403, "API key required"
				}
				return 403, "Forbidden"
			},
		},
		{
			name:   "unknown API key",
			caller: func(h *harness, _ probe) keys { return keys{api: unknownAPIKey, app: h.admin.AppKey} },
			want:   func(probe) (int, string) { return 403, "Forbidden" },
		},
		{
			name:   "no application key",
			caller: func(h *harness, _ probe) keys { return keys{api: h.admin.APIKey} },
			want: func(p probe) (int, string) {
				if p.op == ValidateAPIKey {
					return 200, ""
				}
				return 403, "Forbidden"
			},
		},
		{
			name:   "unknown application key",
			caller: func(h *harness, _ probe) keys { return keys{api: h.admin.APIKey, app: unknownAppKey} },
			want: func(p probe) (int, string) {
				if p.op == ValidateAPIKey {
					return 200, ""
				}
				return 403, "Forbidden"
			},
		},
		{
			name: "missing scope",
			caller: func(h *harness, p probe) keys {
				k := h.srv.AddAppKey(h.admin.ServiceAccountID, "scoped", allBut(p.permission))
				return keys{api: h.admin.APIKey, app: k.Key}
			},
			want: func(p probe) (int, string) {
				if p.permission == "" {
					return 200, "" // validation endpoints need no scope
				}
				return 403, missingScopeMessage(p.permission)
			},
		},
		{
			name: "exactly the needed scope",
			caller: func(h *harness, p probe) keys {
				k := h.srv.AddAppKey(h.admin.ServiceAccountID, "scoped", []string{p.permission})
				return keys{api: h.admin.APIKey, app: k.Key}
			},
			want: func(probe) (int, string) { return 200, "" },
		},
		{
			name: "unscoped key",
			caller: func(h *harness, _ probe) keys {
				k := h.srv.AddAppKey(h.admin.ServiceAccountID, "unscoped", nil)
				return keys{api: h.admin.APIKey, app: k.Key}
			},
			want: func(probe) (int, string) { return 200, "" },
		},
	}
	for _, tt := range tests {
		for i := range probes(newHarness(t)) {
			h := newHarness(t)
			p := probes(h)[i]
			t.Run(tt.name+"/"+p.op, func(t *testing.T) {
				rep := h.doWith(tt.caller(h, p), p.method, p.path, p.body)
				wantStatus, wantMsg := tt.want(p)
				if wantStatus == 200 {
					if rep.status < 200 || rep.status > 299 {
						t.Fatalf("status = %d, want success; body %s", rep.status, rep.raw)
					}
					return
				}
				rep.mustStatus(t, wantStatus)
				if !slices.Equal(rep.errors(), []string{wantMsg}) {
					t.Errorf("errors = %q, want [%s]", rep.errors(), wantMsg)
				}
			})
		}
	}
}

func TestMissingScopeMessageNamesTheScope(t *testing.T) {
	if msg := missingScopeMessage(PermAPIKeysDelete); !strings.Contains(msg, PermAPIKeysDelete) {
		t.Errorf("message %q does not name the scope", msg)
	}
}

func TestValidateAnswers(t *testing.T) {
	h := newHarness(t)
	v1 := h.doWith(keys{api: h.admin.APIKey}, "GET", "/api/v1/validate", nil).mustStatus(t, http.StatusOK)
	if v1.path("valid") != true {
		t.Errorf("v1 validate = %s, want {\"valid\":true}", v1.raw)
	}
	v2 := h.do("GET", "/api/v2/validate_keys", nil).mustStatus(t, http.StatusOK)
	if v2.str("status") != "ok" {
		t.Errorf("validate_keys = %s, want {\"status\":\"ok\"}", v2.raw)
	}

	h.srv.RevokeAPIKey(h.admin.APIKeyID)
	h.doWith(keys{api: h.admin.APIKey}, "GET", "/api/v1/validate", nil).mustStatus(t, http.StatusForbidden)
	h.do("GET", "/api/v2/validate_keys", nil).mustStatus(t, http.StatusForbidden)
}

func TestRevokedAppKeyIsRefused(t *testing.T) {
	h := newHarness(t)
	h.srv.RevokeAppKey(h.admin.AppKeyID)
	h.do("GET", "/api/v2/validate_keys", nil).mustStatus(t, http.StatusForbidden)
	h.doWith(keys{api: h.admin.APIKey}, "GET", "/api/v1/validate", nil).mustStatus(t, http.StatusOK)
}
