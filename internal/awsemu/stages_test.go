package awsemu

import (
	"context"
	"maps"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
)

// Version ids used as ClientRequestTokens; the API wants 32 to 64 characters.
const (
	v1 = "11111111-1111-4111-8111-111111111111"
	v2 = "22222222-2222-4222-8222-222222222222"
	v3 = "33333333-3333-4333-8333-333333333333"
)

// seedRotatingSecret creates the state of a secret mid-rotation:
// v1 AWSPREVIOUS, v2 AWSCURRENT, v3 AWSPENDING.
func seedRotatingSecret(t *testing.T, ctx context.Context, client *secretsmanager.Client, name string) {
	t.Helper()
	if _, err := client.CreateSecret(ctx, &secretsmanager.CreateSecretInput{
		Name: aws.String(name), SecretString: aws.String("one"), ClientRequestToken: aws.String(v1),
	}); err != nil {
		t.Fatalf("CreateSecret: %v", err)
	}
	if _, err := client.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{
		SecretId: aws.String(name), SecretString: aws.String("two"), ClientRequestToken: aws.String(v2),
	}); err != nil {
		t.Fatalf("PutSecretValue v2: %v", err)
	}
	if _, err := client.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{
		SecretId: aws.String(name), SecretString: aws.String("three"), ClientRequestToken: aws.String(v3),
		VersionStages: []string{"AWSPENDING"},
	}); err != nil {
		t.Fatalf("PutSecretValue v3: %v", err)
	}
}

// normalised sorts each version's labels so that maps compare regardless of
// the order labels were attached in.
func normalised(m map[string][]string) map[string][]string {
	out := map[string][]string{}
	for id, stages := range m {
		s := slices.Clone(stages)
		slices.Sort(s)
		if s == nil {
			s = []string{}
		}
		out[id] = s
	}
	return out
}

func TestUpdateSecretVersionStageRules(t *testing.T) {
	seeded := map[string][]string{v1: {"AWSPREVIOUS"}, v2: {"AWSCURRENT"}, v3: {"AWSPENDING"}}
	tests := []struct {
		name       string
		stage      string
		moveTo     string
		removeFrom string
		wantErr    string
		want       map[string][]string // all versions, deprecated included; nil = unchanged
	}{
		{name: "promote pending moves AWSPREVIOUS to the old current",
			stage: "AWSCURRENT", moveTo: v3, removeFrom: v2,
			want: map[string][]string{v1: {}, v2: {"AWSPREVIOUS"}, v3: {"AWSCURRENT", "AWSPENDING"}}},
		{name: "attached label without RemoveFromVersionId fails",
			stage: "AWSCURRENT", moveTo: v3, wantErr: "InvalidParameterException"},
		{name: "RemoveFromVersionId not holding the label fails",
			stage: "AWSCURRENT", moveTo: v3, removeFrom: v1, wantErr: "InvalidParameterException"},
		{name: "moving onto the holder is a no-op",
			stage: "AWSCURRENT", moveTo: v2},
		{name: "moving onto the holder naming it in RemoveFromVersionId is a no-op",
			stage: "AWSPENDING", moveTo: v3, removeFrom: v3},
		{name: "remove only takes the label off",
			stage: "AWSPENDING", removeFrom: v3,
			want: map[string][]string{v1: {"AWSPREVIOUS"}, v2: {"AWSCURRENT"}, v3: {}}},
		{name: "remove only from a version without the label fails",
			stage: "AWSPENDING", removeFrom: v2, wantErr: "InvalidParameterException"},
		{name: "AWSCURRENT cannot be removed, only moved",
			stage: "AWSCURRENT", removeFrom: v2, wantErr: "InvalidParameterException"},
		{name: "unattached custom label attaches without RemoveFromVersionId",
			stage: "LOCK", moveTo: v1,
			want: map[string][]string{v1: {"AWSPREVIOUS", "LOCK"}, v2: {"AWSCURRENT"}, v3: {"AWSPENDING"}}},
		{name: "custom label moves between versions",
			stage: "AWSPENDING", moveTo: v1, removeFrom: v3,
			want: map[string][]string{v1: {"AWSPENDING", "AWSPREVIOUS"}, v2: {"AWSCURRENT"}, v3: {}}},
		{name: "rollback to the previous version swaps current and previous",
			stage: "AWSCURRENT", moveTo: v1, removeFrom: v2,
			want: map[string][]string{v1: {"AWSCURRENT"}, v2: {"AWSPREVIOUS"}, v3: {"AWSPENDING"}}},
		{name: "unknown MoveToVersionId",
			stage: "AWSPENDING", moveTo: "44444444-4444-4444-8444-444444444444", removeFrom: v3, wantErr: "ResourceNotFoundException"},
		{name: "unknown RemoveFromVersionId",
			stage: "AWSPENDING", removeFrom: "44444444-4444-4444-8444-444444444444", wantErr: "ResourceNotFoundException"},
		{name: "neither MoveTo nor RemoveFrom",
			stage: "AWSPENDING", wantErr: "InvalidParameterException"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			e := startEmulator(t, Options{})
			client := e.adminSecrets(t)
			seedRotatingSecret(t, ctx, client, "team-a")

			in := &secretsmanager.UpdateSecretVersionStageInput{SecretId: aws.String("team-a"), VersionStage: aws.String(tt.stage)}
			if tt.moveTo != "" {
				in.MoveToVersionId = aws.String(tt.moveTo)
			}
			if tt.removeFrom != "" {
				in.RemoveFromVersionId = aws.String(tt.removeFrom)
			}
			_, err := client.UpdateSecretVersionStage(ctx, in)

			want := tt.want
			if tt.wantErr != "" {
				wantAPIError(t, err, tt.wantErr)
				want = seeded
			} else if err != nil {
				t.Fatalf("UpdateSecretVersionStage: %v", err)
			}
			if want == nil {
				want = seeded
			}
			if got := normalised(stagesByVersion(t, e, "team-a")); !maps.EqualFunc(got, normalised(want), slices.Equal) {
				t.Errorf("stages = %v, want %v", got, want)
			}
			assertDescribeMatchesVersions(t, ctx, e, client, "team-a")
		})
	}
}

// assertDescribeMatchesVersions checks that DescribeSecret and
// ListSecretVersionIds report the labelled versions and hide deprecated
// ones, which ListSecretVersionIds shows with IncludeDeprecated.
func assertDescribeMatchesVersions(t *testing.T, ctx context.Context, e *testEmulator, client *secretsmanager.Client, name string) {
	t.Helper()
	all := normalised(stagesByVersion(t, e, name))
	labelled := map[string][]string{}
	for id, stages := range all {
		if len(stages) > 0 {
			labelled[id] = stages
		}
	}
	desc, err := client.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String(name)})
	if err != nil {
		t.Fatalf("DescribeSecret: %v", err)
	}
	if got := normalised(desc.VersionIdsToStages); !maps.EqualFunc(got, labelled, slices.Equal) {
		t.Errorf("DescribeSecret VersionIdsToStages = %v, want %v", got, labelled)
	}
	for _, includeDeprecated := range []bool{false, true} {
		list, err := client.ListSecretVersionIds(ctx, &secretsmanager.ListSecretVersionIdsInput{
			SecretId: aws.String(name), IncludeDeprecated: aws.Bool(includeDeprecated),
		})
		if err != nil {
			t.Fatalf("ListSecretVersionIds: %v", err)
		}
		got := map[string][]string{}
		for _, v := range list.Versions {
			got[aws.ToString(v.VersionId)] = v.VersionStages
		}
		want := labelled
		if includeDeprecated {
			want = all
		}
		if !maps.EqualFunc(normalised(got), want, slices.Equal) {
			t.Errorf("ListSecretVersionIds(IncludeDeprecated=%v) = %v, want %v", includeDeprecated, normalised(got), want)
		}
	}
}
