package credential

import (
	"log/slog"
	"time"
)

// Metadata records which rotation produced a credential. It is plain data, not
// secret, and lets an operator or an audit match a secret version to the
// execution and the Datadog key name that made it.
type Metadata struct {
	KeyName     string    // Datadog key name, "ddrotate-<target>-<execution short id>"
	RotatedAt   time.Time // when the credential was created; zero if never rotated
	ExecutionID string    // Step Functions execution that created it
}

const (
	fieldKeyName     = "keyName"
	fieldRotatedAt   = "rotatedAt"
	fieldExecutionID = "executionId"
)

func readMetadata(o *object) Metadata {
	return Metadata{
		KeyName:     o.text(fieldKeyName),
		RotatedAt:   o.timestamp(fieldRotatedAt),
		ExecutionID: o.text(fieldExecutionID),
	}
}

// addTo sets the metadata fields that are present in a secret's JSON.
func (m Metadata) addTo(fields map[string]any) {
	if m.KeyName != "" {
		fields[fieldKeyName] = m.KeyName
	}
	if !m.RotatedAt.IsZero() {
		fields[fieldRotatedAt] = m.RotatedAt.Format(time.RFC3339Nano)
	}
	if m.ExecutionID != "" {
		fields[fieldExecutionID] = m.ExecutionID
	}
}

func (m Metadata) logAttrs() []slog.Attr {
	var attrs []slog.Attr
	if m.KeyName != "" {
		attrs = append(attrs, slog.String(fieldKeyName, m.KeyName))
	}
	if !m.RotatedAt.IsZero() {
		attrs = append(attrs, slog.Time(fieldRotatedAt, m.RotatedAt))
	}
	if m.ExecutionID != "" {
		attrs = append(attrs, slog.String(fieldExecutionID, m.ExecutionID))
	}
	return attrs
}
