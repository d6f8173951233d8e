// Package localstack stands a synthesized CloudFormation template up on one
// machine: it deploys the template's resources into the local emulators
// (secrets, topics, roles and their policies, KMS key policies), runs every
// AWS::Lambda::Function as its real bootstrap binary under a local Lambda
// Runtime API, serves the Step Functions and Lambda APIs on the AWS
// emulator's endpoint with the template's state machines running under the
// local executor, authorizes every call against the template's IAM
// policies, and fires the template's EventBridge schedules.
package localstack

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
)

// Template is a CloudFormation template.
type Template struct {
	Parameters map[string]struct {
		Type    string `json:"Type"`
		Default any    `json:"Default"`
	} `json:"Parameters"`
	Mappings   map[string]map[string]map[string]any `json:"Mappings"`
	Conditions map[string]any                       `json:"Conditions"`
	Resources  map[string]*Resource                 `json:"Resources"`
	Outputs    map[string]struct {
		Value     any    `json:"Value"`
		Condition string `json:"Condition"`
	} `json:"Outputs"`
}

// Resource is one resource of a template.
type Resource struct {
	Type       string         `json:"Type"`
	Properties map[string]any `json:"Properties"`
	Metadata   map[string]any `json:"Metadata"`
	Condition  string         `json:"Condition"`
	DependsOn  any            `json:"DependsOn"`
}

// LoadTemplate reads a template file.
func LoadTemplate(path string) (*Template, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return ParseTemplate(b)
}

// ParseTemplate reads a template from JSON.
func ParseTemplate(b []byte) (*Template, error) {
	var t Template
	if err := json.Unmarshal(b, &t); err != nil {
		return nil, fmt.Errorf("template: %w", err)
	}
	if len(t.Resources) == 0 {
		return nil, fmt.Errorf("template: no Resources")
	}
	return &t, nil
}

// logicalIDs returns the template's resource ids in a stable order.
func (t *Template) logicalIDs() []string {
	ids := make([]string, 0, len(t.Resources))
	for id := range t.Resources {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// noValue is what AWS::NoValue resolves to: the property is removed.
type noValue struct{}

// resolver evaluates intrinsic functions against a stack being deployed.
type resolver struct {
	st *stackDeploy
}

func (r *resolver) resolve(v any) (any, error) {
	switch t := v.(type) {
	case map[string]any:
		if len(t) == 1 {
			for k, arg := range t {
				if k == "Ref" || strings.HasPrefix(k, "Fn::") {
					return r.intrinsic(k, arg)
				}
			}
		}
		out := make(map[string]any, len(t))
		for k, e := range t {
			rv, err := r.resolve(e)
			if err != nil {
				return nil, err
			}
			if _, skip := rv.(noValue); skip {
				continue
			}
			out[k] = rv
		}
		return out, nil
	case []any:
		out := make([]any, 0, len(t))
		for _, e := range t {
			rv, err := r.resolve(e)
			if err != nil {
				return nil, err
			}
			if _, skip := rv.(noValue); skip {
				continue
			}
			out = append(out, rv)
		}
		return out, nil
	}
	return v, nil
}

func (r *resolver) resolveString(v any) (string, error) {
	rv, err := r.resolve(v)
	if err != nil {
		return "", err
	}
	switch t := rv.(type) {
	case string:
		return t, nil
	case float64:
		return strconv.FormatFloat(t, 'f', -1, 64), nil
	case bool:
		return strconv.FormatBool(t), nil
	}
	return "", fmt.Errorf("expected a string, got %T", rv)
}

func (r *resolver) intrinsic(name string, arg any) (any, error) {
	switch name {
	case "Ref":
		s, ok := arg.(string)
		if !ok {
			return nil, fmt.Errorf("Ref: must name a resource or parameter")
		}
		return r.st.ref(s)
	case "Fn::GetAtt":
		var logical, attr string
		switch a := arg.(type) {
		case []any:
			if len(a) != 2 {
				return nil, fmt.Errorf("Fn::GetAtt: two elements")
			}
			logical, _ = a[0].(string)
			s, err := r.resolveString(a[1])
			if err != nil {
				return nil, fmt.Errorf("Fn::GetAtt: %w", err)
			}
			attr = s
		case string:
			logical, attr, _ = strings.Cut(a, ".")
		}
		return r.st.getAtt(logical, attr)
	case "Fn::Join":
		a, ok := arg.([]any)
		if !ok || len(a) != 2 {
			return nil, fmt.Errorf("Fn::Join: [delimiter, [values]]")
		}
		sep, _ := a[0].(string)
		list, err := r.resolve(a[1])
		if err != nil {
			return nil, err
		}
		items, ok := list.([]any)
		if !ok {
			return nil, fmt.Errorf("Fn::Join: the values must be a list")
		}
		parts := make([]string, 0, len(items))
		for _, it := range items {
			s, err := r.resolveString(it)
			if err != nil {
				return nil, fmt.Errorf("Fn::Join: %w", err)
			}
			parts = append(parts, s)
		}
		return strings.Join(parts, sep), nil
	case "Fn::Sub":
		var tmpl string
		vars := map[string]any{}
		switch a := arg.(type) {
		case string:
			tmpl = a
		case []any:
			if len(a) != 2 {
				return nil, fmt.Errorf("Fn::Sub: [template, {variables}]")
			}
			tmpl, _ = a[0].(string)
			m, _ := a[1].(map[string]any)
			for k, v := range m {
				vars[k] = v
			}
		}
		return r.sub(tmpl, vars)
	case "Fn::Select":
		a, ok := arg.([]any)
		if !ok || len(a) != 2 {
			return nil, fmt.Errorf("Fn::Select: [index, list]")
		}
		idxS, err := r.resolveString(a[0])
		if err != nil {
			return nil, err
		}
		idx, err := strconv.Atoi(idxS)
		if err != nil {
			return nil, fmt.Errorf("Fn::Select: index %q", idxS)
		}
		list, err := r.resolve(a[1])
		if err != nil {
			return nil, err
		}
		items, ok := list.([]any)
		if !ok || idx < 0 || idx >= len(items) {
			return nil, fmt.Errorf("Fn::Select: index %d out of range", idx)
		}
		return items[idx], nil
	case "Fn::Split":
		a, ok := arg.([]any)
		if !ok || len(a) != 2 {
			return nil, fmt.Errorf("Fn::Split: [delimiter, string]")
		}
		sep, _ := a[0].(string)
		s, err := r.resolveString(a[1])
		if err != nil {
			return nil, err
		}
		var out []any
		for _, p := range strings.Split(s, sep) {
			out = append(out, p)
		}
		return out, nil
	case "Fn::If":
		a, ok := arg.([]any)
		if !ok || len(a) != 3 {
			return nil, fmt.Errorf("Fn::If: [condition, then, else]")
		}
		cond, _ := a[0].(string)
		holds, err := r.st.condition(cond)
		if err != nil {
			return nil, err
		}
		if holds {
			return r.resolve(a[1])
		}
		return r.resolve(a[2])
	case "Fn::Equals", "Fn::Not", "Fn::And", "Fn::Or":
		return r.conditionValue(name, arg)
	case "Fn::Base64":
		s, err := r.resolveString(arg)
		if err != nil {
			return nil, err
		}
		return base64.StdEncoding.EncodeToString([]byte(s)), nil
	case "Fn::GetAZs":
		reg := r.st.region
		return []any{reg + "a", reg + "b", reg + "c"}, nil
	case "Fn::FindInMap":
		a, ok := arg.([]any)
		if !ok || len(a) != 3 {
			return nil, fmt.Errorf("Fn::FindInMap: [map, top key, second key]")
		}
		var keys [3]string
		for i := range a {
			s, err := r.resolveString(a[i])
			if err != nil {
				return nil, err
			}
			keys[i] = s
		}
		v, ok := r.st.tmpl.Mappings[keys[0]][keys[1]][keys[2]]
		if !ok {
			return nil, fmt.Errorf("Fn::FindInMap: no %s.%s.%s", keys[0], keys[1], keys[2])
		}
		return v, nil
	}
	return nil, fmt.Errorf("intrinsic function %s is not supported by the local stack", name)
}

// conditionValue evaluates a condition function to a bool.
func (r *resolver) conditionValue(name string, arg any) (any, error) {
	a, _ := arg.([]any)
	switch name {
	case "Fn::Equals":
		if len(a) != 2 {
			return nil, fmt.Errorf("Fn::Equals: two values")
		}
		x, err := r.resolve(a[0])
		if err != nil {
			return nil, err
		}
		y, err := r.resolve(a[1])
		if err != nil {
			return nil, err
		}
		return fmt.Sprint(x) == fmt.Sprint(y), nil
	case "Fn::Not":
		if len(a) != 1 {
			return nil, fmt.Errorf("Fn::Not: one condition")
		}
		v, err := r.condArg(a[0])
		return !v, err
	case "Fn::And", "Fn::Or":
		all := name == "Fn::And"
		for _, e := range a {
			v, err := r.condArg(e)
			if err != nil {
				return nil, err
			}
			if all && !v {
				return false, nil
			}
			if !all && v {
				return true, nil
			}
		}
		return all, nil
	}
	return nil, fmt.Errorf("unknown condition function %s", name)
}

func (r *resolver) condArg(v any) (bool, error) {
	if m, ok := v.(map[string]any); ok {
		if c, ok := m["Condition"].(string); ok && len(m) == 1 {
			return r.st.condition(c)
		}
	}
	rv, err := r.resolve(v)
	if err != nil {
		return false, err
	}
	b, ok := rv.(bool)
	if !ok {
		return false, fmt.Errorf("a condition must evaluate to true or false")
	}
	return b, nil
}

// sub expands ${Name}, ${Resource.Attr} and ${!Literal} in a Fn::Sub
// template.
func (r *resolver) sub(tmpl string, vars map[string]any) (string, error) {
	var b strings.Builder
	for {
		i := strings.Index(tmpl, "${")
		if i < 0 {
			b.WriteString(tmpl)
			return b.String(), nil
		}
		b.WriteString(tmpl[:i])
		j := strings.Index(tmpl[i:], "}")
		if j < 0 {
			return "", fmt.Errorf("Fn::Sub: unterminated ${ in %q", tmpl)
		}
		name := tmpl[i+2 : i+j]
		tmpl = tmpl[i+j+1:]
		if strings.HasPrefix(name, "!") {
			b.WriteString("${" + name[1:] + "}")
			continue
		}
		var val any
		var err error
		if v, ok := vars[name]; ok {
			val, err = r.resolve(v)
		} else if logical, attr, ok := strings.Cut(name, "."); ok {
			val, err = r.st.getAtt(logical, attr)
		} else {
			val, err = r.st.ref(name)
		}
		if err != nil {
			return "", err
		}
		s, err := r.resolveString(val)
		if err != nil {
			return "", fmt.Errorf("Fn::Sub ${%s}: %w", name, err)
		}
		b.WriteString(s)
	}
}

// physicalName is the name CloudFormation generates for a resource
// without an explicit one: <stack>-<logical id>-<suffix>, here with a
// suffix derived from the logical id so that it is the same every run.
func physicalName(stack, logical string, maxLen int) string {
	sum := sha256.Sum256([]byte(stack + "/" + logical))
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	suffix := make([]byte, 12)
	for i := range suffix {
		suffix[i] = alphabet[int(sum[i])%len(alphabet)]
	}
	name := stack + "-" + logical
	if room := maxLen - len(suffix) - 1; len(name) > room {
		name = name[:room]
	}
	return name + "-" + string(suffix)
}
