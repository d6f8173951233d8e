package awsemu

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"
)

const (
	teamAKey     = "AKIATEAMA"
	teamAAccount = "111111111111"
	teamBKey     = "AKIATEAMB"
	teamBAccount = "222222222222"
)

// fakeClock is a settable clock for session expiry.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// crossAccountSetup is the deployed shape: two team secrets, one read-only
// role per team trusted by that team's account only.
type crossAccountSetup struct {
	*testEmulator
	clock           *fakeClock
	teamARole       string
	teamASecretARN  string
	teamBSecretARN  string
	teamAExternalID string
	teamASTS        *sts.Client
}

func setUpCrossAccount(t *testing.T) *crossAccountSetup {
	t.Helper()
	ctx := context.Background()
	clock := &fakeClock{now: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)}
	e := startEmulator(t, Options{Now: clock.Now})
	admin := e.adminSecrets(t)
	c := &crossAccountSetup{testEmulator: e, clock: clock, teamAExternalID: "team-a-external-id"}
	for _, name := range []string{"ddrotate/team-a", "ddrotate/team-b"} {
		out, err := admin.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String(name), SecretString: aws.String(name + " value")})
		if err != nil {
			t.Fatal(err)
		}
		if name == "ddrotate/team-a" {
			c.teamASecretARN = aws.ToString(out.ARN)
		} else {
			c.teamBSecretARN = aws.ToString(out.ARN)
		}
	}
	e.AddAccessKey(teamAKey, teamAAccount)
	e.AddAccessKey(teamBKey, teamBAccount)
	c.teamARole = e.AddRole(Role{Name: "ddrotate-read-team-a", TrustedAccounts: []string{teamAAccount},
		ExternalID: c.teamAExternalID, ReadableSecrets: []string{c.teamASecretARN}})
	e.AddRole(Role{Name: "ddrotate-read-team-b", TrustedAccounts: []string{teamBAccount}, ReadableSecrets: []string{"ddrotate/team-b"}})
	c.teamASTS = e.stsClient(t, teamAKey, "secret", "")
	return c
}

func (c *crossAccountSetup) assumeTeamARole(t *testing.T) *ststypes.Credentials {
	t.Helper()
	out, err := c.teamASTS.AssumeRole(context.Background(), &sts.AssumeRoleInput{
		RoleArn: aws.String(c.teamARole), RoleSessionName: aws.String("pipeline"), ExternalId: aws.String(c.teamAExternalID),
	})
	if err != nil {
		t.Fatalf("AssumeRole: %v", err)
	}
	return out.Credentials
}

func TestAssumeRoleIdentityAndExpiry(t *testing.T) {
	ctx := context.Background()
	c := setUpCrossAccount(t)

	who, err := c.teamASTS.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatalf("GetCallerIdentity as team key: %v", err)
	}
	if aws.ToString(who.Account) != teamAAccount || aws.ToString(who.Arn) != "arn:aws:iam::111111111111:root" {
		t.Errorf("team identity = %s %s", aws.ToString(who.Account), aws.ToString(who.Arn))
	}

	creds := c.assumeTeamARole(t)
	if got := aws.ToTime(creds.Expiration); !got.Equal(c.clock.Now().Add(time.Hour)) {
		t.Errorf("Expiration = %v, want one hour after now", got)
	}
	session := c.stsClient(t, aws.ToString(creds.AccessKeyId), aws.ToString(creds.SecretAccessKey), aws.ToString(creds.SessionToken))
	who, err = session.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatalf("GetCallerIdentity as session: %v", err)
	}
	if want := "arn:aws:sts::000000000000:assumed-role/ddrotate-read-team-a/pipeline"; aws.ToString(who.Arn) != want {
		t.Errorf("session Arn = %s, want %s", aws.ToString(who.Arn), want)
	}
	if aws.ToString(who.Account) != "000000000000" {
		t.Errorf("session Account = %s, want the role's account", aws.ToString(who.Account))
	}

	admin := c.stsClient(t, adminKey, "secret", "")
	who, err = admin.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil || aws.ToString(who.Arn) != "arn:aws:iam::000000000000:root" {
		t.Errorf("admin identity = %v, %v", who, err)
	}

	wrongToken := c.stsClient(t, aws.ToString(creds.AccessKeyId), aws.ToString(creds.SecretAccessKey), "forged")
	_, err = wrongToken.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	wantAPIError(t, err, "InvalidClientTokenId")

	c.clock.Advance(time.Hour)
	_, err = session.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	wantAPIError(t, err, "ExpiredToken")
	secrets := c.secretsClient(t, aws.ToString(creds.AccessKeyId), aws.ToString(creds.SecretAccessKey), aws.ToString(creds.SessionToken))
	_, err = secrets.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(c.teamASecretARN)})
	wantAPIError(t, err, "ExpiredTokenException")
}

func TestAssumeRoleRefusals(t *testing.T) {
	ctx := context.Background()
	c := setUpCrossAccount(t)
	creds := c.assumeTeamARole(t)
	session := c.stsClient(t, aws.ToString(creds.AccessKeyId), aws.ToString(creds.SecretAccessKey), aws.ToString(creds.SessionToken))
	teamB := c.stsClient(t, teamBKey, "secret", "")

	tests := []struct {
		name    string
		client  *sts.Client
		in      sts.AssumeRoleInput
		wantErr string
	}{
		{"wrong external id", c.teamASTS, sts.AssumeRoleInput{RoleArn: aws.String(c.teamARole), RoleSessionName: aws.String("s1"), ExternalId: aws.String("guess")}, "AccessDenied"},
		{"missing external id", c.teamASTS, sts.AssumeRoleInput{RoleArn: aws.String(c.teamARole), RoleSessionName: aws.String("s1")}, "AccessDenied"},
		{"untrusted account", teamB, sts.AssumeRoleInput{RoleArn: aws.String(c.teamARole), RoleSessionName: aws.String("s1"), ExternalId: aws.String(c.teamAExternalID)}, "AccessDenied"},
		{"unknown role", c.teamASTS, sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::000000000000:role/nope"), RoleSessionName: aws.String("s1")}, "AccessDenied"},
		{"role chaining from a read-only session", session, sts.AssumeRoleInput{RoleArn: aws.String(c.teamARole), RoleSessionName: aws.String("s1"), ExternalId: aws.String(c.teamAExternalID)}, "AccessDenied"},
		{"malformed role ARN", c.teamASTS, sts.AssumeRoleInput{RoleArn: aws.String("team-a"), RoleSessionName: aws.String("s1")}, "ValidationError"},
		{"invalid session name", c.teamASTS, sts.AssumeRoleInput{RoleArn: aws.String(c.teamARole), RoleSessionName: aws.String("has space")}, "ValidationError"},
		{"duration over the role's maximum", c.teamASTS, sts.AssumeRoleInput{RoleArn: aws.String(c.teamARole), RoleSessionName: aws.String("s1"), ExternalId: aws.String(c.teamAExternalID), DurationSeconds: aws.Int32(7200)}, "ValidationError"},
		{"duration too short", c.teamASTS, sts.AssumeRoleInput{RoleArn: aws.String(c.teamARole), RoleSessionName: aws.String("s1"), ExternalId: aws.String(c.teamAExternalID), DurationSeconds: aws.Int32(60)}, "ValidationError"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.client.AssumeRole(ctx, &tt.in)
			wantAPIError(t, err, tt.wantErr)
		})
	}
}

func TestRoleSessionReadsOnlyItsOwnSecret(t *testing.T) {
	ctx := context.Background()
	c := setUpCrossAccount(t)
	creds := c.assumeTeamARole(t)
	secrets := c.secretsClient(t, aws.ToString(creds.AccessKeyId), aws.ToString(creds.SecretAccessKey), aws.ToString(creds.SessionToken))

	for _, id := range []string{c.teamASecretARN, "ddrotate/team-a"} {
		got, err := secrets.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(id)})
		if err != nil {
			t.Fatalf("GetSecretValue(own secret %s): %v", id, err)
		}
		if aws.ToString(got.SecretString) != "ddrotate/team-a value" {
			t.Errorf("own secret value = %q", aws.ToString(got.SecretString))
		}
	}
	if _, err := secrets.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String(c.teamASecretARN)}); err != nil {
		t.Errorf("DescribeSecret(own secret): %v", err)
	}

	denied := []struct {
		name string
		call func() error
	}{
		{"another team's secret by ARN", func() error {
			_, err := secrets.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(c.teamBSecretARN)})
			return err
		}},
		{"another team's secret by name", func() error {
			_, err := secrets.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String("ddrotate/team-b")})
			return err
		}},
		{"a secret that does not exist", func() error {
			_, err := secrets.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("ddrotate/team-z")})
			return err
		}},
		{"writing its own secret", func() error {
			_, err := secrets.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String(c.teamASecretARN), SecretString: aws.String("x")})
			return err
		}},
		{"moving a label on its own secret", func() error {
			_, err := secrets.UpdateSecretVersionStage(ctx, &secretsmanager.UpdateSecretVersionStageInput{
				SecretId: aws.String(c.teamASecretARN), VersionStage: aws.String("AWSPENDING"), RemoveFromVersionId: aws.String(v1)})
			return err
		}},
		{"listing secrets", func() error {
			_, err := secrets.ListSecrets(ctx, &secretsmanager.ListSecretsInput{})
			return err
		}},
		{"listing versions of its own secret", func() error {
			_, err := secrets.ListSecretVersionIds(ctx, &secretsmanager.ListSecretVersionIdsInput{SecretId: aws.String(c.teamASecretARN)})
			return err
		}},
	}
	for _, tt := range denied {
		t.Run(tt.name, func(t *testing.T) { wantAPIError(t, tt.call(), "AccessDeniedException") })
	}

	t.Run("publishing to SNS", func(t *testing.T) {
		snsClient := sns.NewFromConfig(c.awsConfig(t, aws.ToString(creds.AccessKeyId), aws.ToString(creds.SecretAccessKey), aws.ToString(creds.SessionToken)),
			func(o *sns.Options) { o.BaseEndpoint = aws.String(c.URL) })
		_, err := snsClient.Publish(ctx, &sns.PublishInput{TopicArn: aws.String("arn:aws:sns:us-east-1:000000000000:t"), Message: aws.String("m")})
		wantAPIError(t, err, "AuthorizationError")
	})
}

func TestRoleWithoutExternalIDIgnoresOne(t *testing.T) {
	ctx := context.Background()
	c := setUpCrossAccount(t)
	teamB := c.stsClient(t, teamBKey, "secret", "")
	out, err := teamB.AssumeRole(ctx, &sts.AssumeRoleInput{
		RoleArn: aws.String("arn:aws:iam::000000000000:role/ddrotate-read-team-b"), RoleSessionName: aws.String("team-b"),
		ExternalId: aws.String("not-asked-for"),
	})
	if err != nil {
		t.Fatalf("AssumeRole: %v", err)
	}
	creds := out.Credentials
	secrets := c.secretsClient(t, aws.ToString(creds.AccessKeyId), aws.ToString(creds.SecretAccessKey), aws.ToString(creds.SessionToken))
	// The role lists its secret by name; reading by ARN is the same secret.
	if _, err := secrets.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(c.teamBSecretARN)}); err != nil {
		t.Errorf("GetSecretValue(own secret by ARN): %v", err)
	}
	_, err = secrets.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(c.teamASecretARN)})
	wantAPIError(t, err, "AccessDeniedException")
}

func TestTeamKeyCannotReadSecretsDirectly(t *testing.T) {
	c := setUpCrossAccount(t)
	teamA := c.secretsClient(t, teamAKey, "secret", "")
	_, err := teamA.GetSecretValue(context.Background(), &secretsmanager.GetSecretValueInput{SecretId: aws.String(c.teamASecretARN)})
	wantAPIError(t, err, "AccessDeniedException")
}
