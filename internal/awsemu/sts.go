package awsemu

import (
	"crypto/rand"
	"encoding/xml"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// AssumeRole bounds from the STS API reference; a role may lower the maximum.
const (
	defaultSessionDuration = time.Hour
	minSessionDuration     = 15 * time.Minute
	maxSessionDuration     = 12 * time.Hour
)

// roleSessionNamePattern is the API's constraint on RoleSessionName.
var roleSessionNamePattern = regexp.MustCompile(`^[\w+=,.@-]*$`)

func (s *Server) dispatchSTS(req *request) response {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out any
	var err *apiError
	switch req.action {
	case "AssumeRole":
		out, err = s.assumeRole(req)
	case "GetCallerIdentity":
		out = getCallerIdentityResult{UserID: req.caller.userID, Account: req.caller.account, ARN: req.caller.arn}
	}
	if err != nil {
		return queryErrorResponse(stsNamespace, req.id, err)
	}
	return queryResponse(stsNamespace, req.action, req.id, out)
}

type getCallerIdentityResult struct {
	XMLName xml.Name `xml:"GetCallerIdentityResult"`
	UserID  string   `xml:"UserId"`
	Account string   `xml:"Account"`
	ARN     string   `xml:"Arn"`
}

type assumeRoleResult struct {
	XMLName         xml.Name `xml:"AssumeRoleResult"`
	AssumedRoleUser struct {
		AssumedRoleID string `xml:"AssumedRoleId"`
		ARN           string `xml:"Arn"`
	} `xml:"AssumedRoleUser"`
	Credentials struct {
		AccessKeyID     string `xml:"AccessKeyId"`
		SecretAccessKey string `xml:"SecretAccessKey"`
		SessionToken    string `xml:"SessionToken"`
		Expiration      string `xml:"Expiration"`
	} `xml:"Credentials"`
}

func stsValidation(format string, args ...any) *apiError {
	return newAPIError(http.StatusBadRequest, "ValidationError", format, args...)
}

// assumeRole issues temporary credentials for a role in the emulator's role
// table. As in AWS, a role that does not exist, an untrusted account and a
// wrong ExternalId are all the same AccessDenied, so callers cannot probe.
func (s *Server) assumeRole(req *request) (any, *apiError) {
	roleARN := req.form.Get("RoleArn")
	sessionName := req.form.Get("RoleSessionName")
	if roleARN == "" {
		return nil, stsValidation("1 validation error detected: Value null at 'roleArn' failed to satisfy constraint: Member must not be null")
	}
	if sessionName == "" {
		return nil, stsValidation("1 validation error detected: Value null at 'roleSessionName' failed to satisfy constraint: Member must not be null")
	}
	if len(sessionName) < 2 || len(sessionName) > 64 {
		return nil, stsValidation("1 validation error detected: Value '%s' at 'roleSessionName' failed to satisfy constraint: Member must have length between 2 and 64", sessionName)
	}
	if !roleSessionNamePattern.MatchString(sessionName) {
		return nil, stsValidation("1 validation error detected: Value '%s' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*", sessionName)
	}
	if !strings.HasPrefix(roleARN, "arn:aws:iam::") || !strings.Contains(roleARN, ":role/") {
		return nil, stsValidation("%s is invalid", roleARN)
	}
	duration := defaultSessionDuration
	if raw := req.form.Get("DurationSeconds"); raw != "" {
		seconds, err := strconv.Atoi(raw)
		if err != nil || seconds < int(minSessionDuration.Seconds()) || seconds > int(maxSessionDuration.Seconds()) {
			return nil, stsValidation("1 validation error detected: Value '%s' at 'durationSeconds' failed to satisfy constraint: Member must have value between %d and %d",
				raw, int(minSessionDuration.Seconds()), int(maxSessionDuration.Seconds()))
		}
		duration = time.Duration(seconds) * time.Second
	}

	role, ok := s.roles[roleARN]
	switch {
	case ok && role.PolicyControlled:
		// The trust policy was evaluated by the Authorizer before the
		// action ran; a caller it does not govern (this account's root)
		// may not assume a policy-controlled role.
		if !req.caller.authorized {
			return nil, accessDenied(req, req.caller, roleARN)
		}
	default:
		trusted := ok && (len(role.TrustedAccounts) == 0 || slices.Contains(role.TrustedAccounts, req.caller.account))
		// An ExternalId the role does not ask for is ignored, as in IAM.
		if !trusted || (role.ExternalID != "" && role.ExternalID != req.form.Get("ExternalId")) {
			return nil, accessDenied(req, req.caller, roleARN)
		}
	}
	if duration > role.MaxSessionDuration {
		return nil, stsValidation("The requested DurationSeconds exceeds the MaxSessionDuration set for this role.")
	}

	sess := &roleSession{
		role:         role,
		roleARN:      roleARN,
		sessionName:  sessionName,
		assumedID:    role.uniqueID + ":" + sessionName,
		arn:          "arn:aws:sts::" + s.opts.AccountID + ":assumed-role/" + role.Name + "/" + sessionName,
		sessionToken: rand.Text() + rand.Text() + rand.Text(),
		expires:      s.now().Add(duration),
	}
	accessKeyID := "ASIA" + randomString(upperAlnum, 16)
	s.sessions[accessKeyID] = sess

	var out assumeRoleResult
	out.AssumedRoleUser.AssumedRoleID = sess.assumedID
	out.AssumedRoleUser.ARN = sess.arn
	out.Credentials.AccessKeyID = accessKeyID
	out.Credentials.SecretAccessKey = randomString(alnum, 40)
	out.Credentials.SessionToken = sess.sessionToken
	out.Credentials.Expiration = sess.expires.UTC().Format(time.RFC3339)
	return out, nil
}
