package localenv

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/ddrotate/ddrotate/internal/awsemu"
	"github.com/ddrotate/ddrotate/shared/credential"
	"github.com/ddrotate/ddrotate/shared/deploy"
)

// TargetSpec describes a team target to set up.
type TargetSpec struct {
	Name string
	Kind deploy.Kind // api-key or api-app-key
	// Grace overrides the deployment's default grace period (0 = default).
	Grace time.Duration
	// MaxGrace overrides how long a scheduled rotation may hold an old key
	// still in use (0 = the default, 7 days).
	MaxGrace time.Duration
	// Scopes of the team's initial application key (api-app-key).
	Scopes []string
	// TeamAccountID is the consumer team's AWS account (default derived
	// from the target's position).
	TeamAccountID string
	ExternalID    string
}

// putAdminSecret stores the seeded admin credential as the admin target.
func (e *Env) putAdminSecret(ctx context.Context) error {
	admin := credential.Admin{
		APIKey: credential.NewSecret(e.Admin.APIKey), APIKeyID: e.Admin.APIKeyID,
		AppKey: credential.NewSecret(e.Admin.AppKey), AppKeyID: e.Admin.AppKeyID,
		ServiceAccountID: e.Admin.ServiceAccountID, Site: Site,
	}
	value, err := admin.SecretString()
	if err != nil {
		return fmt.Errorf("encode the seeded admin credential: %w", err)
	}
	arn, err := e.createSecret(ctx, AdminTarget, deploy.KindAdmin, 0, 0, "", value, "")
	if err != nil {
		return err
	}
	e.Targets[AdminTarget] = &Target{Name: AdminTarget, Kind: deploy.KindAdmin, SecretARN: arn, ServiceAccountID: e.Admin.ServiceAccountID}
	return nil
}

// AddTarget creates a team's initial Datadog key(s), its secret (tagged as
// the CDK stack tags it), its read-only role and its filtered subscription.
func (e *Env) AddTarget(ctx context.Context, spec TargetSpec) (*Target, error) {
	if !deploy.ValidTargetName(spec.Name) {
		return nil, fmt.Errorf("target name %q is not valid", spec.Name)
	}
	if _, dup := e.Targets[spec.Name]; dup {
		return nil, fmt.Errorf("target %q already exists", spec.Name)
	}
	t := &Target{Name: spec.Name, Kind: spec.Kind, TeamAccountID: spec.TeamAccountID, ExternalID: spec.ExternalID}
	if t.TeamAccountID == "" {
		t.TeamAccountID = fmt.Sprintf("%012d", 111111111111*(len(e.Targets)%8+1))
	}
	api := e.Datadog.AddAPIKey(spec.Name + "-initial")
	team := credential.Team{APIKey: credential.NewSecret(api.Key), APIKeyID: api.ID, Site: Site}
	switch spec.Kind {
	case deploy.KindAPIKey:
	case deploy.KindAPIAppKey:
		sa := e.Datadog.AddServiceAccount(spec.Name + "-service-account")
		app := e.Datadog.AddAppKey(sa.ID, spec.Name+"-initial", spec.Scopes)
		team.AppKey, team.AppKeyID, team.ServiceAccountID = credential.NewSecret(app.Key), app.ID, sa.ID
		t.ServiceAccountID = sa.ID
	default:
		return nil, fmt.Errorf("target %q: kind must be %q or %q", spec.Name, deploy.KindAPIKey, deploy.KindAPIAppKey)
	}
	value, err := team.SecretString()
	if err != nil {
		return nil, fmt.Errorf("encode target %q's initial credential: %w", spec.Name, err)
	}
	group := deploy.ReaderGroup{Account: t.TeamAccountID, ExternalID: t.ExternalID}
	if t.SecretARN, err = e.createSecret(ctx, spec.Name, spec.Kind, spec.Grace, spec.MaxGrace, t.ServiceAccountID, value, group.TagKey()); err != nil {
		return nil, err
	}
	t.RoleARN = e.grantReaderGroup(t)
	t.TeamAccessKeyID = fmt.Sprintf("AKIATEAM%012d", len(e.Targets))
	e.AWS.AddAccessKey(t.TeamAccessKeyID, t.TeamAccountID)

	sub, err := e.Topic.Subscribe(ctx, &sns.SubscribeInput{
		TopicArn:              aws.String(e.TopicARN),
		Protocol:              aws.String("sqs"),
		Endpoint:              aws.String("arn:aws:sqs:" + Region + ":" + t.TeamAccountID + ":" + spec.Name + "-ddrotate-events"),
		ReturnSubscriptionArn: true,
	})
	if err != nil {
		return nil, fmt.Errorf("subscribe team %q: %w", spec.Name, err)
	}
	t.SubscriptionARN = aws.ToString(sub.SubscriptionArn)
	policy, _ := json.Marshal(map[string][]string{"target": {spec.Name}})
	if _, err := e.Topic.SetSubscriptionAttributes(ctx, &sns.SetSubscriptionAttributesInput{
		SubscriptionArn: sub.SubscriptionArn,
		AttributeName:   aws.String("FilterPolicy"),
		AttributeValue:  aws.String(string(policy)),
	}); err != nil {
		return nil, fmt.Errorf("set team %q's filter policy: %w", spec.Name, err)
	}
	e.Targets[spec.Name] = t
	return t, nil
}

// grantReaderGroup lets the target's reader group (its team account and
// ExternalId) read its secret, as the stack does: one role per group,
// created with the group's first target and extended with each next one,
// and returns the role's ARN.
func (e *Env) grantReaderGroup(t *Target) string {
	group := deploy.ReaderGroup{Account: t.TeamAccountID, ExternalID: t.ExternalID}
	role, ok := e.readerRoles[group.ID()]
	if !ok {
		role = &awsemu.Role{
			Name:            deploy.Config{Prefix: Prefix}.ReaderRoleName(group),
			TrustedAccounts: []string{t.TeamAccountID},
			ExternalID:      t.ExternalID,
		}
		e.readerRoles[group.ID()] = role
	}
	role.ReadableSecrets = append(role.ReadableSecrets, t.SecretARN)
	return e.AWS.AddRole(*role)
}

// createSecret creates a target's secret, tagged as the stack tags it:
// with its configuration, the deployment, and (readerTag, unless empty)
// its reader group's tag.
func (e *Env) createSecret(ctx context.Context, name string, kind deploy.Kind, grace, maxGrace time.Duration, serviceAccountID, value, readerTag string) (string, error) {
	tags := []smtypes.Tag{
		{Key: aws.String(deploy.TagTarget), Value: aws.String(name)},
		{Key: aws.String(deploy.TagKind), Value: aws.String(string(kind))},
		{Key: aws.String(deploy.TagDeployment), Value: aws.String(Prefix)},
	}
	if readerTag != "" {
		tags = append(tags, smtypes.Tag{Key: aws.String(readerTag), Value: aws.String(deploy.ReaderTagValue)})
	}
	if grace > 0 {
		tags = append(tags, smtypes.Tag{Key: aws.String(deploy.TagGraceSeconds), Value: aws.String(strconv.Itoa(int(grace.Seconds())))})
	}
	if maxGrace > 0 {
		tags = append(tags, smtypes.Tag{Key: aws.String(deploy.TagMaxGraceSeconds), Value: aws.String(strconv.Itoa(int(maxGrace.Seconds())))})
	}
	if serviceAccountID != "" {
		tags = append(tags, smtypes.Tag{Key: aws.String(deploy.TagServiceAccountID), Value: aws.String(serviceAccountID)})
	}
	out, err := e.Secrets.CreateSecret(ctx, &secretsmanager.CreateSecretInput{
		Name:         aws.String(SecretPrefix + name),
		Description:  aws.String("ddrotate: Datadog credential of target " + name),
		SecretString: aws.String(value),
		Tags:         tags,
	})
	if err != nil {
		return "", fmt.Errorf("create the secret of target %q: %w", name, err)
	}
	return aws.ToString(out.ARN), nil
}
