// Package iampolicy evaluates IAM policy documents the way AWS does for the
// cases ddrotate's template uses: identity-based policies, resource-based
// policies (secret policies, topic policies, role trust policies) and KMS
// key policies; Allow and Deny, Action/NotAction, Resource/NotResource and
// Principal wildcards, and condition operators over a request context.
//
// It is a local stand-in. Where it cannot decide faithfully it refuses:
// a condition key or operator it does not know makes the request denied,
// with the key or operator named, instead of being ignored.
package iampolicy

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// Policy is a parsed policy document.
type Policy struct {
	// Name identifies the policy in denial reasons (its ARN or logical id).
	Name       string
	Statements []Statement
}

// Statement is one statement of a policy.
type Statement struct {
	Sid          string
	Effect       string // Allow or Deny
	Principal    *Principals
	NotPrincipal *Principals
	Action       []string
	NotAction    []string
	Resource     []string
	NotResource  []string
	// Condition maps an operator (StringEquals, ForAnyValue:StringLike,
	// BoolIfExists, ...) to condition keys and their values.
	Condition map[string]map[string][]string
}

// Principals is a Principal or NotPrincipal element. Wildcard is the bare
// "*" form.
type Principals struct {
	Wildcard  bool
	AWS       []string
	Service   []string
	Federated []string
}

// Parse reads a policy document from JSON.
func Parse(name string, doc []byte) (*Policy, error) {
	var v any
	if err := json.Unmarshal(doc, &v); err != nil {
		return nil, fmt.Errorf("policy %s: %w", name, err)
	}
	return FromValue(name, v)
}

// FromValue reads a policy document already decoded from JSON (as a
// CloudFormation template holds it, intrinsics resolved).
func FromValue(name string, v any) (*Policy, error) {
	doc, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("policy %s: a policy document is a JSON object", name)
	}
	p := &Policy{Name: name}
	var stmts []any
	switch s := doc["Statement"].(type) {
	case []any:
		stmts = s
	case map[string]any:
		stmts = []any{s}
	case nil:
		return nil, fmt.Errorf("policy %s: no Statement", name)
	default:
		return nil, fmt.Errorf("policy %s: Statement must be an object or an array", name)
	}
	for i, raw := range stmts {
		m, ok := raw.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("policy %s: Statement[%d] is not an object", name, i)
		}
		st, err := parseStatement(m)
		if err != nil {
			return nil, fmt.Errorf("policy %s: Statement[%d]: %w", name, i, err)
		}
		p.Statements = append(p.Statements, st)
	}
	return p, nil
}

func parseStatement(m map[string]any) (Statement, error) {
	var st Statement
	var err error
	for key, v := range m {
		switch key {
		case "Sid":
			st.Sid, _ = v.(string)
		case "Effect":
			st.Effect, _ = v.(string)
		case "Action":
			st.Action, err = stringList(key, v)
		case "NotAction":
			st.NotAction, err = stringList(key, v)
		case "Resource":
			st.Resource, err = stringList(key, v)
		case "NotResource":
			st.NotResource, err = stringList(key, v)
		case "Principal":
			st.Principal, err = parsePrincipals(v)
		case "NotPrincipal":
			st.NotPrincipal, err = parsePrincipals(v)
		case "Condition":
			st.Condition, err = parseCondition(v)
		default:
			return st, fmt.Errorf("unknown element %q", key)
		}
		if err != nil {
			return st, err
		}
	}
	if st.Effect != "Allow" && st.Effect != "Deny" {
		return st, fmt.Errorf("Effect must be Allow or Deny, not %q", st.Effect)
	}
	if st.Action == nil && st.NotAction == nil {
		return st, fmt.Errorf("no Action or NotAction")
	}
	return st, nil
}

func stringList(field string, v any) ([]string, error) {
	switch t := v.(type) {
	case string:
		return []string{t}, nil
	case []any:
		out := make([]string, 0, len(t))
		for _, e := range t {
			s, ok := e.(string)
			if !ok {
				return nil, fmt.Errorf("%s: every value must be a string (an unresolved intrinsic?): %v", field, e)
			}
			out = append(out, s)
		}
		return out, nil
	case bool:
		return []string{fmt.Sprint(t)}, nil
	case float64:
		return []string{fmt.Sprint(t)}, nil
	}
	return nil, fmt.Errorf("%s: must be a string or an array of strings, not %T", field, v)
}

func parsePrincipals(v any) (*Principals, error) {
	if s, ok := v.(string); ok {
		if s != "*" {
			return nil, fmt.Errorf("Principal: a string principal must be \"*\"")
		}
		return &Principals{Wildcard: true}, nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("Principal must be \"*\" or an object")
	}
	p := &Principals{}
	for key, raw := range m {
		list, err := stringList("Principal."+key, raw)
		if err != nil {
			return nil, err
		}
		switch key {
		case "AWS":
			p.AWS = list
		case "Service":
			p.Service = list
		case "Federated":
			p.Federated = list
		default:
			return nil, fmt.Errorf("Principal: unknown principal type %q", key)
		}
	}
	return p, nil
}

func parseCondition(v any) (map[string]map[string][]string, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("Condition must be an object")
	}
	out := map[string]map[string][]string{}
	for op, raw := range m {
		keys, ok := raw.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("Condition.%s must be an object", op)
		}
		out[op] = map[string][]string{}
		for key, vals := range keys {
			list, err := stringList("Condition."+op+"."+key, vals)
			if err != nil {
				return nil, err
			}
			out[op][key] = list
		}
	}
	return out, nil
}

// Principal is who makes a request.
type Principal struct {
	// ARN is the principal's IAM identity: a role ARN for a role session
	// (as aws:PrincipalArn reports it), arn:aws:iam::<account>:root for an
	// account's root. Empty for a service principal.
	ARN string
	// SessionARN is the assumed-role ARN of a role session, if any.
	SessionARN string
	Account    string
	// Service is a service principal such as states.amazonaws.com.
	Service string
}

// IsRoot reports whether p is an account's root.
func (p Principal) IsRoot() bool { return strings.HasSuffix(p.ARN, ":root") }

// Request is one authorization question.
type Request struct {
	Principal Principal
	Action    string // service:Action
	Resource  string
	// Context holds the condition keys of the request with their values.
	// Key names are matched case-insensitively, as IAM matches them.
	Context map[string][]string
}

// match says how a statement's Principal matched.
type match int

const (
	noMatch match = iota
	accountMatch
	directMatch
)

func (p *Principals) match(who Principal) match {
	if p == nil {
		return noMatch
	}
	if p.Wildcard {
		return directMatch
	}
	best := noMatch
	for _, s := range p.Service {
		if who.Service != "" && strings.EqualFold(s, who.Service) {
			return directMatch
		}
	}
	for _, a := range p.AWS {
		switch {
		case a == "*":
			return directMatch
		case who.Service != "":
			continue
		case a == who.ARN || (who.SessionARN != "" && a == who.SessionARN):
			return directMatch
		case a == who.Account || a == "arn:aws:iam::"+who.Account+":root":
			if who.IsRoot() {
				return directMatch
			}
			best = accountMatch
		}
	}
	return best
}

func wildcardMatch(pattern, s string, fold bool) bool {
	if fold {
		pattern, s = strings.ToLower(pattern), strings.ToLower(s)
	}
	// Iterative glob with * and ?.
	p, i := 0, 0
	star, mark := -1, 0
	for i < len(s) {
		switch {
		case p < len(pattern) && (pattern[p] == '?' || pattern[p] == s[i]):
			p++
			i++
		case p < len(pattern) && pattern[p] == '*':
			star, mark = p, i
			p++
		case star >= 0:
			p = star + 1
			mark++
			i = mark
		default:
			return false
		}
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}

func anyMatch(patterns []string, s string, fold bool) bool {
	return slices.ContainsFunc(patterns, func(p string) bool { return wildcardMatch(p, s, fold) })
}

// applies reports whether the statement's Action and Resource elements
// cover the request (principal and conditions aside).
func (st *Statement) applies(r Request) bool {
	if st.Action != nil && !anyMatch(st.Action, r.Action, true) {
		return false
	}
	if st.NotAction != nil && anyMatch(st.NotAction, r.Action, true) {
		return false
	}
	if st.Resource != nil && !anyMatch(st.Resource, r.Resource, false) {
		return false
	}
	if st.NotResource != nil && anyMatch(st.NotResource, r.Resource, false) {
		return false
	}
	return true
}
