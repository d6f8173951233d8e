package deploy

import "time"

// AWS limits that a deployment must stay within. Validate refuses a config
// that would cross one when deployed or run; the CDK app checks the
// synthesized templates and policies against the CloudFormation and IAM
// ones at every synth; the local executor enforces the Step Functions ones.
const (
	// StatePayloadLimit is Step Functions' hard limit on a state's or an
	// execution's input or output and on a task's result: 256 KiB of
	// UTF-8 JSON. Crossing it fails the execution with
	// States.DataLimitExceeded.
	StatePayloadLimit = 256 * 1024
	// HistoryEventLimit is Step Functions' hard limit on one execution's
	// history; an execution that reaches it fails (States.Runtime).
	HistoryEventLimit = 25000
	// StandardExecutionLimit is how long a Standard workflow execution may
	// run before Step Functions stops it.
	StandardExecutionLimit = 365 * 24 * time.Hour
	// DistributedMapMaxConcurrency is the most child workflow executions a
	// Distributed Map runs at once.
	DistributedMapMaxConcurrency = 10000

	// TemplateResourceLimit, TemplateOutputLimit and TemplateParameterLimit
	// are CloudFormation's per-template quotas.
	TemplateResourceLimit  = 500
	TemplateOutputLimit    = 200
	TemplateParameterLimit = 200
	// TemplateBytesLimit is CloudFormation's limit on a template uploaded to
	// S3 ("1 MB"), taken as 1,000,000 bytes to err on the safe side.
	TemplateBytesLimit = 1000000

	// RolePolicyLimit is IAM's limit on the inline policies of one role
	// together, in characters other than white space.
	RolePolicyLimit = 10240
	// TrustPolicyLimit is IAM's default limit on a role's trust policy, in
	// characters other than white space (adjustable to 4,096).
	TrustPolicyLimit = 2048
	// RolesPerAccountQuota is IAM's default quota of roles in an account,
	// and RolesPerAccountMax the most it can be raised to.
	RolesPerAccountQuota = 1000
	RolesPerAccountMax   = 5000

	// SecretTagLimit is how many tags a secret may carry.
	SecretTagLimit = 50
	// SecretPolicyLimit is the size of a secret's resource policy, in characters.
	SecretPolicyLimit = 20480
	// KeyPolicyLimit is the size of a KMS key policy, in bytes.
	KeyPolicyLimit = 32768
	// TopicPolicyLimit is the size of an SNS topic's access policy, in bytes.
	TopicPolicyLimit = 30 * 1024
)

// settingTagsPerSecret is the most tags the stack puts on a secret besides
// its reader tags: target, kind, grace seconds, max grace seconds, service
// account id and deployment.
const settingTagsPerSecret = 6

// MaxAccountsPerTarget is how many accounts a team target may list: each
// account's reader group is granted through one tag on the secret.
const MaxAccountsPerTarget = SecretTagLimit - settingTagsPerSecret

// FixedRoles is how many IAM roles a deployment creates besides its reader
// groups' roles: one per step, one per state machine and the schedule's.
func FixedRoles() int { return len(steps) + 2 + 1 }
