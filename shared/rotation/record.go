package rotation

import (
	"encoding/json"
	"time"
)

// Record is what the steps of one rotation pass each other through the state
// machine: ids, version ids and last4s, never a key value.
type Record struct {
	Target      string `json:"target"`
	Kind        Kind   `json:"kind"`
	Mode        Mode   `json:"mode"`
	SecretARN   string `json:"secretArn"`
	ExecutionID string `json:"executionId"`
	KeyName     string `json:"keyName"`
	// OldKeyName is the name of the old credential's keys, when ddrotate
	// made them: DeleteOld deletes any twin left under it.
	OldKeyName string `json:"oldKeyName,omitempty"`
	// PendingVersionID is the version this execution staged as AWSPENDING.
	PendingVersionID string `json:"pendingVersionId"`
	// PreviousVersionID is the version that was AWSCURRENT when the rotation
	// began, and so becomes AWSPREVIOUS at Store.
	PreviousVersionID string `json:"previousVersionId"`
	// GraceVersionID is the version that was AWSPREVIOUS when the rotation
	// began: its keys may still be alive in an earlier rotation's grace
	// period. Store takes its label away, so a compromise rotation's
	// DeleteOld finds it here.
	GraceVersionID string `json:"graceVersionId,omitempty"`
	// Retried is set when Create needed more than one attempt: a create
	// that answered too late may then have left a second key under KeyName,
	// which DeleteOld removes.
	Retried          bool   `json:"retried,omitempty"`
	ServiceAccountID string `json:"serviceAccountId,omitempty"`
	New              Keys   `json:"new"`
	Old              Keys   `json:"old"`
	GraceSeconds     int    `json:"graceSeconds"`
}

// Keys identifies a credential's keys without their values.
type Keys struct {
	APIKeyID    string `json:"apiKeyId"`
	APIKeyLast4 string `json:"apiKeyLast4"`
	AppKeyID    string `json:"appKeyId,omitempty"`
	AppKeyLast4 string `json:"appKeyLast4,omitempty"`
}

// CreateRequest is the Create step's payload.
type CreateRequest struct {
	ExecutionID string          `json:"executionId"`
	Input       json.RawMessage `json:"input"`
	// Attempt is the state's retry count ($$.State.RetryCount), which the
	// definition always passes. On the first attempt nothing of this
	// execution can exist yet, so Create skips the lookups that make a
	// retry safe.
	Attempt int `json:"attempt"`
}

// StepRequest is the payload of Verify, Store and DeleteOld.
type StepRequest struct {
	Rotation Record `json:"rotation"`
}

// RollbackRequest is the Rollback step's payload: the execution and its
// input, because Create may have failed before it produced a Record.
type RollbackRequest struct {
	ExecutionID string          `json:"executionId"`
	Input       json.RawMessage `json:"input"`
}

// RollbackResult says what Rollback undid.
type RollbackResult struct {
	Target  string   `json:"target,omitempty"`
	Deleted []KeyRef `json:"deleted"`
	// StoreCompleted is set when the execution's new key had already become
	// AWSCURRENT (Store succeeded but its answer was lost): then nothing is
	// deleted, because consumers may already use the new key.
	StoreCompleted bool `json:"storeCompleted,omitempty"`
}

// KeyRef names one Datadog key without its value.
type KeyRef struct {
	Type  KeyType `json:"type"`
	ID    string  `json:"id"`
	Name  string  `json:"name,omitempty"`
	Last4 string  `json:"last4,omitempty"`
	// LastUsed is when Datadog last saw the key used, where DeleteOld looked
	// (the keys it holds, or revokes after holding them, and in compromise
	// mode every key it revokes, for forensics).
	LastUsed *time.Time `json:"lastUsed,omitempty"`
	// created is when Datadog made the key, and listedUse when it was last
	// used, where a listing said so.
	created, listedUse time.Time
}

// KeyType is which kind of Datadog key a KeyRef names.
type KeyType string

const (
	// KeyTypeAPI is an API key, which belongs to the organisation.
	KeyTypeAPI KeyType = "api"
	// KeyTypeApp is an application key, which belongs to a service account.
	KeyTypeApp KeyType = "app"
)

// DeleteOldResult lists the keys DeleteOld revoked.
type DeleteOldResult struct {
	Revoked []KeyRef `json:"revoked"`
	// Holding is set, in scheduled mode, when consumers still used an old
	// key after the new one became current: nothing was deleted, Held names
	// the keys in use, and the state machine calls DeleteOld again after
	// RecheckSeconds, until HoldUntil (the target's maximum grace period).
	Holding        bool       `json:"holding"`
	Held           []KeyRef   `json:"held,omitempty"`
	RecheckSeconds int        `json:"recheckSeconds,omitempty"`
	HoldUntil      *time.Time `json:"holdUntil,omitempty"`
	// HeldUntilMaxGrace is set when the old keys were revoked although still
	// in use, because the target's maximum grace period had passed.
	HeldUntilMaxGrace bool `json:"heldUntilMaxGrace,omitempty"`
}

// StepFailure is the {"Error", "Cause"} object that a Catch puts in the state.
type StepFailure struct {
	Error string `json:"Error"`
	Cause string `json:"Cause"`
}

// NotifyRequest is the Notify step's payload.
type NotifyRequest struct {
	Event       Event            `json:"event"`
	Stage       Stage            `json:"stage,omitempty"` // for rotation-failed
	ExecutionID string           `json:"executionId"`
	Rotation    *Record          `json:"rotation,omitempty"`
	Input       json.RawMessage  `json:"input,omitempty"`
	Error       *StepFailure     `json:"error,omitempty"`
	Revoked     *DeleteOldResult `json:"revoked,omitempty"`
}

// Event is what a notification announces.
type Event string

const (
	EventRotated       Event = "rotated"
	EventOldKeyRevoked Event = "old-key-revoked"
	EventFailed        Event = "rotation-failed"
	// EventOldKeyInUse says that a scheduled rotation holds the deletion of
	// an old key that consumers still use, until they stop or the target's
	// maximum grace period ends.
	EventOldKeyInUse Event = "old-key-in-use"
)

// Stage is where a failed rotation stopped, relative to Store: it tells a
// team whether the key it reads changed. The state machine definition sets
// it in the payloads of its two rotation-failed notifications.
type Stage string

const (
	// StageBeforeStore is a failure before the new credential became
	// AWSCURRENT: the execution rolled back, the current key is unchanged.
	StageBeforeStore Stage = "before-store"
	// StageAfterStore is a failure after Store: the new key is current and
	// works, the old one may live until a later rotation deletes it.
	StageAfterStore Stage = "after-store"
)

// currentKeyUnchanged reports whether consumers still read the key they
// read before the rotation. A stage the definition did not set counts as
// before Store, as a failure there is the one that leaves keys unchanged.
func (s Stage) currentKeyUnchanged() bool { return s != StageAfterStore }

// NotifyResult is the SNS message id.
type NotifyResult struct {
	MessageID string `json:"messageId"`
}

// grace returns the record's grace period.
func (r Record) grace() time.Duration { return time.Duration(r.GraceSeconds) * time.Second }
