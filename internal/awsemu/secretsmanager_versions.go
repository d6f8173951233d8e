package awsemu

import (
	"net/http"
	"slices"
)

type getSecretValueInput struct {
	SecretID     string  `json:"SecretId"`
	VersionID    *string `json:"VersionId"`
	VersionStage *string `json:"VersionStage"`
}

type getSecretValueOutput struct {
	ARN           string     `json:"ARN"`
	Name          string     `json:"Name"`
	VersionID     string     `json:"VersionId"`
	SecretString  *string    `json:"SecretString,omitempty"`
	SecretBinary  []byte     `json:"SecretBinary,omitempty"`
	VersionStages []string   `json:"VersionStages"`
	CreatedDate   *epochTime `json:"CreatedDate,omitempty"`
}

func (s *Server) getSecretValue(req *request) (any, *apiError) {
	var in getSecretValueInput
	if err := decodeJSONInput(req.body, &in); err != nil {
		return nil, err
	}
	if err := optionalLength("versionId", in.VersionID, minClientTokenLength, maxClientTokenLength); err != nil {
		return nil, err
	}
	if err := optionalLength("versionStage", in.VersionStage, 1, maxStageLength); err != nil {
		return nil, err
	}
	sec, err := s.liveSecretForCaller(req, in.SecretID)
	if err != nil {
		return nil, err
	}
	var v *secretVersion
	switch {
	case in.VersionID != nil:
		v = sec.versions[*in.VersionID]
		if v == nil || (in.VersionStage != nil && !v.hasStage(*in.VersionStage)) {
			return nil, smNotFound("Secrets Manager can't find the specified secret value for VersionId: %s", *in.VersionID)
		}
	default:
		stage := stageCurrent
		if in.VersionStage != nil {
			stage = *in.VersionStage
		}
		if v = sec.holderOf(stage); v == nil {
			return nil, smNotFound("Secrets Manager can't find the specified secret value for staging label: %s", stage)
		}
	}
	today := dayOf(s.now())
	sec.lastAccessed, v.lastAccessed = today, today
	return getSecretValueOutput{
		ARN:           sec.arn,
		Name:          sec.name,
		VersionID:     v.id,
		SecretString:  v.secretString,
		SecretBinary:  v.secretBinary,
		VersionStages: slices.Clone(v.stages),
		CreatedDate:   epochPtr(v.created),
	}, nil
}

type putSecretValueInput struct {
	SecretID           string    `json:"SecretId"`
	ClientRequestToken *string   `json:"ClientRequestToken"`
	SecretString       *string   `json:"SecretString"`
	SecretBinary       []byte    `json:"SecretBinary"`
	VersionStages      *[]string `json:"VersionStages"`
	RotationToken      *string   `json:"RotationToken"`
}

type putSecretValueOutput struct {
	ARN           string   `json:"ARN"`
	Name          string   `json:"Name"`
	VersionID     string   `json:"VersionId"`
	VersionStages []string `json:"VersionStages"`
}

func (s *Server) putSecretValue(req *request) (any, *apiError) {
	var in putSecretValueInput
	if err := decodeJSONInput(req.body, &in); err != nil {
		return nil, err
	}
	if in.SecretID == "" {
		return nil, missingParameter("secretId")
	}
	if err := validateClientToken(in.ClientRequestToken); err != nil {
		return nil, err
	}
	if err := validateSecretValue(in.SecretString, in.SecretBinary); err != nil {
		return nil, err
	}
	if in.SecretString == nil && in.SecretBinary == nil {
		return nil, smInvalidParameter("You must provide either SecretString or SecretBinary.")
	}
	if err := validateVersionStages(in.VersionStages); err != nil {
		return nil, err
	}
	if err := validateRotationToken(in.RotationToken); err != nil {
		return nil, err
	}
	sec, err := s.liveSecretForCaller(req, in.SecretID)
	if err != nil {
		return nil, err
	}

	token := deref(in.ClientRequestToken)
	if v, ok := sec.versions[token]; ok {
		// A version is immutable: the same token is a retry only if it
		// carries the same value, and then the request is ignored.
		if !v.sameValue(in.SecretString, in.SecretBinary) {
			return nil, newAPIError(http.StatusBadRequest, codeResourceExists,
				"You can't modify an existing version, you can only create a new version.")
		}
		return putSecretValueOutput{ARN: sec.arn, Name: sec.name, VersionID: v.id, VersionStages: slices.Clone(v.stages)}, nil
	}

	stages := []string{stageCurrent}
	if in.VersionStages != nil {
		stages = *in.VersionStages
	}
	if len(sec.versions) == 0 && !slices.Contains(stages, stageCurrent) {
		// The first version of a secret is always current.
		stages = append(slices.Clone(stages), stageCurrent)
	}
	if sec.wouldExceedLabelQuota(stages) {
		return nil, labelQuotaExceeded()
	}
	id := token
	if id == "" {
		id = newUUID()
	}
	now := s.now()
	v := &secretVersion{id: id, secretString: in.SecretString, secretBinary: in.SecretBinary, created: now}
	sec.addVersion(v)
	for _, stage := range stages {
		sec.attachStage(stage, v)
	}
	sec.lastChanged = now
	sec.pruneDeprecated(now)
	return putSecretValueOutput{ARN: sec.arn, Name: sec.name, VersionID: v.id, VersionStages: slices.Clone(v.stages)}, nil
}

// validateRotationToken checks RotationToken against the model: 36 to 256
// characters matching ^[a-zA-Z0-9\-]+$. The emulator runs no rotation
// functions, so a valid token is otherwise ignored.
func validateRotationToken(token *string) *apiError {
	if err := optionalLength("rotationToken", token, minRotationTokenLength, maxRotationTokenLength); err != nil {
		return err
	}
	if token != nil && !rotationTokenPattern.MatchString(*token) {
		return patternMismatch("rotationToken", rotationTokenPattern.String())
	}
	return nil
}

// labelQuotaExceeded is the answer to a call that would attach more
// staging labels to a secret's versions than the quota allows.
func labelQuotaExceeded() *apiError {
	return newAPIError(http.StatusBadRequest, "LimitExceededException",
		"A secret can have at most %d staging labels attached across all its versions.", maxLabelsPerSecret)
}

type updateSecretVersionStageInput struct {
	SecretID            string  `json:"SecretId"`
	VersionStage        *string `json:"VersionStage"`
	MoveToVersionID     *string `json:"MoveToVersionId"`
	RemoveFromVersionID *string `json:"RemoveFromVersionId"`
}

type secretRefOutput struct {
	ARN  string `json:"ARN"`
	Name string `json:"Name"`
}

// updateSecretVersionStage moves or removes one staging label. The rules are
// the API reference's: a label attached elsewhere moves only when
// RemoveFromVersionId names the version that has it; moving it onto the
// version that already has it is a no-op; AWSCURRENT cannot be removed,
// only moved, and moving it puts AWSPREVIOUS on the version that had it.
func (s *Server) updateSecretVersionStage(req *request) (any, *apiError) {
	var raw updateSecretVersionStageInput
	if err := decodeJSONInput(req.body, &raw); err != nil {
		return nil, err
	}
	if raw.SecretID == "" {
		return nil, missingParameter("secretId")
	}
	if raw.VersionStage == nil {
		return nil, missingParameter("versionStage")
	}
	if err := optionalLength("versionStage", raw.VersionStage, 1, maxStageLength); err != nil {
		return nil, err
	}
	if err := optionalLength("moveToVersionId", raw.MoveToVersionID, minClientTokenLength, maxClientTokenLength); err != nil {
		return nil, err
	}
	if err := optionalLength("removeFromVersionId", raw.RemoveFromVersionID, minClientTokenLength, maxClientTokenLength); err != nil {
		return nil, err
	}
	in := struct{ SecretID, VersionStage, MoveToVersionID, RemoveFromVersionID string }{
		raw.SecretID, *raw.VersionStage, deref(raw.MoveToVersionID), deref(raw.RemoveFromVersionID),
	}
	if in.MoveToVersionID == "" && in.RemoveFromVersionID == "" {
		return nil, smInvalidParameter("You must specify MoveToVersionId, RemoveFromVersionId, or both.")
	}
	sec, err := s.liveSecretForCaller(req, in.SecretID)
	if err != nil {
		return nil, err
	}
	holder := sec.holderOf(in.VersionStage)
	out := secretRefOutput{ARN: sec.arn, Name: sec.name}

	var removeFrom *secretVersion
	if in.RemoveFromVersionID != "" {
		if removeFrom = sec.versions[in.RemoveFromVersionID]; removeFrom == nil {
			return nil, smNotFound("Secrets Manager can't find the specified secret version: %s", in.RemoveFromVersionID)
		}
	}
	if in.MoveToVersionID == "" {
		if in.VersionStage == stageCurrent {
			return nil, smInvalidParameter("You can't remove the staging label AWSCURRENT from a version. Move it to another version instead.")
		}
		if holder != removeFrom {
			return nil, smInvalidParameter("The staging label %s is not attached to version %s.", in.VersionStage, in.RemoveFromVersionID)
		}
		removeFrom.removeStage(in.VersionStage)
		sec.lastChanged = s.now()
		return out, nil
	}

	moveTo := sec.versions[in.MoveToVersionID]
	if moveTo == nil {
		return nil, smNotFound("Secrets Manager can't find the specified secret version: %s", in.MoveToVersionID)
	}
	if removeFrom != nil && holder != removeFrom {
		return nil, smInvalidParameter("The staging label %s is not attached to version %s, so RemoveFromVersionId must name the version that has it.",
			in.VersionStage, in.RemoveFromVersionID)
	}
	if holder == moveTo {
		return out, nil
	}
	if holder != nil && removeFrom == nil {
		return nil, smInvalidParameter("The parameter RemoveFromVersionId can't be empty. Staging label %s is currently attached to version %s, so you must explicitly reference that version in RemoveFromVersionId.",
			in.VersionStage, holder.id)
	}
	if sec.wouldExceedLabelQuota([]string{in.VersionStage}) {
		return nil, labelQuotaExceeded()
	}
	sec.attachStage(in.VersionStage, moveTo)
	sec.lastChanged = s.now()
	return out, nil
}
