package ddemu

import "net/http"

// Operation names, as the Datadog API client names them. They label the call
// log and the counters, and select calls in Fault.Op and SetRateLimit.
const (
	CreateAPIKey = "CreateAPIKey"
	GetAPIKey    = "GetAPIKey"
	ListAPIKeys  = "ListAPIKeys"
	UpdateAPIKey = "UpdateAPIKey"
	DeleteAPIKey = "DeleteAPIKey"

	CreateServiceAccountAppKey = "CreateServiceAccountAppKey"
	GetServiceAccountAppKey    = "GetServiceAccountAppKey"
	ListServiceAccountAppKeys  = "ListServiceAccountAppKeys"
	UpdateServiceAccountAppKey = "UpdateServiceAccountAppKey"
	DeleteServiceAccountAppKey = "DeleteServiceAccountAppKey"

	ListAppKeys  = "ListAppKeys"
	GetAppKey    = "GetAppKey"
	UpdateAppKey = "UpdateAppKey"
	DeleteAppKey = "DeleteAppKey"

	CreateCurrentUserAppKey = "CreateCurrentUserAppKey"
	GetCurrentUserAppKey    = "GetCurrentUserAppKey"
	ListCurrentUserAppKeys  = "ListCurrentUserAppKeys"
	UpdateCurrentUserAppKey = "UpdateCurrentUserAppKey"
	DeleteCurrentUserAppKey = "DeleteCurrentUserAppKey"

	ValidateAPIKey = "ValidateAPIKey"
	ValidateKeys   = "ValidateKeys"
)

// Permissions (application key scopes) that the emulated endpoints require.
const (
	PermAPIKeysRead         = "api_keys_read"
	PermAPIKeysWrite        = "api_keys_write"
	PermAPIKeysDelete       = "api_keys_delete"
	PermOrgAppKeysRead      = "org_app_keys_read"
	PermOrgAppKeysWrite     = "org_app_keys_write"
	PermServiceAccountWrite = "service_account_write"
	// PermUserAppKeys guards the current_user routes: Datadog's permission
	// to manage one's own application keys. ddrotate's admin key lacks it.
	PermUserAppKeys = "user_app_keys"
)

// credentials says which keys an endpoint authenticates with.
type credentials int

const (
	apiKeyOnly credentials = iota // GET /api/v1/validate checks the API key alone
	apiAndAppKey
)

// endpoint is one emulated operation: its route, the auth it needs and the
// handler that computes its answer.
type endpoint struct {
	pattern    string // net/http ServeMux pattern, with {wildcards}
	op         string
	creds      credentials
	permission string // "" = any valid application key will do
	handle     func(s *Server, c *callContext) response
}

func endpoints() []endpoint {
	const (
		apiKeys     = "/api/v2/api_keys"
		apiKey      = apiKeys + "/{key_id}"
		saAppKeys   = "/api/v2/service_accounts/{sa_id}/application_keys"
		saAppKey    = saAppKeys + "/{key_id}"
		orgAppKeys  = "/api/v2/application_keys"
		orgAppKey   = orgAppKeys + "/{key_id}"
		userAppKeys = "/api/v2/current_user/application_keys"
		userAppKey  = userAppKeys + "/{key_id}"
	)
	return []endpoint{
		{"POST " + apiKeys, CreateAPIKey, apiAndAppKey, PermAPIKeysWrite, (*Server).createAPIKey},
		{"GET " + apiKeys, ListAPIKeys, apiAndAppKey, PermAPIKeysRead, (*Server).listAPIKeys},
		{"GET " + apiKey, GetAPIKey, apiAndAppKey, PermAPIKeysRead, (*Server).getAPIKey},
		{"PATCH " + apiKey, UpdateAPIKey, apiAndAppKey, PermAPIKeysWrite, (*Server).updateAPIKey},
		{"DELETE " + apiKey, DeleteAPIKey, apiAndAppKey, PermAPIKeysDelete, (*Server).deleteAPIKey},

		{"POST " + saAppKeys, CreateServiceAccountAppKey, apiAndAppKey, PermServiceAccountWrite, (*Server).createServiceAccountAppKey},
		{"GET " + saAppKeys, ListServiceAccountAppKeys, apiAndAppKey, PermServiceAccountWrite, (*Server).listServiceAccountAppKeys},
		{"GET " + saAppKey, GetServiceAccountAppKey, apiAndAppKey, PermServiceAccountWrite, (*Server).getServiceAccountAppKey},
		{"PATCH " + saAppKey, UpdateServiceAccountAppKey, apiAndAppKey, PermServiceAccountWrite, (*Server).updateServiceAccountAppKey},
		{"DELETE " + saAppKey, DeleteServiceAccountAppKey, apiAndAppKey, PermServiceAccountWrite, (*Server).deleteServiceAccountAppKey},

		{"GET " + orgAppKeys, ListAppKeys, apiAndAppKey, PermOrgAppKeysRead, (*Server).listOrgAppKeys},
		{"GET " + orgAppKey, GetAppKey, apiAndAppKey, PermOrgAppKeysRead, (*Server).getOrgAppKey},
		{"PATCH " + orgAppKey, UpdateAppKey, apiAndAppKey, PermOrgAppKeysWrite, (*Server).updateOrgAppKey},
		{"DELETE " + orgAppKey, DeleteAppKey, apiAndAppKey, PermOrgAppKeysWrite, (*Server).deleteOrgAppKey},

		{"POST " + userAppKeys, CreateCurrentUserAppKey, apiAndAppKey, PermUserAppKeys, (*Server).createCurrentUserAppKey},
		{"GET " + userAppKeys, ListCurrentUserAppKeys, apiAndAppKey, PermUserAppKeys, (*Server).listCurrentUserAppKeys},
		{"GET " + userAppKey, GetCurrentUserAppKey, apiAndAppKey, PermUserAppKeys, (*Server).getCurrentUserAppKey},
		{"PATCH " + userAppKey, UpdateCurrentUserAppKey, apiAndAppKey, PermUserAppKeys, (*Server).updateCurrentUserAppKey},
		{"DELETE " + userAppKey, DeleteCurrentUserAppKey, apiAndAppKey, PermUserAppKeys, (*Server).deleteCurrentUserAppKey},

		{"GET /api/v1/validate", ValidateAPIKey, apiKeyOnly, "", (*Server).validateAPIKey},
		{"GET /api/v2/validate_keys", ValidateKeys, apiAndAppKey, "", (*Server).validateKeys},
	}
}

// newMux routes every emulated endpoint through serveEndpoint, and anything
// else to a Datadog-shaped 404.
func (s *Server) newMux() *http.ServeMux {
	mux := http.NewServeMux()
	for _, ep := range endpoints() {
		mux.HandleFunc(ep.pattern, func(w http.ResponseWriter, r *http.Request) {
			s.serveEndpoint(w, r, ep)
		})
	}
	mux.HandleFunc("/", s.serveUnknown)
	return mux
}
