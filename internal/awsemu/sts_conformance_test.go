package awsemu

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"
)

// Conformance of AssumeRole and GetCallerIdentity to the STS API reference.
// STS answers ValidationError with HTTP 400 and AccessDenied with 403.

// allowAll is an Authorizer that allows everything, so that role chaining
// can be exercised with policy-controlled roles.
type allowAll struct{}

func (allowAll) Authorize(AuthzRequest) AuthzDecision { return AuthzDecision{Allowed: true} }

func TestAssumeRoleConformance(t *testing.T) {
	ctx := context.Background()
	c := setUpCrossAccount(t)
	long := c.AddRole(Role{Name: "twelve-hours", TrustedAccounts: []string{teamAAccount}, MaxSessionDuration: 12 * time.Hour})
	assume := func(mutate func(*sts.AssumeRoleInput)) func() error {
		return func() error {
			in := sts.AssumeRoleInput{RoleArn: aws.String(long), RoleSessionName: aws.String("pipeline")}
			mutate(&in)
			_, err := c.teamASTS.AssumeRole(ctx, &in)
			return err
		}
	}
	raw := func(params string) func() error {
		return func() error { return c.queryRaw(t, teamAKey, "sts", "Action=AssumeRole&Version=2011-06-15&"+params) }
	}
	sessionTags := func(n int) []ststypes.Tag {
		var out []ststypes.Tag
		for i := range n {
			out = append(out, ststypes.Tag{Key: aws.String(fmt.Sprintf("k%d", i)), Value: aws.String("v")})
		}
		return out
	}
	roleParam := "RoleArn=" + url.QueryEscape(long)
	runConformance(t, []conformanceCase{
		{"RoleArn is required", raw("RoleSessionName=s1"), "ValidationError", 400},
		{"RoleSessionName is required", raw(roleParam), "ValidationError", 400},
		{"RoleArn: minimum length of 20", assume(func(in *sts.AssumeRoleInput) { in.RoleArn = aws.String("arn:aws:iam::1:role") }), "ValidationError", 400},
		{"RoleArn: maximum length of 2048", assume(func(in *sts.AssumeRoleInput) {
			in.RoleArn = aws.String("arn:aws:iam::000000000000:role/" + strings.Repeat("r", 2030))
		}), "ValidationError", 400},
		{"RoleArn: the ARN of a role", assume(func(in *sts.AssumeRoleInput) { in.RoleArn = aws.String("arn:aws:iam::000000000000:user/someone") }), "ValidationError", 400},
		{"RoleSessionName: minimum length of 2", assume(func(in *sts.AssumeRoleInput) { in.RoleSessionName = aws.String("s") }), "ValidationError", 400},
		{"RoleSessionName: maximum length of 64", assume(func(in *sts.AssumeRoleInput) { in.RoleSessionName = aws.String(strings.Repeat("s", 65)) }), "ValidationError", 400},
		{"RoleSessionName of 64 characters", assume(func(in *sts.AssumeRoleInput) { in.RoleSessionName = aws.String(strings.Repeat("s", 64)) }), "", 0},
		{"RoleSessionName: alphanumerics with no spaces, and _ + = , . @ -", assume(func(in *sts.AssumeRoleInput) { in.RoleSessionName = aws.String("ci/deploy") }), "ValidationError", 400},
		{"RoleSessionName with every allowed punctuation", assume(func(in *sts.AssumeRoleInput) { in.RoleSessionName = aws.String("a_b+c=d,e.f@g-h") }), "", 0},
		{"DurationSeconds: minimum value of 900", assume(func(in *sts.AssumeRoleInput) { in.DurationSeconds = aws.Int32(899) }), "ValidationError", 400},
		{"DurationSeconds: maximum value of 43200", assume(func(in *sts.AssumeRoleInput) { in.DurationSeconds = aws.Int32(43201) }), "ValidationError", 400},
		{"DurationSeconds up to the role's maximum session duration (12 hours)", assume(func(in *sts.AssumeRoleInput) { in.DurationSeconds = aws.Int32(43200) }), "", 0},
		{"DurationSeconds higher than the role's maximum session duration fails", func() error {
			_, err := c.teamASTS.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(c.teamARole), RoleSessionName: aws.String("s1"),
				ExternalId: aws.String(c.teamAExternalID), DurationSeconds: aws.Int32(3601)})
			return err
		}, "ValidationError", 400},
		{"DurationSeconds: an integer", raw(roleParam + "&RoleSessionName=s1&DurationSeconds=hour"), "ValidationError", 400},
		{"ExternalId: minimum length of 2", assume(func(in *sts.AssumeRoleInput) { in.ExternalId = aws.String("x") }), "ValidationError", 400},
		{"ExternalId: maximum length of 1224", assume(func(in *sts.AssumeRoleInput) { in.ExternalId = aws.String(strings.Repeat("x", 1225)) }), "ValidationError", 400},
		{"ExternalId: alphanumerics with no spaces, and _ + = , . @ : / -", assume(func(in *sts.AssumeRoleInput) { in.ExternalId = aws.String("has space") }), "ValidationError", 400},
		{"ExternalId of 1224 allowed characters", assume(func(in *sts.AssumeRoleInput) { in.ExternalId = aws.String("a_+=,.@:/-" + strings.Repeat("x", 1214)) }), "", 0},
		{"SourceIdentity: minimum length of 2", assume(func(in *sts.AssumeRoleInput) { in.SourceIdentity = aws.String("x") }), "ValidationError", 400},
		{"SourceIdentity: you cannot use a value that begins with aws:", assume(func(in *sts.AssumeRoleInput) { in.SourceIdentity = aws.String("aws:admin") }), "ValidationError", 400},
		{"SerialNumber: minimum length of 9", assume(func(in *sts.AssumeRoleInput) { in.SerialNumber = aws.String("GAHT1234") }), "ValidationError", 400},
		{"TokenCode: a sequence of six numeric digits", assume(func(in *sts.AssumeRoleInput) { in.TokenCode = aws.String("12345a") }), "ValidationError", 400},
		{"Tags: you can pass up to 50 session tags", assume(func(in *sts.AssumeRoleInput) { in.Tags = sessionTags(51) }), "ValidationError", 400},
		{"Tags: 50 session tags", assume(func(in *sts.AssumeRoleInput) { in.Tags = sessionTags(50) }), "", 0},
		{"Tags: keys can't exceed 128 characters", assume(func(in *sts.AssumeRoleInput) {
			in.Tags = []ststypes.Tag{{Key: aws.String(strings.Repeat("k", 129)), Value: aws.String("v")}}
		}), "ValidationError", 400},
		{"Tags: values can't exceed 256 characters", assume(func(in *sts.AssumeRoleInput) {
			in.Tags = []ststypes.Tag{{Key: aws.String("k"), Value: aws.String(strings.Repeat("v", 257))}}
		}), "ValidationError", 400},
		{"Tags: keys are not case sensitive, so Department and department can't both be passed", assume(func(in *sts.AssumeRoleInput) {
			in.Tags = []ststypes.Tag{{Key: aws.String("Department"), Value: aws.String("a")}, {Key: aws.String("department"), Value: aws.String("b")}}
		}), "ValidationError", 400},
		{"session policies are refused rather than ignored", assume(func(in *sts.AssumeRoleInput) { in.Policy = aws.String(`{"Version":"2012-10-17","Statement":[]}`) }), "ValidationError", 400},
		{"an untrusted or unknown role is AccessDenied (HTTP 403)", assume(func(in *sts.AssumeRoleInput) { in.RoleArn = aws.String("arn:aws:iam::000000000000:role/nope") }), "AccessDenied", 403},
	})

	creds := c.assumeTeamARole(t)
	if got := aws.ToTime(creds.Expiration).Sub(c.clock.Now()); got != time.Hour {
		t.Errorf("a session without DurationSeconds lasts %v; want the default 3600 seconds", got)
	}
}

// "if you assume a role using role chaining and provide a DurationSeconds
// parameter value greater than one hour, the operation fails."
func TestAssumeRoleChainingIsLimitedToOneHour(t *testing.T) {
	ctx := context.Background()
	clock := &fakeClock{now: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)}
	e := startEmulator(t, Options{Now: clock.Now})
	e.SetAuthorizer(allowAll{})
	first := e.AddRole(Role{Name: "first", PolicyControlled: true, MaxSessionDuration: 12 * time.Hour})
	second := e.AddRole(Role{Name: "second", PolicyControlled: true, MaxSessionDuration: 12 * time.Hour})
	sess, err := e.IssueSession(first, "start", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	chained := e.stsClient(t, sess.AccessKeyID, sess.SecretAccessKey, sess.SessionToken)
	assume := func(seconds int32) func() error {
		return func() error {
			_, err := chained.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(second), RoleSessionName: aws.String("chained"), DurationSeconds: aws.Int32(seconds)})
			return err
		}
	}
	runConformance(t, []conformanceCase{
		{"role chaining with DurationSeconds greater than one hour fails", assume(3601), "ValidationError", 400},
		{"role chaining with one hour", assume(3600), "", 0},
	})
}

// "No permissions are required to perform this operation. If an
// administrator attaches a policy to your identity that explicitly denies
// access to the sts:GetCallerIdentity action, you can still perform this
// operation."
func TestGetCallerIdentityConformance(t *testing.T) {
	ctx := context.Background()
	e := startEmulator(t, Options{})
	e.SetAuthorizer(denyAll{})
	role := e.AddRole(Role{Name: "denied", PolicyControlled: true})
	sess, err := e.IssueSession(role, "worker", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	client := e.stsClient(t, sess.AccessKeyID, sess.SecretAccessKey, sess.SessionToken)
	who, err := client.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatalf("GetCallerIdentity of a session every policy denies: %v", err)
	}
	if aws.ToString(who.Arn) != "arn:aws:sts::000000000000:assumed-role/denied/worker" || aws.ToString(who.Account) != "000000000000" ||
		!strings.HasSuffix(aws.ToString(who.UserId), ":worker") {
		t.Errorf("identity = %s %s %s", aws.ToString(who.Arn), aws.ToString(who.Account), aws.ToString(who.UserId))
	}
	runConformance(t, []conformanceCase{
		{"the same session is denied everything else", func() error {
			_, err := e.secretsClient(t, sess.AccessKeyID, sess.SecretAccessKey, sess.SessionToken).ListSecrets(ctx, nil)
			return err
		}, "AccessDeniedException", 400},
		{"an unsigned GetCallerIdentity is refused (HTTP 403)", func() error {
			status, body := rawCall(t, e.URL, map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, "Action=GetCallerIdentity")
			return &rawError{code: errorCodeOf(t, body), status: status, body: string(body)}
		}, "MissingAuthenticationToken", 403},
	})
}

type denyAll struct{}

func (denyAll) Authorize(AuthzRequest) AuthzDecision {
	return AuthzDecision{Allowed: false, Reason: "no identity-based policy allows the action"}
}
