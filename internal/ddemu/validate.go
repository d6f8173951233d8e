package ddemu

import "net/http"

// validateAPIKey answers GET /api/v1/validate. Authentication has already
// proved the API key; no application key is needed.
func (s *Server) validateAPIKey(*callContext) response {
	return response{status: http.StatusOK, body: validateDocument{Valid: true}}
}

// validateKeys answers GET /api/v2/validate_keys. Authentication has already
// proved both keys; like the real endpoint it needs no particular scope.
func (s *Server) validateKeys(*callContext) response {
	return response{status: http.StatusOK, body: validateKeysDocument{Status: "ok"}}
}
