package rotation

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"

	"github.com/ddrotate/ddrotate/shared/deploy"
)

// Message is the JSON body of every notification. Teams subscribe with a
// filter policy on the message attributes "target" and "event".
type Message struct {
	Event       Event     `json:"event"`
	Target      string    `json:"target"`
	Mode        Mode      `json:"mode,omitempty"`
	SecretARN   string    `json:"secretArn,omitempty"`
	VersionID   string    `json:"versionId,omitempty"`
	ExecutionID string    `json:"executionId"`
	Time        time.Time `json:"time"`
	NewKey      *Keys     `json:"newKey,omitempty"`
	OldKey      *Keys     `json:"oldKey,omitempty"`
	// OldKeyExpiresAt is when the old key will be revoked (rotated events).
	OldKeyExpiresAt *time.Time `json:"oldKeyExpiresAt,omitempty"`
	Revoked         []KeyRef   `json:"revoked,omitempty"`
	// HeldUntilMaxGrace says that old-key-revoked revoked keys still in use,
	// at the end of the target's maximum grace period.
	HeldUntilMaxGrace bool `json:"heldUntilMaxGrace,omitempty"`
	// InUse and DeleteBy (old-key-in-use events): the old keys consumers
	// still use, with their last use, and when they die at the latest.
	InUse    []KeyRef   `json:"inUse,omitempty"`
	DeleteBy *time.Time `json:"deleteBy,omitempty"`
	// Failure details (rotation-failed events).
	Stage Stage `json:"stage,omitempty"`
	// CurrentKeyUnchanged tells a team whether it needs to do anything.
	CurrentKeyUnchanged *bool  `json:"currentKeyUnchanged,omitempty"`
	ErrorName           string `json:"error,omitempty"`
	ErrorMessage        string `json:"errorMessage,omitempty"`
}

// Notify publishes one notification to the topic, with the message
// attributes that subscription filter policies match on.
func (s *Steps) Notify(ctx context.Context, req NotifyRequest) (NotifyResult, error) {
	msg, err := s.message(ctx, req)
	if err != nil {
		return NotifyResult{}, err
	}
	if err := s.checkNotification(ctx, req, msg); err != nil {
		return NotifyResult{}, err
	}
	body, err := json.Marshal(msg)
	if err != nil {
		return NotifyResult{}, fmt.Errorf("encode notification: %w", err)
	}
	out, err := s.Topic.Publish(ctx, &sns.PublishInput{
		TopicArn: aws.String(s.Config.TopicARN),
		Subject:  aws.String(subject(msg)),
		Message:  aws.String(Scrub(string(body))),
		MessageAttributes: map[string]snstypes.MessageAttributeValue{
			"target": {DataType: aws.String("String"), StringValue: aws.String(msg.Target)},
			"event":  {DataType: aws.String("String"), StringValue: aws.String(string(msg.Event))},
		},
	})
	if err != nil {
		return NotifyResult{}, awsErr("publish notification", err)
	}
	s.log().Info("notified", "step", string(deploy.StepNotify), "event", msg.Event, "target", msg.Target, "execution", msg.ExecutionID, "message_id", aws.ToString(out.MessageId))
	return NotifyResult{MessageID: aws.ToString(out.MessageId)}, nil
}

func (s *Steps) message(ctx context.Context, req NotifyRequest) (Message, error) {
	msg := Message{Event: req.Event, ExecutionID: req.ExecutionID, Time: s.now()}
	if rec := req.Rotation; rec != nil && rec.Target != "" {
		msg.Target, msg.Mode, msg.SecretARN, msg.VersionID = rec.Target, rec.Mode, rec.SecretARN, rec.PendingVersionID
		newKey, oldKey := rec.New, rec.Old
		msg.NewKey, msg.OldKey = &newKey, &oldKey
	}
	switch req.Event {
	case EventRotated:
		if req.Rotation == nil {
			return msg, &InputError{Field: "rotation", Problem: "is required for a rotated event"}
		}
		expires := msg.Time.Add(req.Rotation.grace())
		msg.OldKeyExpiresAt = &expires
	case EventOldKeyRevoked:
		if req.Rotation == nil {
			return msg, &InputError{Field: "rotation", Problem: "is required for an old-key-revoked event"}
		}
		if req.Revoked != nil {
			msg.Revoked = req.Revoked.Revoked
			msg.HeldUntilMaxGrace = req.Revoked.HeldUntilMaxGrace
		}
	case EventOldKeyInUse:
		if req.Rotation == nil || req.Revoked == nil || !req.Revoked.Holding {
			return msg, &InputError{Field: "revoked", Problem: "must be a holding DeleteOld result for an old-key-in-use event"}
		}
		msg.InUse, msg.DeleteBy = req.Revoked.Held, req.Revoked.HoldUntil
	case EventFailed:
		msg.Stage = req.Stage
		unchanged := req.Stage.currentKeyUnchanged()
		msg.CurrentKeyUnchanged = &unchanged
		if req.Error != nil {
			msg.ErrorName, msg.ErrorMessage = req.Error.Error, causeMessage(req.Error.Cause)
		}
		if msg.Target == "" {
			msg.Target, msg.Mode = targetOfInput(req.Input)
			if deploy.ValidTargetName(msg.Target) {
				if st, err := s.describeTarget(ctx, msg.Target); err == nil {
					msg.SecretARN = st.arn
				}
			}
		}
	default:
		return msg, &InputError{Field: "event", Problem: fmt.Sprintf("must be %q, %q, %q or %q", EventRotated, EventOldKeyInUse, EventOldKeyRevoked, EventFailed)}
	}
	if msg.Target == "" {
		msg.Target = "unknown"
	}
	return msg, nil
}

func subject(m Message) string {
	switch m.Event {
	case EventRotated:
		return "ddrotate: " + m.Target + " rotated"
	case EventOldKeyRevoked:
		return "ddrotate: " + m.Target + " old key revoked"
	case EventOldKeyInUse:
		return "ddrotate: " + m.Target + " old key still in use; switch to the new key"
	default:
		return "ddrotate: " + m.Target + " rotation failed"
	}
}

// targetOfInput reads the target and mode of an execution input that may be
// malformed (it is what made the rotation fail), for the failure message.
func targetOfInput(raw json.RawMessage) (string, Mode) {
	var in struct {
		Target any `json:"target"`
		Mode   any `json:"mode"`
	}
	if json.Unmarshal(raw, &in) != nil {
		return "", ""
	}
	target, _ := in.Target.(string)
	mode, _ := in.Mode.(string)
	if !deploy.ValidTargetName(target) {
		target = ""
	}
	if Mode(mode) != ModeScheduled && Mode(mode) != ModeCompromise {
		mode = ""
	}
	return target, Mode(mode)
}

// causeMessage extracts the message from a Step Functions Cause: for a
// Lambda error it is the JSON {"errorMessage", "errorType", ...}.
func causeMessage(cause string) string {
	var lambdaErr struct {
		ErrorMessage string `json:"errorMessage"`
	}
	if json.Unmarshal([]byte(cause), &lambdaErr) == nil && lambdaErr.ErrorMessage != "" {
		return Scrub(lambdaErr.ErrorMessage)
	}
	return Scrub(cause)
}

// checkNotification refuses to publish what no running rotation of the
// target asked for: a forged invoke would otherwise tell a team its key
// changed, or failed to, when nothing happened. A rotation's events are
// checked as every step's Record is; a failure before Create made a Record
// (its input may be malformed: that is the failure) must come from a
// running execution whose input is the one given, from which the message's
// target was read.
func (s *Steps) checkNotification(ctx context.Context, req NotifyRequest, msg Message) error {
	if rec := req.Rotation; rec != nil && rec.Target != "" {
		if rec.ExecutionID != req.ExecutionID {
			return &ForgedRequestError{ExecutionID: req.ExecutionID, Problem: "is not the execution of the rotation it reports"}
		}
		return s.trust(ctx, *rec)
	}
	out, err := s.Executions.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String(req.ExecutionID)})
	switch {
	case isAWSError[*sfntypes.ExecutionDoesNotExist](err) || isAWSError[*sfntypes.InvalidArn](err):
		return &ForgedRequestError{ExecutionID: req.ExecutionID, Problem: "does not exist"}
	case err != nil:
		return awsErr("describe the execution", err)
	case out.Status != sfntypes.ExecutionStatusRunning:
		return &ForgedRequestError{ExecutionID: req.ExecutionID, Problem: "is " + string(out.Status) + ", not running"}
	case s.Config.StateMachineARN != "" && aws.ToString(out.StateMachineArn) != s.Config.StateMachineARN:
		return &ForgedRequestError{ExecutionID: req.ExecutionID, Problem: "is not an execution of " + s.Config.StateMachineARN}
	case !sameJSON(aws.ToString(out.Input), req.Input):
		return &ForgedRequestError{ExecutionID: req.ExecutionID, Problem: "was not started with the input this failure reports"}
	}
	return nil
}

// sameJSON reports whether two JSON documents are equal as values (Step
// Functions may re-encode an execution's input).
func sameJSON(a string, b json.RawMessage) bool {
	var x, y any
	if json.Unmarshal([]byte(a), &x) != nil || json.Unmarshal(b, &y) != nil {
		return a == string(b)
	}
	return reflect.DeepEqual(x, y)
}
