// Package statemachine holds ddrotate's Amazon States Language definitions,
// embedded so that the CDK stack deploys exactly the bytes that the local
// executor (internal/asl) runs in the tests and the demo.
package statemachine

import _ "embed"

// RotateTargetDefinition rotates the credential of one target. Its Lambda
// ARNs are left as ${...} placeholders, filled by DefinitionSubstitutions in
// the CDK stack and by Substitutions in the local executor.
//
//go:embed rotate-target.asl.json
var RotateTargetDefinition []byte

// RotateFleetDefinition rotates many targets, each as its own
// rotate-target execution, with bounded concurrency.
//
//go:embed rotate-fleet.asl.json
var RotateFleetDefinition []byte

// Placeholders that the definitions use, in one place so the CDK stack, the
// local executor and the tests agree on them.
const (
	CreateFunctionArn           = "CreateFunctionArn"
	VerifyFunctionArn           = "VerifyFunctionArn"
	StoreFunctionArn            = "StoreFunctionArn"
	NotifyFunctionArn           = "NotifyFunctionArn"
	DeleteOldFunctionArn        = "DeleteOldFunctionArn"
	RollbackFunctionArn         = "RollbackFunctionArn"
	RotateTargetStateMachineArn = "RotateTargetStateMachineArn"
)

// Functions lists the step Lambdas by their folder under functions/ and the
// placeholder that carries their ARN into the definitions.
var Functions = []struct {
	Name        string // folder under functions/ and suffix of the Lambda name
	Placeholder string
}{
	{"create", CreateFunctionArn},
	{"verify", VerifyFunctionArn},
	{"store", StoreFunctionArn},
	{"notify", NotifyFunctionArn},
	{"deleteold", DeleteOldFunctionArn},
	{"rollback", RollbackFunctionArn},
}
