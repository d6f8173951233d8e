package main

import (
	"path/filepath"
	"slices"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/ddrotate/ddrotate/shared/deploy"
)

// stepAccess is what one step Lambda may do besides writing its own logs.
// Secret actions apply to the deployment's secrets, addressed by name
// prefix and the deployment's tag, so a step's policy is the same size for
// any fleet. Only the steps that call Datadog read secret values: they
// need the admin credential, and the team secrets they rotate.
type stepAccess struct {
	secretActions []string
	// writesSecrets adds kms:GenerateDataKey to kms:Decrypt for steps that
	// write secret versions or move their labels.
	writesSecrets bool
	// describesExecutions lets the step see whether an execution of the
	// rotate-target state machine is running and what it rotates: every
	// step checks that the execution its payload names is a running
	// rotation of its target (no step trusts its payload), and Create also
	// whether the execution holding a secret's AWSPENDING lock still runs.
	describesExecutions bool
	// publishes lets the step publish to the notification topic.
	publishes bool
	// listsSecrets lets the step call ListSecrets, to find the deployment's
	// targets.
	listsSecrets bool
}

// stepAccesses grants each step only the calls it makes.
var stepAccesses = map[deploy.Step]stepAccess{
	deploy.StepCreate: {
		secretActions:       []string{"secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue", "secretsmanager:PutSecretValue", "secretsmanager:UpdateSecretVersionStage"},
		writesSecrets:       true,
		describesExecutions: true,
	},
	deploy.StepVerify: {
		describesExecutions: true,
		secretActions:       []string{"secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue"},
	},
	deploy.StepStore: {
		describesExecutions: true,
		// Store moves labels and reads tags; it never reads a value, so it
		// cannot read the admin credential.
		secretActions: []string{"secretsmanager:DescribeSecret", "secretsmanager:UpdateSecretVersionStage"},
	},
	deploy.StepNotify: {
		describesExecutions: true,
		secretActions:       []string{"secretsmanager:DescribeSecret"},
		publishes:           true,
	},
	deploy.StepDeleteOld: {
		describesExecutions: true,
		secretActions:       []string{"secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue"},
	},
	deploy.StepRollback: {
		describesExecutions: true,
		secretActions:       []string{"secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue", "secretsmanager:UpdateSecretVersionStage"},
		writesSecrets:       true,
	},
	deploy.StepListTargets: {
		listsSecrets: true,
	},
}

// Settings shared by every step Lambda.
const (
	stepTimeoutSeconds = 60
	stepMemoryMB       = 256
)

// newStepFunctions creates one Lambda per step of the deploy contract, each
// with its own role and log group, and returns them by step.
func (s *rotationStack) newStepFunctions(functionsDir string) map[deploy.Step]awslambda.Function {
	network := s.newFunctionNetwork()
	environment := s.stepEnvironment()
	functions := make(map[deploy.Step]awslambda.Function, len(deploy.Steps()))
	for _, step := range deploy.Steps() {
		name := string(step)
		scope := constructs.NewConstruct(s.stack, jsii.String("Step-"+name))
		functionName := s.cfg.FunctionName(step)
		logGroup := awslogs.NewLogGroup(scope, jsii.String("Logs"), &awslogs.LogGroupProps{
			LogGroupName:  jsii.String("/aws/lambda/" + functionName),
			Retention:     logRetentions[s.cfg.LogRetentionDays],
			RemovalPolicy: awscdk.RemovalPolicy_RETAIN,
		})
		role := awsiam.NewRole(scope, jsii.String("Role"), &awsiam.RoleProps{
			AssumedBy:   awsiam.NewServicePrincipal(jsii.String("lambda.amazonaws.com"), nil),
			Description: jsii.String("ddrotate: the " + name + " step's own permissions"),
		})
		logGroup.GrantWrite(role)
		s.grantStep(role, stepAccesses[step])
		functionProps := &awslambda.FunctionProps{
			FunctionName: jsii.String(functionName),
			Description:  jsii.String("ddrotate: " + name + " step of the Datadog credential rotation"),
			Runtime:      awslambda.Runtime_PROVIDED_AL2023(),
			Architecture: awslambda.Architecture_ARM_64(),
			Handler:      jsii.String("bootstrap"),
			Code:         awslambda.Code_FromAsset(jsii.String(filepath.Join(functionsDir, name)), nil),
			Timeout:      awscdk.Duration_Seconds(jsii.Number(stepTimeoutSeconds)),
			MemorySize:   jsii.Number(stepMemoryMB),
			Role:         role,
			LogGroup:     logGroup,
			Environment:  &environment,
		}
		if network != nil {
			network.attach(s, role, functionProps)
		}
		functions[step] = awslambda.NewFunction(scope, jsii.String("Function"), functionProps)
	}
	return functions
}

// stepEnvironment is the configuration every step reads at start-up, as
// the deploy contract builds it; the ARNs are tokens, which survive the
// trip through plain strings.
func (s *rotationStack) stepEnvironment() map[string]*string {
	environment := map[string]*string{}
	for name, value := range s.cfg.StepEnvironment(deploy.StepResources{
		TopicARN:        *s.topic.TopicArn(),
		StateMachineARN: *s.stateMachineARN(s.targetMachineName()),
	}) {
		environment[name] = jsii.String(value)
	}
	return environment
}

// grantStep gives a step's role what its access describes.
func (s *rotationStack) grantStep(role awsiam.Role, access stepAccess) {
	if len(access.secretActions) > 0 {
		role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Actions:   jsii.Strings(access.secretActions...),
			Resources: &[]*string{s.deploymentSecretsARN()},
			Conditions: &map[string]any{"StringEquals": map[string]any{
				"secretsmanager:ResourceTag/" + deploy.TagDeployment: s.cfg.Prefix,
			}},
		}))
		suppressNag(role, "AwsSolutions-IAM5", "The step rotates any of the deployment's targets, found at run time: it may act on the secrets under the deployment's "+
			"name prefix that carry the deployment's tag (secretsmanager:ResourceTag/"+deploy.TagDeployment+"), which only the stack sets and no ddrotate role may change, "+
			"so the policy stays the same size for any fleet.", secretsFinding(s.cfg.SecretPrefix))
	}
	if access.listsSecrets {
		role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Actions:   jsii.Strings("secretsmanager:ListSecrets"),
			Resources: jsii.Strings("*"),
		}))
		suppressNag(role, "AwsSolutions-IAM5", "secretsmanager:ListSecrets supports no resource-level permissions and AWS requires \"*\" for it; "+
			"it returns secrets' metadata and tags, never a value, and the step filters it by the deployment's tag and name prefix.", "Resource::*")
	}
	if access.readsSecretValues() {
		keyActions := []string{"kms:Decrypt"}
		if access.writesSecrets {
			keyActions = append(keyActions, "kms:GenerateDataKey")
		}
		role.AddToPrincipalPolicy(s.keyStatement(keyActions, map[string]any{"kms:ViaService": s.viaService("secretsmanager")}))
	}
	if access.describesExecutions {
		role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Actions:   jsii.Strings("states:DescribeExecution"),
			Resources: jsii.Strings(*s.executionsARN(s.targetMachineName())),
		}))
		// Execution data is encrypted with the key; reading it back needs
		// Decrypt in the context of that state machine only.
		role.AddToPrincipalPolicy(s.keyStatement([]string{"kms:Decrypt"}, map[string]any{
			"kms:EncryptionContext:aws:states:stateMachineArn": s.stateMachineARN(s.targetMachineName()),
		}))
		suppressNag(role, "AwsSolutions-IAM5", "Execution ARNs are only known at run time; the wildcard covers the executions of the "+
			s.targetMachineName()+" state machine only, whose status the step reads to tell a live AWSPENDING lock from an abandoned one.",
			executionsFinding(s.targetMachineName()))
	}
	if access.publishes {
		role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Actions:   jsii.Strings("sns:Publish"),
			Resources: jsii.Strings(*s.topic.TopicArn()),
		}))
		role.AddToPrincipalPolicy(s.keyStatement([]string{"kms:GenerateDataKey*", "kms:Decrypt"}, map[string]any{"kms:ViaService": s.viaService("sns")}))
		suppressNag(role, "AwsSolutions-IAM5", "Publishing to an SNS topic encrypted with a customer managed key takes kms:GenerateDataKey* and kms:Decrypt, "+
			"as the SNS documentation prescribes; the grant is on the one key and only through SNS in this region (kms:ViaService).",
			"Action::kms:GenerateDataKey*")
	}
}

func (a stepAccess) readsSecretValues() bool {
	return slices.Contains(a.secretActions, "secretsmanager:GetSecretValue")
}

// keyStatement allows actions on the stack's key under StringEquals conditions.
func (s *rotationStack) keyStatement(actions []string, equals map[string]any) awsiam.PolicyStatement {
	return awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:    jsii.Strings(actions...),
		Resources:  jsii.Strings(*s.key.KeyArn()),
		Conditions: &map[string]any{"StringEquals": equals},
	})
}
