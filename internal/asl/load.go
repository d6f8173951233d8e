package asl

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"
)

// Definition is a parsed and validated state machine definition, ready to
// run. It is immutable and safe to share between executions.
type Definition struct {
	timeout time.Duration // the definition's TimeoutSeconds; 0 for none
	root    *machine
}

// machine is a set of states with its start: the definition itself, a Map's
// item processor or a Parallel branch.
type machine struct {
	startAt string
	states  map[string]*state
}

// state is one state of any type. The fields after the common ones are set
// for the types that have them.
type state struct {
	name      string // key in States
	qualified string // with its enclosing Map or Parallel states, for messages
	typ       string
	next      string // "" when the state ends its machine

	inputPath, outputPath dataPath
	resultPath            resultPath
	parameters            *template
	resultSelector        *template
	retry                 []*retrier
	catch                 []*catcher

	result    any // Pass: Result
	hasResult bool
	task      *taskSpec
	choice    *choiceSpec
	wait      *waitSpec
	fail      *failSpec
	mapState  *mapSpec
	branches  []*machine // Parallel
}

// dataPath is an InputPath or OutputPath: a path, or null for an empty
// object. The zero value is "$", the whole value.
type dataPath struct {
	null bool
	path *jsonPath
}

// resultPath says where a state's result goes in its raw input: at a
// reference path, replacing the input (the zero value, "$"), or nowhere
// (null: the input passes through).
type resultPath struct {
	discard bool
	path    *jsonPath
}

type choiceSpec struct {
	rules       []*choiceRule
	defaultNext string
}

type waitSpec struct {
	seconds       int64
	secondsPath   *jsonPath
	timestamp     time.Time
	timestampPath *jsonPath
}

type failSpec struct {
	errorName, cause string
	errorPath        *expr
	causePath        *expr
}

type mapSpec struct {
	itemsPath      *jsonPath // nil: the effective input itself
	itemSelector   *template
	processor      *machine
	maxConcurrency int // 0: unbounded (up to maxDistributedConcurrency in DISTRIBUTED mode)

	// DISTRIBUTED mode: each item runs as a child workflow execution of
	// the processor, and the Map Run fails once more items fail than it
	// tolerates.
	distributed             bool
	label                   string
	maxConcurrencyPath      *jsonPath
	toleratedPercentage     *float64
	toleratedPercentagePath *jsonPath
	toleratedCount          *int64
	toleratedCountPath      *jsonPath
}

// maxDistributedConcurrency is the most child workflow executions a
// Distributed Map runs at once; MaxConcurrency 0 means this many.
const maxDistributedConcurrency = 10000

const (
	maxStateNameLength = 80
	maxTimeoutSeconds  = 99999999
	// defaultTaskTimeout applies to a Task without TimeoutSeconds. AWS's
	// own default is 99999999 seconds; 60 keeps a hung handler from
	// holding a test or the demo for long, and the project's definitions
	// all set TimeoutSeconds anyway.
	defaultTaskTimeout = 60 * time.Second
)

// Load parses definition, replaces its ${Name} placeholders with
// substitutions (as the CDK's DefinitionSubstitutions does), and validates
// it. Anything the executor does not support is an error here rather than
// something ignored at run time. Errors are *DefinitionError.
func Load(definition []byte, substitutions map[string]string) (*Definition, error) {
	tree, err := decodeJSON(definition)
	if err != nil {
		return nil, &DefinitionError{Problem: fmt.Sprintf("not JSON: %v", err)}
	}
	var unresolved []string
	tree = substitute(tree, "", substitutions, &unresolved)
	if len(unresolved) > 0 {
		sort.Strings(unresolved)
		return nil, &DefinitionError{Problem: "no substitution for " + strings.Join(unresolved, "; ")}
	}
	top, ok := tree.(map[string]any)
	if !ok {
		return nil, &DefinitionError{Problem: "the definition must be a JSON object"}
	}
	f := fields{m: top}
	if err := f.only("Comment", "StartAt", "States", "Version", "TimeoutSeconds", "QueryLanguage"); err != nil {
		return nil, err
	}
	if err := checkQueryLanguage(f); err != nil {
		return nil, err
	}
	d := &Definition{}
	if n, ok, err := f.integer("TimeoutSeconds", 1, maxTimeoutSeconds); err != nil {
		return nil, err
	} else if ok {
		d.timeout = time.Duration(n) * time.Second
	}
	if d.root, err = parseMachine(f, ""); err != nil {
		return nil, err
	}
	return d, nil
}

var placeholder = regexp.MustCompile(`\$\{[^}]*\}`)

// substitute replaces ${Name} in every string of tree, recording each
// placeholder it cannot resolve with where it is.
func substitute(tree any, where string, substitutions map[string]string, unresolved *[]string) any {
	switch v := tree.(type) {
	case string:
		return placeholder.ReplaceAllStringFunc(v, func(m string) string {
			if s, ok := substitutions[m[2:len(m)-1]]; ok {
				return s
			}
			*unresolved = append(*unresolved, fmt.Sprintf("%s at %s", m, where))
			return m
		})
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			out[k] = substitute(e, strings.TrimPrefix(where+"."+k, "."), substitutions, unresolved)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = substitute(e, fmt.Sprintf("%s[%d]", where, i), substitutions, unresolved)
		}
		return out
	}
	return tree
}

func checkQueryLanguage(f fields) error {
	if lang, err := f.str("QueryLanguage", false); err != nil {
		return err
	} else if lang != "" && lang != "JSONPath" {
		return f.errorf("QueryLanguage", "only JSONPath is supported, not %q", lang)
	}
	return nil
}

// parseMachine reads StartAt and States of f; scope is the qualified name
// of the enclosing Map or Parallel state, "" at the top.
func parseMachine(f fields, scope string) (*machine, error) {
	m := &machine{states: map[string]*state{}}
	var err error
	if m.startAt, err = f.str("StartAt", true); err != nil {
		return nil, err
	}
	statesField, ok, err := f.object("States")
	if err != nil {
		return nil, err
	}
	if !ok || len(statesField.m) == 0 {
		return nil, f.errorf("States", "is required and must hold at least one state")
	}
	for _, name := range sortedKeys(statesField.m) {
		qualified := name
		if scope != "" {
			qualified = scope + "/" + name
		}
		body, ok := statesField.m[name].(map[string]any)
		if !ok {
			return nil, &DefinitionError{State: qualified, Problem: "a state must be a JSON object"}
		}
		if len(name) == 0 || len(name) > maxStateNameLength {
			return nil, &DefinitionError{State: qualified, Problem: fmt.Sprintf("a state name must have 1 to %d characters", maxStateNameLength)}
		}
		st, err := parseState(fields{m: body, state: qualified}, name)
		if err != nil {
			return nil, err
		}
		m.states[name] = st
	}
	if _, ok := m.states[m.startAt]; !ok {
		return nil, f.errorf("StartAt", "names no state: %q", m.startAt)
	}
	return m, m.checkTransitions()
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// checkTransitions verifies that every transition names a state of this
// machine and that every state can be reached from StartAt: an
// unreachable state is dead code that AWS also refuses.
func (m *machine) checkTransitions() error {
	for _, name := range sortedStateNames(m.states) {
		st := m.states[name]
		for field, target := range st.transitions() {
			if _, ok := m.states[target]; !ok {
				return &DefinitionError{State: st.qualified, Field: field, Problem: fmt.Sprintf("names no state of this machine: %q", target)}
			}
		}
	}
	reached := map[string]bool{}
	queue := []string{m.startAt}
	for len(queue) > 0 {
		name := queue[0]
		queue = queue[1:]
		if reached[name] {
			continue
		}
		reached[name] = true
		for _, target := range m.states[name].transitions() {
			queue = append(queue, target)
		}
	}
	for _, name := range sortedStateNames(m.states) {
		if !reached[name] {
			return &DefinitionError{State: m.states[name].qualified, Problem: "cannot be reached from StartAt"}
		}
	}
	return nil
}

func sortedStateNames(states map[string]*state) []string {
	names := make([]string, 0, len(states))
	for n := range states {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// transitions lists the states this one can move to, by the field that
// names them.
func (st *state) transitions() map[string]string {
	out := map[string]string{}
	if st.next != "" {
		out["Next"] = st.next
	}
	for i, c := range st.catch {
		out[fmt.Sprintf("Catch[%d].Next", i)] = c.next
	}
	if st.choice != nil {
		for i, r := range st.choice.rules {
			out[fmt.Sprintf("Choices[%d].Next", i)] = r.next
		}
		if st.choice.defaultNext != "" {
			out["Default"] = st.choice.defaultNext
		}
	}
	return out
}
