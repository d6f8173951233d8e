package asl

import (
	"cmp"
	"fmt"
	"sort"
	"strings"
	"time"
)

// choiceRule is one rule of a Choice state: a boolean combination (And, Or,
// Not) or a test of the value at Variable. Only top-level rules have Next.
type choiceRule struct {
	next     string
	and, or  []*choiceRule
	not      *choiceRule
	variable *jsonPath
	operator string // as written, e.g. "NumericLessThanEquals" or "StringEqualsPath"
	test     *valueTest
	operand  any       // the literal to compare with
	path     *jsonPath // for the ...Path operators: where the operand is
}

// valueTest is what a comparison operator does once it has its operands.
type valueTest struct {
	kind   operandKind
	accept func(order int) bool // for comparisons: true for the wanted ordering
}

type operandKind int

const (
	stringOperand operandKind = iota
	numericOperand
	booleanOperand
	timestampOperand
	matchesOperand   // StringMatches
	typeCheckOperand // IsNull, IsPresent, IsNumeric, ...: the operand is a boolean
)

func orderings() map[string]func(int) bool {
	return map[string]func(int) bool{
		"Equals":            func(c int) bool { return c == 0 },
		"LessThan":          func(c int) bool { return c < 0 },
		"GreaterThan":       func(c int) bool { return c > 0 },
		"LessThanEquals":    func(c int) bool { return c <= 0 },
		"GreaterThanEquals": func(c int) bool { return c >= 0 },
	}
}

// comparisonOperators maps every operator name to its test; the ...Path
// variants share the test of the operator they extend.
var comparisonOperators = func() map[string]*valueTest {
	ops := map[string]*valueTest{"StringMatches": {kind: matchesOperand}}
	for prefix, kind := range map[string]operandKind{"String": stringOperand, "Numeric": numericOperand, "Timestamp": timestampOperand} {
		for suffix, accept := range orderings() {
			test := &valueTest{kind: kind, accept: accept}
			ops[prefix+suffix] = test
			ops[prefix+suffix+"Path"] = test
		}
	}
	booleanEquals := &valueTest{kind: booleanOperand, accept: func(c int) bool { return c == 0 }}
	ops["BooleanEquals"], ops["BooleanEqualsPath"] = booleanEquals, booleanEquals
	for _, name := range []string{"IsNull", "IsPresent", "IsNumeric", "IsString", "IsBoolean", "IsTimestamp"} {
		ops[name] = &valueTest{kind: typeCheckOperand}
	}
	return ops
}()

// parseChoiceRule compiles one rule; top says whether it is a top-level
// rule, which must have Next, rather than one nested in And, Or or Not.
func parseChoiceRule(f fields, top bool) (*choiceRule, error) {
	r := &choiceRule{}
	var operators []string
	for k := range f.m {
		if comparisonOperators[k] != nil {
			operators = append(operators, k)
		}
	}
	sort.Strings(operators)
	allowed := append([]string{"Variable", "And", "Or", "Not", "Comment"}, operators...)
	if top {
		allowed = append(allowed, "Next")
	}
	if err := f.only(allowed...); err != nil {
		return nil, err
	}
	var err error
	if top {
		if r.next, err = f.str("Next", true); err != nil {
			return nil, err
		}
	}
	combinators := 0
	for _, name := range []string{"And", "Or", "Not"} {
		if f.has(name) {
			combinators++
		}
	}
	switch {
	case combinators > 1 || (combinators == 1 && (len(operators) > 0 || f.has("Variable"))):
		return nil, f.errorf("", "a rule has either one of And, Or, Not or a Variable with one comparison")
	case combinators == 1:
		return r, parseCombinator(f, r)
	case len(operators) != 1:
		return nil, f.errorf("", "a rule needs exactly one comparison operator, found %d", len(operators))
	}
	variable, err := f.str("Variable", true)
	if err != nil {
		return nil, err
	}
	if r.variable, err = parsePath(variable); err != nil {
		return nil, f.errorf("Variable", "%v", err)
	}
	r.operator = operators[0]
	r.test = comparisonOperators[r.operator]
	return r, parseOperand(f, r)
}

func parseCombinator(f fields, r *choiceRule) error {
	if f.has("Not") {
		inner, ok, err := f.object("Not")
		if err != nil {
			return err
		}
		if ok {
			r.not, err = parseChoiceRule(inner, false)
		}
		return err
	}
	name := "And"
	if f.has("Or") {
		name = "Or"
	}
	entries, err := f.objects(name)
	if err != nil {
		return err
	}
	if len(entries) == 0 {
		return f.errorf(name, "must list at least one rule")
	}
	rules := make([]*choiceRule, len(entries))
	for i, e := range entries {
		if rules[i], err = parseChoiceRule(e, false); err != nil {
			return err
		}
	}
	if name == "And" {
		r.and = rules
	} else {
		r.or = rules
	}
	return nil
}

func parseOperand(f fields, r *choiceRule) error {
	v := f.m[r.operator]
	if strings.HasSuffix(r.operator, "Path") {
		s, ok := v.(string)
		if !ok {
			return f.errorf(r.operator, "must be a path string, not %s", jsonType(v))
		}
		p, err := parsePath(s)
		if err != nil {
			return f.errorf(r.operator, "%v", err)
		}
		r.path = p
		return nil
	}
	r.operand = v
	ok := false
	switch r.test.kind {
	case stringOperand, matchesOperand:
		_, ok = v.(string)
	case numericOperand:
		_, ok = number(v)
	case booleanOperand, typeCheckOperand:
		_, ok = v.(bool)
	case timestampOperand:
		if s, isString := v.(string); isString {
			_, ok = parseTimestamp(s)
		}
	}
	if !ok {
		return f.errorf(r.operator, "has an operand of the wrong type: %s", string(encodeJSON(v)))
	}
	return nil
}

// eval applies the rule to the state's effective input. A Variable or
// operand path that matches nothing is a runtime error, except for
// IsPresent, whose whole purpose is to ask.
func (r *choiceRule) eval(env *evalEnv) (bool, error) {
	switch {
	case r.not != nil:
		ok, err := r.not.eval(env)
		return !ok, err
	case r.and != nil:
		for _, inner := range r.and {
			if ok, err := inner.eval(env); err != nil || !ok {
				return false, err
			}
		}
		return true, nil
	case r.or != nil:
		for _, inner := range r.or {
			if ok, err := inner.eval(env); err != nil || ok {
				return ok, err
			}
		}
		return false, nil
	}
	value, err := env.query(r.variable)
	if r.operator == "IsPresent" {
		return (err == nil) == r.operand.(bool), nil
	}
	if err != nil {
		return false, fmt.Errorf("Variable: %w", err)
	}
	if r.test.kind == typeCheckOperand {
		return typeCheck(r.operator, value) == r.operand.(bool), nil
	}
	operand := r.operand
	if r.path != nil {
		if operand, err = env.query(r.path); err != nil {
			return false, fmt.Errorf("%s: %w", r.operator, err)
		}
	}
	return r.test.apply(value, operand), nil
}

func typeCheck(operator string, v any) bool {
	switch operator {
	case "IsNull":
		return v == nil
	case "IsNumeric":
		_, ok := number(v)
		return ok
	case "IsString":
		_, ok := v.(string)
		return ok
	case "IsBoolean":
		_, ok := v.(bool)
		return ok
	case "IsTimestamp":
		s, ok := v.(string)
		if ok {
			_, ok = parseTimestamp(s)
		}
		return ok
	}
	return false
}

// apply compares value with operand. Values of another type than the
// operator's never match, as the spec says.
func (t *valueTest) apply(value, operand any) bool {
	switch t.kind {
	case stringOperand:
		a, ok1 := value.(string)
		b, ok2 := operand.(string)
		return ok1 && ok2 && t.accept(strings.Compare(a, b))
	case matchesOperand:
		a, ok1 := value.(string)
		b, ok2 := operand.(string)
		return ok1 && ok2 && wildcardMatch(b, a)
	case numericOperand:
		a, ok1 := number(value)
		b, ok2 := number(operand)
		return ok1 && ok2 && t.accept(cmp.Compare(a, b))
	case booleanOperand:
		a, ok1 := value.(bool)
		b, ok2 := operand.(bool)
		return ok1 && ok2 && a == b
	case timestampOperand:
		as, ok1 := value.(string)
		bs, ok2 := operand.(string)
		if !ok1 || !ok2 {
			return false
		}
		a, ok1 := parseTimestamp(as)
		b, ok2 := parseTimestamp(bs)
		return ok1 && ok2 && t.accept(a.Compare(b))
	}
	return false
}

// parseTimestamp reads an RFC 3339 timestamp with an uppercase T and a zone,
// as the Timestamp comparisons and Wait's Timestamp require.
func parseTimestamp(s string) (time.Time, bool) {
	t, err := time.Parse(time.RFC3339Nano, s)
	return t, err == nil
}

// wildcardMatch reports whether s matches pattern, in which * matches any
// run of characters and a backslash makes the next character literal.
func wildcardMatch(pattern, s string) bool {
	if pattern == "" {
		return s == ""
	}
	switch {
	case pattern[0] == '*':
		for i := 0; i <= len(s); i++ {
			if wildcardMatch(pattern[1:], s[i:]) {
				return true
			}
		}
		return false
	case pattern[0] == '\\' && len(pattern) > 1:
		pattern = pattern[1:]
	}
	return s != "" && s[0] == pattern[0] && wildcardMatch(pattern[1:], s[1:])
}
