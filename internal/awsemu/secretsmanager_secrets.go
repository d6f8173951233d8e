package awsemu

import (
	"net/http"
	"slices"
)

type createSecretInput struct {
	Name               string      `json:"Name"`
	ClientRequestToken *string     `json:"ClientRequestToken"`
	Description        *string     `json:"Description"`
	KmsKeyID           *string     `json:"KmsKeyId"`
	SecretString       *string     `json:"SecretString"`
	SecretBinary       []byte      `json:"SecretBinary"`
	Tags               []secretTag `json:"Tags"`
}

type createSecretOutput struct {
	ARN       string `json:"ARN"`
	Name      string `json:"Name"`
	VersionID string `json:"VersionId,omitempty"`
}

func (s *Server) createSecret(req *request) (any, *apiError) {
	var in createSecretInput
	if err := decodeJSONInput(req.body, &in); err != nil {
		return nil, err
	}
	if in.Name == "" {
		return nil, missingParameter("name")
	}
	if !validSecretName(in.Name) {
		return nil, newAPIError(http.StatusBadRequest, codeValidation,
			"1 validation error detected: Value at 'name' failed to satisfy constraint: Member must have length between 1 and 512 and contain only ASCII letters, digits and /_+=.@-")
	}
	if err := validateClientToken(in.ClientRequestToken); err != nil {
		return nil, err
	}
	if err := optionalLength("description", in.Description, 0, maxDescriptionLength); err != nil {
		return nil, err
	}
	if err := optionalLength("kmsKeyId", in.KmsKeyID, 0, maxKmsKeyIDLength); err != nil {
		return nil, err
	}
	if err := validateSecretValue(in.SecretString, in.SecretBinary); err != nil {
		return nil, err
	}
	if err := validateTags(in.Tags); err != nil {
		return nil, err
	}
	if err := checkTagQuota(mergeTags(nil, in.Tags)); err != nil {
		return nil, err
	}
	hasValue := in.SecretString != nil || in.SecretBinary != nil
	token := ""
	if in.ClientRequestToken != nil {
		token = *in.ClientRequestToken
	}

	if existing := s.findSecret(in.Name); existing != nil && existing.name == in.Name {
		if existing.scheduledForDeletion() {
			return nil, smInvalidRequest("You can't create this secret because a secret with this name is already scheduled for deletion.")
		}
		// A retried CreateSecret (same token, same value) is idempotent.
		if v, ok := existing.versions[token]; ok && hasValue && v.sameValue(in.SecretString, in.SecretBinary) {
			return createSecretOutput{ARN: existing.arn, Name: existing.name, VersionID: v.id}, nil
		}
		return nil, newAPIError(http.StatusBadRequest, codeResourceExists, "The operation failed because the secret %s already exists.", in.Name)
	}

	now := s.now()
	sec := &secret{
		arn:         s.newSecretARN(in.Name),
		name:        in.Name,
		description: deref(in.Description),
		kmsKeyID:    deref(in.KmsKeyID),
		tags:        mergeTags(nil, in.Tags),
		versions:    map[string]*secretVersion{},
		created:     now,
		lastChanged: now,
	}
	out := createSecretOutput{ARN: sec.arn, Name: sec.name}
	if hasValue {
		id := token
		if id == "" {
			id = newUUID()
		}
		sec.addVersion(&secretVersion{
			id:           id,
			stages:       []string{stageCurrent},
			secretString: in.SecretString,
			secretBinary: in.SecretBinary,
			created:      now,
		})
		out.VersionID = id
	}
	s.secrets[sec.arn] = sec
	s.secretARNs[sec.name] = sec.arn
	return out, nil
}

type secretIDInput struct {
	SecretID string `json:"SecretId"`
}

type describeSecretOutput struct {
	ARN                string              `json:"ARN"`
	Name               string              `json:"Name"`
	Description        string              `json:"Description,omitempty"`
	KmsKeyID           string              `json:"KmsKeyId,omitempty"`
	CreatedDate        *epochTime          `json:"CreatedDate,omitempty"`
	LastChangedDate    *epochTime          `json:"LastChangedDate,omitempty"`
	LastAccessedDate   *epochTime          `json:"LastAccessedDate,omitempty"`
	DeletedDate        *epochTime          `json:"DeletedDate,omitempty"`
	Tags               []secretTag         `json:"Tags,omitempty"`
	VersionIdsToStages map[string][]string `json:"VersionIdsToStages,omitempty"`
}

func (s *Server) describeSecret(req *request) (any, *apiError) {
	var in secretIDInput
	if err := decodeJSONInput(req.body, &in); err != nil {
		return nil, err
	}
	sec, err := s.secretForCaller(req, in.SecretID)
	if err != nil {
		return nil, err
	}
	return describeSecretOutput{
		ARN:                sec.arn,
		Name:               sec.name,
		Description:        sec.description,
		KmsKeyID:           sec.kmsKeyID,
		CreatedDate:        epochPtr(sec.created),
		LastChangedDate:    epochPtr(sec.lastChanged),
		LastAccessedDate:   epochPtr(sec.lastAccessed),
		DeletedDate:        epochPtr(sec.deletedDate),
		Tags:               slices.Clone(sec.tags),
		VersionIdsToStages: sec.labelledVersions(),
	}, nil
}
