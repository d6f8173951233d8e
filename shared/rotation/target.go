package rotation

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/ddrotate/ddrotate/shared/credential"
	"github.com/ddrotate/ddrotate/shared/deploy"
)

// Kind is what a target's secret holds, and so what a rotation creates; the
// kinds are defined in the deploy contract (deploy.KindAPIKey, ...), which
// the CDK stack tags each secret with.
type Kind = deploy.Kind

// Mode is why a rotation runs.
type Mode string

const (
	// ModeScheduled is the routine rotation: the current key must validate,
	// and it stays alive for the grace period so consumers can move over.
	ModeScheduled Mode = "scheduled"
	// ModeCompromise is the response to a suspected leak: the current key
	// need not validate, there is no grace period, and every managed key of
	// the target but the new one is revoked once the new one is current.
	ModeCompromise Mode = "compromise"
)

// Input is a rotate-target execution's input, as an operator, the fleet
// run or the schedule gives it: {"target": "payments", "mode": "compromise"}.
type Input struct {
	Target string `json:"target"`
	Mode   Mode   `json:"mode,omitempty"`
	// StartedBy is set by Step Functions when the fleet run starts this
	// execution (it links the two in the console).
	StartedBy string `json:"AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID,omitempty"`
}

// ParseInput decodes and checks an execution input strictly: an unknown
// field is an error rather than silently ignored, because an operator who
// typed "mdoe" meant something. Mode defaults to scheduled.
func ParseInput(data []byte) (Input, error) {
	var in Input
	if len(bytes.TrimSpace(data)) == 0 {
		return in, &InputError{Field: "target", Problem: "is required (input is empty)"}
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		return Input{}, inputDecodeError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return Input{}, &InputError{Field: "input", Problem: "must be a single JSON object"}
	}
	switch {
	case in.Target == "":
		return Input{}, &InputError{Field: "target", Problem: "is required"}
	case !deploy.ValidTargetName(in.Target):
		return Input{}, &InputError{Field: "target", Problem: "must be 2-40 characters of a-z, 0-9 and '-', starting and ending with a letter or digit"}
	}
	switch in.Mode {
	case "":
		in.Mode = ModeScheduled
	case ModeScheduled, ModeCompromise:
	default:
		return Input{}, &InputError{Field: "mode", Problem: fmt.Sprintf("must be %q or %q", ModeScheduled, ModeCompromise)}
	}
	return in, nil
}

// inputDecodeError names the offending field without quoting the input.
func inputDecodeError(err error) error {
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) {
		if typeErr.Field == "" {
			// The input as a whole is not an object (an array, a string).
			return &InputError{Field: "input", Problem: "must be a JSON object with target and mode"}
		}
		// Kind, not Type: an operator knows "string", not "rotation.Mode".
		return &InputError{Field: typeErr.Field, Problem: "must be a " + typeErr.Type.Kind().String()}
	}
	var syntaxErr *json.SyntaxError
	if errors.As(err, &syntaxErr) {
		return &InputError{Field: "input", Problem: "is not valid JSON (at byte " + strconv.FormatInt(syntaxErr.Offset, 10) + ")"}
	}
	const unknownPrefix = "json: unknown field "
	if msg := err.Error(); len(msg) > len(unknownPrefix) && msg[:len(unknownPrefix)] == unknownPrefix {
		field, _ := strconv.Unquote(msg[len(unknownPrefix):])
		return &InputError{Field: field, Problem: "is not a known field (expected target, mode)"}
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return &InputError{Field: "input", Problem: "is truncated JSON"}
	}
	return &InputError{Field: "input", Problem: "must be a JSON object with target and mode"}
}

// Target is one rotation target's configuration, read from its secret's tags.
type Target struct {
	Name     string
	Kind     Kind
	SecretID string // ARN of the target's secret
	// ServiceAccountID owns the application key (api-app-key targets; for the
	// admin target it comes from the admin secret itself).
	ServiceAccountID string
	Grace            time.Duration
	// MaxGrace is how long a scheduled rotation may hold the deletion of an
	// old key that consumers still use; at least Grace.
	MaxGrace time.Duration
}

// targetFromTags builds a Target from its secret's ARN and tags.
func targetFromTags(name, secretARN string, tags map[string]string, defaultGrace time.Duration) (Target, error) {
	t := Target{Name: name, SecretID: secretARN, Grace: defaultGrace}
	if tagged, ok := tags[deploy.TagTarget]; ok && tagged != name {
		return Target{}, &ConfigError{Target: name, Field: "tag " + deploy.TagTarget, Problem: fmt.Sprintf("names target %q, not this one", tagged)}
	}
	t.Kind = Kind(tags[deploy.TagKind])
	if !t.Kind.Valid() {
		return Target{}, &ConfigError{Target: name, Field: "tag " + deploy.TagKind, Problem: fmt.Sprintf("must be %q, %q or %q", deploy.KindAPIKey, deploy.KindAPIAppKey, deploy.KindAdmin)}
	}
	if s, ok := tags[deploy.TagGraceSeconds]; ok {
		secs, err := strconv.Atoi(s)
		if err != nil || secs < 0 || secs > maxGraceSeconds {
			return Target{}, &ConfigError{Target: name, Field: "tag " + deploy.TagGraceSeconds, Problem: "must be a whole number of seconds between 0 and 31536000"}
		}
		t.Grace = time.Duration(secs) * time.Second
	}
	t.MaxGrace = max(deploy.DefaultMaxGracePeriod, t.Grace)
	if s, ok := tags[deploy.TagMaxGraceSeconds]; ok {
		secs, err := strconv.Atoi(s)
		if err != nil || secs < int(t.Grace.Seconds()) || secs > maxGraceSeconds {
			return Target{}, &ConfigError{Target: name, Field: "tag " + deploy.TagMaxGraceSeconds, Problem: "must be a whole number of seconds, at least the grace period and at most 31536000"}
		}
		t.MaxGrace = time.Duration(secs) * time.Second
	}
	if t.Kind == deploy.KindAPIAppKey {
		t.ServiceAccountID = tags[deploy.TagServiceAccountID]
		if !credential.ValidID(t.ServiceAccountID) {
			return Target{}, &ConfigError{Target: name, Field: "tag " + deploy.TagServiceAccountID, Problem: "must be the UUID of the service account that owns the application key"}
		}
	}
	return t, nil
}

// maxGraceSeconds is one year, the longest a Standard execution may run.
const maxGraceSeconds = 365 * 24 * 3600
