package awsemu

import (
	"regexp"
	"strings"
	"time"
	"unicode/utf8"
)

// secretsManagerActions are the Secrets Manager operations the emulator
// implements; any other X-Amz-Target is an UnknownOperationException.
var secretsManagerActions = map[string]bool{
	"CreateSecret": true, "DescribeSecret": true, "GetSecretValue": true, "PutSecretValue": true,
	"UpdateSecretVersionStage": true, "ListSecretVersionIds": true, "ListSecrets": true,
	"DeleteSecret": true, "RestoreSecret": true, "TagResource": true, "UntagResource": true,
}

// Model constraints of the Secrets Manager API reference, and the quotas of
// its user guide that the operations enforce.
const (
	maxSecretNameLength    = 512
	maxSecretIDLength      = 2048 // SecretIdType: 1 to 2048
	minClientTokenLength   = 32   // ClientRequestTokenType and SecretVersionIdType: 32 to 64
	maxClientTokenLength   = 64
	maxSecretValueLength   = 65536
	maxStageLength         = 256 // SecretVersionStageType: 1 to 256
	maxStagesPerVersion    = 20  // SecretVersionStagesType: 1 to 20 members
	maxDescriptionLength   = 2048
	maxKmsKeyIDLength      = 2048
	minRotationTokenLength = 36 // RotationTokenType: 36 to 256, ^[a-zA-Z0-9\-]+$
	maxRotationTokenLength = 256
	defaultRecoveryWindow  = 30
	minRecoveryWindow      = 7
	maxRecoveryWindow      = 30

	// Quotas: "Staging labels attached across all versions of a secret: 20";
	// "Secrets Manager removes unlabeled versions when there are more than
	// 100, but it does not remove versions created less than 24 hours ago".
	maxLabelsPerSecret     = 20
	versionsKept           = 100
	deprecatedVersionGrace = 24 * time.Hour
)

var rotationTokenPattern = regexp.MustCompile(`^[a-zA-Z0-9\-]+$`)

// dispatchSecretsManager runs one Secrets Manager action. The whole action
// runs under s.mu, so concurrent requests on one secret are serialised and a
// request that fails validation changes nothing.
func (s *Server) dispatchSecretsManager(req *request) response {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out any
	var err *apiError
	switch req.action {
	case "CreateSecret":
		out, err = s.createSecret(req)
	case "DescribeSecret":
		out, err = s.describeSecret(req)
	case "GetSecretValue":
		out, err = s.getSecretValue(req)
	case "PutSecretValue":
		out, err = s.putSecretValue(req)
	case "UpdateSecretVersionStage":
		out, err = s.updateSecretVersionStage(req)
	case "ListSecretVersionIds":
		out, err = s.listSecretVersionIDs(req)
	case "ListSecrets":
		out, err = s.listSecrets(req)
	case "DeleteSecret":
		out, err = s.deleteSecret(req)
	case "RestoreSecret":
		out, err = s.restoreSecret(req)
	case "TagResource":
		out, err = s.tagResource(req)
	case "UntagResource":
		out, err = s.untagResource(req)
	}
	if err != nil {
		return jsonErrorResponse(err)
	}
	return jsonResponse(out)
}

// findSecret resolves a SecretId (name, ARN or partial ARN). Callers hold s.mu.
func (s *Server) findSecret(id string) *secret {
	if arn, ok := s.secretARNs[id]; ok {
		return s.secrets[arn]
	}
	if sec, ok := s.secrets[id]; ok {
		return sec
	}
	for _, sec := range s.secrets {
		if sec.matchesID(id) {
			return sec
		}
	}
	return nil
}

// secretForCaller resolves id and checks that the caller may act on it. A
// caller restricted to some secrets is told AccessDenied for any other
// SecretId, existing or not, so that it cannot probe for names.
func (s *Server) secretForCaller(req *request, id string) (*secret, *apiError) {
	if id == "" {
		return nil, missingParameter("secretId")
	}
	if len(id) > maxSecretIDLength {
		return nil, lengthOutOfRange("secretId", 1, maxSecretIDLength)
	}
	sec := s.findSecret(id)
	if req.caller.kind != adminPrincipal && !req.caller.authorized && (sec == nil || !req.caller.mayReadSecret(sec.arn, sec.name)) {
		return nil, accessDenied(req, req.caller, id)
	}
	if sec == nil {
		return nil, smNotFound("Secrets Manager can't find the specified secret.")
	}
	return sec, nil
}

// liveSecretForCaller is secretForCaller for actions that AWS refuses on a
// secret scheduled for deletion.
func (s *Server) liveSecretForCaller(req *request, id string) (*secret, *apiError) {
	sec, err := s.secretForCaller(req, id)
	if err != nil {
		return nil, err
	}
	if sec.scheduledForDeletion() {
		return nil, smInvalidRequest("You can't perform this operation on the secret because it was marked for deletion.")
	}
	return sec, nil
}

// validateSecretValue checks the value members shared by CreateSecret and
// PutSecretValue.
func validateSecretValue(secretString *string, secretBinary []byte) *apiError {
	if secretString != nil && secretBinary != nil {
		return smInvalidParameter("You can't specify both a binary secret value and a string secret value in the same secret.")
	}
	if secretString != nil && (len(*secretString) < 1 || len(*secretString) > maxSecretValueLength) {
		return lengthOutOfRange("secretString", 1, maxSecretValueLength)
	}
	if secretBinary != nil && (len(secretBinary) < 1 || len(secretBinary) > maxSecretValueLength) {
		return lengthOutOfRange("secretBinary", 1, maxSecretValueLength)
	}
	return nil
}

// validateClientToken checks the ClientRequestToken length bounds.
func validateClientToken(token *string) *apiError {
	return optionalLength("clientRequestToken", token, minClientTokenLength, maxClientTokenLength)
}

// optionalLength checks the length bounds of an optional string member: a
// member that is absent is fine, one that is present (even empty) must fit.
// Lengths count characters, as the API model's constraints do.
func optionalLength(member string, v *string, minLen, maxLen int) *apiError {
	if v == nil {
		return nil
	}
	if n := utf8.RuneCountInString(*v); n < minLen || n > maxLen {
		return lengthOutOfRange(member, minLen, maxLen)
	}
	return nil
}

// validateVersionStages checks a VersionStages list: when present, 1 to 20
// labels of 1 to 256 characters each.
func validateVersionStages(stages *[]string) *apiError {
	if stages == nil {
		return nil
	}
	if len(*stages) < 1 || len(*stages) > maxStagesPerVersion {
		return lengthOutOfRange("versionStages", 1, maxStagesPerVersion)
	}
	for _, stage := range *stages {
		if err := optionalLength("versionStages.member", &stage, 1, maxStageLength); err != nil {
			return err
		}
	}
	return nil
}

// validSecretName reports whether name fits the API's constraints: 1 to 512
// ASCII letters, digits and /_+=.@- characters.
func validSecretName(name string) bool {
	if len(name) < 1 || len(name) > maxSecretNameLength {
		return false
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("/_+=.@-", r)) {
			return false
		}
	}
	return true
}

func (s *Server) newSecretARN(name string) string {
	return "arn:aws:secretsmanager:" + s.opts.Region + ":" + s.opts.AccountID + ":secret:" + name +
		arnSuffixSeparator + randomString(alnum, arnSuffixLength)
}

// dayOf truncates t to its UTC day: Secrets Manager records last-accessed
// dates with day precision.
func dayOf(t time.Time) time.Time { return t.UTC().Truncate(24 * time.Hour) }

// deref is the value of an optional string member, "" when absent.
func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}
