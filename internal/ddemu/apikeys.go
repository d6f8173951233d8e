package ddemu

import (
	"errors"
	"fmt"
	"net/http"
)

// msgAPIKeyNotFound is Datadog's recorded answer for an unknown or deleted API key id.
const msgAPIKeyNotFound = "API key not found"

var apiKeySortFields = []string{"created_at", "last4", "modified_at", "name"}

// apiKeyCapMessage explains a refused create at the cap. Datadog's own answer
// at the cap was not recorded and is not documented; the emulator answers 400
// (the status Datadog's API reference lists for a refused create) with this
// explicit message.
func apiKeyCapMessage(limit int) string {
	return fmt.Sprintf("API key limit reached: the organization already has the maximum of %d API keys (meta.max_allowed); delete an API key first", limit)
}

func (s *Server) createAPIKey(c *callContext) response {
	attrs, err := readResource(c.r, "api_keys", "")
	if err != nil {
		return badRequest(err)
	}
	if attrs.Name == nil {
		return badRequest(errors.New("data.attributes.name is required"))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.st.apiKeys) >= s.st.maxAPIKeys {
		return errorResponse(http.StatusBadRequest, apiKeyCapMessage(s.st.maxAPIKeys))
	}
	k := s.addAPIKeyLocked("", *attrs.Name, "", c.userID, s.now())
	return response{status: http.StatusCreated, body: apiKeyDocument{Data: k.resource(apiKeyView{value: true})}, made: madeKey{k.id, k.name}}
}

func (s *Server) listAPIKeys(c *callContext) response {
	lq, err := parseListQuery(c.r.URL.Query(), defaultAPIKeyPageSize, apiKeySortFields)
	if err != nil {
		return badRequest(err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	page, total := apply(s.st.sortedAPIKeys(), lq)
	doc := apiKeyListDocument{
		Data: make([]apiKeyResource, 0, len(page)),
		Meta: apiKeyListMeta{Page: pageMeta{TotalFilteredCount: total}, MaxAllowed: s.st.maxAPIKeys},
	}
	for _, k := range page {
		doc.Data = append(doc.Data, k.resource(apiKeyView{usage: true, now: s.now()}))
	}
	return response{status: http.StatusOK, body: doc}
}

// getAPIKey returns the key with its value: unlike application keys, API
// key values stay readable by id.
func (s *Server) getAPIKey(c *callContext) response {
	s.mu.Lock()
	defer s.mu.Unlock()
	k, ok := s.st.apiKeys[c.r.PathValue("key_id")]
	if !ok {
		return errorResponse(http.StatusNotFound, msgAPIKeyNotFound)
	}
	return response{status: http.StatusOK, body: apiKeyDocument{Data: k.resource(apiKeyView{value: true, usage: true, now: s.now()})}}
}

func (s *Server) updateAPIKey(c *callContext) response {
	id := c.r.PathValue("key_id")
	attrs, err := readResource(c.r, "api_keys", id)
	if err != nil {
		return badRequest(err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	k, ok := s.st.apiKeys[id]
	if !ok {
		return errorResponse(http.StatusNotFound, msgAPIKeyNotFound)
	}
	if attrs.Name != nil {
		k.name = *attrs.Name
	}
	k.modifiedAt, k.modifiedBy = s.now(), c.userID
	return response{status: http.StatusOK, body: apiKeyDocument{Data: k.resource(apiKeyView{value: true})}}
}

func (s *Server) deleteAPIKey(c *callContext) response {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := c.r.PathValue("key_id")
	if _, ok := s.st.apiKeys[id]; !ok {
		return errorResponse(http.StatusNotFound, msgAPIKeyNotFound)
	}
	delete(s.st.apiKeys, id)
	return noContent()
}
