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

// secretRotationReason is why no secret has Secrets Manager's own rotation.
const secretRotationReason = "Rotated by ddrotate's rotate-target state machine on the EventBridge schedule and on demand. " +
	"Secrets Manager's own rotation (one Lambda, four fixed steps) cannot keep the replaced Datadog key valid through a grace period of hours " +
	"nor roll back keys created in Datadog; attaching it as well would rotate the secret behind the state machine's back."

// newSecret creates a target's secret in scope, tagged with the target's
// settings (which the steps read, so that a rotation needs nothing but the
// target's name), the deployment (by which the step roles and the fleet
// run find the deployment's secrets) and the tag of each reader group that
// may read it. It is an L1 resource: a fleet has thousands, and the L2
// construct's extra constructs and calls cost synth time for nothing.
func (s *rotationStack) newSecret(scope constructs.Construct, target deploy.Target) awssecretsmanager.CfnSecret {
	tags := []*awscdk.CfnTag{
		{Key: jsii.String(deploy.TagTarget), Value: jsii.String(target.Name)},
		{Key: jsii.String(deploy.TagKind), Value: jsii.String(string(target.Kind))},
		{Key: jsii.String(deploy.TagGraceSeconds), Value: jsii.String(strconv.Itoa(int(target.Grace.Seconds())))},
		{Key: jsii.String(deploy.TagMaxGraceSeconds), Value: jsii.String(strconv.Itoa(int(target.MaxGrace.Seconds())))},
		{Key: jsii.String(deploy.TagDeployment), Value: jsii.String(s.cfg.Prefix)},
	}
	if target.Kind == deploy.KindAPIAppKey {
		tags = append(tags, &awscdk.CfnTag{Key: jsii.String(deploy.TagServiceAccountID), Value: jsii.String(target.ServiceAccountID)})
	}
	for _, g := range target.ReaderGroups() {
		tags = append(tags, &awscdk.CfnTag{Key: jsii.String(g.TagKey()), Value: jsii.String(deploy.ReaderTagValue)})
	}
	secret := awssecretsmanager.NewCfnSecret(scope, jsii.String("Secret-"+target.Name), &awssecretsmanager.CfnSecretProps{
		Name:        jsii.String(s.cfg.SecretName(target.Name)),
		Description: jsii.String("ddrotate: Datadog " + string(target.Kind) + " credential of target " + target.Name + ", rotated by the " + s.targetMachineName() + " state machine"),
		KmsKeyId:    s.key.KeyArn(),
		// CloudFormation needs an initial value and writes it once, at
		// creation; from then on the state machine owns every version.
		// Changing the generator would make CloudFormation write a new
		// AWSCURRENT over the credential, so it must stay as it is.
		GenerateSecretString: &awssecretsmanager.CfnSecret_GenerateSecretStringProperty{
			SecretStringTemplate: jsii.String(uninitializedSecretTemplate),
			GenerateStringKey:    jsii.String("placeholder"),
		},
		Tags: &tags,
	})
	// Deleting the stack must not lose a team's working credential.
	secret.ApplyRemovalPolicy(awscdk.RemovalPolicy_RETAIN, nil)
	return secret
}

// newAdminSecret creates the admin target's secret in the main stack. No
// reader group's tag is on it, so no team role can read it.
func (s *rotationStack) newAdminSecret() {
	secret := s.newSecret(s.stack, s.cfg.Admin())
	suppressNag(secret, "AwsSolutions-SMG4", secretRotationReason)
}

// newTargetStacks puts every team target's secret, its direct readers'
// resource policy and every reader group's role into the nested stack of
// its bucket (deploy.TemplateBuckets, by name): each template stays within
// CloudFormation's limits at any fleet size, and a target added or removed
// moves no other target's resources.
func (s *rotationStack) newTargetStacks() {
	buckets := map[int]awscdk.NestedStack{}
	bucket := func(i int) awscdk.NestedStack {
		if nested, ok := buckets[i]; ok {
			return nested
		}
		name := deploy.TemplateBucketName(i)
		nested := awscdk.NewNestedStack(s.stack, jsii.String(name), &awscdk.NestedStackProps{
			Description: jsii.String("ddrotate " + s.cfg.Prefix + ": the secrets and read roles of the targets and reader groups in bucket " + strconv.Itoa(i)),
		})
		s.stackNag(nested)
		buckets[i] = nested
		return nested
	}
	for _, target := range s.cfg.Targets {
		if target.IsAdmin() {
			continue
		}
		scope := bucket(deploy.TargetBucket(target.Name))
		secret := s.newSecret(scope, target)
		if len(target.Readers) > 0 {
			s.grantDirectReaders(scope, target, secret)
		}
	}
	for _, g := range s.cfg.ReaderGroups() {
		s.newReaderRole(bucket(deploy.ReaderBucket(g)), g)
	}
}

// stackNag records, once for a nested stack, the findings its resources
// share and why each is accepted.
func (s *rotationStack) stackNag(nested awscdk.NestedStack) {
	suppressNagInStack(nested, "AwsSolutions-SMG4", secretRotationReason)
	suppressNagInStack(nested, "AwsSolutions-IAM5", "A reader group's role reads the secrets of the deployment whose tag names the group (secretsmanager:ResourceTag conditions), "+
		"so its policy stays the same size however many targets the group reads; the wildcard stays within the deployment's secret name prefix, "+
		"and the key decrypts only through Secrets Manager and for those names.", secretsFinding(s.cfg.SecretPrefix))
}

// newReaderRole creates the role a reader group assumes from its account,
// with its ExternalId and organization conditions: it may read the
// deployment's secrets that carry the group's tag, and nothing else. The
// policy names no secret, so its size does not grow with the group's
// targets; the key may decrypt only through Secrets Manager and only for
// the deployment's secrets.
func (s *rotationStack) newReaderRole(scope constructs.Construct, g deploy.ReaderGroup) {
	secrets := s.deploymentSecretsARN()
	policy := awsiam.NewPolicyDocument(&awsiam.PolicyDocumentProps{Statements: &[]awsiam.PolicyStatement{
		awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Actions:   jsii.Strings("secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"),
			Resources: &[]*string{secrets},
			Conditions: &map[string]any{"StringEquals": map[string]any{
				"secretsmanager:ResourceTag/" + deploy.TagDeployment: s.cfg.Prefix,
				"secretsmanager:ResourceTag/" + g.TagKey():           deploy.ReaderTagValue,
			}},
		}),
		awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Actions:   jsii.Strings("kms:Decrypt"),
			Resources: jsii.Strings(*s.key.KeyArn()),
			Conditions: &map[string]any{
				"StringEquals": map[string]any{"kms:ViaService": s.viaService("secretsmanager")},
				"StringLike":   map[string]any{"kms:EncryptionContext:SecretARN": secrets},
			},
		}),
	}})
	awsiam.NewRole(scope, jsii.String("ReadRole-"+g.ID()), &awsiam.RoleProps{
		RoleName:       jsii.String(s.cfg.ReaderRoleName(g)),
		Description:    jsii.String("ddrotate: read the Datadog credentials of the targets that account " + g.Account + " reads with these trust conditions"),
		AssumedBy:      awsiam.NewPrincipalWithConditions(awsiam.NewAccountPrincipal(jsii.String(g.Account)), readerTrustConditions(g)),
		InlinePolicies: &map[string]awsiam.PolicyDocument{"ReadTaggedSecrets": policy},
	})
}

// readerTrustConditions returns the conditions a reader group's AssumeRole
// must meet besides coming from its account: the team target's ExternalId
// and organization, as before the roles were shared.
func readerTrustConditions(g deploy.ReaderGroup) *map[string]any {
	equals := map[string]any{}
	if g.ExternalID != "" {
		equals["sts:ExternalId"] = g.ExternalID
	}
	if g.OrganizationID != "" {
		equals["aws:PrincipalOrgID"] = g.OrganizationID
	}
	return &map[string]any{"StringEquals": equals}
}

// deploymentSecretsARN matches every secret under the deployment's prefix;
// policies narrow it with the deployment's tag.
func (s *rotationStack) deploymentSecretsARN() *string {
	return s.stack.FormatArn(&awscdk.ArnComponents{
		Service:      jsii.String("secretsmanager"),
		Resource:     jsii.String("secret"),
		ResourceName: jsii.String(s.cfg.SecretPrefix + "*"),
		ArnFormat:    awscdk.ArnFormat_COLON_RESOURCE_NAME,
	})
}

// secretsFinding is how cdk-nag names the deployment's secrets wildcard in
// an IAM5 finding.
func secretsFinding(secretPrefix string) string {
	return "Resource::arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:" + secretPrefix + "*"
}

// grantDirectReaders lets the target's readers (roles in the team's own
// accounts that cannot assume a read role, such as a Lambda function's
// execution role for the Datadog Lambda Extension) read the secret with
// their own credentials. Cross-account reads need both sides: the secret's
// resource policy names each reader, and the key policy lets the readers'
// accounts decrypt through Secrets Manager, ddrotate's secrets only; the
// readers' own policies must allow the same calls.
func (s *rotationStack) grantDirectReaders(scope constructs.Construct, target deploy.Target, secret awssecretsmanager.CfnSecret) {
	readers := make([]awsiam.IPrincipal, len(target.Readers))
	for i, arn := range target.Readers {
		readers[i] = awsiam.NewArnPrincipal(jsii.String(arn))
	}
	document := awsiam.NewPolicyDocument(&awsiam.PolicyDocumentProps{Statements: &[]awsiam.PolicyStatement{
		awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:        jsii.String("DirectReaders"),
			Principals: &readers,
			Actions:    jsii.Strings("secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"),
			Resources:  jsii.Strings("*"), // in a secret's resource policy, "*" is that secret
		}),
	}})
	awssecretsmanager.NewCfnResourcePolicy(scope, jsii.String("Readers-"+target.Name), &awssecretsmanager.CfnResourcePolicyProps{
		SecretId:          secret.Ref(),
		ResourcePolicy:    document,
		BlockPublicPolicy: jsii.Bool(true),
	})
}

// grantDirectReadersKey adds the one key policy statement that every
// target's direct readers share: its size grows with the number of reader
// accounts, never with the number of secrets.
func (s *rotationStack) grantDirectReadersKey() {
	accounts := map[string]bool{}
	for _, target := range s.cfg.Targets {
		for _, arn := range target.Readers {
			accounts[deploy.AccountOfRoleARN(arn)] = true
		}
	}
	if len(accounts) == 0 {
		return
	}
	sorted := slices.Sorted(maps.Keys(accounts))
	principals := make([]awsiam.IPrincipal, len(sorted))
	for i, account := range sorted {
		principals[i] = awsiam.NewAccountPrincipal(jsii.String(account))
	}
	s.key.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("DirectReadersDecryptThroughSecretsManager"),
		Principals: &principals,
		Actions:    jsii.Strings("kms:Decrypt"),
		Resources:  jsii.Strings("*"), // in a key policy, "*" is that key
		Conditions: &map[string]any{
			"StringEquals": map[string]any{"kms:ViaService": s.viaService("secretsmanager")},
			"StringLike":   map[string]any{"kms:EncryptionContext:SecretARN": s.deploymentSecretsARN()},
		},
	}), jsii.Bool(false))
}
