package main

import (
	"maps"
	"slices"
	"strconv"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssecretsmanager"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/ddrotate/ddrotate/shared/deploy"
)

// uninitializedSecretTemplate is the value a secret is created with: JSON
// that holds no credential, so the first rotation fails safely until an
// operator puts the first real value (see the README).
const uninitializedSecretTemplate = `{"uninitialized":"put the first credential with aws secretsmanager put-secret-value"}`

// newTarget creates a target's secret and, for a team target, the read-only
// role the team assumes; each target gets its own scope so that names
// differing only by hyphens still get distinct logical ids.
func (s *rotationStack) newTarget(target deploy.Target) awssecretsmanager.Secret {
	scope := constructs.NewConstruct(s.stack, jsii.String("Target-"+target.Name))
	secret := awssecretsmanager.NewSecret(scope, jsii.String("Secret"), &awssecretsmanager.SecretProps{
		SecretName:    jsii.String(s.cfg.SecretName(target.Name)),
		Description:   jsii.String("ddrotate: Datadog " + string(target.Kind) + " credential of target " + target.Name + ", rotated by the " + s.targetMachineName() + " state machine"),
		EncryptionKey: s.key,
		// CloudFormation needs an initial value and writes it once, at
		// creation; from then on the state machine owns every version.
		// Changing the generator would make CloudFormation write a new
		// AWSCURRENT over the credential, so it must stay as it is.
		GenerateSecretString: &awssecretsmanager.SecretStringGenerator{
			SecretStringTemplate: jsii.String(uninitializedSecretTemplate),
			GenerateStringKey:    jsii.String("placeholder"),
		},
		// Deleting the stack must not lose a team's working credential.
		RemovalPolicy: awscdk.RemovalPolicy_RETAIN,
	})
	suppressNag(secret, "AwsSolutions-SMG4", "Rotated by ddrotate's "+s.targetMachineName()+" state machine on the EventBridge schedule and on demand. "+
		"Secrets Manager's own rotation (one Lambda, four fixed steps) cannot keep the replaced Datadog key valid through a grace period of hours "+
		"nor roll back keys created in Datadog; attaching it as well would rotate the secret behind the state machine's back.")
	// The tags are the target's settings, which the steps read, so that a
	// rotation needs nothing but the target's name.
	tags := awscdk.Tags_Of(secret)
	tags.Add(jsii.String(deploy.TagTarget), jsii.String(target.Name), nil)
	tags.Add(jsii.String(deploy.TagKind), jsii.String(string(target.Kind)), nil)
	tags.Add(jsii.String(deploy.TagGraceSeconds), jsii.String(strconv.Itoa(int(target.Grace.Seconds()))), nil)
	tags.Add(jsii.String(deploy.TagMaxGraceSeconds), jsii.String(strconv.Itoa(int(target.MaxGrace.Seconds()))), nil)
	if target.Kind == deploy.KindAPIAppKey {
		tags.Add(jsii.String(deploy.TagServiceAccountID), jsii.String(target.ServiceAccountID), nil)
	}
	awscdk.NewCfnOutput(scope, jsii.String("SecretArn"), &awscdk.CfnOutputProps{
		Description: jsii.String("Secret of target " + target.Name),
		Value:       secret.SecretArn(),
	})
	if len(target.Readers) > 0 {
		s.grantDirectReaders(target, secret)
	}
	if !target.IsAdmin() {
		role := s.newTeamReadRole(scope, target, secret)
		awscdk.NewCfnOutput(scope, jsii.String("ReadRoleArn"), &awscdk.CfnOutputProps{
			Description: jsii.String("Role that target " + target.Name + "'s accounts assume to read its secret"),
			Value:       role.RoleArn(),
		})
	}
	return secret
}

// newTeamReadRole creates the role a team assumes from its own accounts to
// read its secret, and nothing else: the key may decrypt only through
// Secrets Manager and only for that secret.
func (s *rotationStack) newTeamReadRole(scope constructs.Construct, target deploy.Target, secret awssecretsmanager.Secret) awsiam.Role {
	role := awsiam.NewRole(scope, jsii.String("ReadRole"), &awsiam.RoleProps{
		RoleName:    jsii.String(s.cfg.Prefix + "-read-" + target.Name),
		Description: jsii.String("ddrotate: read the Datadog credential of target " + target.Name),
		AssumedBy:   awsiam.NewPrincipalWithConditions(awsiam.NewCompositePrincipal(*accountPrincipals(target.Accounts)...), teamTrustConditions(target)),
	})
	role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:   jsii.Strings("secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"),
		Resources: jsii.Strings(*secret.SecretArn()),
	}))
	role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:   jsii.Strings("kms:Decrypt"),
		Resources: jsii.Strings(*s.key.KeyArn()),
		Conditions: &map[string]any{"StringEquals": map[string]any{
			"kms:ViaService":                  s.viaService("secretsmanager"),
			"kms:EncryptionContext:SecretARN": secret.SecretArn(),
		}},
	}))
	return role
}

// teamTrustConditions returns the conditions a team's AssumeRole must meet
// besides coming from one of its accounts.
func teamTrustConditions(target deploy.Target) *map[string]any {
	equals := map[string]any{}
	if target.ExternalID != "" {
		equals["sts:ExternalId"] = target.ExternalID
	}
	if target.OrganizationID != "" {
		equals["aws:PrincipalOrgID"] = target.OrganizationID
	}
	return &map[string]any{"StringEquals": equals}
}

// accountPrincipals returns the root principals of the given AWS accounts.
func accountPrincipals(accounts []string) *[]awsiam.IPrincipal {
	principals := make([]awsiam.IPrincipal, len(accounts))
	for i, account := range accounts {
		principals[i] = awsiam.NewAccountPrincipal(jsii.String(account))
	}
	return &principals
}

// grantDirectReaders lets the target's readers (roles in the team's own
// accounts that cannot assume the team's read role, such as a Lambda
// function's execution role for the Datadog Lambda Extension) read the
// secret with their own credentials. Cross-account reads need both sides:
// the secret's resource policy names each reader, and the key policy lets
// the readers' accounts decrypt through Secrets Manager, ddrotate's secrets
// only; the readers' own policies must allow the same calls.
func (s *rotationStack) grantDirectReaders(target deploy.Target, secret awssecretsmanager.Secret) {
	readers := make([]awsiam.IPrincipal, len(target.Readers))
	for i, arn := range target.Readers {
		readers[i] = awsiam.NewArnPrincipal(jsii.String(arn))
	}
	secret.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("DirectReaders"),
		Principals: &readers,
		Actions:    jsii.Strings("secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"),
		Resources:  jsii.Strings("*"), // in a secret's resource policy, "*" is that secret
	}))
	for _, arn := range target.Readers {
		s.directReaderAccounts[deploy.AccountOfRoleARN(arn)] = true
	}
}

// grantDirectReadersKey adds the one key policy statement that every
// target's direct readers share, once all targets are known: its size grows
// with the number of reader accounts, never with the number of secrets.
func (s *rotationStack) grantDirectReadersKey() {
	if len(s.directReaderAccounts) == 0 {
		return
	}
	accounts := slices.Sorted(maps.Keys(s.directReaderAccounts))
	principals := make([]awsiam.IPrincipal, len(accounts))
	for i, account := range accounts {
		principals[i] = awsiam.NewAccountPrincipal(jsii.String(account))
	}
	s.key.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("DirectReadersDecryptThroughSecretsManager"),
		Principals: &principals,
		Actions:    jsii.Strings("kms:Decrypt"),
		Resources:  jsii.Strings("*"), // in a key policy, "*" is that key
		Conditions: &map[string]any{
			"StringEquals": map[string]any{"kms:ViaService": s.viaService("secretsmanager")},
			"StringLike": map[string]any{"kms:EncryptionContext:SecretARN": s.stack.FormatArn(&awscdk.ArnComponents{
				Service:      jsii.String("secretsmanager"),
				Resource:     jsii.String("secret"),
				ResourceName: jsii.String(s.cfg.SecretPrefix + "*"),
				ArnFormat:    awscdk.ArnFormat_COLON_RESOURCE_NAME,
			})},
		},
	}), jsii.Bool(false))
}
