package asl

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
)

// evalEnv is what paths and intrinsic functions read while a state runs:
// the state's input ($), the context object ($$) and the engine's source
// of randomness.
type evalEnv struct {
	input   any
	context any
	random  func(n int64) int64 // uniform in [0, n)
}

func (env *evalEnv) query(p *jsonPath) (any, error) {
	if p.context {
		return p.query(env.context)
	}
	return p.query(env.input)
}

func (env *evalEnv) randomBelow(n int64, seed *int64) int64 {
	if seed != nil {
		return rand.New(rand.NewPCG(uint64(*seed), 0)).Int64N(n)
	}
	return env.random(n)
}

// expr is the value of a field whose name ends in ".$": a path into the
// input or the context object, or an intrinsic function call.
type expr struct {
	text string
	path *jsonPath
	call *intrinsicCall
}

func compileExpr(text string) (*expr, error) {
	switch {
	case strings.HasPrefix(text, "States."):
		call, err := parseIntrinsic(text)
		return &expr{text: text, call: call}, err
	case strings.HasPrefix(text, "$"):
		path, err := parsePath(text)
		return &expr{text: text, path: path}, err
	}
	return nil, fmt.Errorf("%q is neither a path nor an intrinsic function", text)
}

func (e *expr) eval(env *evalEnv) (any, error) {
	if e.call != nil {
		return e.call.eval(env)
	}
	return env.query(e.path)
}

// template is a compiled payload template (Parameters, ResultSelector,
// ItemSelector, a task's Payload): a JSON value in which every field whose
// name ends in ".$", however deeply nested, is replaced by the value of
// its path or function.
type template struct {
	literal any      // set for a plain value
	expr    *expr    // set for a ".$" field's value
	fields  []string // object field names, sorted, without ".$"
	values  []*template
	elems   []*template // array elements
	kind    templateKind
}

type templateKind int

const (
	literalTemplate templateKind = iota
	exprTemplate
	objectTemplate
	arrayTemplate
)

// templateError locates a problem in a payload template by the path of the
// field at fault, such as "Parameters.Payload.id.$".
type templateError struct {
	field string
	err   error
}

func (e *templateError) Error() string { return e.field + ": " + e.err.Error() }

// compileTemplate compiles v; where is the field path of v itself.
func compileTemplate(v any, where string) (*template, error) {
	switch v := v.(type) {
	case map[string]any:
		t := &template{kind: objectTemplate}
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		seen := make(map[string]bool, len(keys))
		for _, k := range keys {
			name, dynamic := strings.CutSuffix(k, ".$")
			if seen[name] {
				return nil, &templateError{where + "." + name, fmt.Errorf("the field is given both plain and with .$")}
			}
			seen[name] = true
			var value *template
			if dynamic {
				s, ok := v[k].(string)
				if !ok {
					return nil, &templateError{where + "." + k, fmt.Errorf("the value of a field ending in .$ must be a string, not %s", jsonType(v[k]))}
				}
				e, err := compileExpr(s)
				if err != nil {
					return nil, &templateError{where + "." + k, err}
				}
				value = &template{kind: exprTemplate, expr: e}
			} else {
				var err error
				if value, err = compileTemplate(v[k], where+"."+k); err != nil {
					return nil, err
				}
			}
			t.fields = append(t.fields, name)
			t.values = append(t.values, value)
		}
		return t, nil
	case []any:
		t := &template{kind: arrayTemplate}
		for i, e := range v {
			et, err := compileTemplate(e, fmt.Sprintf("%s[%d]", where, i))
			if err != nil {
				return nil, err
			}
			t.elems = append(t.elems, et)
		}
		return t, nil
	}
	return &template{kind: literalTemplate, literal: v}, nil
}

// eval builds the template's value. An error names the field whose path or
// function failed.
func (t *template) eval(env *evalEnv) (any, error) {
	switch t.kind {
	case exprTemplate:
		return t.expr.eval(env)
	case objectTemplate:
		out := make(map[string]any, len(t.fields))
		for i, name := range t.fields {
			v, err := t.values[i].eval(env)
			if err != nil {
				if t.values[i].kind == exprTemplate {
					return nil, fmt.Errorf("field %q: %w", name+".$", err)
				}
				return nil, err
			}
			out[name] = v
		}
		return out, nil
	case arrayTemplate:
		out := make([]any, len(t.elems))
		for i, e := range t.elems {
			v, err := e.eval(env)
			if err != nil {
				return nil, err
			}
			out[i] = v
		}
		return out, nil
	}
	return t.literal, nil
}

// field returns the template of an object template's field (given without
// ".$"), for the resources that inspect their Parameters when loading.
func (t *template) field(name string) (*template, bool) {
	for i, f := range t.fields {
		if f == name {
			return t.values[i], true
		}
	}
	return nil, false
}
