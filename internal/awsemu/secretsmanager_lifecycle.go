package awsemu

import (
	"slices"
	"strings"
	"time"
)

// Tag bounds of the Secrets Manager API reference.
const (
	maxTagKeyLength   = 128
	maxTagValueLength = 256
	maxTagsPerSecret  = 50
)

type deleteSecretInput struct {
	SecretID                   string `json:"SecretId"`
	RecoveryWindowInDays       *int64 `json:"RecoveryWindowInDays"`
	ForceDeleteWithoutRecovery *bool  `json:"ForceDeleteWithoutRecovery"`
}

type deleteSecretOutput struct {
	ARN          string     `json:"ARN"`
	Name         string     `json:"Name"`
	DeletionDate *epochTime `json:"DeletionDate,omitempty"`
}

// deleteSecret schedules the secret for deletion after its recovery window
// (the emulator never runs the deletion itself) or, with
// ForceDeleteWithoutRecovery, removes it at once. As the API reference
// says, a forced deletion of an already deleted or nonexistent secret does
// not answer ResourceNotFoundException; an unforced one of a secret already
// scheduled for deletion is an InvalidRequestException.
func (s *Server) deleteSecret(req *request) (any, *apiError) {
	var in deleteSecretInput
	if err := decodeJSONInput(req.body, &in); err != nil {
		return nil, err
	}
	force := in.ForceDeleteWithoutRecovery != nil && *in.ForceDeleteWithoutRecovery
	if force && in.RecoveryWindowInDays != nil {
		return nil, smInvalidParameter("You can't use ForceDeleteWithoutRecovery in conjunction with RecoveryWindowInDays.")
	}
	if w := in.RecoveryWindowInDays; w != nil && (*w < minRecoveryWindow || *w > maxRecoveryWindow) {
		return nil, smInvalidParameter("The RecoveryWindowInDays value must be between %d and %d days (inclusive).", minRecoveryWindow, maxRecoveryWindow)
	}
	now := s.now()
	sec, err := s.secretForCaller(req, in.SecretID)
	if err != nil {
		if force && err.Code == codeResourceNotFound {
			arn := in.SecretID
			if !strings.HasPrefix(arn, "arn:") {
				arn = "arn:aws:secretsmanager:" + s.opts.Region + ":" + s.opts.AccountID + ":secret:" + in.SecretID
			}
			return deleteSecretOutput{ARN: arn, Name: secretNameOf(in.SecretID), DeletionDate: epochPtr(now)}, nil
		}
		return nil, err
	}
	if force {
		delete(s.secrets, sec.arn)
		delete(s.secretARNs, sec.name)
		return deleteSecretOutput{ARN: sec.arn, Name: sec.name, DeletionDate: epochPtr(now)}, nil
	}
	if sec.scheduledForDeletion() {
		return nil, smInvalidRequest("You can't perform this operation on the secret because it was already scheduled for deletion.")
	}
	window := int64(defaultRecoveryWindow)
	if in.RecoveryWindowInDays != nil {
		window = *in.RecoveryWindowInDays
	}
	sec.deletedDate = now
	sec.deletionDate = now.Add(time.Duration(window) * 24 * time.Hour)
	return deleteSecretOutput{ARN: sec.arn, Name: sec.name, DeletionDate: epochPtr(sec.deletionDate)}, nil
}

// secretNameOf is the name a SecretId names: the id itself, or the part of
// an ARN after ":secret:".
func secretNameOf(id string) string {
	if _, name, ok := strings.Cut(id, ":secret:"); ok && strings.HasPrefix(id, "arn:") {
		return name
	}
	return id
}

// restoreSecret cancels a scheduled deletion. Restoring a secret that is
// not scheduled for deletion changes nothing and succeeds.
func (s *Server) restoreSecret(req *request) (any, *apiError) {
	var in secretIDInput
	if err := decodeJSONInput(req.body, &in); err != nil {
		return nil, err
	}
	sec, err := s.secretForCaller(req, in.SecretID)
	if err != nil {
		return nil, err
	}
	sec.deletedDate, sec.deletionDate = time.Time{}, time.Time{}
	return secretRefOutput{ARN: sec.arn, Name: sec.name}, nil
}

type tagResourceInput struct {
	SecretID string      `json:"SecretId"`
	Tags     []secretTag `json:"Tags"`
}

func (s *Server) tagResource(req *request) (any, *apiError) {
	var in tagResourceInput
	if err := decodeJSONInput(req.body, &in); err != nil {
		return nil, err
	}
	if in.Tags == nil {
		return nil, missingParameter("tags")
	}
	if err := validateTags(in.Tags); err != nil {
		return nil, err
	}
	sec, err := s.liveSecretForCaller(req, in.SecretID)
	if err != nil {
		return nil, err
	}
	merged := mergeTags(sec.tags, in.Tags)
	if err := checkTagQuota(merged); err != nil {
		return nil, err
	}
	sec.tags = merged
	sec.lastChanged = s.now()
	return struct{}{}, nil
}

type untagResourceInput struct {
	SecretID string   `json:"SecretId"`
	TagKeys  []string `json:"TagKeys"`
}

// untagResource removes tags by key. As the API reference says, it is
// idempotent: a key the secret does not have is no error.
func (s *Server) untagResource(req *request) (any, *apiError) {
	var in untagResourceInput
	if err := decodeJSONInput(req.body, &in); err != nil {
		return nil, err
	}
	if in.TagKeys == nil {
		return nil, missingParameter("tagKeys")
	}
	for _, k := range in.TagKeys {
		if err := optionalLength("tagKeys.member", &k, 1, maxTagKeyLength); err != nil {
			return nil, err
		}
		if reservedTagText(k) {
			return nil, smInvalidParameter("You can't remove tags with the reserved prefix aws:.")
		}
	}
	sec, err := s.liveSecretForCaller(req, in.SecretID)
	if err != nil {
		return nil, err
	}
	sec.tags = slices.DeleteFunc(sec.tags, func(t secretTag) bool { return slices.Contains(in.TagKeys, t.Key) })
	sec.lastChanged = s.now()
	return struct{}{}, nil
}

// validateTags checks tags against the Tag shape (key 1 to 128 characters,
// value 0 to 256) and the tagging rules of the API reference: "Do not use
// the aws: prefix in your tag names or values because Amazon Web Services
// reserves it".
func validateTags(tags []secretTag) *apiError {
	for _, t := range tags {
		if err := optionalLength("tags.member.key", &t.Key, 1, maxTagKeyLength); err != nil {
			return err
		}
		if err := optionalLength("tags.member.value", &t.Value, 0, maxTagValueLength); err != nil {
			return err
		}
		if reservedTagText(t.Key) || reservedTagText(t.Value) {
			return smInvalidParameter("Tag keys and values can't start with the reserved prefix aws:.")
		}
	}
	return nil
}

// reservedTagText reports whether a tag key or value uses the prefix AWS
// reserves, in any case.
func reservedTagText(s string) bool {
	return len(s) >= 4 && strings.EqualFold(s[:4], "aws:")
}

// checkTagQuota enforces "Maximum number of tags per secret: 50".
func checkTagQuota(tags []secretTag) *apiError {
	if len(tags) > maxTagsPerSecret {
		return smInvalidParameter("A secret can have at most %d tags.", maxTagsPerSecret)
	}
	return nil
}

// mergeTags adds or overwrites tags by key, keeping the order keys were
// first seen.
func mergeTags(existing, added []secretTag) []secretTag {
	out := slices.Clone(existing)
	for _, t := range added {
		if i := slices.IndexFunc(out, func(e secretTag) bool { return e.Key == t.Key }); i >= 0 {
			out[i].Value = t.Value
		} else {
			out = append(out, t)
		}
	}
	return out
}
