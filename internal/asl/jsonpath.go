package asl

import (
	"fmt"
	"strconv"
	"strings"
)

// jsonPath is a compiled JSONPath from the subset that Amazon States
// Language definitions use: a root ($ for the state's input, $$ for the
// context object) followed by .name, ['name'], [index] and [*] steps.
// Anything else (filters, slices, recursive descent, negative indexes) is
// rejected when the definition loads rather than silently misread.
type jsonPath struct {
	text    string
	context bool // rooted at $$, the context object
	steps   []pathStep
}

type stepKind int

const (
	stepField stepKind = iota
	stepIndex
	stepWildcard
)

type pathStep struct {
	kind  stepKind
	field string
	index int
}

// forbiddenInName are characters that, in a dotted name, almost certainly
// mean JSONPath syntax this executor does not support.
const forbiddenInName = "$@*?()[]',: \t\n"

func parsePath(text string) (*jsonPath, error) {
	if !strings.HasPrefix(text, "$") {
		return nil, fmt.Errorf("path %q must start with $", text)
	}
	p := &jsonPath{text: text}
	rest := text[1:]
	if strings.HasPrefix(rest, "$") {
		p.context = true
		rest = rest[1:]
	}
	for rest != "" {
		var step pathStep
		var err error
		switch rest[0] {
		case '.':
			step, rest, err = parseDotStep(rest[1:])
		case '[':
			step, rest, err = parseBracketStep(rest[1:])
		default:
			err = fmt.Errorf("unexpected %q", rest[0])
		}
		if err != nil {
			return nil, fmt.Errorf("path %q: %w", text, err)
		}
		p.steps = append(p.steps, step)
	}
	return p, nil
}

func parseDotStep(s string) (pathStep, string, error) {
	end := strings.IndexAny(s, ".[")
	if end < 0 {
		end = len(s)
	}
	name := s[:end]
	switch {
	case name == "" && strings.HasPrefix(s, "."):
		return pathStep{}, "", fmt.Errorf("recursive descent (..) is not supported")
	case name == "":
		return pathStep{}, "", fmt.Errorf("empty field name")
	case name == "*":
		return pathStep{}, "", fmt.Errorf(".* is not supported; use [*] on an array")
	case strings.ContainsAny(name, forbiddenInName):
		return pathStep{}, "", fmt.Errorf("unsupported field name %q", name)
	}
	return pathStep{kind: stepField, field: name}, s[end:], nil
}

func parseBracketStep(s string) (pathStep, string, error) {
	end := strings.IndexByte(s, ']')
	if end < 0 {
		return pathStep{}, "", fmt.Errorf("unclosed [")
	}
	inner, rest := s[:end], s[end+1:]
	switch {
	case inner == "*":
		return pathStep{kind: stepWildcard}, rest, nil
	case len(inner) >= 2 && inner[0] == '\'' && inner[len(inner)-1] == '\'':
		name := inner[1 : len(inner)-1]
		if name == "" || strings.ContainsRune(name, '\'') {
			return pathStep{}, "", fmt.Errorf("unsupported field name [%s]", inner)
		}
		return pathStep{kind: stepField, field: name}, rest, nil
	}
	i, err := strconv.Atoi(inner)
	if err != nil || i < 0 || strings.HasPrefix(inner, "+") {
		return pathStep{}, "", fmt.Errorf("unsupported selector [%s]: only ['name'], a non-negative [index] and [*] are", inner)
	}
	return pathStep{kind: stepIndex, index: i}, rest, nil
}

// parseReferencePath parses a Reference Path, the kind ResultPath and
// ItemsPath take: it must name exactly one node of the input.
func parseReferencePath(text string) (*jsonPath, error) {
	p, err := parsePath(text)
	if err != nil {
		return nil, err
	}
	if p.context {
		return nil, fmt.Errorf("reference path %q cannot address the context object", text)
	}
	if !p.definite() {
		return nil, fmt.Errorf("reference path %q must not contain [*]", text)
	}
	return p, nil
}

// definite reports whether the path names at most one node.
func (p *jsonPath) definite() bool {
	for _, s := range p.steps {
		if s.kind == stepWildcard {
			return false
		}
	}
	return true
}

func (p *jsonPath) String() string { return p.text }

// query evaluates the path against root. A definite path yields the one
// node it names and fails when that node is absent; an indefinite one
// yields the array of every node it matches, possibly empty.
func (p *jsonPath) query(root any) (any, error) {
	if p.definite() {
		return p.get(root)
	}
	nodes := []any{root}
	for _, s := range p.steps {
		var next []any
		for _, n := range nodes {
			switch s.kind {
			case stepWildcard:
				if a, ok := n.([]any); ok {
					next = append(next, a...)
				}
			default:
				if v, ok := s.apply(n); ok {
					next = append(next, v)
				}
			}
		}
		nodes = next
	}
	if nodes == nil {
		nodes = []any{}
	}
	return nodes, nil
}

func (p *jsonPath) get(root any) (any, error) {
	node := root
	for i, s := range p.steps {
		v, ok := s.apply(node)
		if !ok {
			return nil, fmt.Errorf("the JSONPath %s could not be found: %s", p.text, p.describeMiss(i, node))
		}
		node = v
	}
	return node, nil
}

func (p *jsonPath) describeMiss(i int, node any) string {
	s := p.steps[i]
	switch s.kind {
	case stepField:
		if _, ok := node.(map[string]any); ok {
			return fmt.Sprintf("no field %q", s.field)
		}
		return fmt.Sprintf("field %q taken from a %s", s.field, jsonType(node))
	default:
		if a, ok := node.([]any); ok {
			return fmt.Sprintf("index %d out of an array of %d", s.index, len(a))
		}
		return fmt.Sprintf("index %d taken from a %s", s.index, jsonType(node))
	}
}

func (s pathStep) apply(node any) (any, bool) {
	switch s.kind {
	case stepField:
		m, ok := node.(map[string]any)
		if !ok {
			return nil, false
		}
		v, ok := m[s.field]
		return v, ok
	case stepIndex:
		a, ok := node.([]any)
		if !ok || s.index >= len(a) {
			return nil, false
		}
		return a[s.index], true
	}
	return nil, false
}

// set returns a copy of root with value placed at the reference path,
// creating missing objects on the way, as ResultPath does. root itself is
// left untouched: only the objects and arrays along the path are copied.
func (p *jsonPath) set(root, value any) (any, error) {
	return p.setFrom(0, root, true, value)
}

// setFrom sets value below node, which is absent (present false) when the
// path runs past the end of the input: ResultPath then creates objects.
func (p *jsonPath) setFrom(i int, node any, present bool, value any) (any, error) {
	if i == len(p.steps) {
		return value, nil
	}
	s := p.steps[i]
	switch s.kind {
	case stepField:
		m, ok := node.(map[string]any)
		if !ok && present {
			return nil, fmt.Errorf("cannot set %s: field %q of a %s", p.text, s.field, jsonType(node))
		}
		old, found := m[s.field]
		child, err := p.setFrom(i+1, old, found, value)
		if err != nil {
			return nil, err
		}
		out := make(map[string]any, len(m)+1)
		for k, v := range m {
			out[k] = v
		}
		out[s.field] = child
		return out, nil
	case stepIndex:
		a, ok := node.([]any)
		if !ok || s.index >= len(a) {
			return nil, fmt.Errorf("cannot set %s: %s", p.text, p.describeMiss(i, node))
		}
		child, err := p.setFrom(i+1, a[s.index], true, value)
		if err != nil {
			return nil, err
		}
		out := append([]any(nil), a...)
		out[s.index] = child
		return out, nil
	}
	return nil, fmt.Errorf("cannot set %s: not a reference path", p.text)
}
