package iampolicy

import (
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"
)

// UnsupportedError says which condition key or operator the evaluator does
// not know. A statement that uses one cannot be decided, so the request is
// denied and the error names it.
type UnsupportedError struct {
	Policy, Sid string
	Key         string // the condition key, when that is what is unknown
	Operator    string // the operator, when that is what is unknown
}

func (e *UnsupportedError) Error() string {
	where := e.Policy
	if e.Sid != "" {
		where += " (Sid " + e.Sid + ")"
	}
	if e.Key != "" {
		return fmt.Sprintf("the local IAM evaluator does not support the condition key %s used in %s", e.Key, where)
	}
	return fmt.Sprintf("the local IAM evaluator does not support the condition operator %s used in %s", e.Operator, where)
}

// knownKeys are the global and service condition keys the local stack
// supplies in request contexts (lower-cased). knownPrefixes are the
// families whose members it supplies (tags, encryption context).
var knownKeys = map[string]bool{
	"aws:principalarn": true, "aws:principalaccount": true, "aws:principalorgid": true, "aws:principaltype": true,
	"aws:userid": true, "aws:securetransport": true, "aws:sourceaccount": true, "aws:sourcearn": true,
	"aws:sourceip": true, "aws:currenttime": true, "aws:epochtime": true, "aws:requestedregion": true,
	"aws:principalisawsservice": true, "aws:principalservicename": true,
	"kms:viaservice": true, "kms:calleraccount": true, "kms:encryptioncontextkeys": true,
	"sts:externalid": true, "sts:rolesessionname": true,
	"sns:protocol": true, "sns:endpoint": true,
	"secretsmanager:secretid": true, "secretsmanager:versionstage": true, "secretsmanager:versionid": true,
	"secretsmanager:name": true, "secretsmanager:kmskeyid": true,
	"lambda:functionarn": true,
}

var knownPrefixes = []string{
	"aws:resourcetag/", "aws:requesttag/", "secretsmanager:resourcetag/", "kms:encryptioncontext:",
}

// KnownKey reports whether the evaluator knows the condition key.
func KnownKey(key string) bool {
	k := strings.ToLower(key)
	if knownKeys[k] {
		return true
	}
	for _, p := range knownPrefixes {
		if strings.HasPrefix(k, p) && len(k) > len(p) {
			return true
		}
	}
	return false
}

// lookup finds a key in a request context, case-insensitively.
func lookup(ctx map[string][]string, key string) ([]string, bool) {
	if v, ok := ctx[key]; ok {
		return v, true
	}
	for k, v := range ctx {
		if strings.EqualFold(k, key) {
			return v, true
		}
	}
	return nil, false
}

// conditionsHold evaluates a statement's Condition block: every operator
// and every key in it must hold (AND); the values of one key are
// alternatives (OR).
func (st *Statement) conditionsHold(policy string, ctx map[string][]string) (bool, error) {
	for op, keys := range st.Condition {
		for key, values := range keys {
			if !KnownKey(key) {
				return false, &UnsupportedError{Policy: policy, Sid: st.Sid, Key: key}
			}
			ok, known := evalOperator(op, values, ctx, key)
			if !known {
				return false, &UnsupportedError{Policy: policy, Sid: st.Sid, Operator: op}
			}
			if !ok {
				return false, nil
			}
		}
	}
	return true, nil
}

// evalOperator applies one operator to one key. known is false for an
// operator the evaluator does not implement.
func evalOperator(op string, policyValues []string, ctx map[string][]string, key string) (result, known bool) {
	set := ""
	if before, after, ok := strings.Cut(op, ":"); ok {
		set, op = before, after
		if set != "ForAnyValue" && set != "ForAllValues" {
			return false, false
		}
	}
	ifExists := false
	if base, ok := strings.CutSuffix(op, "IfExists"); ok && op != "Null" {
		op, ifExists = base, true
	}
	ctxValues, present := lookup(ctx, key)
	if op == "Null" {
		if len(policyValues) != 1 {
			return false, true
		}
		want := strings.EqualFold(policyValues[0], "true")
		return want == (!present || len(ctxValues) == 0), true
	}
	cmp, negated, ok := comparator(op)
	if !ok {
		return false, false
	}
	if !present || len(ctxValues) == 0 {
		switch {
		case ifExists:
			return true, true
		case set == "ForAllValues":
			return true, true
		case set == "ForAnyValue":
			return false, true
		}
		return negated, true
	}
	matchesOne := func(v string) bool {
		for _, p := range policyValues {
			if cmp(p, v) {
				return true
			}
		}
		return false
	}
	switch set {
	case "ForAllValues":
		for _, v := range ctxValues {
			if matchesOne(v) == negated {
				return false, true
			}
		}
		return true, true
	default: // single-valued keys and ForAnyValue: any context value
		if negated {
			// A negated operator holds when no context value matches.
			for _, v := range ctxValues {
				if !matchesOne(v) {
					continue
				}
				return false, true
			}
			return true, true
		}
		for _, v := range ctxValues {
			if matchesOne(v) {
				return true, true
			}
		}
		return false, true
	}
}

// comparator returns the positive comparison behind an operator and
// whether the operator negates it.
func comparator(op string) (func(policy, value string) bool, bool, bool) {
	switch op {
	case "StringEquals":
		return func(p, v string) bool { return p == v }, false, true
	case "StringNotEquals":
		return func(p, v string) bool { return p == v }, true, true
	case "StringEqualsIgnoreCase":
		return strings.EqualFold, false, true
	case "StringNotEqualsIgnoreCase":
		return strings.EqualFold, true, true
	case "StringLike":
		return func(p, v string) bool { return wildcardMatch(p, v, false) }, false, true
	case "StringNotLike":
		return func(p, v string) bool { return wildcardMatch(p, v, false) }, true, true
	case "ArnEquals", "ArnLike":
		return arnLike, false, true
	case "ArnNotEquals", "ArnNotLike":
		return arnLike, true, true
	case "Bool":
		return strings.EqualFold, false, true
	case "NumericEquals", "NumericNotEquals", "NumericLessThan", "NumericLessThanEquals", "NumericGreaterThan", "NumericGreaterThanEquals":
		return numeric(op), op == "NumericNotEquals", true
	case "DateEquals", "DateNotEquals", "DateLessThan", "DateLessThanEquals", "DateGreaterThan", "DateGreaterThanEquals":
		return date(op), op == "DateNotEquals", true
	case "IpAddress":
		return ipIn, false, true
	case "NotIpAddress":
		return ipIn, true, true
	}
	return nil, false, false
}

// arnLike compares ARNs component by component, each with wildcards.
func arnLike(p, v string) bool {
	pp, vp := strings.SplitN(p, ":", 6), strings.SplitN(v, ":", 6)
	if len(pp) != 6 || len(vp) != 6 {
		return wildcardMatch(p, v, false)
	}
	for i := range pp {
		if !wildcardMatch(pp[i], vp[i], false) {
			return false
		}
	}
	return true
}

func numeric(op string) func(p, v string) bool {
	return func(p, v string) bool {
		a, err1 := strconv.ParseFloat(v, 64)
		b, err2 := strconv.ParseFloat(p, 64)
		if err1 != nil || err2 != nil {
			return false
		}
		return compareOrdered(op, a, b)
	}
}

func date(op string) func(p, v string) bool {
	parse := func(s string) (float64, bool) {
		if t, err := time.Parse(time.RFC3339, s); err == nil {
			return float64(t.Unix()), true
		}
		if n, err := strconv.ParseFloat(s, 64); err == nil {
			return n, true
		}
		return 0, false
	}
	return func(p, v string) bool {
		a, ok1 := parse(v)
		b, ok2 := parse(p)
		return ok1 && ok2 && compareOrdered(op, a, b)
	}
}

func compareOrdered(op string, a, b float64) bool {
	switch {
	case strings.HasSuffix(op, "NotEquals"), strings.HasSuffix(op, "Equals") && !strings.Contains(op, "Than"):
		return a == b
	case strings.HasSuffix(op, "LessThan"):
		return a < b
	case strings.HasSuffix(op, "LessThanEquals"):
		return a <= b
	case strings.HasSuffix(op, "GreaterThan"):
		return a > b
	case strings.HasSuffix(op, "GreaterThanEquals"):
		return a >= b
	}
	return false
}

func ipIn(p, v string) bool {
	ip := net.ParseIP(v)
	if ip == nil {
		return false
	}
	if !strings.Contains(p, "/") {
		return ip.Equal(net.ParseIP(p))
	}
	_, n, err := net.ParseCIDR(p)
	return err == nil && n.Contains(ip)
}
