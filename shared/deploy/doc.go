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
//   - the tags on each target's secret (Tag...) and the target kinds ([Kind]),
//     among them the deployment's tag ([TagDeployment]) by which the step
//     roles and the fleet run address the deployment's secrets, and each
//     reader group's tag ([ReaderGroup.TagKey]) by which its role reads them;
//   - the reader groups ([Config.ReaderGroups]): one read role per team
//     account and trust conditions, named by [Config.ReaderRoleName];
//   - the nested stacks the per-target resources are spread over
//     ([TemplateBuckets], [TargetBucket], [ReaderBucket]);
//   - the fleet run's settings ([Fleet]) and what its listing step returns
//     ([FleetListing]);
//   - the AWS limits a deployment must stay within (limits.go), which
//     validation checks where they still grow with the fleet;
//   - the Datadog sites ([Site], [Sites]) and the rule for target names
//     ([ValidTargetName]);
//   - the deployment configuration file ([ConfigFile], [LoadConfig]) and
//     its validated form ([Config]).
//
// The package imports nothing but the standard library: it is compiled into
// every step Lambda as well as into the CDK app.
package deploy
