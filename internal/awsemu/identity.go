package awsemu

import (
	"net/http"
	"slices"
	"strings"
	"time"
)

// Role is an IAM role that callers may assume with sts:AssumeRole. Its session
// credentials may read the listed secrets and do nothing else, which is the
// shape of the read-only role ddrotate gives each consumer team.
type Role struct {
	// Name makes the role ARN arn:aws:iam::<account>:role/<Name>.
	Name string
	// TrustedAccounts are the account ids whose principals may assume the
	// role; empty trusts every account.
	TrustedAccounts []string
	// ExternalID, when set, must be passed as ExternalId to AssumeRole.
	ExternalID string
	// ReadableSecrets are the secret ARNs or names the role's sessions may
	// call GetSecretValue and DescribeSecret on.
	ReadableSecrets []string
	// MaxSessionDuration caps AssumeRole's DurationSeconds; default one
	// hour, as for an IAM role created without the setting.
	MaxSessionDuration time.Duration
	// PolicyControlled hands the role to the Server's Authorizer: who may
	// assume it (its trust policy) and what its sessions may do (its
	// policies) are decided there, and TrustedAccounts, ExternalID and
	// ReadableSecrets are not used.
	PolicyControlled bool
}

// roleEntry is a registered role with the unique id AWS gives each role
// (AROA…), which prefixes its sessions' user ids.
type roleEntry struct {
	Role
	uniqueID string
}

// principalKind says what a request's access key id stands for.
type principalKind int

const (
	// adminPrincipal is the emulated account's root: allowed everything.
	adminPrincipal principalKind = iota
	// teamPrincipal belongs to another account and may only assume roles.
	teamPrincipal
	// sessionPrincipal holds temporary credentials issued by AssumeRole.
	sessionPrincipal
)

// principal is the identity a request acts as.
type principal struct {
	kind        principalKind
	accessKeyID string
	account     string
	arn         string
	userID      string
	session     *roleSession // set for sessionPrincipal only
	// authorized is set once the Authorizer allowed the request, so that
	// handlers skip the built-in resource checks.
	authorized bool
}

// roleSession is the state behind temporary credentials issued by AssumeRole.
type roleSession struct {
	role         *roleEntry
	roleARN      string
	sessionName  string
	assumedID    string // AROA…:<session name>, what GetCallerIdentity reports as UserId
	arn          string // arn:aws:sts::<account>:assumed-role/<role>/<session>
	sessionToken string
	expires      time.Time
}

// AddRole registers r (replacing a role of the same name) and returns its ARN.
func (s *Server) AddRole(r Role) (arn string) {
	arn = s.roleARN(r.Name)
	r.TrustedAccounts = slices.Clone(r.TrustedAccounts)
	r.ReadableSecrets = slices.Clone(r.ReadableSecrets)
	if r.MaxSessionDuration == 0 {
		r.MaxSessionDuration = time.Hour
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.roles[arn] = &roleEntry{Role: r, uniqueID: "AROA" + randomString(upperAlnum, 17)}
	return arn
}

// AddAccessKey registers accessKeyID as a principal of another account, such
// as a consumer team's pipeline in account "111111111111". Such a principal
// may only call sts:AssumeRole and sts:GetCallerIdentity.
func (s *Server) AddAccessKey(accessKeyID, accountID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.teamKeys[accessKeyID] = accountID
}

func (s *Server) roleARN(name string) string {
	return "arn:aws:iam::" + s.opts.AccountID + ":role/" + name
}

// requestCredentials are the parts of a request's SigV4 signature the
// emulator uses: who signed it, and for which service.
type requestCredentials struct {
	accessKeyID  string
	scopeService string // the service named in the credential scope, if any
	sessionToken string
}

// credentialsOf reads the SigV4 credential from the Authorization header or,
// for presigned requests, from the X-Amz-Credential query parameter.
func credentialsOf(r *http.Request) (requestCredentials, bool) {
	var credential string
	if auth := r.Header.Get("Authorization"); auth != "" {
		_, params, ok := strings.Cut(auth, "Credential=")
		if !ok {
			return requestCredentials{}, false
		}
		credential, _, _ = strings.Cut(params, ",")
	} else {
		credential = r.URL.Query().Get("X-Amz-Credential")
	}
	// Credential is <key id>/<date>/<region>/<service>/aws4_request.
	parts := strings.Split(strings.TrimSpace(credential), "/")
	if parts[0] == "" {
		return requestCredentials{}, false
	}
	creds := requestCredentials{accessKeyID: parts[0], sessionToken: r.Header.Get("X-Amz-Security-Token")}
	if creds.sessionToken == "" {
		creds.sessionToken = r.URL.Query().Get("X-Amz-Security-Token")
	}
	if len(parts) == 5 {
		creds.scopeService = parts[3]
	}
	return creds, true
}

// authFailure says why a request's credentials were refused.
type authFailure int

const (
	authOK authFailure = iota
	authMissing
	authUnrecognized
	authExpired
)

// principalFor resolves the credentials of a request. Callers hold s.mu.
func (s *Server) principalFor(creds requestCredentials) (*principal, authFailure) {
	if sess, ok := s.sessions[creds.accessKeyID]; ok {
		if creds.sessionToken != sess.sessionToken {
			return nil, authUnrecognized
		}
		if !s.now().Before(sess.expires) {
			return nil, authExpired
		}
		return &principal{
			kind:        sessionPrincipal,
			accessKeyID: creds.accessKeyID,
			account:     s.opts.AccountID,
			arn:         sess.arn,
			userID:      sess.assumedID,
			session:     sess,
		}, authOK
	}
	if account, ok := s.teamKeys[creds.accessKeyID]; ok {
		return &principal{
			kind:        teamPrincipal,
			accessKeyID: creds.accessKeyID,
			account:     account,
			arn:         "arn:aws:iam::" + account + ":root",
			userID:      account,
		}, authOK
	}
	return &principal{
		kind:        adminPrincipal,
		accessKeyID: creds.accessKeyID,
		account:     s.opts.AccountID,
		arn:         "arn:aws:iam::" + s.opts.AccountID + ":root",
		userID:      s.opts.AccountID,
	}, authOK
}

// mayCall is the coarse, per-action part of the access check; resource-level
// checks (which secret a session may read) happen in the handlers.
func (p *principal) mayCall(service, action string) bool {
	switch p.kind {
	case adminPrincipal:
		return true
	case teamPrincipal:
		return service == serviceSTS && (action == "AssumeRole" || action == "GetCallerIdentity")
	case sessionPrincipal:
		if service == serviceSTS {
			return action == "GetCallerIdentity"
		}
		return service == serviceSecretsManager && (action == "GetSecretValue" || action == "DescribeSecret")
	}
	return false
}

// mayReadSecret reports whether p may read the secret with the given ARN and
// name.
func (p *principal) mayReadSecret(arn, name string) bool {
	switch {
	case p.kind == adminPrincipal, p.authorized:
		return true
	case p.kind == sessionPrincipal:
		return slices.ContainsFunc(p.session.role.ReadableSecrets, func(allowed string) bool { return allowed == arn || allowed == name })
	default:
		return false
	}
}
