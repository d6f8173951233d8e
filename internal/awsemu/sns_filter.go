package awsemu

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// filterPolicy is a parsed SNS subscription filter policy on message
// attributes: every attribute named must match one of its conditions.
type filterPolicy map[string][]filterCondition

type conditionKind int

const (
	matchExact       conditionKind = iota // "value" or 42
	matchAnythingBut                      // {"anything-but": "v" | ["v", …] | 42 | {"prefix": "p"}}
	matchExists                           // {"exists": true|false}
	matchPrefix                           // {"prefix": "p"}
)

// filterCondition is one entry of a policy attribute's list.
type filterCondition struct {
	kind    conditionKind
	strings []string  // exact or anything-but string values
	numbers []float64 // exact or anything-but numeric values
	prefix  string    // prefix, or anything-but prefix
	exists  bool
}

// attributeValue is a message attribute as filter policies see it.
type attributeValue struct {
	dataType string // String, String.Array, Number or Binary, possibly with a custom ".suffix"
	value    string
}

// parseFilterPolicy parses the JSON of a FilterPolicy attribute, rejecting
// what SNS rejects: anything but an object of non-empty arrays of strings,
// numbers and the supported operators.
//
// It also enforces the documented filter policy constraints: "A filter
// policy can have a maximum of five keys", "The total combination of values
// in a filter policy must not exceed 150" (the product of the number of
// values in each array), "The maximum size of a filter policy is 256 KB",
// and numeric values "can range from -10^9 to 10^9".
func parseFilterPolicy(raw string) (filterPolicy, error) {
	if len(raw) > maxFilterPolicySize {
		return nil, fmt.Errorf("filter policy is larger than 256 KB")
	}
	var doc map[string]json.RawMessage
	if err := json.Unmarshal([]byte(raw), &doc); err != nil {
		return nil, fmt.Errorf("filter policy is not a JSON object: %w", err)
	}
	if len(doc) > maxFilterPolicyKeys {
		return nil, fmt.Errorf("filter policy can not have more than %d keys", maxFilterPolicyKeys)
	}
	combinations := 1
	policy := filterPolicy{}
	for name, rawConditions := range doc {
		var items []json.RawMessage
		if err := json.Unmarshal(rawConditions, &items); err != nil {
			return nil, fmt.Errorf("match value of %q must be an array", name)
		}
		if len(items) == 0 {
			return nil, fmt.Errorf("match value of %q must not be empty", name)
		}
		if combinations *= len(items); combinations > maxFilterPolicyCombinations {
			return nil, fmt.Errorf("filter policy is too complex: more than %d combinations of values", maxFilterPolicyCombinations)
		}
		for _, item := range items {
			c, err := parseCondition(item)
			if err != nil {
				return nil, fmt.Errorf("attribute %q: %w", name, err)
			}
			for _, n := range c.numbers {
				if n < -maxFilterNumber || n > maxFilterNumber {
					return nil, fmt.Errorf("attribute %q: numeric values must be between -1e9 and 1e9", name)
				}
			}
			policy[name] = append(policy[name], c)
		}
	}
	return policy, nil
}

// Filter policy constraints of the SNS developer guide.
const (
	maxFilterPolicySize         = 256 * 1024
	maxFilterPolicyKeys         = 5
	maxFilterPolicyCombinations = 150
	maxFilterNumber             = 1e9
)

func parseCondition(raw json.RawMessage) (filterCondition, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) > 0 && raw[0] != '{' {
		c := filterCondition{kind: matchExact}
		if err := c.addValues(raw); err != nil {
			return filterCondition{}, err
		}
		return c, nil
	}
	var op map[string]json.RawMessage
	if err := json.Unmarshal(raw, &op); err != nil || len(op) != 1 {
		return filterCondition{}, fmt.Errorf("an operator must be an object with exactly one key")
	}
	var name string
	var arg json.RawMessage
	for name, arg = range op { // the only key
	}
	switch name {
	case "exists":
		c := filterCondition{kind: matchExists}
		if err := json.Unmarshal(arg, &c.exists); err != nil {
			return filterCondition{}, fmt.Errorf("exists takes true or false")
		}
		return c, nil
	case "prefix":
		c := filterCondition{kind: matchPrefix}
		if err := json.Unmarshal(arg, &c.prefix); err != nil {
			return filterCondition{}, fmt.Errorf("prefix takes a string")
		}
		return c, nil
	case "anything-but":
		return parseAnythingBut(arg)
	default:
		return filterCondition{}, fmt.Errorf("unsupported operator %q", name)
	}
}

func parseAnythingBut(arg json.RawMessage) (filterCondition, error) {
	c := filterCondition{kind: matchAnythingBut}
	arg = bytes.TrimSpace(arg)
	switch {
	case len(arg) > 0 && arg[0] == '{':
		var prefix struct {
			Prefix *string `json:"prefix"`
		}
		if err := json.Unmarshal(arg, &prefix); err != nil || prefix.Prefix == nil {
			return filterCondition{}, fmt.Errorf("anything-but takes a value, a list of values, or {\"prefix\": …}")
		}
		c.prefix = *prefix.Prefix
		return c, nil
	case len(arg) > 0 && arg[0] == '[':
		var items []json.RawMessage
		if err := json.Unmarshal(arg, &items); err != nil || len(items) == 0 {
			return filterCondition{}, fmt.Errorf("anything-but list must be a non-empty array")
		}
		for _, item := range items {
			if err := c.addValues(item); err != nil {
				return filterCondition{}, err
			}
		}
		return c, nil
	default:
		return c, c.addValues(arg)
	}
}

// addValues adds one JSON string or number literal to the condition.
func (c *filterCondition) addValues(raw json.RawMessage) error {
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		c.strings = append(c.strings, s)
		return nil
	}
	var n float64
	if err := json.Unmarshal(raw, &n); err == nil {
		c.numbers = append(c.numbers, n)
		return nil
	}
	return fmt.Errorf("match values must be strings, numbers or operators")
}

// matches reports whether a message with the given attributes passes the
// policy. Binary attributes never match, as in SNS.
func (p filterPolicy) matches(attrs map[string]attributeValue) bool {
	for name, conditions := range p {
		attr, present := attrs[name]
		if present && baseType(attr.dataType) == "Binary" {
			present = false
		}
		if !slices.ContainsFunc(conditions, func(c filterCondition) bool { return c.matches(attr, present) }) {
			return false
		}
	}
	return true
}

func (c filterCondition) matches(attr attributeValue, present bool) bool {
	if c.kind == matchExists {
		return present == c.exists
	}
	if !present {
		return false
	}
	values := attr.values()
	switch c.kind {
	case matchExact:
		return slices.ContainsFunc(values, c.equalsAny)
	case matchPrefix:
		return slices.ContainsFunc(values, func(v string) bool { return strings.HasPrefix(v, c.prefix) })
	case matchAnythingBut:
		if c.prefix != "" {
			return !slices.ContainsFunc(values, func(v string) bool { return strings.HasPrefix(v, c.prefix) })
		}
		return !slices.ContainsFunc(values, c.equalsAny)
	}
	return false
}

// equalsAny compares an attribute value with the condition's literals:
// strings exactly, numbers numerically (so "5.0" equals 5).
func (c filterCondition) equalsAny(v string) bool {
	if slices.Contains(c.strings, v) {
		return true
	}
	if len(c.numbers) == 0 {
		return false
	}
	n, err := strconv.ParseFloat(v, 64)
	return err == nil && slices.Contains(c.numbers, n)
}

// values lists what a policy compares: the elements of a String.Array, or
// the single value of any other type.
func (a attributeValue) values() []string {
	if baseType(a.dataType) != "String.Array" {
		return []string{a.value}
	}
	var elems []any
	if err := json.Unmarshal([]byte(a.value), &elems); err != nil {
		return nil
	}
	out := make([]string, 0, len(elems))
	for _, e := range elems {
		switch e := e.(type) {
		case string:
			out = append(out, e)
		case float64:
			out = append(out, strconv.FormatFloat(e, 'f', -1, 64))
		}
	}
	return out
}

// baseType strips a custom suffix: "String.team" is a String.
func baseType(dataType string) string {
	if dataType == "String.Array" {
		return dataType
	}
	base, _, _ := strings.Cut(dataType, ".")
	return base
}
