package credential

import (
	"bytes"
	"encoding/json"
	"errors"
	"maps"
	"time"
)

// object decodes a credential's JSON object one field at a time, so that a
// wrong type is reported against the field that has it, and keeps the fields
// nobody asked for so that they survive a round trip.
type object struct {
	fields   map[string]json.RawMessage
	problems *problems
}

// decodeObject parses data as a JSON object. Its errors carry a byte offset
// and never the text of encoding/json, which can quote the input.
func decodeObject(credential string, data []byte) (*object, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(data, &fields); err != nil {
		jsonErr := &JSONError{Credential: credential, Problem: "is not valid JSON"}
		var syntaxErr *json.SyntaxError
		var typeErr *json.UnmarshalTypeError
		switch {
		case errors.As(err, &syntaxErr):
			jsonErr.Offset = syntaxErr.Offset
		case errors.As(err, &typeErr):
			jsonErr.Offset, jsonErr.Problem = typeErr.Offset, "is not a JSON object"
		}
		return nil, jsonErr
	}
	if fields == nil { // the input was the JSON literal null
		return nil, &JSONError{Credential: credential, Problem: "is not a JSON object"}
	}
	return &object{fields: fields, problems: &problems{credential: credential}}, nil
}

// take removes the named field and returns its raw value, or nil if it is
// absent or JSON null; null stands for "not set" in hand-edited secrets.
func (o *object) take(name string) json.RawMessage {
	raw, ok := o.fields[name]
	if !ok {
		return nil
	}
	delete(o.fields, name)
	if bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
		return nil
	}
	return raw
}

// text returns the named field as a string, "" if absent.
func (o *object) text(name string) string {
	raw := o.take(name)
	var s string
	if raw != nil && json.Unmarshal(raw, &s) != nil {
		o.problems.add(name, "must be a string")
	}
	return s
}

// list returns the named field as a list of strings, nil if absent.
func (o *object) list(name string) []string {
	raw := o.take(name)
	var list []string
	if raw != nil && json.Unmarshal(raw, &list) != nil {
		o.problems.add(name, "must be a list of strings")
	}
	return list
}

// timestamp returns the named field as an RFC 3339 time, the zero time if absent.
func (o *object) timestamp(name string) time.Time {
	s := o.text(name)
	if s == "" {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		o.problems.add(name, "must be an RFC 3339 timestamp")
	}
	return t
}

// rest returns the fields that were not taken, for round trip.
func (o *object) rest() (unknownFields, error) {
	if len(o.fields) == 0 {
		return unknownFields{}, nil
	}
	data, err := json.Marshal(o.fields)
	if err != nil {
		// Not wrapped: encoding/json errors can quote the value.
		return unknownFields{}, errors.New(o.problems.credential + " credential: cannot keep unknown fields")
	}
	text := string(data)
	return unknownFields{object: &text}, nil
}

// unknownFields keeps the JSON fields of a secret that ddrotate does not
// model, so that writing a rotated secret preserves what its owner added.
//
// They may hold anything, including keys, and fmt prints unexported fields by
// reflection without calling their methods. So they are kept as the text of a
// JSON object behind a *string, the one kind of pointer that fmt never
// follows (it does follow pointers to maps, slices and structs when a verb
// does not fit, as in %s).
type unknownFields struct {
	object *string
}

// encode returns the unknown fields merged with known, known taking
// precedence. json.Marshal sorts the keys, so the output is deterministic.
func (u unknownFields) encode(known map[string]any) ([]byte, error) {
	all := make(map[string]any, len(known))
	if u.object != nil {
		var unknown map[string]json.RawMessage
		if err := json.Unmarshal([]byte(*u.object), &unknown); err != nil {
			// Not wrapped: encoding/json errors can quote the value.
			return nil, errors.New("cannot restore unknown fields")
		}
		for name, raw := range unknown {
			all[name] = raw
		}
	}
	maps.Copy(all, known)
	data, err := json.Marshal(all)
	if err != nil {
		// Not wrapped: encoding/json errors can quote the value.
		return nil, errors.New("cannot encode fields as JSON")
	}
	return data, nil
}
