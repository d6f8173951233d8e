// Package templatelimits measures a synthesized cloud assembly against the
// CloudFormation and IAM limits that apply at deploy time: every template's
// resources, outputs, parameters and size, and every IAM role's inline
// policies and trust policy, with references rendered at their longest. The
// CDK app checks its assembly with it at every synth; the benchmarks report
// with it.
package templatelimits

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"unicode"

	"github.com/ddrotate/ddrotate/shared/deploy"
)

// TemplateStats is what the CloudFormation and IAM limits apply to in one
// synthesized template.
type TemplateStats struct {
	File                           string // base name in the cloud assembly
	Resources, Outputs, Parameters int
	Bytes                          int
	Roles                          []RoleStats
}

// RoleStats sizes one IAM role's policies as IAM counts them (characters
// other than white space), with every reference the template resolves at
// deploy time rendered as the longest value it can take.
type RoleStats struct {
	ID                      string // logical id
	PolicyChars, TrustChars int
}

// Stats reads every template the app synthesized into dir: the
// stacks' and their nested stacks'.
func Stats(dir string) ([]TemplateStats, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.template.json"))
	if err != nil {
		return nil, err
	}
	slices.Sort(files)
	var stats []TemplateStats
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			return nil, err
		}
		var template map[string]any
		if err := json.Unmarshal(data, &template); err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
		stats = append(stats, statsOf(filepath.Base(file), data, template))
	}
	return stats, nil
}

func statsOf(file string, data []byte, template map[string]any) TemplateStats {
	resources, _ := template["Resources"].(map[string]any)
	outputs, _ := template["Outputs"].(map[string]any)
	parameters, _ := template["Parameters"].(map[string]any)
	st := TemplateStats{File: file, Resources: len(resources), Outputs: len(outputs), Parameters: len(parameters), Bytes: len(data)}
	attached := map[string][]any{} // role id → documents of AWS::IAM::Policy resources attached to it
	for _, r := range resources {
		resource, _ := r.(map[string]any)
		if resource["Type"] != "AWS::IAM::Policy" {
			continue
		}
		props, _ := resource["Properties"].(map[string]any)
		roles, _ := props["Roles"].([]any)
		for _, role := range roles {
			if ref, ok := role.(map[string]any)["Ref"].(string); ok {
				attached[ref] = append(attached[ref], props["PolicyDocument"])
			}
		}
	}
	for _, id := range slices.Sorted(maps.Keys(resources)) {
		resource, _ := resources[id].(map[string]any)
		if resource["Type"] != "AWS::IAM::Role" {
			continue
		}
		props, _ := resource["Properties"].(map[string]any)
		role := RoleStats{ID: id, TrustChars: PolicyChars(props["AssumeRolePolicyDocument"])}
		policies, _ := props["Policies"].([]any)
		for _, p := range policies {
			policy, _ := p.(map[string]any)
			role.PolicyChars += PolicyChars(policy["PolicyDocument"])
		}
		for _, document := range attached[id] {
			role.PolicyChars += PolicyChars(document)
		}
		st.Roles = append(st.Roles, role)
	}
	return st
}

// Longest values of the references a policy holds, for sizing it before
// CloudFormation resolves them.
var (
	longestPseudo = map[string]string{
		"AWS::Partition": "aws-us-gov",
		"AWS::Region":    "ap-southeast-5",
		"AWS::AccountId": "123456789012",
		"AWS::URLSuffix": "amazonaws.com.cn",
	}
	// LongestReference stands for the ARN or id of a resource or a
	// parameter: Lambda function and state machine names go up to 64 and
	// 80 characters, so their ARNs to about 130.
	LongestReference = strings.Repeat("x", 140)
)

// PolicyChars renders a policy document with its references at their
// longest and counts its characters other than white space, as IAM does.
func PolicyChars(document any) int {
	data, _ := json.Marshal(renderReferences(document))
	n := 0
	for _, r := range string(data) {
		if !unicode.IsSpace(r) {
			n++
		}
	}
	return n
}

func renderReferences(v any) any {
	switch x := v.(type) {
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = renderReferences(e)
		}
		return out
	case map[string]any:
		if ref, ok := x["Ref"].(string); ok && len(x) == 1 {
			if pseudo, ok := longestPseudo[ref]; ok {
				return pseudo
			}
			return LongestReference
		}
		if _, ok := x["Fn::GetAtt"]; ok && len(x) == 1 {
			return LongestReference
		}
		if join, ok := x["Fn::Join"].([]any); ok && len(x) == 1 && len(join) == 2 {
			separator, _ := join[0].(string)
			parts, _ := join[1].([]any)
			rendered := make([]string, len(parts))
			for i, p := range parts {
				rendered[i] = fmt.Sprint(renderReferences(p))
			}
			return strings.Join(rendered, separator)
		}
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = renderReferences(e)
		}
		return out
	}
	return v
}

// Check fails the synth when a template or a role would break a
// CloudFormation or IAM limit at deploy time, naming it and the limit.
func Check(stats []TemplateStats) error {
	var errs []error
	roles := 0
	for _, st := range stats {
		for _, c := range []struct {
			what       string
			got, limit int
		}{
			{"resources", st.Resources, deploy.TemplateResourceLimit},
			{"outputs", st.Outputs, deploy.TemplateOutputLimit},
			{"parameters", st.Parameters, deploy.TemplateParameterLimit},
			{"bytes", st.Bytes, deploy.TemplateBytesLimit},
		} {
			if c.got > c.limit {
				errs = append(errs, fmt.Errorf("template %s has %d %s, more than CloudFormation's %d", st.File, c.got, c.what, c.limit))
			}
		}
		for _, role := range st.Roles {
			roles++
			if role.PolicyChars > deploy.RolePolicyLimit {
				errs = append(errs, fmt.Errorf("role %s in %s has inline policies of up to %d characters, more than IAM's %d", role.ID, st.File, role.PolicyChars, deploy.RolePolicyLimit))
			}
			if role.TrustChars > deploy.TrustPolicyLimit {
				errs = append(errs, fmt.Errorf("role %s in %s has a trust policy of up to %d characters, more than IAM's default %d", role.ID, st.File, role.TrustChars, deploy.TrustPolicyLimit))
			}
		}
	}
	if roles > deploy.RolesPerAccountMax {
		errs = append(errs, fmt.Errorf("the app creates %d IAM roles, more than the %d an account may hold", roles, deploy.RolesPerAccountMax))
	}
	return errors.Join(errs...)
}
