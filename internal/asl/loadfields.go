package asl

import (
	"fmt"
	"slices"
	"sort"
	"strings"
)

// fields reads one JSON object of a definition being loaded and reports
// problems as DefinitionErrors that say which state and field are at fault.
type fields struct {
	m      map[string]any
	state  string // qualified state name, "" at the top level
	prefix string // prepended to field names, e.g. "Retry[0]."
}

func (f fields) errorf(field, format string, args ...any) *DefinitionError {
	if field != "" {
		field = f.prefix + field
	} else {
		field = strings.TrimSuffix(f.prefix, ".")
	}
	return &DefinitionError{State: f.state, Field: field, Problem: fmt.Sprintf(format, args...)}
}

func (f fields) has(name string) bool {
	_, ok := f.m[name]
	return ok
}

// only rejects any field not in allowed: a field the executor does not
// know is one whose meaning it would silently ignore.
func (f fields) only(allowed ...string) error {
	var unknown []string
	for k := range f.m {
		if !slices.Contains(allowed, k) {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) == 0 {
		return nil
	}
	sort.Strings(unknown)
	return f.errorf(unknown[0], "unknown or unsupported field (allowed here: %s)", strings.Join(allowed, ", "))
}

func (f fields) str(name string, required bool) (string, error) {
	v, ok := f.m[name]
	if !ok {
		if required {
			return "", f.errorf(name, "is required")
		}
		return "", nil
	}
	s, ok := v.(string)
	if !ok {
		return "", f.errorf(name, "must be a string, not %s", jsonType(v))
	}
	if required && s == "" {
		return "", f.errorf(name, "must not be empty")
	}
	return s, nil
}

// integer reads an optional integer field within [lo, hi].
func (f fields) integer(name string, lo, hi int64) (int64, bool, error) {
	v, ok := f.m[name]
	if !ok {
		return 0, false, nil
	}
	n, isInt := integer(v)
	if !isInt || n < lo || n > hi {
		return 0, false, f.errorf(name, "must be an integer from %d to %d", lo, hi)
	}
	return n, true, nil
}

func (f fields) boolean(name string) (bool, error) {
	v, ok := f.m[name]
	if !ok {
		return false, nil
	}
	b, ok := v.(bool)
	if !ok {
		return false, f.errorf(name, "must be a boolean, not %s", jsonType(v))
	}
	return b, nil
}

func (f fields) object(name string) (fields, bool, error) {
	v, ok := f.m[name]
	if !ok {
		return fields{}, false, nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		return fields{}, false, f.errorf(name, "must be an object, not %s", jsonType(v))
	}
	return fields{m: m, state: f.state, prefix: f.prefix + name + "."}, true, nil
}

// objects reads an array of objects, such as Retry or Choices.
func (f fields) objects(name string) ([]fields, error) {
	v, ok := f.m[name]
	if !ok {
		return nil, nil
	}
	a, ok := v.([]any)
	if !ok {
		return nil, f.errorf(name, "must be an array, not %s", jsonType(v))
	}
	out := make([]fields, len(a))
	for i, e := range a {
		m, ok := e.(map[string]any)
		if !ok {
			return nil, f.errorf(fmt.Sprintf("%s[%d]", name, i), "must be an object, not %s", jsonType(e))
		}
		out[i] = fields{m: m, state: f.state, prefix: fmt.Sprintf("%s%s[%d].", f.prefix, name, i)}
	}
	return out, nil
}

func (f fields) strings(name string) ([]string, error) {
	v, ok := f.m[name]
	if !ok {
		return nil, nil
	}
	a, ok := v.([]any)
	if !ok {
		return nil, f.errorf(name, "must be an array of strings, not %s", jsonType(v))
	}
	out := make([]string, len(a))
	for i, e := range a {
		s, ok := e.(string)
		if !ok {
			return nil, f.errorf(name, "must be an array of strings, but item %d is %s", i, jsonType(e))
		}
		out[i] = s
	}
	return out, nil
}
