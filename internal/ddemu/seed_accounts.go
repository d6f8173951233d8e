package ddemu

// AddServiceAccountWithID creates a service account with a given id, as a
// deployment's configuration names one (an api-app-key target's
// serviceAccountId). An existing account with that id is kept.
func (s *Server) AddServiceAccountWithID(id, name string) ServiceAccount {
	s.mu.Lock()
	defer s.mu.Unlock()
	sa, ok := s.st.serviceAccounts[id]
	if !ok {
		sa = s.addServiceAccountLocked(id, name, "", s.now())
	}
	return ServiceAccount{ID: sa.id, Name: sa.name, Email: sa.email}
}
