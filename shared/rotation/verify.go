package rotation

import (
	"context"

	"github.com/ddrotate/ddrotate/shared/datadog"
	"github.com/ddrotate/ddrotate/shared/deploy"
)

// Verify proves that the staged credential works before consumers are moved
// to it: the new API key validates, and the new API and application keys
// together authorise. A "not yet" is a KeyNotYetValidError, which the state
// machine retries with backoff, because Datadog takes a few seconds to
// propagate a new key.
func (s *Steps) Verify(ctx context.Context, req StepRequest) error {
	rec := req.Rotation
	if err := s.trust(ctx, rec); err != nil {
		return err
	}
	if st, err := s.describeTarget(ctx, rec.Target); err != nil {
		return err
	} else if st.arn != rec.SecretARN {
		return &ForgedRequestError{ExecutionID: rec.ExecutionID, Problem: "names secret " + rec.SecretARN + ", not its target's"}
	}
	dd, _, err := s.keysClient(ctx)
	if err != nil {
		return err
	}
	raw, found, err := s.getVersion(ctx, rec.SecretARN, rec.PendingVersionID)
	if err != nil {
		return err
	}
	if !found {
		return &ConflictError{Target: rec.Target, Problem: "the pending version " + rec.PendingVersionID + " does not exist"}
	}
	staged, err := parseValue(Target{Name: rec.Target, Kind: rec.Kind, ServiceAccountID: rec.ServiceAccountID}, raw)
	if err != nil {
		return &SecretError{SecretID: rec.SecretARN, Stage: stagePending, Err: err}
	}
	ks := staged.keys()
	notYet := func(err error) error {
		if datadog.IsTransient(err) {
			return &TransientError{Op: "validate new key", Err: err}
		}
		return &KeyNotYetValidError{Target: rec.Target, KeyID: ks.APIKeyID, Last4: ks.APIKey.Last4(), Reason: err.Error()}
	}
	if err := dd.ValidateAPIKey(ctx, ks.APIKey); err != nil {
		return notYet(err)
	}
	if !ks.AppKey.IsZero() {
		if err := dd.ValidateKeys(ctx, ks.APIKey, ks.AppKey); err != nil {
			return notYet(err)
		}
	}
	s.log().Info("new credential validates", "step", string(deploy.StepVerify), "target", rec.Target, "execution", rec.ExecutionID,
		"new_api_key_id", ks.APIKeyID, "new_api_key_last4", ks.APIKey.Last4())
	return nil
}

// check rejects a Record that a step cannot act on; it only arrives if the
// state machine definition and the steps disagree.
func (r Record) check() error {
	switch {
	case !deploy.ValidTargetName(r.Target):
		return &InputError{Field: "rotation.target", Problem: "is missing or malformed"}
	case !r.Kind.Valid():
		return &InputError{Field: "rotation.kind", Problem: "is missing or unknown"}
	case r.SecretARN == "":
		return &InputError{Field: "rotation.secretArn", Problem: "is required"}
	case r.PendingVersionID == "":
		return &InputError{Field: "rotation.pendingVersionId", Problem: "is required"}
	case r.ExecutionID == "":
		return &InputError{Field: "rotation.executionId", Problem: "is required"}
	}
	return nil
}
