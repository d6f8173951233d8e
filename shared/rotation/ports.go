package rotation

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/ddrotate/ddrotate/shared/credential"
	"github.com/ddrotate/ddrotate/shared/datadog"
)

// SecretsAPI is the part of the Secrets Manager client the steps call.
// *secretsmanager.Client satisfies it, in Lambda and against the local
// emulator alike.
type SecretsAPI interface {
	DescribeSecret(context.Context, *secretsmanager.DescribeSecretInput, ...func(*secretsmanager.Options)) (*secretsmanager.DescribeSecretOutput, error)
	GetSecretValue(context.Context, *secretsmanager.GetSecretValueInput, ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error)
	PutSecretValue(context.Context, *secretsmanager.PutSecretValueInput, ...func(*secretsmanager.Options)) (*secretsmanager.PutSecretValueOutput, error)
	UpdateSecretVersionStage(context.Context, *secretsmanager.UpdateSecretVersionStageInput, ...func(*secretsmanager.Options)) (*secretsmanager.UpdateSecretVersionStageOutput, error)
}

var _ SecretsAPI = (*secretsmanager.Client)(nil)

// PublishAPI is the part of the SNS client Notify calls.
type PublishAPI interface {
	Publish(context.Context, *sns.PublishInput, ...func(*sns.Options)) (*sns.PublishOutput, error)
}

var _ PublishAPI = (*sns.Client)(nil)

// ExecutionsAPI is the part of the Step Functions client Create calls to
// learn whether the execution holding a target's lock is still running.
type ExecutionsAPI interface {
	DescribeExecution(context.Context, *sfn.DescribeExecutionInput, ...func(*sfn.Options)) (*sfn.DescribeExecutionOutput, error)
}

var _ ExecutionsAPI = (*sfn.Client)(nil)

// KeysAPI is the part of the Datadog client the steps call.
type KeysAPI interface {
	CreateAPIKey(ctx context.Context, name string) (datadog.APIKey, error)
	GetAPIKey(ctx context.Context, id string) (datadog.APIKey, error)
	ListAPIKeys(ctx context.Context, nameFilter string) ([]datadog.APIKey, error)
	DeleteAPIKey(ctx context.Context, id string) error
	CreateAppKey(ctx context.Context, serviceAccountID, name string, scopes []string) (datadog.AppKey, error)
	GetAppKey(ctx context.Context, serviceAccountID, id string) (datadog.AppKey, error)
	GetOrgAppKey(ctx context.Context, id string) (datadog.AppKey, error)
	ListAppKeys(ctx context.Context, serviceAccountID, nameFilter string) ([]datadog.AppKey, error)
	DeleteAppKey(ctx context.Context, serviceAccountID, id string) error
	ValidateAPIKey(ctx context.Context, apiKey credential.Secret) error
	ValidateKeys(ctx context.Context, apiKey, appKey credential.Secret) error
}

var _ KeysAPI = (*datadog.Client)(nil)

// KeysFactory makes a Datadog client that acts with the given admin
// credential. Steps make one per invocation from the admin secret's
// AWSCURRENT, because the admin credential itself rotates.
type KeysFactory func(admin credential.Admin) (KeysAPI, error)
