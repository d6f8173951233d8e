package ddemu

import (
	"net/http"
	"slices"
)

// Auth headers, as Datadog names them.
const (
	HeaderAPIKey = "DD-API-KEY"
	HeaderAppKey = "DD-APPLICATION-KEY"
)

// Error messages of refused calls. "API key required" is what Datadog
// recorded for /api/v1/validate without a key; every other refusal is the
// plain "Forbidden" Datadog sends, except a missing scope, whose message
// names the scope so that a misconfigured admin key is easy to diagnose.
const (
	msgAPIKeyRequired = "API key required"
	msgForbidden      = "Forbidden"
)

func missingScopeMessage(scope string) string {
	return "Forbidden: the application key is missing the required scope " + scope
}

// authenticate checks the keys of a call against ep's needs. It returns the
// call's context, or the 403 to answer with.
func (s *Server) authenticate(r *http.Request, ep endpoint) (*callContext, *response) {
	apiValue := r.Header.Get(HeaderAPIKey)
	appValue := r.Header.Get(HeaderAppKey)

	s.mu.Lock()
	defer s.mu.Unlock()
	if apiValue == "" && ep.creds == apiKeyOnly {
		return nil, ptr(errorResponse(http.StatusForbidden, msgAPIKeyRequired))
	}
	apiKey := s.st.apiKeyByValue(apiValue)
	if apiKey == nil {
		return nil, ptr(errorResponse(http.StatusForbidden, msgForbidden))
	}
	// A key counts as used once it authenticates, as Datadog's
	// date_last_used and last_used_at report.
	apiKey.lastUsed = s.now()
	if ep.creds == apiKeyOnly {
		return &callContext{r: r}, nil
	}
	appKey := s.st.appKeyByValue(appValue)
	if appKey == nil {
		return nil, ptr(errorResponse(http.StatusForbidden, msgForbidden))
	}
	appKey.lastUsed = s.now()
	if ep.permission != "" && !appKey.allows(ep.permission) {
		return nil, ptr(errorResponse(http.StatusForbidden, missingScopeMessage(ep.permission)))
	}
	return &callContext{r: r, userID: appKey.ownerID}, nil
}

// allows reports whether the key carries permission. An unscoped key (nil
// scopes) carries every permission of its owner, and owners are all admins here.
func (k *appKey) allows(permission string) bool {
	return k.scopes == nil || slices.Contains(k.scopes, permission)
}

func ptr[T any](v T) *T { return &v }
