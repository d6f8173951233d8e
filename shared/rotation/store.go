package rotation

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	"github.com/ddrotate/ddrotate/shared/deploy"
)

// Store makes the staged credential the one consumers read: AWSCURRENT moves
// to the pending version (Secrets Manager moves AWSPREVIOUS to the old one)
// and AWSPENDING is released. Naming the version AWSCURRENT is moved from
// makes the move fail if anyone else moved it meanwhile. Run again after
// success, it changes nothing.
func (s *Steps) Store(ctx context.Context, req StepRequest) error {
	rec := req.Rotation
	if err := s.trust(ctx, rec); err != nil {
		return err
	}
	st, err := s.describeTarget(ctx, rec.Target)
	if err != nil {
		return err
	}
	switch current := st.versionOf[stageCurrent]; {
	case current == rec.PendingVersionID:
		// Done by an earlier attempt whose answer was lost.
	case st.versionOf[stagePending] != rec.PendingVersionID:
		return &ConflictError{Target: rec.Target, Problem: "this execution no longer holds AWSPENDING; its credential was not made current"}
	case current != rec.PreviousVersionID:
		return &ConflictError{Target: rec.Target, Problem: "AWSCURRENT moved during the rotation (by hand or by another tool); the new credential was not made current"}
	default:
		_, err := s.Secrets.UpdateSecretVersionStage(ctx, &secretsmanager.UpdateSecretVersionStageInput{
			SecretId:            aws.String(st.arn),
			VersionStage:        aws.String(stageCurrent),
			MoveToVersionId:     aws.String(rec.PendingVersionID),
			RemoveFromVersionId: aws.String(current),
		})
		if err != nil && !s.movedAnyway(ctx, err, rec) {
			return awsErr("move AWSCURRENT to the new version", err)
		}
		st.versionOf[stageCurrent] = rec.PendingVersionID
	}
	if err := s.releasePending(ctx, st, rec.PendingVersionID); err != nil {
		return err
	}
	s.log().Info("new credential is current", "step", string(deploy.StepStore), "target", rec.Target, "execution", rec.ExecutionID,
		"version", rec.PendingVersionID, "new_api_key_id", rec.New.APIKeyID, "new_api_key_last4", rec.New.APIKeyLast4)
	return nil
}

// movedAnyway reports whether a failed move of AWSCURRENT did happen: the
// SDK retries a request whose answer was lost, and the retry is refused
// because the label already moved.
func (s *Steps) movedAnyway(ctx context.Context, err error, rec Record) bool {
	if !isAWSError[*smtypes.InvalidParameterException](err) {
		return false
	}
	now, descErr := s.describeTarget(ctx, rec.Target)
	return descErr == nil && now.versionOf[stageCurrent] == rec.PendingVersionID
}
