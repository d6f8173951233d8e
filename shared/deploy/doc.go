// Package deploy is the deploy contract: every name the CDK stack and the
// step Lambdas must agree on, plus the deployment config they are derived
// from. The stack (infra), the Lambdas' wiring (lambdaenv), the rotation
// steps (rotation), the credential format (credential) and the local runner
// (internal/localenv) all take these names from here, so that each is
// written once:
//
//   - the steps ([Step], [Steps]) and the placeholders through which the
//     state machine definitions reach their Lambdas ([Step.Placeholder],
//     [RotateTargetStateMachinePlaceholder]);
//   - the step Lambdas' environment variables (Env...) and the one function
//     that builds that environment from a validated config
//     ([Config.StepEnvironment]);
//   - the tags on each target's secret (Tag...) and the target kinds ([Kind]);
//   - the Datadog sites ([Site], [Sites]) and the rule for target names
//     ([ValidTargetName]);
//   - the deployment configuration file ([ConfigFile], [LoadConfig]) and
//     its validated form ([Config]).
//
// The package imports nothing but the standard library: it is compiled into
// every step Lambda as well as into the CDK app.
package deploy
