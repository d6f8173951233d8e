package awsemu

import (
	"cmp"
	"slices"
	"time"
)

// Tag bounds of the Secrets Manager API reference.
const (
	maxTagKeyLength   = 128
	maxTagValueLength = 256
)

type deleteSecretInput struct {
	SecretID                   string `json:"SecretId"`
	RecoveryWindowInDays       int    `json:"RecoveryWindowInDays"`
	ForceDeleteWithoutRecovery bool   `json:"ForceDeleteWithoutRecovery"`
}

type deleteSecretOutput struct {
	ARN          string     `json:"ARN"`
	Name         string     `json:"Name"`
	DeletionDate *epochTime `json:"DeletionDate,omitempty"`
}

// deleteSecret schedules the secret for deletion after its recovery window
// (the emulator never runs the deletion itself) or, with
// ForceDeleteWithoutRecovery, removes it at once.
func (s *Server) deleteSecret(req *request) (any, *apiError) {
	var in deleteSecretInput
	if err := decodeJSONInput(req.body, &in); err != nil {
		return nil, err
	}
	if in.ForceDeleteWithoutRecovery && in.RecoveryWindowInDays != 0 {
		return nil, smInvalidParameter("You can't use ForceDeleteWithoutRecovery in conjunction with RecoveryWindowInDays.")
	}
	if in.RecoveryWindowInDays != 0 && (in.RecoveryWindowInDays < 7 || in.RecoveryWindowInDays > 30) {
		return nil, smInvalidParameter("The RecoveryWindowInDays value must be between 7 and 30 days (inclusive).")
	}
	sec, err := s.secretForCaller(req, in.SecretID)
	if err != nil {
		return nil, err
	}
	now := s.now()
	if in.ForceDeleteWithoutRecovery {
		delete(s.secrets, sec.arn)
		delete(s.secretARNs, sec.name)
		return deleteSecretOutput{ARN: sec.arn, Name: sec.name, DeletionDate: epochPtr(now)}, nil
	}
	if sec.scheduledForDeletion() {
		return nil, smInvalidRequest("You can't perform this operation on the secret because it was already scheduled for deletion.")
	}
	window := cmp.Or(in.RecoveryWindowInDays, defaultRecoveryWindow)
	sec.deletedDate = now
	sec.deletionDate = now.Add(time.Duration(window) * 24 * time.Hour)
	return deleteSecretOutput{ARN: sec.arn, Name: sec.name, DeletionDate: epochPtr(sec.deletionDate)}, nil
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
	sec.tags = mergeTags(sec.tags, in.Tags)
	sec.lastChanged = s.now()
	return struct{}{}, nil
}

func validateTags(tags []secretTag) *apiError {
	for _, t := range tags {
		if len(t.Key) < 1 || len(t.Key) > maxTagKeyLength {
			return lengthOutOfRange("tags.member.key", 1, maxTagKeyLength)
		}
		if len(t.Value) > maxTagValueLength {
			return lengthOutOfRange("tags.member.value", 0, maxTagValueLength)
		}
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
