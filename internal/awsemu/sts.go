package awsemu

import (
	"crypto/rand"
	"encoding/xml"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// AssumeRole bounds from the STS API reference; a role may lower the maximum.
const (
	defaultSessionDuration = time.Hour
	minSessionDuration     = 15 * time.Minute
	maxSessionDuration     = 12 * time.Hour
)

// roleSessionNamePattern is the API's constraint on RoleSessionName.
var roleSessionNamePattern = regexp.MustCompile(`^[\w+=,.@-]*$`)

// Other AssumeRole members' constraints, from the STS API reference.
var (
	externalIDPattern      = regexp.MustCompile(`^[\w+=,.@:/-]*$`) // externalIdType: 2 to 1224
	sourceIdentityPattern  = regexp.MustCompile(`^[\w+=,.@-]*$`)   // sourceIdentityType: 2 to 64
	serialNumberPattern    = regexp.MustCompile(`^[\w+=/:,.@-]*$`) // serialNumberType: 9 to 256
	tokenCodePattern       = regexp.MustCompile(`^[0-9]{6}$`)      // tokenCodeType: 6 digits
	sessionTagKeyPattern   = regexp.MustCompile(`^[\p{L}\p{Z}\p{N}_.:/=+\-@]+$`)
	sessionTagValuePattern = regexp.MustCompile(`^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$`)
)

// Bounds of AssumeRole, from the STS API reference.
const (
	minRoleARNLength   = 20
	maxRoleARNLength   = 2048
	maxExternalIDChars = 1224
	maxSessionTags     = 50
	// "if you assume a role using role chaining and provide a
	// DurationSeconds parameter value greater than one hour, the operation
	// fails."
	maxChainedSessionDuration = time.Hour
)

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
	if err := validateAssumeRole(req.form); err != nil {
		return nil, err
	}
	duration := defaultSessionDuration
	if raw := req.form.Get("DurationSeconds"); raw != "" {
		seconds, _ := strconv.Atoi(raw) // validated above
		duration = time.Duration(seconds) * time.Second
	}
	if req.caller.kind == sessionPrincipal && duration > maxChainedSessionDuration {
		return nil, stsValidation("The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.")
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

// validateAssumeRole checks AssumeRole's members against the STS API
// reference: required members, lengths and patterns, DurationSeconds'
// bounds, and session tags' limits. Session policies (Policy, PolicyArns)
// are refused: the emulator cannot narrow a session's permissions, and
// ignoring them would grant more than AWS does.
func validateAssumeRole(form url.Values) *apiError {
	roleARN := form.Get("RoleArn")
	sessionName := form.Get("RoleSessionName")
	if !form.Has("RoleArn") {
		return stsValidation("1 validation error detected: Value null at 'roleArn' failed to satisfy constraint: Member must not be null")
	}
	if !form.Has("RoleSessionName") {
		return stsValidation("1 validation error detected: Value null at 'roleSessionName' failed to satisfy constraint: Member must not be null")
	}
	if n := utf8.RuneCountInString(roleARN); n < minRoleARNLength || n > maxRoleARNLength {
		return stsValidation("1 validation error detected: Value '%s' at 'roleArn' failed to satisfy constraint: Member must have length between %d and %d", roleARN, minRoleARNLength, maxRoleARNLength)
	}
	if n := utf8.RuneCountInString(sessionName); n < 2 || n > 64 {
		return stsValidation("1 validation error detected: Value '%s' at 'roleSessionName' failed to satisfy constraint: Member must have length between 2 and 64", sessionName)
	}
	if !roleSessionNamePattern.MatchString(sessionName) {
		return stsValidation("1 validation error detected: Value '%s' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*", sessionName)
	}
	if !strings.HasPrefix(roleARN, "arn:aws:iam::") || !strings.Contains(roleARN, ":role/") {
		return stsValidation("%s is invalid", roleARN)
	}
	if raw := form.Get("DurationSeconds"); form.Has("DurationSeconds") {
		seconds, err := strconv.Atoi(raw)
		if err != nil || seconds < int(minSessionDuration.Seconds()) || seconds > int(maxSessionDuration.Seconds()) {
			return stsValidation("1 validation error detected: Value '%s' at 'durationSeconds' failed to satisfy constraint: Member must have value between %d and %d",
				raw, int(minSessionDuration.Seconds()), int(maxSessionDuration.Seconds()))
		}
	}
	// ExternalId is not echoed: it is a shared secret of sorts.
	if form.Has("ExternalId") {
		v := form.Get("ExternalId")
		if n := utf8.RuneCountInString(v); n < 2 || n > maxExternalIDChars {
			return stsValidation("1 validation error detected: Value at 'externalId' failed to satisfy constraint: Member must have length between 2 and %d", maxExternalIDChars)
		}
		if !externalIDPattern.MatchString(v) {
			return stsValidation("1 validation error detected: Value at 'externalId' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@:\\/-]*")
		}
	}
	if form.Has("SourceIdentity") {
		v := form.Get("SourceIdentity")
		if n := utf8.RuneCountInString(v); n < 2 || n > 64 || !sourceIdentityPattern.MatchString(v) {
			return stsValidation("1 validation error detected: Value '%s' at 'sourceIdentity' failed to satisfy constraint: Member must have length between 2 and 64 and satisfy regular expression pattern: [\\w+=,.@-]*", v)
		}
		// "You cannot use a value that begins with the text aws:."
		if reservedTagText(v) {
			return stsValidation("SourceIdentity can't begin with the reserved prefix aws:")
		}
	}
	if form.Has("SerialNumber") {
		v := form.Get("SerialNumber")
		if n := utf8.RuneCountInString(v); n < 9 || n > 256 || !serialNumberPattern.MatchString(v) {
			return stsValidation("1 validation error detected: Value '%s' at 'serialNumber' failed to satisfy constraint: Member must have length between 9 and 256 and satisfy regular expression pattern: [\\w+=/:,.@-]*", v)
		}
	}
	if form.Has("TokenCode") && !tokenCodePattern.MatchString(form.Get("TokenCode")) {
		return stsValidation("1 validation error detected: Value at 'tokenCode' failed to satisfy constraint: Member must have length 6 and satisfy regular expression pattern: [\\d]*")
	}
	tags := queryIndexes(form, "Tags.member.")
	if len(tags) > maxSessionTags {
		return stsValidation("1 validation error detected: Value at 'tags' failed to satisfy constraint: Member must have length less than or equal to %d", maxSessionTags)
	}
	seen := map[string]bool{}
	for _, n := range tags {
		base := "Tags.member." + strconv.Itoa(n) + "."
		key, value := form.Get(base+"Key"), form.Get(base+"Value")
		if k := utf8.RuneCountInString(key); k < 1 || k > maxTagKeyLength || !sessionTagKeyPattern.MatchString(key) {
			return stsValidation("1 validation error detected: Value at 'tags.%d.member.key' failed to satisfy constraint: Member must have length between 1 and %d and satisfy regular expression pattern: [\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]+", n, maxTagKeyLength)
		}
		if utf8.RuneCountInString(value) > maxTagValueLength || !sessionTagValuePattern.MatchString(value) {
			return stsValidation("1 validation error detected: Value at 'tags.%d.member.value' failed to satisfy constraint: Member must have length less than or equal to %d and satisfy regular expression pattern: [\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*", n, maxTagValueLength)
		}
		// "Tag key–value pairs are not case sensitive ... you cannot have
		// separate Department and department tag keys."
		lower := strings.ToLower(key)
		if seen[lower] {
			return stsValidation("Duplicate tag keys found. Please note that Tag keys are case insensitive.")
		}
		seen[lower] = true
	}
	if len(queryIndexes(form, "TransitiveTagKeys.member.")) > maxSessionTags {
		return stsValidation("1 validation error detected: Value at 'transitiveTagKeys' failed to satisfy constraint: Member must have length less than or equal to %d", maxSessionTags)
	}
	if form.Has("Policy") || len(queryIndexes(form, "PolicyArns.member.")) > 0 {
		return stsValidation("Session policies (Policy, PolicyArns) are not supported by the emulator: it cannot narrow a session's permissions as AWS does.")
	}
	return nil
}
