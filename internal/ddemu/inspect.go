package ddemu

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// ServiceAccount is a service account of the emulated org.
type ServiceAccount struct {
	ID, Name, Email string
}

// APIKey is an API key of the emulated org, value included.
type APIKey struct {
	ID, Name, Key string
	CreatedAt     time.Time
}

// String redacts the value so that printing a key cannot leak it.
func (k APIKey) String() string {
	return fmt.Sprintf("ddemu.APIKey{ID:%s Name:%q Last4:%s}", k.ID, k.Name, last4(k.Key))
}

// GoString keeps %#v as safe as %v.
func (k APIKey) GoString() string { return k.String() }

// AppKey is an application key of the emulated org, value included.
// Scopes nil means unscoped.
type AppKey struct {
	ID, Name, Key, OwnerID string
	Scopes                 []string
	CreatedAt              time.Time
}

// String redacts the value so that printing a key cannot leak it.
func (k AppKey) String() string {
	return fmt.Sprintf("ddemu.AppKey{ID:%s Name:%q OwnerID:%s Scopes:%v Last4:%s}", k.ID, k.Name, k.OwnerID, k.Scopes, last4(k.Key))
}

// GoString keeps %#v as safe as %v.
func (k AppKey) GoString() string { return k.String() }

// AddServiceAccount creates a service account, as an admin would in the UI.
func (s *Server) AddServiceAccount(name string) ServiceAccount {
	s.mu.Lock()
	defer s.mu.Unlock()
	sa := s.addServiceAccountLocked("", name, "", s.now())
	return ServiceAccount{ID: sa.id, Name: sa.name, Email: sa.email}
}

// AddAPIKey creates an API key outside the API (no auth, no cap, not logged)
// and returns it with its value.
func (s *Server) AddAPIKey(name string) APIKey {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addAPIKeyLocked("", name, "", s.st.orgOwnerID, s.now()).export()
}

// AddAppKey creates an application key owned by ownerID outside the API and
// returns it with its value. Scopes nil makes it unscoped.
func (s *Server) AddAppKey(ownerID, name string, scopes []string) AppKey {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addAppKeyLocked("", name, "", ownerID, scopes, s.now()).export()
}

// OrgName returns the name of the emulated org, as seeded.
func (s *Server) OrgName() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st.orgName
}

// ServiceAccounts returns the service accounts, sorted by name.
func (s *Server) ServiceAccounts() []ServiceAccount {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]ServiceAccount, 0, len(s.st.serviceAccounts))
	for _, sa := range s.st.serviceAccounts {
		out = append(out, ServiceAccount{ID: sa.id, Name: sa.name, Email: sa.email})
	}
	slices.SortFunc(out, func(a, b ServiceAccount) int {
		return strings.Compare(a.Name+"\x00"+a.ID, b.Name+"\x00"+b.ID)
	})
	return out
}

// APIKeys returns every API key with its value, oldest first.
func (s *Server) APIKeys() []APIKey {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []APIKey
	for _, k := range s.st.sortedAPIKeys() {
		out = append(out, k.export())
	}
	return out
}

// AppKeys returns every application key with its value, oldest first.
func (s *Server) AppKeys() []AppKey {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []AppKey
	for _, k := range s.st.sortedAppKeys() {
		out = append(out, k.export())
	}
	return out
}

// APIKeyValid reports whether value is a live API key of the org.
func (s *Server) APIKeyValid(value string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st.apiKeyByValue(value) != nil
}

// AppKeyValid reports whether value is a live application key of the org.
func (s *Server) AppKeyValid(value string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st.appKeyByValue(value) != nil
}

// RevokeAPIKey deletes an API key outside the API, modelling a key that
// stopped working behind ddrotate's back. Unknown ids are ignored.
func (s *Server) RevokeAPIKey(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.st.apiKeys, id)
}

// RevokeAppKey deletes an application key outside the API. Unknown ids are ignored.
func (s *Server) RevokeAppKey(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.st.appKeys, id)
}

// SetMaxAPIKeys changes the org's API key cap (meta.max_allowed); 0 or less
// restores DefaultMaxAPIKeys. Keys already beyond a lowered cap are kept.
func (s *Server) SetMaxAPIKeys(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if n <= 0 {
		n = DefaultMaxAPIKeys
	}
	s.st.maxAPIKeys = n
}

func (k *apiKey) export() APIKey {
	return APIKey{ID: k.id, Name: k.name, Key: k.value, CreatedAt: k.createdAt}
}

func (k *appKey) export() AppKey {
	return AppKey{ID: k.id, Name: k.name, Key: k.value, OwnerID: k.ownerID, Scopes: slices.Clone(k.scopes), CreatedAt: k.createdAt}
}

func (s *Server) addServiceAccountLocked(id, name, email string, now time.Time) *serviceAccount {
	if id == "" {
		id = newUUID()
	}
	if email == "" {
		email = id + "@service-account.invalid"
	}
	sa := &serviceAccount{id: id, name: name, email: email, createdAt: now}
	s.st.serviceAccounts[id] = sa
	return sa
}

func (s *Server) addAPIKeyLocked(id, name, value, createdBy string, now time.Time) *apiKey {
	if id == "" {
		id = newUUID()
	}
	if value == "" {
		value = newKeyValue(apiKeyValueBytes)
	}
	k := &apiKey{
		id: id, name: name, value: value,
		createdAt: now, modifiedAt: now,
		createdBy: createdBy, modifiedBy: createdBy,
		seq: s.st.nextSeq(),
	}
	s.st.apiKeys[id] = k
	s.st.everIssued = append(s.st.everIssued, value)
	s.st.idOfValue[value] = id
	return k
}

func (s *Server) addAppKeyLocked(id, name, value, ownerID string, scopes []string, now time.Time) *appKey {
	if id == "" {
		id = newUUID()
	}
	if value == "" {
		value = newKeyValue(appKeyValueBytes)
	}
	k := &appKey{
		id: id, name: name, value: value, ownerID: ownerID,
		scopes: slices.Clone(scopes), createdAt: now,
		seq: s.st.nextSeq(),
	}
	s.st.appKeys[id] = k
	s.st.everIssued = append(s.st.everIssued, value)
	s.st.idOfValue[value] = id
	return k
}

// AllKeyValues returns every API and application key value the org has ever
// issued, deleted keys included: the needles of a leak scan, which must find
// a key that a rollback deleted as surely as one that is still alive.
func (s *Server) AllKeyValues() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.st.everIssued)
}

// OrgOwnerID is the id of the user who owns the org: a person, not a
// service account, for tests of keys that a user owns.
func (s *Server) OrgOwnerID() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st.orgOwnerID
}
