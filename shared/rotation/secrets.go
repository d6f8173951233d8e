package rotation

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"

	"github.com/ddrotate/ddrotate/shared/credential"
	"github.com/ddrotate/ddrotate/shared/deploy"
)

// Secrets Manager staging labels.
const (
	stageCurrent  = "AWSCURRENT"
	stagePending  = "AWSPENDING"
	stagePrevious = "AWSPREVIOUS"
	// stageStaged marks a version that Create wrote but does not yet hold
	// the lock for. PutSecretValue must attach some label (without one it
	// would attach AWSCURRENT), and AWSPENDING can only be taken with
	// UpdateSecretVersionStage, which fails when another version holds it:
	// that failure is what makes AWSPENDING a lock.
	stageStaged = "DDROTATE_STAGED"
)

// Why a target's secret cannot be rotated before its first real credential.
var (
	errNoValueYet  = errors.New("has no value yet: put the first credential as described in the README")
	errPlaceholder = errors.New("holds the stack's placeholder, not a credential: put the first credential as described in the README")
)

// secretState is a target's secret as DescribeSecret shows it.
type secretState struct {
	target Target
	arn    string
	// versionOf maps a staging label to the version that carries it.
	versionOf map[string]string
}

// describeTarget loads target name's configuration and staging labels.
func (s *Steps) describeTarget(ctx context.Context, name string) (secretState, error) {
	out, err := s.Secrets.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String(s.secretIDFor(name))})
	if err != nil {
		if isAWSError[*smtypes.ResourceNotFoundException](err) {
			return secretState{}, &InputError{Field: "target", Problem: fmt.Sprintf("unknown target %q: there is no secret %s", name, s.secretIDFor(name))}
		}
		return secretState{}, awsErr("describe secret of "+name, err)
	}
	if out.DeletedDate != nil {
		return secretState{}, &ConfigError{Target: name, Field: "secret " + aws.ToString(out.ARN),
			Problem: "is scheduled for deletion; restore it (aws secretsmanager restore-secret) or remove the target"}
	}
	tags := make(map[string]string, len(out.Tags))
	for _, t := range out.Tags {
		tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	target, err := targetFromTags(name, aws.ToString(out.ARN), tags, s.Config.DefaultGrace)
	if err != nil {
		return secretState{}, err
	}
	st := secretState{target: target, arn: aws.ToString(out.ARN), versionOf: map[string]string{}}
	for version, stages := range out.VersionIdsToStages {
		for _, stage := range stages {
			st.versionOf[stage] = version
		}
	}
	return st, nil
}

// getVersion reads one version of a secret. found is false when the version
// does not exist.
func (s *Steps) getVersion(ctx context.Context, secretID, versionID string) (value string, found bool, err error) {
	out, err := s.Secrets.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(secretID), VersionId: aws.String(versionID)})
	if err != nil {
		if isAWSError[*smtypes.ResourceNotFoundException](err) {
			return "", false, nil
		}
		return "", false, awsErr("get secret value", err)
	}
	return aws.ToString(out.SecretString), true, nil
}

// getStage reads the version of a secret that carries stage.
func (s *Steps) getStage(ctx context.Context, secretID, stage string) (value, versionID string, err error) {
	out, err := s.Secrets.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(secretID), VersionStage: aws.String(stage)})
	if err != nil {
		if isAWSError[*smtypes.ResourceNotFoundException](err) {
			return "", "", &SecretError{SecretID: secretID, Stage: stage, Err: errNoValueYet}
		}
		return "", "", awsErr("get secret value", err)
	}
	return aws.ToString(out.SecretString), aws.ToString(out.VersionId), nil
}

// adminCredential reads and checks the admin credential now in use.
func (s *Steps) adminCredential(ctx context.Context) (credential.Admin, error) {
	raw, _, err := s.getStage(ctx, s.Config.AdminSecretID, stageCurrent)
	if err != nil {
		return credential.Admin{}, err
	}
	admin, err := credential.ParseAdmin([]byte(raw))
	if err != nil {
		return credential.Admin{}, &SecretError{SecretID: s.Config.AdminSecretID, Stage: stageCurrent, Err: err}
	}
	if admin.Site != s.Config.Site {
		return credential.Admin{}, &SecretError{SecretID: s.Config.AdminSecretID, Stage: stageCurrent,
			Err: &credential.FieldError{Field: "site", Problem: fmt.Sprintf("is %s but this deployment rotates keys of %s; ddrotate never sends a key to another site", admin.Site, s.Config.Site)}}
	}
	return admin, nil
}

// keysClient returns a Datadog client acting with the current admin
// credential.
func (s *Steps) keysClient(ctx context.Context) (KeysAPI, credential.Admin, error) {
	admin, err := s.adminCredential(ctx)
	if err != nil {
		return nil, credential.Admin{}, err
	}
	keys, err := s.Keys(admin)
	if err != nil {
		return nil, credential.Admin{}, &ConfigError{Field: "datadog client", Problem: err.Error()}
	}
	return keys, admin, nil
}

// value is a parsed secret value of either kind: a team credential or the
// admin credential.
type value struct {
	kind  Kind
	team  credential.Team
	admin credential.Admin
}

// keySet is the part of a credential that a rotation replaces. Its
// application key belongs to the target's service account.
type keySet struct {
	APIKey   credential.Secret
	APIKeyID string
	AppKey   credential.Secret
	AppKeyID string
	Scopes   []string
}

func (ks keySet) ids() Keys {
	return Keys{APIKeyID: ks.APIKeyID, APIKeyLast4: ks.APIKey.Last4(), AppKeyID: ks.AppKeyID, AppKeyLast4: ks.AppKey.Last4()}
}

// parseValue parses a secret value as the target's kind requires.
func parseValue(t Target, raw string) (value, error) {
	v := value{kind: t.Kind}
	var err error
	if t.Kind == deploy.KindAdmin {
		v.admin, err = credential.ParseAdmin([]byte(raw))
		return v, err
	}
	v.team, err = credential.ParseTeam([]byte(raw))
	if err != nil {
		return v, err
	}
	switch {
	case t.Kind == deploy.KindAPIAppKey && !v.team.HasAppKey():
		return v, &credential.FieldError{Field: "appKey", Problem: "is required: the target is of kind api-app-key"}
	case t.Kind == deploy.KindAPIAppKey && v.team.ServiceAccountID != t.ServiceAccountID:
		return v, &credential.FieldError{Field: "serviceAccountId", Problem: "differs from the target's configured service account"}
	case t.Kind == deploy.KindAPIKey && v.team.HasAppKey():
		return v, &credential.FieldError{Field: "appKey", Problem: "is not expected: the target is of kind api-key"}
	}
	return v, nil
}

func (v value) site() credential.Site {
	if v.kind == deploy.KindAdmin {
		return v.admin.Site
	}
	return v.team.Site
}

func (v value) keys() keySet {
	if v.kind == deploy.KindAdmin {
		return keySet{APIKey: v.admin.APIKey, APIKeyID: v.admin.APIKeyID, AppKey: v.admin.AppKey, AppKeyID: v.admin.AppKeyID}
	}
	t := v.team
	return keySet{APIKey: t.APIKey, APIKeyID: t.APIKeyID, AppKey: t.AppKey, AppKeyID: t.AppKeyID, Scopes: t.Scopes}
}

// withKeys returns the secret string of v with ks in place of its keys and
// meta as its metadata; unknown fields are kept.
func (v value) withKeys(ks keySet, meta credential.Metadata) (string, error) {
	if v.kind == deploy.KindAdmin {
		a := v.admin
		a.APIKey, a.APIKeyID, a.AppKey, a.AppKeyID = ks.APIKey, ks.APIKeyID, ks.AppKey, ks.AppKeyID
		a.Metadata = meta
		return a.SecretString()
	}
	t := v.team
	t.APIKey, t.APIKeyID = ks.APIKey, ks.APIKeyID
	if v.kind == deploy.KindAPIAppKey {
		t.AppKey, t.AppKeyID, t.Scopes = ks.AppKey, ks.AppKeyID, ks.Scopes
	}
	t.Metadata = meta
	return t.SecretString()
}

// holderOf reads which execution wrote a secret version, from the
// executionId metadata every version ddrotate writes carries. It parses only
// that field, so a malformed value still names its writer when it can.
func holderOf(raw string) string {
	var meta struct {
		ExecutionID string `json:"executionId"`
	}
	if json.Unmarshal([]byte(raw), &meta) != nil {
		return ""
	}
	return meta.ExecutionID
}

// uninitialized reports whether raw is the placeholder the CDK stack writes
// when it creates a target's secret, before the platform team puts the
// first real credential.
func uninitialized(raw string) bool {
	var v map[string]json.RawMessage
	if json.Unmarshal([]byte(raw), &v) != nil {
		return false
	}
	_, placeholder := v["uninitialized"]
	return placeholder
}
