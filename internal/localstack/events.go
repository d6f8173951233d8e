package localstack

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/ddrotate/ddrotate/internal/awsemu"
)

// EventBridge's read side on the AWS emulator's endpoint (awsJson1.1,
// X-Amz-Target AWSEvents.<Action>): the template's rules as DescribeRule,
// ListRules and ListTargetsByRule report them, so a tool can read the
// schedule the stack deployed. Rules are changed by deploying, not here.
var eventsActions = map[string]bool{"DescribeRule": true, "ListRules": true, "ListTargetsByRule": true}

type eventsAPI struct{ ls *Stack }

func (e *eventsAPI) service() awsemu.JSONService {
	return awsemu.JSONService{
		Name: "events", TargetPrefix: "AWSEvents", ContentType: "application/x-amz-json-1.1",
		Actions: eventsActions, Handle: e.handle,
	}
}

func eventsError(status int, code, msg string) *awsemu.ServiceError {
	return &awsemu.ServiceError{Status: status, Code: code, Message: msg}
}

func (e *eventsAPI) handle(call *awsemu.ServiceCall) (any, *awsemu.ServiceError) {
	var in struct {
		Name, NamePrefix, Rule, EventBusName, NextToken string
		Limit                                           int
	}
	if len(call.Body) > 0 {
		if err := json.Unmarshal(call.Body, &in); err != nil {
			return nil, eventsError(http.StatusBadRequest, "SerializationException", "the request body is not valid JSON")
		}
	}
	if in.EventBusName != "" && in.EventBusName != "default" && !strings.HasSuffix(in.EventBusName, ":event-bus/default") {
		return nil, eventsError(http.StatusBadRequest, "ResourceNotFoundException", "Event bus "+in.EventBusName+" does not exist.")
	}
	switch call.Action {
	case "ListRules":
		if err := call.Authorize("events:ListRules", e.ruleARN("*"), nil); err != nil {
			return nil, err
		}
		rules := []map[string]any{}
		for _, r := range e.ls.Deployment.Rules {
			if strings.HasPrefix(r.Name, in.NamePrefix) {
				rules = append(rules, e.describe(r))
			}
		}
		return map[string]any{"Rules": rules}, nil
	case "DescribeRule":
		r, err := e.rule(in.Name)
		if err != nil {
			return nil, err
		}
		if err := call.Authorize("events:DescribeRule", r.ARN, nil); err != nil {
			return nil, err
		}
		return e.describe(r), nil
	default: // ListTargetsByRule
		r, err := e.rule(in.Rule)
		if err != nil {
			return nil, err
		}
		if err := call.Authorize("events:ListTargetsByRule", r.ARN, nil); err != nil {
			return nil, err
		}
		targets := []map[string]any{}
		for _, t := range r.Targets {
			item := map[string]any{"Id": t.ID, "Arn": t.ARN}
			if t.RoleARN != "" {
				item["RoleArn"] = t.RoleARN
			}
			if t.Input != "" {
				item["Input"] = t.Input
			}
			targets = append(targets, item)
		}
		return map[string]any{"Targets": targets}, nil
	}
}

func (e *eventsAPI) ruleARN(name string) string {
	dep := e.ls.Deployment
	return "arn:aws:events:" + dep.Region + ":" + dep.Account + ":rule/" + name
}

func (e *eventsAPI) rule(name string) (*Rule, *awsemu.ServiceError) {
	if name == "" {
		return nil, eventsError(http.StatusBadRequest, "ValidationException", "1 validation error detected: Value null at 'name' failed to satisfy constraint: Member must not be null")
	}
	for _, r := range e.ls.Deployment.Rules {
		if r.Name == name || r.ARN == name {
			return r, nil
		}
	}
	return nil, eventsError(http.StatusBadRequest, "ResourceNotFoundException", "Rule "+name+" does not exist on EventBus default.")
}

func (e *eventsAPI) describe(r *Rule) map[string]any {
	state := "ENABLED"
	if !r.Enabled {
		state = "DISABLED"
	}
	d := map[string]any{"Name": r.Name, "Arn": r.ARN, "State": state, "EventBusName": "default", "CreatedBy": e.ls.Deployment.Account}
	if r.Schedule != "" {
		d["ScheduleExpression"] = r.Schedule
	}
	if r.Description != "" {
		d["Description"] = r.Description
	}
	return d
}
