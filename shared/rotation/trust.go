package rotation

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"
)

// ForgedRequestError refuses a step invocation that does not come from a
// running rotation of the target it names: anyone allowed to invoke a step
// Lambda in the security account could otherwise make it delete another
// team's keys, promote a version by hand or send teams a fake event.
// Nothing was changed.
type ForgedRequestError struct {
	ExecutionID string
	Problem     string
}

func (e *ForgedRequestError) Error() string {
	return fmt.Sprintf("refused: execution %s %s; steps act only for a running rotation of the target they are asked about", e.ExecutionID, e.Problem)
}

// checkExecution makes sure that executionID is a RUNNING execution of this
// deployment's rotate-target state machine whose input names target
// (states:DescribeExecution). Execution history is readable to operators,
// but an execution cannot be started or kept running by a forger who may
// only invoke a Lambda; a step that checks this acts only for rotations
// that Step Functions is actually running.
func (s *Steps) checkExecution(ctx context.Context, executionID, target string) error {
	if executionID == "" {
		return &InputError{Field: "executionId", Problem: "is required"}
	}
	out, err := s.Executions.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String(executionID)})
	if isAWSError[*sfntypes.ExecutionDoesNotExist](err) || isAWSError[*sfntypes.InvalidArn](err) {
		return &ForgedRequestError{ExecutionID: executionID, Problem: "does not exist"}
	}
	if err != nil {
		return awsErr("describe the execution", err)
	}
	if machine := s.Config.StateMachineARN; machine != "" && aws.ToString(out.StateMachineArn) != machine {
		return &ForgedRequestError{ExecutionID: executionID, Problem: "is not an execution of " + machine}
	}
	if out.Status != sfntypes.ExecutionStatusRunning {
		return &ForgedRequestError{ExecutionID: executionID, Problem: "is " + string(out.Status) + ", not running"}
	}
	in, err := ParseInput([]byte(aws.ToString(out.Input)))
	if err != nil || in.Target != target {
		return &ForgedRequestError{ExecutionID: executionID, Problem: fmt.Sprintf("does not rotate target %q", target)}
	}
	return nil
}

// trust checks a step's Record before the step acts on it: its fields, that
// its execution is a running rotation of its target, and that what the
// Record derives from the execution (the pending version, the key name)
// is what that execution would have made. The key ids a step deletes are
// then read from the target's own secret versions (see DeleteOld), never
// taken from the Record alone.
func (s *Steps) trust(ctx context.Context, rec Record) error {
	if err := rec.check(); err != nil {
		return err
	}
	if err := s.checkExecution(ctx, rec.ExecutionID, rec.Target); err != nil {
		return err
	}
	switch {
	case rec.PendingVersionID != VersionToken(rec.Target, rec.ExecutionID):
		return &ForgedRequestError{ExecutionID: rec.ExecutionID, Problem: "did not stage version " + rec.PendingVersionID}
	case rec.KeyName != KeyName(rec.Target, rec.ExecutionID):
		return &ForgedRequestError{ExecutionID: rec.ExecutionID, Problem: "did not name its keys " + rec.KeyName}
	}
	return nil
}

// recordedKeys reads the ids of the keys a rotation replaced and made from
// the target's own secret: the version that was AWSCURRENT when it began
// (rec.PreviousVersionID) and the version it staged. A Record naming other
// keys is refused: the ids a step deletes are never taken from a payload.
func (s *Steps) recordedKeys(ctx context.Context, st secretState, rec Record) (old, fresh Keys, err error) {
	read := func(version string) (Keys, bool, error) {
		raw, found, err := s.getVersion(ctx, st.arn, version)
		if err != nil || !found {
			return Keys{}, false, err
		}
		ids := readKeyIDs(raw)
		return Keys{APIKeyID: ids.APIKeyID, AppKeyID: ids.AppKeyID}, true, nil
	}
	fresh, found, err := read(rec.PendingVersionID)
	if err != nil {
		return old, fresh, err
	}
	if !found || fresh.APIKeyID != rec.New.APIKeyID || fresh.AppKeyID != rec.New.AppKeyID {
		return old, fresh, &ForgedRequestError{ExecutionID: rec.ExecutionID, Problem: "did not make the keys its record calls new"}
	}
	fresh.APIKeyLast4, fresh.AppKeyLast4 = rec.New.APIKeyLast4, rec.New.AppKeyLast4
	if rec.PreviousVersionID == "" {
		return Keys{}, fresh, nil
	}
	old, found, err = read(rec.PreviousVersionID)
	if err != nil {
		return old, fresh, err
	}
	if !found {
		// Pruned by Secrets Manager since: its keys are swept as orphans.
		return Keys{}, fresh, nil
	}
	if old.APIKeyID != rec.Old.APIKeyID || old.AppKeyID != rec.Old.AppKeyID {
		return Keys{}, fresh, &ForgedRequestError{ExecutionID: rec.ExecutionID, Problem: "did not replace the keys its record calls old"}
	}
	old.APIKeyLast4, old.AppKeyLast4 = rec.Old.APIKeyLast4, rec.Old.AppKeyLast4
	return old, fresh, nil
}
