package credential

import (
	"strconv"
	"strings"
)

// FieldError reports one problem with one JSON field of a credential. It
// names the field and the rule, never the value, because the value may be a
// key (or a key pasted into the wrong field).
type FieldError struct {
	Field   string // JSON field name, such as "apiKey"
	Problem string // the rule the value breaks, such as "is required"
}

func (e *FieldError) Error() string {
	return "field " + strconv.Quote(e.Field) + ": " + e.Problem
}

// InvalidError lists every problem found in one credential, so that an
// operator fixing a secret by hand sees them all at once. errors.As finds
// each *FieldError in it.
type InvalidError struct {
	Credential string // "admin" or "team"
	Problems   []*FieldError
}

func (e *InvalidError) Error() string {
	var b strings.Builder
	b.WriteString("invalid ")
	b.WriteString(e.Credential)
	b.WriteString(" credential: ")
	for i, p := range e.Problems {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(p.Error())
	}
	return b.String()
}

// Unwrap returns the problems, for errors.As and errors.Is.
func (e *InvalidError) Unwrap() []error {
	errs := make([]error, len(e.Problems))
	for i, p := range e.Problems {
		errs[i] = p
	}
	return errs
}

// JSONError reports a credential that is not a JSON object. It carries only
// the byte offset: encoding/json's own messages quote input bytes, and the
// input is a secret.
type JSONError struct {
	Credential string // "admin" or "team"
	Offset     int64  // bytes read when the problem was found
	Problem    string // such as "is not valid JSON"
}

func (e *JSONError) Error() string {
	return e.Credential + " credential " + e.Problem + " (at byte offset " + strconv.FormatInt(e.Offset, 10) + ")"
}

// problems collects the FieldErrors of one credential in field order.
type problems struct {
	credential string
	list       []*FieldError
}

func (p *problems) add(field, problem string) {
	p.list = append(p.list, &FieldError{Field: field, Problem: problem})
}

// err returns nil when nothing was added.
func (p *problems) err() error {
	if len(p.list) == 0 {
		return nil
	}
	return &InvalidError{Credential: p.credential, Problems: p.list}
}
