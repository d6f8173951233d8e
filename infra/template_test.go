package main

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/aws/jsii-runtime-go"
)

// Helpers that read a synthesized template the way a reviewer would: a
// reference to a resource is shown as what the resource is ("secret:ddr-test/payments",
// "key", "topic:ddr-test-notifications"), so a policy reads as a list of
// grants such as "kms:Decrypt on key if kms:ViaService=secretsmanager.<AWS::Region>.amazonaws.com".

// resources returns the properties of every resource of a type, by logical id.
func (s *synthesized) resources(resourceType string) map[string]map[string]any {
	found := map[string]map[string]any{}
	for id, resource := range s.raw["Resources"].(map[string]any) {
		r := resource.(map[string]any)
		if r["Type"] == resourceType {
			properties, _ := r["Properties"].(map[string]any)
			found[id] = properties
		}
	}
	return found
}

// resourceWith returns the logical id and properties of the one resource of
// a type whose property has the value, and stops the test if there is not
// exactly one.
func (s *synthesized) resourceWith(t *testing.T, resourceType, property string, value any) (string, map[string]any) {
	t.Helper()
	var ids []string
	for id, properties := range s.resources(resourceType) {
		if properties[property] == value {
			ids = append(ids, id)
		}
	}
	if len(ids) != 1 {
		t.Fatalf("%d resources of type %s with %s = %v, want 1", len(ids), resourceType, property, value)
	}
	return ids[0], s.resources(resourceType)[ids[0]]
}

// labelOf names the resource with the logical id.
func (s *synthesized) labelOf(id string) string {
	resource, ok := s.raw["Resources"].(map[string]any)[id].(map[string]any)
	if !ok {
		return "<" + id + ">" // a pseudo parameter such as AWS::Region
	}
	properties, _ := resource["Properties"].(map[string]any)
	switch resource["Type"] {
	case "AWS::SecretsManager::Secret":
		return fmt.Sprint("secret:", properties["Name"])
	case "AWS::KMS::Key":
		return "key"
	case "AWS::SNS::Topic":
		return fmt.Sprint("topic:", properties["TopicName"])
	case "AWS::Logs::LogGroup":
		return fmt.Sprint("log-group:", properties["LogGroupName"])
	case "AWS::StepFunctions::StateMachine":
		return fmt.Sprint("state-machine:", properties["StateMachineName"])
	case "AWS::Lambda::Function":
		return fmt.Sprint("function:", properties["FunctionName"])
	case "AWS::EC2::SecurityGroup":
		return "security-group"
	case "AWS::IAM::Role":
		if name, ok := properties["RoleName"]; ok {
			return fmt.Sprint("role:", name)
		}
	}
	return id
}

// label renders a CloudFormation value: references become labels, joins
// are concatenated, lists are joined with "|".
func (s *synthesized) label(value any) string {
	switch v := value.(type) {
	case string:
		return v
	case []any:
		parts := make([]string, len(v))
		for i, item := range v {
			parts[i] = s.label(item)
		}
		return strings.Join(parts, "|")
	case map[string]any:
		if ref, ok := v["Ref"].(string); ok {
			return s.labelOf(ref)
		}
		if getAtt, ok := v["Fn::GetAtt"].([]any); ok {
			return s.labelOf(getAtt[0].(string))
		}
		if join, ok := v["Fn::Join"].([]any); ok {
			var b strings.Builder
			for _, part := range join[1].([]any) {
				b.WriteString(s.label(part))
			}
			return b.String()
		}
	}
	return fmt.Sprintf("%v", value)
}

// grants lists a policy document's Allow statements as "action on resource
// [if condition & ...]", sorted; Deny statements are listed with "deny ".
func (s *synthesized) grants(document any) []string {
	var grants []string
	for _, st := range listOf(document.(map[string]any)["Statement"]) {
		statement := st.(map[string]any)
		conditions := s.conditions(statement["Condition"])
		prefix := ""
		if statement["Effect"] != "Allow" {
			prefix = "deny "
		}
		for _, action := range listOf(statement["Action"]) {
			for _, resource := range listOf(statement["Resource"]) {
				grants = append(grants, prefix+action.(string)+" on "+s.label(resource)+conditions)
			}
		}
	}
	sort.Strings(grants)
	return grants
}

func (s *synthesized) conditions(condition any) string {
	operators, _ := condition.(map[string]any)
	var parts []string
	for operator, keys := range operators {
		for key, value := range keys.(map[string]any) {
			part := key + "=" + s.label(value)
			if operator != "StringEquals" {
				part = operator + ":" + part
			}
			parts = append(parts, part)
		}
	}
	if len(parts) == 0 {
		return ""
	}
	sort.Strings(parts)
	return " if " + strings.Join(parts, " & ")
}

// roleGrants lists the grants of every policy of the role with the logical
// id: its inline policies and every AWS::IAM::Policy attached to it.
func (s *synthesized) roleGrants(roleID string) []string {
	var grants []string
	for _, policy := range listOf(s.resources("AWS::IAM::Role")[roleID]["Policies"]) {
		grants = append(grants, s.grants(policy.(map[string]any)["PolicyDocument"])...)
	}
	for _, policy := range s.resources("AWS::IAM::Policy") {
		for _, role := range listOf(policy["Roles"]) {
			if role.(map[string]any)["Ref"] == roleID {
				grants = append(grants, s.grants(policy["PolicyDocument"])...)
			}
		}
	}
	if len(listOf(s.resources("AWS::IAM::Role")[roleID]["ManagedPolicyArns"])) > 0 {
		grants = append(grants, "managed policies")
	}
	sort.Strings(grants)
	return grants
}

// roleOf returns the logical id of the role a value such as a function's
// Role property (a GetAtt of the role's Arn) refers to.
func roleOf(value any) string {
	return value.(map[string]any)["Fn::GetAtt"].([]any)[0].(string)
}

func listOf(value any) []any {
	switch v := value.(type) {
	case nil:
		return nil
	case []any:
		return v
	}
	return []any{value}
}

// grantsOf expands actions on resources into grants, for writing expectations.
func grantsOf(actions []string, resources []string, condition string) []string {
	var grants []string
	for _, action := range actions {
		for _, resource := range resources {
			grants = append(grants, action+" on "+resource+condition)
		}
	}
	return grants
}

// diff reports the grants only one of got and want has.
func diff(got, want []string) (extra, missing []string) {
	for _, g := range got {
		if !slices.Contains(want, g) {
			extra = append(extra, g)
		}
	}
	for _, w := range want {
		if !slices.Contains(got, w) {
			missing = append(missing, w)
		}
	}
	return extra, missing
}

// hasResourceProperties, resourceCountIs and resourcePropertiesCountIs run
// the assertions library's checks, which panic on a mismatch, and report a
// mismatch as a failure of the calling test.
func (s *synthesized) hasResourceProperties(t *testing.T, resourceType string, properties map[string]any) {
	t.Helper()
	check(t, func() { s.template.HasResourceProperties(jsii.String(resourceType), properties) })
}

func (s *synthesized) resourceCountIs(t *testing.T, resourceType string, count int) {
	t.Helper()
	check(t, func() { s.template.ResourceCountIs(jsii.String(resourceType), jsii.Number(count)) })
}

func (s *synthesized) resourcePropertiesCountIs(t *testing.T, resourceType string, properties map[string]any, count int) {
	t.Helper()
	check(t, func() {
		s.template.ResourcePropertiesCountIs(jsii.String(resourceType), properties, jsii.Number(count))
	})
}

func check(t *testing.T, assertion func()) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			t.Errorf("%v", r)
		}
	}()
	assertion()
}
