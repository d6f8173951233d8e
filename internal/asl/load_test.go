package asl

import (
	"errors"
	"strings"
	"testing"
)

// passThen is a minimal valid tail for definitions that need a second state.
const passThen = `"Done": {"Type": "Pass", "End": true}`

func TestLoadRejects(t *testing.T) {
	tests := []struct {
		name       string
		definition string
		state      string // DefinitionError.State
		field      string // DefinitionError.Field
		problem    string // substring of DefinitionError.Problem
	}{
		{"not JSON", `{"StartAt": `, "", "", "not JSON"},
		{"unknown top-level field", `{"StartAt": "A", "Flavour": 1, "States": {"A": {"Type": "Succeed"}}}`, "", "Flavour", "unknown"},
		{"missing StartAt", `{"States": {"A": {"Type": "Succeed"}}}`, "", "StartAt", "required"},
		{"StartAt names no state", `{"StartAt": "B", "States": {"A": {"Type": "Succeed"}}}`, "", "StartAt", `"B"`},
		{"unknown state type", `{"StartAt": "A", "States": {"A": {"Type": "Sleep", "End": true}}}`, "A", "Type", `"Sleep"`},
		{"unknown field on a state", `{"StartAt": "A", "States": {"A": {"Type": "Pass", "Colour": "red", "End": true}}}`, "A", "Colour", "unknown"},
		{"field of another state type", `{"StartAt": "A", "States": {"A": {"Type": "Pass", "Retry": [], "End": true}}}`, "A", "Retry", "unknown"},
		{"unsupported Task field", `{"StartAt": "A", "States": {"A": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Parameters": {"FunctionName": "f"}, "HeartbeatSeconds": 5, "End": true}}}`, "A", "HeartbeatSeconds", "unsupported"},
		{"missing Next and End", `{"StartAt": "A", "States": {"A": {"Type": "Pass"}}}`, "A", "", "Next or"},
		{"both Next and End", `{"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "Done", "End": true}, ` + passThen + `}}`, "A", "End", "not both"},
		{"Next to a missing state", `{"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "Nowhere"}}}`, "A", "Next", `"Nowhere"`},
		{"Catch to a missing state", `{"StartAt": "A", "States": {"A": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Parameters": {"FunctionName": "f"}, "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Gone"}], "End": true}}}`, "A", "Catch[0].Next", `"Gone"`},
		{"unreachable state", `{"StartAt": "A", "States": {"A": {"Type": "Succeed"}, "Orphan": {"Type": "Succeed"}}}`, "Orphan", "", "reached"},
		{"States.ALL not last", `{"StartAt": "A", "States": {"A": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Parameters": {"FunctionName": "f"}, "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Done"}, {"ErrorEquals": ["X"], "Next": "Done"}], "End": true}, ` + passThen + `}}`, "A", "Catch[0].ErrorEquals", "last"},
		{"States.ALL with other names", `{"StartAt": "A", "States": {"A": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Parameters": {"FunctionName": "f"}, "Retry": [{"ErrorEquals": ["States.ALL", "X"]}], "End": true}}}`, "A", "Retry[0].ErrorEquals", "alone"},
		{"unknown States error name", `{"StartAt": "A", "States": {"A": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Parameters": {"FunctionName": "f"}, "Retry": [{"ErrorEquals": ["States.Timedout"]}], "End": true}}}`, "A", "Retry[0].ErrorEquals", "States.Timedout"},
		{"BackoffRate below 1", `{"StartAt": "A", "States": {"A": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Parameters": {"FunctionName": "f"}, "Retry": [{"ErrorEquals": ["X"], "BackoffRate": 0.5}], "End": true}}}`, "A", "Retry[0].BackoffRate", "1.0"},
		{"unknown JitterStrategy", `{"StartAt": "A", "States": {"A": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Parameters": {"FunctionName": "f"}, "Retry": [{"ErrorEquals": ["X"], "JitterStrategy": "HALF"}], "End": true}}}`, "A", "Retry[0].JitterStrategy", "HALF"},
		{"unsupported Resource", `{"StartAt": "A", "States": {"A": {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage", "Parameters": {"QueueUrl": "q"}, "End": true}}}`, "A", "Resource", "sqs:sendMessage"},
		{"callback pattern", `{"StartAt": "A", "States": {"A": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken", "Parameters": {"FunctionName": "f"}, "End": true}}}`, "A", "Resource", "unsupported"},
		{"lambda:invoke without FunctionName", `{"StartAt": "A", "States": {"A": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Parameters": {"Payload": {}}, "End": true}}}`, "A", "Parameters", "FunctionName"},
		{"unknown lambda:invoke parameter", `{"StartAt": "A", "States": {"A": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Parameters": {"FunctionName": "f", "Payloads": {}}, "End": true}}}`, "A", "Parameters.Payloads", "not a parameter"},
		{"asynchronous invocation", `{"StartAt": "A", "States": {"A": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Parameters": {"FunctionName": "f", "InvocationType": "Event"}, "End": true}}}`, "A", "Parameters.InvocationType", "RequestResponse"},
		{"recursive descent", `{"StartAt": "A", "States": {"A": {"Type": "Pass", "InputPath": "$..id", "End": true}}}`, "A", "InputPath", "recursive"},
		{"filter expression", `{"StartAt": "A", "States": {"A": {"Type": "Pass", "Parameters": {"x.$": "$.items[?(@.ok)]"}, "End": true}}}`, "A", "Parameters.x.$", "unsupported selector"},
		{"path without $", `{"StartAt": "A", "States": {"A": {"Type": "Pass", "Parameters": {"x.$": "items"}, "End": true}}}`, "A", "Parameters.x.$", "neither a path"},
		{"ResultPath with a wildcard", `{"StartAt": "A", "States": {"A": {"Type": "Pass", "ResultPath": "$.a[*]", "End": true}}}`, "A", "ResultPath", "[*]"},
		{"ResultPath into the context object", `{"StartAt": "A", "States": {"A": {"Type": "Pass", "ResultPath": "$$.Execution", "End": true}}}`, "A", "ResultPath", "context"},
		{"unknown intrinsic", `{"StartAt": "A", "States": {"A": {"Type": "Pass", "Parameters": {"x.$": "States.Shout($.a)"}, "End": true}}}`, "A", "Parameters.x.$", `"States.Shout"`},
		{"intrinsic with too few arguments", `{"StartAt": "A", "States": {"A": {"Type": "Pass", "Parameters": {"x.$": "States.ArrayContains($.a)"}, "End": true}}}`, "A", "Parameters.x.$", "2 arguments"},
		{"unterminated intrinsic string", `{"StartAt": "A", "States": {"A": {"Type": "Pass", "Parameters": {"x.$": "States.Format('oops)"}, "End": true}}}`, "A", "Parameters.x.$", "unterminated"},
		{"same field plain and dynamic", `{"StartAt": "A", "States": {"A": {"Type": "Pass", "Parameters": {"x": 1, "x.$": "$.x"}, "End": true}}}`, "A", "Parameters.x", "both"},
		{"unresolved placeholder", `{"StartAt": "A", "States": {"A": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Parameters": {"FunctionName": "${MissingArn}"}, "End": true}}}`, "", "", "${MissingArn} at States.A.Parameters.FunctionName"},
		{"Choice rule without an operator", `{"StartAt": "A", "States": {"A": {"Type": "Choice", "Choices": [{"Variable": "$.a", "Next": "Done"}]}, ` + passThen + `}}`, "A", "Choices[0]", "exactly one comparison"},
		{"Choice operand of the wrong type", `{"StartAt": "A", "States": {"A": {"Type": "Choice", "Choices": [{"Variable": "$.a", "NumericEquals": "1", "Next": "Done"}]}, ` + passThen + `}}`, "A", "Choices[0].NumericEquals", "wrong type"},
		{"Next inside a nested rule", `{"StartAt": "A", "States": {"A": {"Type": "Choice", "Choices": [{"Not": {"Variable": "$.a", "IsNull": true, "Next": "Done"}, "Next": "Done"}]}, ` + passThen + `}}`, "A", "Choices[0].Not.Next", "unknown"},
		{"Wait with two durations", `{"StartAt": "A", "States": {"A": {"Type": "Wait", "Seconds": 1, "SecondsPath": "$.s", "End": true}}}`, "A", "", "exactly one"},
		{"Fail with Error and ErrorPath", `{"StartAt": "A", "States": {"A": {"Type": "Fail", "Error": "E", "ErrorPath": "$.e"}}}`, "A", "ErrorPath", "not both"},
		{"distributed Map without an execution type", `{"StartAt": "M", "States": {"M": {"Type": "Map", "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED"}, "StartAt": "I", "States": {"I": {"Type": "Succeed"}}}, "End": true}}}`, "M", "ItemProcessor.ProcessorConfig.ExecutionType", "required in DISTRIBUTED mode"},
		{"EXPRESS child workflows", `{"StartAt": "M", "States": {"M": {"Type": "Map", "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "EXPRESS"}, "StartAt": "I", "States": {"I": {"Type": "Succeed"}}}, "End": true}}}`, "M", "ItemProcessor.ProcessorConfig.ExecutionType", "only STANDARD"},
		{"unknown processor mode", `{"StartAt": "M", "States": {"M": {"Type": "Map", "ItemProcessor": {"ProcessorConfig": {"Mode": "PARALLEL"}, "StartAt": "I", "States": {"I": {"Type": "Succeed"}}}, "End": true}}}`, "M", "ItemProcessor.ProcessorConfig.Mode", "INLINE or DISTRIBUTED"},
		{"execution type of an inline Map", `{"StartAt": "M", "States": {"M": {"Type": "Map", "ItemProcessor": {"ProcessorConfig": {"Mode": "INLINE", "ExecutionType": "STANDARD"}, "StartAt": "I", "States": {"I": {"Type": "Succeed"}}}, "End": true}}}`, "M", "ItemProcessor.ProcessorConfig.ExecutionType", "DISTRIBUTED mode only"},
		{"tolerance on an inline Map", `{"StartAt": "M", "States": {"M": {"Type": "Map", "ToleratedFailurePercentage": 5, "ItemProcessor": {"StartAt": "I", "States": {"I": {"Type": "Succeed"}}}, "End": true}}}`, "M", "ToleratedFailurePercentage", "DISTRIBUTED mode only"},
		{"concurrency twice", `{"StartAt": "M", "States": {"M": {"Type": "Map", "MaxConcurrency": 5, "MaxConcurrencyPath": "$.c", "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"}, "StartAt": "I", "States": {"I": {"Type": "Succeed"}}}, "End": true}}}`, "M", "MaxConcurrencyPath", "not both"},
		{"percentage above 100", `{"StartAt": "M", "States": {"M": {"Type": "Map", "ToleratedFailurePercentage": 101, "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"}, "StartAt": "I", "States": {"I": {"Type": "Succeed"}}}, "End": true}}}`, "M", "ToleratedFailurePercentage", "from 0 to 100"},
		{"negative failure count", `{"StartAt": "M", "States": {"M": {"Type": "Map", "ToleratedFailureCount": -1, "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"}, "StartAt": "I", "States": {"I": {"Type": "Succeed"}}}, "End": true}}}`, "M", "ToleratedFailureCount", "from 0"},
		{"concurrency above a Distributed Map's", `{"StartAt": "M", "States": {"M": {"Type": "Map", "MaxConcurrency": 10001, "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"}, "StartAt": "I", "States": {"I": {"Type": "Succeed"}}}, "End": true}}}`, "M", "MaxConcurrency", "from 0 to 10000"},
		{"label with a space", `{"StartAt": "M", "States": {"M": {"Type": "Map", "Label": "rotate each", "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"}, "StartAt": "I", "States": {"I": {"Type": "Succeed"}}}, "End": true}}}`, "M", "Label", "without whitespace"},
		{"item reader", `{"StartAt": "M", "States": {"M": {"Type": "Map", "ItemReader": {"Resource": "arn:aws:states:::s3:getObject"}, "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"}, "StartAt": "I", "States": {"I": {"Type": "Succeed"}}}, "End": true}}}`, "M", "ItemReader", "unknown or unsupported field"},
		{"result writer", `{"StartAt": "M", "States": {"M": {"Type": "Map", "ResultWriter": {"Resource": "arn:aws:states:::s3:putObject"}, "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"}, "StartAt": "I", "States": {"I": {"Type": "Succeed"}}}, "End": true}}}`, "M", "ResultWriter", "unknown or unsupported field"},
		{"item batcher", `{"StartAt": "M", "States": {"M": {"Type": "Map", "ItemBatcher": {"MaxItemsPerBatch": 10}, "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"}, "StartAt": "I", "States": {"I": {"Type": "Succeed"}}}, "End": true}}}`, "M", "ItemBatcher", "unknown or unsupported field"},
		{"negative MaxConcurrency", `{"StartAt": "M", "States": {"M": {"Type": "Map", "MaxConcurrency": -1, "ItemProcessor": {"StartAt": "I", "States": {"I": {"Type": "Succeed"}}}, "End": true}}}`, "M", "MaxConcurrency", "integer"},
		{"bad state inside a Map", `{"StartAt": "M", "States": {"M": {"Type": "Map", "ItemProcessor": {"StartAt": "I", "States": {"I": {"Type": "Pass", "Next": "Done"}}}, "Next": "Done"}, ` + passThen + `}}`, "M/I", "Next", `"Done"`},
		{"bad state inside a Parallel branch", `{"StartAt": "P", "States": {"P": {"Type": "Parallel", "Branches": [{"StartAt": "B", "States": {"B": {"Type": "Pass", "Colour": 1, "End": true}}}], "End": true}}}`, "P[0]/B", "Colour", "unknown"},
		{"nested template field", `{"StartAt": "A", "States": {"A": {"Type": "Pass", "Parameters": {"Payload": {"list": [{"id.$": 5}]}}, "End": true}}}`, "A", "Parameters.Payload.list[0].id.$", "must be a string"},
		{"JSONata", `{"QueryLanguage": "JSONata", "StartAt": "A", "States": {"A": {"Type": "Succeed"}}}`, "", "QueryLanguage", "JSONPath"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load([]byte(tt.definition), nil)
			var de *DefinitionError
			if !errors.As(err, &de) {
				t.Fatalf("Load error = %v, want a *DefinitionError", err)
			}
			if de.State != tt.state || de.Field != tt.field || !strings.Contains(de.Problem, tt.problem) {
				t.Fatalf("Load error = state %q, field %q, problem %q\nwant state %q, field %q, problem containing %q",
					de.State, de.Field, de.Problem, tt.state, tt.field, tt.problem)
			}
			if !strings.Contains(err.Error(), tt.problem) {
				t.Errorf("message %q does not carry the problem", err)
			}
		})
	}
}

func TestRegisterRejectsBadNamesAndDefinitions(t *testing.T) {
	e := NewEngine(EngineOptions{})
	if _, err := e.Register("has space", []byte(`{"StartAt": "A", "States": {"A": {"Type": "Succeed"}}}`), nil); !errors.Is(err, ErrInvalidName) {
		t.Errorf("Register with a bad name: %v, want ErrInvalidName", err)
	}
	var de *DefinitionError
	if _, err := e.Register("ok", []byte(`{"StartAt": "A", "States": {}}`), nil); !errors.As(err, &de) {
		t.Errorf("Register with a bad definition: %v, want a *DefinitionError", err)
	}
}

func TestSubstitutionsFillEveryString(t *testing.T) {
	def := `{"StartAt": "A", "States": {"A": {"Type": "Pass", "Result": {"arn": "${Fn}", "both": "${Fn}/${Other}"}, "End": true}}}`
	h := newHarness(t, nil)
	x := h.run(h.registerDefinition("subst", []byte(def), map[string]string{"Fn": "arn:aws:lambda:us-east-1:000000000000:function:f", "Other": "o"}), `{}`)
	requireStatus(t, x, StatusSucceeded)
	requireJSON(t, "output", x.Output(), `{"arn": "arn:aws:lambda:us-east-1:000000000000:function:f", "both": "arn:aws:lambda:us-east-1:000000000000:function:f/o"}`)
}
