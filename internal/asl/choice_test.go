package asl

import "testing"

const choiceInput = `{"s": "beta", "n": 5, "b": true, "t": "2025-01-01T12:00:00Z", "z": null,
	"other": {"s": "beta", "n": 7, "t": "2024-12-31T00:00:00+01:00"}}`

func TestChoiceRuleOperators(t *testing.T) {
	tests := []struct {
		rule string
		want bool
	}{
		{`"Variable": "$.s", "StringEquals": "beta"`, true},
		{`"Variable": "$.s", "StringEquals": "Beta"`, false},
		{`"Variable": "$.s", "StringLessThan": "gamma"`, true},
		{`"Variable": "$.s", "StringGreaterThanEquals": "beta"`, true},
		{`"Variable": "$.s", "StringEqualsPath": "$.other.s"`, true},
		{`"Variable": "$.s", "StringMatches": "b*a"`, true},
		{`"Variable": "$.s", "StringMatches": "b\\*"`, false},
		{`"Variable": "$.n", "StringEquals": "5"`, false},
		{`"Variable": "$.n", "NumericEquals": 5.0`, true},
		{`"Variable": "$.n", "NumericLessThan": 5`, false},
		{`"Variable": "$.n", "NumericLessThanEquals": 5`, true},
		{`"Variable": "$.n", "NumericGreaterThan": 4.5`, true},
		{`"Variable": "$.n", "NumericLessThanPath": "$.other.n"`, true},
		{`"Variable": "$.s", "NumericEquals": 5`, false},
		{`"Variable": "$.b", "BooleanEquals": true`, true},
		{`"Variable": "$.b", "BooleanEqualsPath": "$.s"`, false},
		{`"Variable": "$.t", "TimestampEquals": "2025-01-01T13:00:00+01:00"`, true},
		{`"Variable": "$.t", "TimestampGreaterThanPath": "$.other.t"`, true},
		{`"Variable": "$.s", "TimestampLessThan": "2030-01-01T00:00:00Z"`, false},
		{`"Variable": "$.z", "IsNull": true`, true},
		{`"Variable": "$.s", "IsNull": true`, false},
		{`"Variable": "$.missing", "IsPresent": false`, true},
		{`"Variable": "$.z", "IsPresent": true`, true},
		{`"Variable": "$.n", "IsNumeric": true`, true},
		{`"Variable": "$.s", "IsString": true`, true},
		{`"Variable": "$.b", "IsBoolean": false`, false},
		{`"Variable": "$.t", "IsTimestamp": true`, true},
		{`"Variable": "$.s", "IsTimestamp": true`, false},
		{`"And": [{"Variable": "$.n", "NumericEquals": 5}, {"Variable": "$.b", "BooleanEquals": false}]`, false},
		{`"Or": [{"Variable": "$.n", "NumericEquals": 6}, {"Variable": "$.b", "BooleanEquals": true}]`, true},
		{`"Not": {"Variable": "$.s", "StringEquals": "beta"}`, false},
		{`"And": [{"Variable": "$.missing", "IsPresent": true}, {"Variable": "$.missing", "StringEquals": "never evaluated"}]`, false},
	}
	for _, tt := range tests {
		t.Run(tt.rule, func(t *testing.T) {
			rule, err := parseChoiceRule(fields{m: jsonOf(t, `{`+tt.rule+`, "Next": "X"}`).(map[string]any)}, true)
			if err != nil {
				t.Fatal(err)
			}
			got, err := rule.eval(&evalEnv{input: jsonOf(t, choiceInput)})
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("rule matched = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestChoiceRuleOnAMissingVariableFails(t *testing.T) {
	for _, rule := range []string{`"Variable": "$.missing", "StringEquals": "x"`, `"Variable": "$.s", "StringEqualsPath": "$.missing"`} {
		r, err := parseChoiceRule(fields{m: jsonOf(t, `{`+rule+`, "Next": "X"}`).(map[string]any)}, true)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := r.eval(&evalEnv{input: jsonOf(t, choiceInput)}); err == nil {
			t.Errorf("%s matched = %v, want an error", rule, got)
		}
	}
}

func TestWildcardMatch(t *testing.T) {
	tests := []struct {
		pattern, s string
		want       bool
	}{
		{"*", "", true},
		{"log-*.txt", "log-2025.txt", true},
		{"log-*.txt", "log-2025.csv", false},
		{"a*b*c", "aXbYbZc", true},
		{`literal\*star`, "literal*star", true},
		{`literal\*star`, "literalXstar", false},
		{`back\\slash`, `back\slash`, true},
	}
	for _, tt := range tests {
		if got := wildcardMatch(tt.pattern, tt.s); got != tt.want {
			t.Errorf("wildcardMatch(%q, %q) = %v, want %v", tt.pattern, tt.s, got, tt.want)
		}
	}
}
