package credential

// The rules a field can break, worded to follow the field name in a
// FieldError: field "apiKey": must be 32 lowercase hex characters.
const (
	problemRequired    = "is required"
	problemAPIKeyShape = "must be 32 lowercase hex characters"
	problemAppKeyShape = `must be 40 lowercase hex characters or "ddapp_" and 34 letters or digits`
	problemIDShape     = "must be a lowercase UUID"
	problemScopeShape  = "must hold Datadog scope names (lowercase letters, digits and underscores)"
)

func checkSecret(p *problems, field string, s Secret, valid func(string) bool, shape string) {
	switch {
	case s.IsZero():
		p.add(field, problemRequired)
	case !valid(s.Reveal()):
		p.add(field, shape)
	}
}

func checkID(p *problems, field, id string) {
	switch {
	case id == "":
		p.add(field, problemRequired)
	case !ValidID(id):
		p.add(field, problemIDShape)
	}
}

func checkSite(p *problems, s Site) {
	switch {
	case s == "":
		p.add(fieldSite, problemRequired)
	case !s.Valid():
		p.add(fieldSite, siteProblem)
	}
}
