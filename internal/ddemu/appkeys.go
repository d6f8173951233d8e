package ddemu

import (
	"errors"
	"net/http"
	"slices"
)

// Datadog's recorded answer for an unknown or deleted application key id.
const msgAppKeyNotFound = "Application key not found"

// msgServiceAccountNotFound answers service-account routes naming an unknown
// account (not recorded; the emulator's choice).
const msgServiceAccountNotFound = "Service account not found"

var appKeySortFields = []string{"created_at", "last4", "name"}

// Per-route shapes of application keys, as recorded. The value is shown by
// create answers only: Datadog's One-Time Read mode.
var (
	viewCreated      = appKeyView{value: true, owner: true}
	viewServiceRead  = appKeyView{} // recorded without last_used_at, unlike org routes
	viewServiceWrite = appKeyView{}
	viewOrgRead      = appKeyView{usage: true, owner: true}
	viewOrgWrite     = appKeyView{owner: true}
	viewUserList     = appKeyView{usage: true}
)

// anyOwner selects keys of every owner in org-wide routes.
const anyOwner = ""

// Service account routes.

func (s *Server) createServiceAccountAppKey(c *callContext) response {
	return s.createAppKey(c, c.r.PathValue("sa_id"))
}

func (s *Server) listServiceAccountAppKeys(c *callContext) response {
	return s.listAppKeys(c, c.r.PathValue("sa_id"), viewServiceRead)
}

func (s *Server) getServiceAccountAppKey(c *callContext) response {
	return s.getAppKey(c, c.r.PathValue("sa_id"), viewServiceRead)
}

func (s *Server) updateServiceAccountAppKey(c *callContext) response {
	return s.updateAppKey(c, c.r.PathValue("sa_id"), viewServiceWrite)
}

func (s *Server) deleteServiceAccountAppKey(c *callContext) response {
	return s.deleteAppKey(c, c.r.PathValue("sa_id"))
}

// Org-wide routes.

func (s *Server) listOrgAppKeys(c *callContext) response {
	return s.listAppKeys(c, anyOwner, viewOrgRead)
}

func (s *Server) getOrgAppKey(c *callContext) response {
	return s.getAppKey(c, anyOwner, viewOrgRead)
}

func (s *Server) updateOrgAppKey(c *callContext) response {
	return s.updateAppKey(c, anyOwner, viewOrgWrite)
}

func (s *Server) deleteOrgAppKey(c *callContext) response {
	return s.deleteAppKey(c, anyOwner)
}

// Current user routes: the current user is the owner of the calling key.

func (s *Server) createCurrentUserAppKey(c *callContext) response {
	return s.createAppKey(c, c.userID)
}

func (s *Server) listCurrentUserAppKeys(c *callContext) response {
	return s.listAppKeys(c, c.userID, viewUserList)
}

// getCurrentUserAppKey also includes the owner and its role, as recorded.
func (s *Server) getCurrentUserAppKey(c *callContext) response {
	resp := s.getAppKey(c, c.userID, viewOrgRead)
	doc, ok := resp.body.(appKeyDocument)
	if !ok {
		return resp
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if sa, ok := s.st.serviceAccounts[c.userID]; ok {
		doc.Included = serviceAccountIncluded(sa, s.st.adminRole)
	}
	resp.body = doc
	return resp
}

func (s *Server) updateCurrentUserAppKey(c *callContext) response {
	return s.updateAppKey(c, c.userID, viewOrgWrite)
}

func (s *Server) deleteCurrentUserAppKey(c *callContext) response {
	return s.deleteAppKey(c, c.userID)
}

// Shared implementations. owner restricts a route to one owner's keys, or is
// anyOwner; a key of another owner is answered as not found.

// ownerMissingLocked answers 404 when a service-account route names an
// account that does not exist.
func (s *Server) ownerMissingLocked(c *callContext, owner string) (response, bool) {
	if c.r.PathValue("sa_id") == "" {
		return response{}, false
	}
	if _, ok := s.st.serviceAccounts[owner]; ok {
		return response{}, false
	}
	return errorResponse(http.StatusNotFound, msgServiceAccountNotFound), true
}

func (s *Server) createAppKey(c *callContext, owner string) response {
	attrs, err := readResource(c.r, "application_keys", "")
	if err != nil {
		return badRequest(err)
	}
	if attrs.Name == nil {
		return badRequest(errors.New("data.attributes.name is required"))
	}
	scopes, _, err := attrs.scopes()
	if err != nil {
		return badRequest(err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if resp, missing := s.ownerMissingLocked(c, owner); missing {
		return resp
	}
	k := s.addAppKeyLocked("", *attrs.Name, "", owner, scopes, s.now())
	return response{status: http.StatusCreated, body: appKeyDocument{Data: k.resource(viewCreated)}, made: madeKey{k.id, k.name}}
}

func (s *Server) listAppKeys(c *callContext, owner string, view appKeyView) response {
	lq, err := parseListQuery(c.r.URL.Query(), defaultAppKeyPageSize, appKeySortFields)
	if err != nil {
		return badRequest(err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if resp, missing := s.ownerMissingLocked(c, owner); missing {
		return resp
	}
	keys := s.st.sortedAppKeys()
	if owner != anyOwner {
		keys = slices.DeleteFunc(keys, func(k *appKey) bool { return k.ownerID != owner })
	}
	page, total := apply(keys, lq)
	doc := appKeyListDocument{
		Data: make([]appKeyResource, 0, len(page)),
		Meta: appKeyListMeta{Page: pageMeta{TotalFilteredCount: total}, MaxAllowedPerUser: maxAppKeysPerUser},
	}
	for _, k := range page {
		doc.Data = append(doc.Data, k.resource(view))
	}
	return response{status: http.StatusOK, body: doc}
}

// findAppKeyLocked returns the key named in the path if owner may see it.
func (s *Server) findAppKeyLocked(c *callContext, owner string) (*appKey, response, bool) {
	if resp, missing := s.ownerMissingLocked(c, owner); missing {
		return nil, resp, false
	}
	k, ok := s.st.appKeys[c.r.PathValue("key_id")]
	if !ok || (owner != anyOwner && k.ownerID != owner) {
		return nil, errorResponse(http.StatusNotFound, msgAppKeyNotFound), false
	}
	return k, response{}, true
}

func (s *Server) getAppKey(c *callContext, owner string, view appKeyView) response {
	s.mu.Lock()
	defer s.mu.Unlock()
	k, resp, ok := s.findAppKeyLocked(c, owner)
	if !ok {
		return resp
	}
	return response{status: http.StatusOK, body: appKeyDocument{Data: k.resource(view)}}
}

func (s *Server) updateAppKey(c *callContext, owner string, view appKeyView) response {
	attrs, err := readResource(c.r, "application_keys", c.r.PathValue("key_id"))
	if err != nil {
		return badRequest(err)
	}
	scopes, setScopes, err := attrs.scopes()
	if err != nil {
		return badRequest(err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	k, resp, ok := s.findAppKeyLocked(c, owner)
	if !ok {
		return resp
	}
	if attrs.Name != nil {
		k.name = *attrs.Name
	}
	if setScopes {
		k.scopes = scopes
	}
	return response{status: http.StatusOK, body: appKeyDocument{Data: k.resource(view)}}
}

func (s *Server) deleteAppKey(c *callContext, owner string) response {
	s.mu.Lock()
	defer s.mu.Unlock()
	k, resp, ok := s.findAppKeyLocked(c, owner)
	if !ok {
		return resp
	}
	delete(s.st.appKeys, k.id)
	return noContent()
}
