package awsemu

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
)

// Conformance of the Secrets Manager operations the emulator implements to
// the Secrets Manager API reference (each operation's page and the shapes
// its parameters use) and to the quotas of the Secrets Manager user guide.
// Every error of Secrets Manager is HTTP 400.

// smFixture is an emulator on a settable clock with team-a mid-rotation
// (v1 AWSPREVIOUS, v2 AWSCURRENT, v3 AWSPENDING).
func smFixture(t *testing.T) (*testEmulator, *secretsmanager.Client, *fakeClock) {
	t.Helper()
	clock := &fakeClock{now: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)}
	e := startEmulator(t, Options{Now: clock.Now})
	client := e.adminSecrets(t)
	seedRotatingSecret(t, context.Background(), client, "team-a")
	return e, client, clock
}

func tags(n int) []types.Tag {
	var out []types.Tag
	for i := range n {
		out = append(out, types.Tag{Key: aws.String(fmt.Sprintf("k%d", i)), Value: aws.String("v")})
	}
	return out
}

func TestCreateSecretConformance(t *testing.T) {
	ctx := context.Background()
	e, client, _ := smFixture(t)
	create := func(in secretsmanager.CreateSecretInput) func() error {
		return func() error { _, err := client.CreateSecret(ctx, &in); return err }
	}
	if _, err := client.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("doomed"), SecretString: aws.String("x")}); err != nil {
		t.Fatal(err)
	}
	if _, err := client.DeleteSecret(ctx, &secretsmanager.DeleteSecretInput{SecretId: aws.String("doomed")}); err != nil {
		t.Fatal(err)
	}
	runConformance(t, []conformanceCase{
		{"Name is required", func() error { return e.smRaw(t, "CreateSecret", `{"SecretString":"x"}`) }, "ValidationException", 0},
		{"Name: maximum length of 512", create(secretsmanager.CreateSecretInput{Name: aws.String(strings.Repeat("n", 513))}), "ValidationException", 0},
		{"Name can contain ASCII letters, numbers, and the characters /_+=.@-", create(secretsmanager.CreateSecretInput{Name: aws.String("bad name!")}), "ValidationException", 0},
		{"a Name of 512 allowed characters is accepted", create(secretsmanager.CreateSecretInput{Name: aws.String("a/_+=.@-" + strings.Repeat("n", 504))}), "", 0},
		{"ClientRequestToken: minimum length of 32", create(secretsmanager.CreateSecretInput{Name: aws.String("t1"), SecretString: aws.String("x"), ClientRequestToken: aws.String(strings.Repeat("t", 31))}), "ValidationException", 0},
		{"ClientRequestToken: maximum length of 64", create(secretsmanager.CreateSecretInput{Name: aws.String("t2"), SecretString: aws.String("x"), ClientRequestToken: aws.String(strings.Repeat("t", 65))}), "ValidationException", 0},
		{"Description: maximum length of 2048", create(secretsmanager.CreateSecretInput{Name: aws.String("d"), Description: aws.String(strings.Repeat("d", 2049))}), "ValidationException", 0},
		{"KmsKeyId: maximum length of 2048", create(secretsmanager.CreateSecretInput{Name: aws.String("k"), KmsKeyId: aws.String(strings.Repeat("k", 2049))}), "ValidationException", 0},
		{"SecretString: minimum length of 1", create(secretsmanager.CreateSecretInput{Name: aws.String("s0"), SecretString: aws.String("")}), "ValidationException", 0},
		{"SecretString: maximum length of 65536", create(secretsmanager.CreateSecretInput{Name: aws.String("s1"), SecretString: aws.String(strings.Repeat("s", 65537))}), "ValidationException", 0},
		{"SecretBinary: maximum length of 65536", create(secretsmanager.CreateSecretInput{Name: aws.String("b1"), SecretBinary: make([]byte, 65537)}), "ValidationException", 0},
		{"either SecretString or SecretBinary must have a value, but not both", create(secretsmanager.CreateSecretInput{Name: aws.String("sb"), SecretString: aws.String("x"), SecretBinary: []byte{1}}), "InvalidParameterException", 0},
		{"Tag Key: maximum length of 128", create(secretsmanager.CreateSecretInput{Name: aws.String("tk"), Tags: []types.Tag{{Key: aws.String(strings.Repeat("k", 129)), Value: aws.String("v")}}}), "ValidationException", 0},
		{"Tag Key: minimum length of 1", create(secretsmanager.CreateSecretInput{Name: aws.String("tk0"), Tags: []types.Tag{{Key: aws.String(""), Value: aws.String("v")}}}), "ValidationException", 0},
		{"Tag Value: maximum length of 256", create(secretsmanager.CreateSecretInput{Name: aws.String("tv"), Tags: []types.Tag{{Key: aws.String("k"), Value: aws.String(strings.Repeat("v", 257))}}}), "ValidationException", 0},
		{"maximum number of tags per secret: 50", create(secretsmanager.CreateSecretInput{Name: aws.String("t51"), Tags: tags(51)}), "InvalidParameterException", 0},
		{"50 tags are accepted", create(secretsmanager.CreateSecretInput{Name: aws.String("t50"), Tags: tags(50)}), "", 0},
		{"do not use the aws: prefix in your tag names", create(secretsmanager.CreateSecretInput{Name: aws.String("ta"), Tags: []types.Tag{{Key: aws.String("aws:team"), Value: aws.String("v")}}}), "InvalidParameterException", 0},
		{"do not use the aws: prefix in your tag values (any case)", create(secretsmanager.CreateSecretInput{Name: aws.String("tb"), Tags: []types.Tag{{Key: aws.String("k"), Value: aws.String("AWS:x")}}}), "InvalidParameterException", 0},
		{"ResourceExistsException: a resource with the ID you requested already exists", create(secretsmanager.CreateSecretInput{Name: aws.String("team-a"), SecretString: aws.String("x")}), "ResourceExistsException", 0},
		{"same ClientRequestToken, different value: the request fails because you cannot modify an existing version", create(secretsmanager.CreateSecretInput{Name: aws.String("team-a"), SecretString: aws.String("not one"), ClientRequestToken: aws.String(v1)}), "ResourceExistsException", 0},
		{"same ClientRequestToken and value: the request is ignored", create(secretsmanager.CreateSecretInput{Name: aws.String("team-a"), SecretString: aws.String("one"), ClientRequestToken: aws.String(v1)}), "", 0},
		{"InvalidRequestException: the secret is scheduled for deletion", create(secretsmanager.CreateSecretInput{Name: aws.String("doomed"), SecretString: aws.String("x")}), "InvalidRequestException", 0},
	})
	if got := stagesByVersion(t, e, "team-a"); len(got) != 3 {
		t.Errorf("the ignored retry changed team-a's versions: %v", got)
	}

	// "If you include SecretString or SecretBinary then Secrets Manager
	// creates an initial secret version and automatically attaches the
	// staging label AWSCURRENT to it."
	out, err := client.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("fresh"), SecretString: aws.String("x"), ClientRequestToken: aws.String(v4)})
	if err != nil || aws.ToString(out.VersionId) != v4 {
		t.Fatalf("CreateSecret = %v, %v; want version %s (\"This value becomes the VersionId of the new version\")", out, err, v4)
	}
	if got := stagesByVersion(t, e, "fresh"); !slices.Equal(got[v4], []string{"AWSCURRENT"}) {
		t.Errorf("initial version stages = %v, want AWSCURRENT", got)
	}
}

func TestGetSecretValueConformance(t *testing.T) {
	ctx := context.Background()
	e, client, _ := smFixture(t)
	arn, err := e.SecretARN("team-a")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := client.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("doomed"), SecretString: aws.String("x")}); err != nil {
		t.Fatal(err)
	}
	if _, err := client.DeleteSecret(ctx, &secretsmanager.DeleteSecretInput{SecretId: aws.String("doomed")}); err != nil {
		t.Fatal(err)
	}
	get := func(in secretsmanager.GetSecretValueInput, wantVersion string) func() error {
		return func() error {
			out, err := client.GetSecretValue(ctx, &in)
			if err == nil && aws.ToString(out.VersionId) != wantVersion {
				return fmt.Errorf("got version %s, want %s", aws.ToString(out.VersionId), wantVersion)
			}
			return err
		}
	}
	runConformance(t, []conformanceCase{
		{"SecretId is required", func() error { return e.smRaw(t, "GetSecretValue", `{}`) }, "ValidationException", 0},
		{"SecretId: maximum length of 2048", get(secretsmanager.GetSecretValueInput{SecretId: aws.String(strings.Repeat("s", 2049))}, ""), "ValidationException", 0},
		{"VersionId: minimum length of 32", get(secretsmanager.GetSecretValueInput{SecretId: aws.String("team-a"), VersionId: aws.String("short")}, ""), "ValidationException", 0},
		{"VersionId: maximum length of 64", get(secretsmanager.GetSecretValueInput{SecretId: aws.String("team-a"), VersionId: aws.String(strings.Repeat("v", 65))}, ""), "ValidationException", 0},
		{"VersionStage: minimum length of 1", func() error {
			return e.smRaw(t, "GetSecretValue", `{"SecretId":"team-a","VersionStage":""}`)
		}, "ValidationException", 0},
		{"VersionStage: maximum length of 256", get(secretsmanager.GetSecretValueInput{SecretId: aws.String("team-a"), VersionStage: aws.String(strings.Repeat("L", 257))}, ""), "ValidationException", 0},
		{"if you don't specify either a VersionStage or VersionId, Secrets Manager returns the AWSCURRENT version", get(secretsmanager.GetSecretValueInput{SecretId: aws.String("team-a")}, v2), "", 0},
		{"VersionStage selects the version with that staging label", get(secretsmanager.GetSecretValueInput{SecretId: aws.String("team-a"), VersionStage: aws.String("AWSPREVIOUS")}, v1), "", 0},
		{"VersionId selects that version", get(secretsmanager.GetSecretValueInput{SecretId: aws.String("team-a"), VersionId: aws.String(v3)}, v3), "", 0},
		{"VersionId and VersionStage that refer to the same version", get(secretsmanager.GetSecretValueInput{SecretId: aws.String("team-a"), VersionId: aws.String(v2), VersionStage: aws.String("AWSCURRENT")}, v2), "", 0},
		{"if you include both VersionId and VersionStage, the two parameters must refer to the same secret version", get(secretsmanager.GetSecretValueInput{SecretId: aws.String("team-a"), VersionId: aws.String(v1), VersionStage: aws.String("AWSCURRENT")}, ""), "ResourceNotFoundException", 0},
		{"a staging label no version has", get(secretsmanager.GetSecretValueInput{SecretId: aws.String("team-a"), VersionStage: aws.String("NOBODY")}, ""), "ResourceNotFoundException", 0},
		{"SecretId: the ARN of the secret", get(secretsmanager.GetSecretValueInput{SecretId: aws.String(arn)}, v2), "", 0},
		{"SecretId: a partial ARN, without the random suffix", get(secretsmanager.GetSecretValueInput{SecretId: aws.String(strings.TrimSuffix(arn, arn[len(arn)-7:]))}, v2), "", 0},
		{"ResourceNotFoundException: Secrets Manager can't find the resource that you asked for", get(secretsmanager.GetSecretValueInput{SecretId: aws.String("nope")}, ""), "ResourceNotFoundException", 0},
		{"InvalidRequestException: the secret is scheduled for deletion", get(secretsmanager.GetSecretValueInput{SecretId: aws.String("doomed")}, ""), "InvalidRequestException", 0},
	})
}

func TestPutSecretValueConformance(t *testing.T) {
	ctx := context.Background()
	e, client, _ := smFixture(t)
	put := func(in secretsmanager.PutSecretValueInput) func() error {
		return func() error { _, err := client.PutSecretValue(ctx, &in); return err }
	}
	var manyLabels []string
	for i := range 21 {
		manyLabels = append(manyLabels, fmt.Sprintf("L%d", i))
	}
	runConformance(t, []conformanceCase{
		{"SecretId is required", func() error { return e.smRaw(t, "PutSecretValue", `{"SecretString":"x"}`) }, "ValidationException", 0},
		{"ClientRequestToken: minimum length of 32", put(secretsmanager.PutSecretValueInput{SecretId: aws.String("team-a"), SecretString: aws.String("x"), ClientRequestToken: aws.String("short")}), "ValidationException", 0},
		{"ClientRequestToken: maximum length of 64", put(secretsmanager.PutSecretValueInput{SecretId: aws.String("team-a"), SecretString: aws.String("x"), ClientRequestToken: aws.String(strings.Repeat("t", 65))}), "ValidationException", 0},
		{"SecretString: maximum length of 65536", put(secretsmanager.PutSecretValueInput{SecretId: aws.String("team-a"), SecretString: aws.String(strings.Repeat("s", 65537))}), "ValidationException", 0},
		{"SecretBinary: minimum length of 1", func() error {
			return e.smRaw(t, "PutSecretValue", `{"SecretId":"team-a","SecretBinary":""}`)
		}, "ValidationException", 0},
		{"you must include SecretBinary or SecretString", put(secretsmanager.PutSecretValueInput{SecretId: aws.String("team-a")}), "InvalidParameterException", 0},
		{"you must include SecretBinary or SecretString, but not both", put(secretsmanager.PutSecretValueInput{SecretId: aws.String("team-a"), SecretString: aws.String("x"), SecretBinary: []byte{1}}), "InvalidParameterException", 0},
		{"VersionStages: minimum of 1 item", func() error {
			return e.smRaw(t, "PutSecretValue", `{"SecretId":"team-a","SecretString":"x","VersionStages":[]}`)
		}, "ValidationException", 0},
		{"VersionStages: maximum of 20 items", put(secretsmanager.PutSecretValueInput{SecretId: aws.String("team-a"), SecretString: aws.String("x"), VersionStages: manyLabels}), "ValidationException", 0},
		{"VersionStages member: maximum length of 256", put(secretsmanager.PutSecretValueInput{SecretId: aws.String("team-a"), SecretString: aws.String("x"), VersionStages: []string{strings.Repeat("L", 257)}}), "ValidationException", 0},
		{"RotationToken: minimum length of 36", put(secretsmanager.PutSecretValueInput{SecretId: aws.String("team-a"), SecretString: aws.String("x"), RotationToken: aws.String(strings.Repeat("r", 35))}), "ValidationException", 0},
		{"RotationToken: pattern ^[a-zA-Z0-9\\-]+$", put(secretsmanager.PutSecretValueInput{SecretId: aws.String("team-a"), SecretString: aws.String("x"), RotationToken: aws.String(strings.Repeat("r", 35) + "_")}), "ValidationException", 0},
		{"a RotationToken that fits the model is accepted", put(secretsmanager.PutSecretValueInput{SecretId: aws.String("team-a"), SecretString: aws.String("x"), VersionStages: []string{"ROTATED"}, RotationToken: aws.String("0f0e6b7a-4d6c-4c8e-9d7e-2b1a3c4d5e6f")}), "", 0},
		{"a version with this ClientRequestToken exists with a different value: the request fails", put(secretsmanager.PutSecretValueInput{SecretId: aws.String("team-a"), SecretString: aws.String("not two"), ClientRequestToken: aws.String(v2)}), "ResourceExistsException", 0},
		{"a version with this ClientRequestToken exists with the same value: the request is ignored", put(secretsmanager.PutSecretValueInput{SecretId: aws.String("team-a"), SecretString: aws.String("two"), ClientRequestToken: aws.String(v2), VersionStages: []string{"IGNORED"}}), "", 0},
		{"ResourceNotFoundException: if the secret doesn't already exist, use CreateSecret instead", put(secretsmanager.PutSecretValueInput{SecretId: aws.String("nope"), SecretString: aws.String("x")}), "ResourceNotFoundException", 0},
	})
	if got := normalised(stagesByVersion(t, e, "team-a"))[v2]; !slices.Equal(got, []string{"AWSCURRENT"}) {
		t.Errorf("the ignored retry changed v2's labels to %v", got)
	}

	// "If you don't include VersionStages, then Secrets Manager
	// automatically moves the staging label AWSCURRENT to this version ...
	// and also automatically moves the staging label AWSPREVIOUS to the
	// version that AWSCURRENT was removed from."
	if _, err := client.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String("team-a"), SecretString: aws.String("four"), ClientRequestToken: aws.String(v4)}); err != nil {
		t.Fatal(err)
	}
	got := normalised(stagesByVersion(t, e, "team-a"))
	if !slices.Equal(got[v4], []string{"AWSCURRENT"}) || !slices.Equal(got[v2], []string{"AWSPREVIOUS"}) || len(got[v1]) != 0 {
		t.Errorf("after a put without VersionStages: %v; want v4 AWSCURRENT, v2 AWSPREVIOUS, v1 unlabelled", got)
	}

	// "If this operation creates the first version for the secret, then
	// Secrets Manager automatically attaches the staging label AWSCURRENT."
	if _, err := client.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("empty")}); err != nil {
		t.Fatal(err)
	}
	first, err := client.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String("empty"), SecretString: aws.String("x"), VersionStages: []string{"MINE"}})
	if err != nil {
		t.Fatal(err)
	}
	if stages := first.VersionStages; !slices.Contains(stages, "AWSCURRENT") || !slices.Contains(stages, "MINE") {
		t.Errorf("first version's stages = %v, want MINE and AWSCURRENT", stages)
	}
}

// "Staging labels attached across all versions of a secret: 20" (Secrets
// Manager quotas): PutSecretValue and UpdateSecretVersionStage answer
// LimitExceededException rather than attach a 21st label.
func TestStagingLabelQuota(t *testing.T) {
	ctx := context.Background()
	e, client, _ := smFixture(t)
	// team-a has 3 labels; 17 more on v3 make 20.
	for i := range 17 {
		if _, err := client.UpdateSecretVersionStage(ctx, &secretsmanager.UpdateSecretVersionStageInput{
			SecretId: aws.String("team-a"), VersionStage: aws.String(fmt.Sprintf("L%d", i)), MoveToVersionId: aws.String(v3),
		}); err != nil {
			t.Fatalf("label %d: %v", i+4, err)
		}
	}
	runConformance(t, []conformanceCase{
		{"UpdateSecretVersionStage: a 21st label is LimitExceededException", func() error {
			_, err := client.UpdateSecretVersionStage(ctx, &secretsmanager.UpdateSecretVersionStageInput{
				SecretId: aws.String("team-a"), VersionStage: aws.String("L17"), MoveToVersionId: aws.String(v1)})
			return err
		}, "LimitExceededException", 0},
		{"PutSecretValue: a 21st label is LimitExceededException", func() error {
			_, err := client.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{
				SecretId: aws.String("team-a"), SecretString: aws.String("x"), VersionStages: []string{"L17"}})
			return err
		}, "LimitExceededException", 0},
		{"moving AWSCURRENT would attach AWSPREVIOUS as a 21st label", func() error {
			if _, err := client.UpdateSecretVersionStage(ctx, &secretsmanager.UpdateSecretVersionStageInput{
				SecretId: aws.String("team-a"), VersionStage: aws.String("AWSPREVIOUS"), RemoveFromVersionId: aws.String(v1)}); err != nil {
				return err
			}
			if _, err := client.UpdateSecretVersionStage(ctx, &secretsmanager.UpdateSecretVersionStageInput{
				SecretId: aws.String("team-a"), VersionStage: aws.String("L17"), MoveToVersionId: aws.String(v1)}); err != nil {
				return err
			}
			_, err := client.UpdateSecretVersionStage(ctx, &secretsmanager.UpdateSecretVersionStageInput{
				SecretId: aws.String("team-a"), VersionStage: aws.String("AWSCURRENT"), MoveToVersionId: aws.String(v3), RemoveFromVersionId: aws.String(v2)})
			return err
		}, "LimitExceededException", 0},
		{"moving one of the 20 labels is no new label", func() error {
			_, err := client.UpdateSecretVersionStage(ctx, &secretsmanager.UpdateSecretVersionStageInput{
				SecretId: aws.String("team-a"), VersionStage: aws.String("L0"), MoveToVersionId: aws.String(v2), RemoveFromVersionId: aws.String(v3)})
			return err
		}, "", 0},
	})
	if n := len(stagesByVersion(t, e, "team-a")); n != 3 {
		t.Errorf("refused calls left %d versions, want 3", n)
	}
}

// "Secrets Manager removes unlabeled versions when there are more than 100,
// but it does not remove versions created less than 24 hours ago."
func TestDeprecatedVersionsAreRemovedPast100(t *testing.T) {
	ctx := context.Background()
	e, client, clock := smFixture(t)
	put := func() string {
		t.Helper()
		out, err := client.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String("team-a"), SecretString: aws.String("x")})
		if err != nil {
			t.Fatal(err)
		}
		return aws.ToString(out.VersionId)
	}
	for range 120 {
		put()
	}
	if n := len(stagesByVersion(t, e, "team-a")); n != 123 {
		t.Fatalf("%d versions, want all 123: none is 24 hours old yet", n)
	}
	clock.Advance(25 * time.Hour)
	newest := put()
	versions := stagesByVersion(t, e, "team-a")
	if len(versions) != versionsKept {
		t.Errorf("%d versions after a day, want %d", len(versions), versionsKept)
	}
	for _, id := range []string{v3, newest} {
		if _, ok := versions[id]; !ok {
			t.Errorf("labelled version %s was removed", id)
		}
	}
	if _, ok := versions[v1]; ok {
		t.Errorf("oldest unlabelled version %s was kept", v1)
	}
}

func TestUpdateSecretVersionStageConformance(t *testing.T) {
	ctx := context.Background()
	e, client, _ := smFixture(t)
	if _, err := client.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("doomed"), SecretString: aws.String("x"), ClientRequestToken: aws.String(v1)}); err != nil {
		t.Fatal(err)
	}
	if _, err := client.DeleteSecret(ctx, &secretsmanager.DeleteSecretInput{SecretId: aws.String("doomed")}); err != nil {
		t.Fatal(err)
	}
	update := func(in secretsmanager.UpdateSecretVersionStageInput) func() error {
		return func() error { _, err := client.UpdateSecretVersionStage(ctx, &in); return err }
	}
	runConformance(t, []conformanceCase{
		{"SecretId is required", func() error {
			return e.smRaw(t, "UpdateSecretVersionStage", `{"VersionStage":"X","MoveToVersionId":"`+v1+`"}`)
		}, "ValidationException", 0},
		{"VersionStage is required", func() error {
			return e.smRaw(t, "UpdateSecretVersionStage", `{"SecretId":"team-a","MoveToVersionId":"`+v1+`"}`)
		}, "ValidationException", 0},
		{"VersionStage: maximum length of 256", update(secretsmanager.UpdateSecretVersionStageInput{SecretId: aws.String("team-a"), VersionStage: aws.String(strings.Repeat("L", 257)), MoveToVersionId: aws.String(v1)}), "ValidationException", 0},
		{"MoveToVersionId: minimum length of 32", update(secretsmanager.UpdateSecretVersionStageInput{SecretId: aws.String("team-a"), VersionStage: aws.String("X"), MoveToVersionId: aws.String("short")}), "ValidationException", 0},
		{"RemoveFromVersionId: maximum length of 64", update(secretsmanager.UpdateSecretVersionStageInput{SecretId: aws.String("team-a"), VersionStage: aws.String("X"), RemoveFromVersionId: aws.String(strings.Repeat("v", 65))}), "ValidationException", 0},
		{"if the label is attached and you do not specify RemoveFromVersionId, the operation fails", update(secretsmanager.UpdateSecretVersionStageInput{SecretId: aws.String("team-a"), VersionStage: aws.String("AWSPENDING"), MoveToVersionId: aws.String(v1)}), "InvalidParameterException", 0},
		{"if the label is attached and the RemoveFromVersionId does not match, the operation fails", update(secretsmanager.UpdateSecretVersionStageInput{SecretId: aws.String("team-a"), VersionStage: aws.String("AWSPENDING"), MoveToVersionId: aws.String(v1), RemoveFromVersionId: aws.String(v2)}), "InvalidParameterException", 0},
		{"a MoveToVersionId the secret does not have", update(secretsmanager.UpdateSecretVersionStageInput{SecretId: aws.String("team-a"), VersionStage: aws.String("X"), MoveToVersionId: aws.String(v4)}), "ResourceNotFoundException", 0},
		{"InvalidRequestException: the secret is scheduled for deletion", update(secretsmanager.UpdateSecretVersionStageInput{SecretId: aws.String("doomed"), VersionStage: aws.String("X"), MoveToVersionId: aws.String(v1)}), "InvalidRequestException", 0},
		{"the staging labels that you specify are added to the existing list of staging labels for the version", update(secretsmanager.UpdateSecretVersionStageInput{SecretId: aws.String("team-a"), VersionStage: aws.String("EXTRA"), MoveToVersionId: aws.String(v2)}), "", 0},
	})
	if got := normalised(stagesByVersion(t, e, "team-a"))[v2]; !slices.Equal(got, []string{"AWSCURRENT", "EXTRA"}) {
		t.Errorf("v2 labels = %v, want AWSCURRENT and EXTRA", got)
	}
}

func TestDescribeSecretConformance(t *testing.T) {
	ctx := context.Background()
	e, client, clock := smFixture(t)
	if _, err := client.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("doomed"), SecretString: aws.String("x")}); err != nil {
		t.Fatal(err)
	}
	if _, err := client.DeleteSecret(ctx, &secretsmanager.DeleteSecretInput{SecretId: aws.String("doomed")}); err != nil {
		t.Fatal(err)
	}
	describe := func(id string) func() error {
		return func() error {
			_, err := client.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String(id)})
			return err
		}
	}
	runConformance(t, []conformanceCase{
		{"SecretId is required", func() error { return e.smRaw(t, "DescribeSecret", `{}`) }, "ValidationException", 0},
		{"SecretId: maximum length of 2048", describe(strings.Repeat("s", 2049)), "ValidationException", 0},
		{"ResourceNotFoundException: Secrets Manager can't find the resource that you asked for", describe("nope"), "ResourceNotFoundException", 0},
		{"a secret scheduled for deletion can still be described", describe("doomed"), "", 0},
	})
	out, err := client.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String("doomed")})
	if err != nil || !aws.ToTime(out.DeletedDate).Equal(clock.Now()) {
		t.Errorf("DeletedDate = %v, %v; want the time of DeleteSecret", out, err)
	}
	// "Secrets Manager only returns fields that have a value in the response."
	out, err = client.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String("team-a")})
	if err != nil || out.Description != nil || out.DeletedDate != nil || out.KmsKeyId != nil || len(out.VersionIdsToStages) != 3 {
		t.Errorf("DescribeSecret(team-a) = %+v, %v; want no Description, DeletedDate or KmsKeyId, and 3 labelled versions", out, err)
	}
}

func TestListSecretVersionIdsConformance(t *testing.T) {
	ctx := context.Background()
	e, client, _ := smFixture(t)
	// v1 loses its label: deprecated.
	if _, err := client.UpdateSecretVersionStage(ctx, &secretsmanager.UpdateSecretVersionStageInput{
		SecretId: aws.String("team-a"), VersionStage: aws.String("AWSPREVIOUS"), RemoveFromVersionId: aws.String(v1)}); err != nil {
		t.Fatal(err)
	}
	list := func(in secretsmanager.ListSecretVersionIdsInput, want int) func() error {
		return func() error {
			out, err := client.ListSecretVersionIds(ctx, &in)
			if err == nil && len(out.Versions) != want {
				return fmt.Errorf("%d versions, want %d", len(out.Versions), want)
			}
			return err
		}
	}
	runConformance(t, []conformanceCase{
		{"SecretId is required", func() error { return e.smRaw(t, "ListSecretVersionIds", `{}`) }, "ValidationException", 0},
		{"MaxResults: minimum value of 1", func() error {
			return e.smRaw(t, "ListSecretVersionIds", `{"SecretId":"team-a","MaxResults":0}`)
		}, "ValidationException", 0},
		{"MaxResults: maximum value of 100", list(secretsmanager.ListSecretVersionIdsInput{SecretId: aws.String("team-a"), MaxResults: aws.Int32(101)}, 0), "ValidationException", 0},
		{"NextToken: minimum length of 1", func() error {
			return e.smRaw(t, "ListSecretVersionIds", `{"SecretId":"team-a","NextToken":""}`)
		}, "ValidationException", 0},
		{"NextToken: maximum length of 4096", list(secretsmanager.ListSecretVersionIdsInput{SecretId: aws.String("team-a"), NextToken: aws.String(strings.Repeat("n", 4097))}, 0), "ValidationException", 0},
		{"InvalidNextTokenException: the NextToken value is invalid", list(secretsmanager.ListSecretVersionIdsInput{SecretId: aws.String("team-a"), NextToken: aws.String("not-a-token")}, 0), "InvalidNextTokenException", 0},
		{"by default, versions without staging labels aren't included", list(secretsmanager.ListSecretVersionIdsInput{SecretId: aws.String("team-a")}, 2), "", 0},
		{"IncludeDeprecated includes versions without staging labels", list(secretsmanager.ListSecretVersionIdsInput{SecretId: aws.String("team-a"), IncludeDeprecated: aws.Bool(true)}, 3), "", 0},
		{"ResourceNotFoundException for an unknown secret", list(secretsmanager.ListSecretVersionIdsInput{SecretId: aws.String("nope")}, 0), "ResourceNotFoundException", 0},
	})
}

// ListSecrets' rules other than the filters' matching, which
// TestListSecretsFilterSemantics checks.
func TestListSecretsConformance(t *testing.T) {
	ctx := context.Background()
	e, client, clock := smFixture(t)
	for _, name := range []string{"c", "a", "b"} {
		clock.Advance(time.Minute)
		if _, err := client.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String(name), SecretString: aws.String("x")}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := client.DeleteSecret(ctx, &secretsmanager.DeleteSecretInput{SecretId: aws.String("b")}); err != nil {
		t.Fatal(err)
	}
	names := func(in secretsmanager.ListSecretsInput, want ...string) func() error {
		return func() error {
			out, err := client.ListSecrets(ctx, &in)
			if err != nil {
				return err
			}
			var got []string
			for _, s := range out.SecretList {
				got = append(got, aws.ToString(s.Name))
			}
			if !slices.Equal(got, want) {
				return fmt.Errorf("listed %v, want %v", got, want)
			}
			return nil
		}
	}
	var eleven []types.Filter
	for range 11 {
		eleven = append(eleven, types.Filter{Key: types.FilterNameStringTypeName, Values: []string{"a"}})
	}
	runConformance(t, []conformanceCase{
		{"lists the secrets, not including secrets that are marked for deletion", names(secretsmanager.ListSecretsInput{SortOrder: types.SortOrderTypeAsc}, "team-a", "c", "a"), "", 0},
		{"IncludePlannedDeletion includes secrets scheduled for deletion", names(secretsmanager.ListSecretsInput{SortOrder: types.SortOrderTypeAsc, IncludePlannedDeletion: aws.Bool(true)}, "team-a", "c", "a", "b"), "", 0},
		{"SortBy name", names(secretsmanager.ListSecretsInput{SortBy: types.SortByTypeName, SortOrder: types.SortOrderTypeAsc}, "a", "c", "team-a"), "", 0},
		{"SortOrder desc", names(secretsmanager.ListSecretsInput{SortBy: types.SortByTypeCreatedDate, SortOrder: types.SortOrderTypeDesc}, "a", "c", "team-a"), "", 0},
		{"SortOrder: valid values asc | desc", names(secretsmanager.ListSecretsInput{SortOrder: "up"}), "ValidationException", 0},
		{"SortBy: valid values created-date | last-accessed-date | last-changed-date | name", names(secretsmanager.ListSecretsInput{SortBy: "size"}), "ValidationException", 0},
		{"Filters: maximum of 10 items", names(secretsmanager.ListSecretsInput{Filters: eleven}), "ValidationException", 0},
		{"Filter Key: valid values description | name | tag-key | tag-value | primary-region | owning-service | all", names(secretsmanager.ListSecretsInput{Filters: []types.Filter{{Key: "colour", Values: []string{"a"}}}}), "ValidationException", 0},
		{"MaxResults: maximum value of 100", names(secretsmanager.ListSecretsInput{MaxResults: aws.Int32(101)}), "ValidationException", 0},
		{"MaxResults: minimum value of 1", func() error { return e.smRaw(t, "ListSecrets", `{"MaxResults":0}`) }, "ValidationException", 0},
		{"NextToken: minimum length of 1", func() error { return e.smRaw(t, "ListSecrets", `{"NextToken":""}`) }, "ValidationException", 0},
		{"InvalidNextTokenException: the NextToken value is invalid", names(secretsmanager.ListSecretsInput{NextToken: aws.String("bogus")}), "InvalidNextTokenException", 0},
	})
}

func TestDeleteAndRestoreSecretConformance(t *testing.T) {
	ctx := context.Background()
	e, client, clock := smFixture(t)
	for _, name := range []string{"windowless", "twice", "forced"} {
		if _, err := client.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String(name), SecretString: aws.String("x")}); err != nil {
			t.Fatal(err)
		}
	}
	del := func(in secretsmanager.DeleteSecretInput) func() error {
		return func() error { _, err := client.DeleteSecret(ctx, &in); return err }
	}
	runConformance(t, []conformanceCase{
		{"SecretId is required", func() error { return e.smRaw(t, "DeleteSecret", `{}`) }, "ValidationException", 0},
		{"you can't use both ForceDeleteWithoutRecovery and RecoveryWindowInDays in the same call", del(secretsmanager.DeleteSecretInput{SecretId: aws.String("team-a"), ForceDeleteWithoutRecovery: aws.Bool(true), RecoveryWindowInDays: aws.Int64(30)}), "InvalidParameterException", 0},
		{"RecoveryWindowInDays: the number of days from 7 to 30 (6)", del(secretsmanager.DeleteSecretInput{SecretId: aws.String("team-a"), RecoveryWindowInDays: aws.Int64(6)}), "InvalidParameterException", 0},
		{"RecoveryWindowInDays: the number of days from 7 to 30 (31)", del(secretsmanager.DeleteSecretInput{SecretId: aws.String("team-a"), RecoveryWindowInDays: aws.Int64(31)}), "InvalidParameterException", 0},
		{"RecoveryWindowInDays: the number of days from 7 to 30 (0)", del(secretsmanager.DeleteSecretInput{SecretId: aws.String("team-a"), RecoveryWindowInDays: aws.Int64(0)}), "InvalidParameterException", 0},
		{"ResourceNotFoundException: an unknown secret, without ForceDeleteWithoutRecovery", del(secretsmanager.DeleteSecretInput{SecretId: aws.String("nope")}), "ResourceNotFoundException", 0},
		{"if you forcibly delete a nonexistent secret, the operation does not return ResourceNotFoundException", del(secretsmanager.DeleteSecretInput{SecretId: aws.String("nope"), ForceDeleteWithoutRecovery: aws.Bool(true)}), "", 0},
		{"if you don't use either, Secrets Manager uses a 30 day recovery window", del(secretsmanager.DeleteSecretInput{SecretId: aws.String("windowless")}), "", 0},
		{"a recovery window of 7 days", del(secretsmanager.DeleteSecretInput{SecretId: aws.String("twice"), RecoveryWindowInDays: aws.Int64(7)}), "", 0},
		{"InvalidRequestException: the secret is already scheduled for deletion", del(secretsmanager.DeleteSecretInput{SecretId: aws.String("twice"), RecoveryWindowInDays: aws.Int64(7)}), "InvalidRequestException", 0},
		{"ForceDeleteWithoutRecovery of a secret scheduled for deletion deletes it", del(secretsmanager.DeleteSecretInput{SecretId: aws.String("twice"), ForceDeleteWithoutRecovery: aws.Bool(true)}), "", 0},
		{"ForceDeleteWithoutRecovery deletes at once", del(secretsmanager.DeleteSecretInput{SecretId: aws.String("forced"), ForceDeleteWithoutRecovery: aws.Bool(true)}), "", 0},
		{"if you forcibly delete an already deleted secret, the operation does not return ResourceNotFoundException", del(secretsmanager.DeleteSecretInput{SecretId: aws.String("forced"), ForceDeleteWithoutRecovery: aws.Bool(true)}), "", 0},
		{"a forcibly deleted secret is gone", func() error {
			_, err := client.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String("forced")})
			return err
		}, "ResourceNotFoundException", 0},
		{"when a secret is scheduled for deletion, you cannot retrieve the secret value", func() error {
			_, err := client.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("windowless")})
			return err
		}, "InvalidRequestException", 0},
		{"RestoreSecret: SecretId is required", func() error { return e.smRaw(t, "RestoreSecret", `{}`) }, "ValidationException", 0},
		{"RestoreSecret: ResourceNotFoundException for an unknown secret", func() error {
			_, err := client.RestoreSecret(ctx, &secretsmanager.RestoreSecretInput{SecretId: aws.String("nope")})
			return err
		}, "ResourceNotFoundException", 0},
		{"RestoreSecret cancels the scheduled deletion", func() error {
			_, err := client.RestoreSecret(ctx, &secretsmanager.RestoreSecretInput{SecretId: aws.String("windowless")})
			return err
		}, "", 0},
		{"you can access a secret again after it has been restored", func() error {
			_, err := client.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("windowless")})
			return err
		}, "", 0},
	})

	// The answers carry ARN, Name and DeletionDate, the end of the window.
	if _, err := client.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("dated"), SecretString: aws.String("x")}); err != nil {
		t.Fatal(err)
	}
	out, err := client.DeleteSecret(ctx, &secretsmanager.DeleteSecretInput{SecretId: aws.String("dated")})
	if err != nil || !aws.ToTime(out.DeletionDate).Equal(clock.Now().Add(30*24*time.Hour)) || aws.ToString(out.Name) != "dated" {
		t.Errorf("DeleteSecret = %+v, %v; want DeletionDate 30 days on", out, err)
	}
	forced, err := client.DeleteSecret(ctx, &secretsmanager.DeleteSecretInput{SecretId: aws.String("never-was"), ForceDeleteWithoutRecovery: aws.Bool(true)})
	if err != nil || aws.ToString(forced.Name) != "never-was" || !strings.HasSuffix(aws.ToString(forced.ARN), ":secret:never-was") {
		t.Errorf("forced DeleteSecret of a nonexistent secret = %+v, %v", forced, err)
	}
	desc, err := client.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String("windowless")})
	if err != nil || desc.DeletedDate != nil {
		t.Errorf("restored secret still has DeletedDate: %+v, %v", desc, err)
	}
}

func TestTagAndUntagResourceConformance(t *testing.T) {
	ctx := context.Background()
	e, client, _ := smFixture(t)
	if _, err := client.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("doomed"), SecretString: aws.String("x")}); err != nil {
		t.Fatal(err)
	}
	if _, err := client.DeleteSecret(ctx, &secretsmanager.DeleteSecretInput{SecretId: aws.String("doomed")}); err != nil {
		t.Fatal(err)
	}
	tag := func(id string, tt []types.Tag) func() error {
		return func() error {
			_, err := client.TagResource(ctx, &secretsmanager.TagResourceInput{SecretId: aws.String(id), Tags: tt})
			return err
		}
	}
	untag := func(id string, keys ...string) func() error {
		return func() error {
			_, err := client.UntagResource(ctx, &secretsmanager.UntagResourceInput{SecretId: aws.String(id), TagKeys: keys})
			return err
		}
	}
	runConformance(t, []conformanceCase{
		{"TagResource: Tags is required", func() error { return e.smRaw(t, "TagResource", `{"SecretId":"team-a"}`) }, "ValidationException", 0},
		{"TagResource: SecretId is required", func() error { return e.smRaw(t, "TagResource", `{"Tags":[]}`) }, "ValidationException", 0},
		{"TagResource: Tag Key maximum length of 128", tag("team-a", []types.Tag{{Key: aws.String(strings.Repeat("k", 129)), Value: aws.String("v")}}), "ValidationException", 0},
		{"TagResource: do not use the aws: prefix", tag("team-a", []types.Tag{{Key: aws.String("aws:owner"), Value: aws.String("v")}}), "InvalidParameterException", 0},
		{"TagResource appends tags to the existing list of tags", tag("team-a", tags(2)), "", 0},
		{"TagResource: a tag with an existing key replaces its value", tag("team-a", []types.Tag{{Key: aws.String("k0"), Value: aws.String("new")}}), "", 0},
		{"TagResource: maximum number of tags per secret: 50", tag("team-a", tags(51)[1:]), "InvalidParameterException", 0},
		{"TagResource: ResourceNotFoundException", tag("nope", tags(1)), "ResourceNotFoundException", 0},
		{"TagResource: InvalidRequestException when the secret is scheduled for deletion", tag("doomed", tags(1)), "InvalidRequestException", 0},
		{"UntagResource: TagKeys is required", func() error { return e.smRaw(t, "UntagResource", `{"SecretId":"team-a"}`) }, "ValidationException", 0},
		{"UntagResource: TagKeys member maximum length of 128", untag("team-a", strings.Repeat("k", 129)), "ValidationException", 0},
		{"UntagResource: if a requested tag is not attached to the secret, no error is returned", untag("team-a", "absent"), "", 0},
		{"UntagResource removes the key and its value", untag("team-a", "k1"), "", 0},
		{"UntagResource: ResourceNotFoundException", untag("nope", "k0"), "ResourceNotFoundException", 0},
		{"UntagResource: InvalidRequestException when the secret is scheduled for deletion", untag("doomed", "k0"), "InvalidRequestException", 0},
	})
	out, err := client.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String("team-a")})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Tags) != 1 || aws.ToString(out.Tags[0].Key) != "k0" || aws.ToString(out.Tags[0].Value) != "new" {
		t.Errorf("tags = %+v, want only k0=new", out.Tags)
	}
}
