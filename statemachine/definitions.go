// Package statemachine holds ddrotate's Amazon States Language definitions,
// embedded so that the CDK stack deploys exactly the bytes that the local
// executor (internal/asl) runs in the tests and the demo.
package statemachine

import _ "embed"

// RotateTargetDefinition rotates the credential of one target. Its Lambda
// ARNs are left as ${...} placeholders (deploy.Step.Placeholder), filled by
// DefinitionSubstitutions in the CDK stack and by the local executor's
// substitutions.
//
//go:embed rotate-target.asl.json
var RotateTargetDefinition []byte

// RotateFleetDefinition rotates many targets, each as its own
// rotate-target execution, with bounded concurrency. The rotate-target
// machine's ARN is left as the placeholder
// deploy.RotateTargetStateMachinePlaceholder.
//
//go:embed rotate-fleet.asl.json
var RotateFleetDefinition []byte
