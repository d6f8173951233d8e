package awsemu

import (
	"context"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
)

func TestCreateSecretAndGetByNameOrARN(t *testing.T) {
	ctx := context.Background()
	e := startEmulator(t, Options{AccountID: "123456789012", Region: "eu-west-1"})
	client := e.adminSecrets(t)

	created, err := client.CreateSecret(ctx, &secretsmanager.CreateSecretInput{
		Name:         aws.String("ddrotate/team-a"),
		SecretString: aws.String(`{"apiKey":"k"}`),
		Tags:         []types.Tag{{Key: aws.String("team"), Value: aws.String("a")}},
	})
	if err != nil {
		t.Fatalf("CreateSecret: %v", err)
	}
	arnPattern := regexp.MustCompile(`^arn:aws:secretsmanager:eu-west-1:123456789012:secret:ddrotate/team-a-[A-Za-z0-9]{6}$`)
	if !arnPattern.MatchString(aws.ToString(created.ARN)) {
		t.Errorf("ARN = %s, want match for %s", aws.ToString(created.ARN), arnPattern)
	}
	partialARN := strings.TrimSuffix(aws.ToString(created.ARN), aws.ToString(created.ARN)[len(aws.ToString(created.ARN))-7:])

	for _, id := range []string{"ddrotate/team-a", aws.ToString(created.ARN), partialARN} {
		got, err := client.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(id)})
		if err != nil {
			t.Fatalf("GetSecretValue(%s): %v", id, err)
		}
		if aws.ToString(got.SecretString) != `{"apiKey":"k"}` || aws.ToString(got.VersionId) != aws.ToString(created.VersionId) {
			t.Errorf("GetSecretValue(%s) = version %s, want %s with the created value", id, aws.ToString(got.VersionId), aws.ToString(created.VersionId))
		}
		if !slices.Equal(got.VersionStages, []string{"AWSCURRENT"}) {
			t.Errorf("VersionStages = %v, want [AWSCURRENT]", got.VersionStages)
		}
		if got.CreatedDate == nil || got.CreatedDate.IsZero() {
			t.Error("CreatedDate missing")
		}
	}

	desc, err := client.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: created.ARN})
	if err != nil {
		t.Fatalf("DescribeSecret: %v", err)
	}
	if len(desc.Tags) != 1 || aws.ToString(desc.Tags[0].Key) != "team" || aws.ToString(desc.Tags[0].Value) != "a" {
		t.Errorf("Tags = %v, want team=a", desc.Tags)
	}
	if desc.LastAccessedDate == nil {
		t.Error("LastAccessedDate missing after GetSecretValue")
	}

	_, err = client.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("ddrotate/team-a"), SecretString: aws.String("x")})
	wantAPIError(t, err, "ResourceExistsException")
}

func TestCreateSecretWithoutValueHasNoCurrentVersion(t *testing.T) {
	ctx := context.Background()
	e := startEmulator(t, Options{})
	client := e.adminSecrets(t)
	created, err := client.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("empty")})
	if err != nil {
		t.Fatalf("CreateSecret: %v", err)
	}
	if created.VersionId != nil {
		t.Errorf("VersionId = %s, want none", aws.ToString(created.VersionId))
	}
	_, err = client.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("empty")})
	wantAPIError(t, err, "ResourceNotFoundException")
	if !strings.Contains(err.Error(), "staging label: AWSCURRENT") {
		t.Errorf("error %q does not name the AWSCURRENT label", err)
	}

	// The first version is current even when asked for another label only.
	put, err := client.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{
		SecretId: aws.String("empty"), SecretString: aws.String("v"), ClientRequestToken: aws.String(v1),
		VersionStages: []string{"AWSPENDING"},
	})
	if err != nil {
		t.Fatalf("PutSecretValue: %v", err)
	}
	if got := normalised(map[string][]string{"v": put.VersionStages})["v"]; !slices.Equal(got, []string{"AWSCURRENT", "AWSPENDING"}) {
		t.Errorf("first version stages = %v, want AWSCURRENT and AWSPENDING", got)
	}
}

func TestGetSecretValueSelectsVersion(t *testing.T) {
	ctx := context.Background()
	e := startEmulator(t, Options{})
	client := e.adminSecrets(t)
	seedRotatingSecret(t, ctx, client, "team-a")

	tests := []struct {
		name      string
		versionID string
		stage     string
		want      string
		wantErr   string
	}{
		{name: "default is AWSCURRENT", want: "two"},
		{name: "by stage", stage: "AWSPENDING", want: "three"},
		{name: "AWSPREVIOUS", stage: "AWSPREVIOUS", want: "one"},
		{name: "by version id", versionID: v1, want: "one"},
		{name: "version id and its stage", versionID: v3, stage: "AWSPENDING", want: "three"},
		{name: "version id and another stage", versionID: v3, stage: "AWSCURRENT", wantErr: "ResourceNotFoundException"},
		{name: "unknown version id", versionID: "44444444-4444-4444-8444-444444444444", wantErr: "ResourceNotFoundException"},
		{name: "unattached stage", stage: "LOCK", wantErr: "ResourceNotFoundException"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := &secretsmanager.GetSecretValueInput{SecretId: aws.String("team-a")}
			if tt.versionID != "" {
				in.VersionId = aws.String(tt.versionID)
			}
			if tt.stage != "" {
				in.VersionStage = aws.String(tt.stage)
			}
			got, err := client.GetSecretValue(ctx, in)
			if tt.wantErr != "" {
				wantAPIError(t, err, tt.wantErr)
				return
			}
			if err != nil {
				t.Fatalf("GetSecretValue: %v", err)
			}
			if aws.ToString(got.SecretString) != tt.want {
				t.Errorf("SecretString = %q, want %q", aws.ToString(got.SecretString), tt.want)
			}
		})
	}
}

func TestPutSecretValueTokenIdempotency(t *testing.T) {
	ctx := context.Background()
	e := startEmulator(t, Options{})
	client := e.adminSecrets(t)
	seedRotatingSecret(t, ctx, client, "team-a")
	before := stagesByVersion(t, e, "team-a")

	// Same token, same value, same stages: the request is ignored.
	again, err := client.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{
		SecretId: aws.String("team-a"), SecretString: aws.String("three"), ClientRequestToken: aws.String(v3),
		VersionStages: []string{"AWSPENDING"},
	})
	if err != nil {
		t.Fatalf("retried PutSecretValue: %v", err)
	}
	if aws.ToString(again.VersionId) != v3 {
		t.Errorf("VersionId = %s, want %s", aws.ToString(again.VersionId), v3)
	}
	if got := stagesByVersion(t, e, "team-a"); !equalStages(got, before) {
		t.Errorf("retry changed stages: %v, want %v", got, before)
	}

	// Same token, different value: versions are immutable.
	_, err = client.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{
		SecretId: aws.String("team-a"), SecretString: aws.String("other"), ClientRequestToken: aws.String(v3),
		VersionStages: []string{"AWSPENDING"},
	})
	wantAPIError(t, err, "ResourceExistsException")
	versions, _ := e.SecretVersions("team-a")
	if len(versions) != 3 || versions[2].SecretString != "three" {
		t.Errorf("failed PutSecretValue changed versions: %d versions, last = %q", len(versions), versions[len(versions)-1].SecretString)
	}
}

func equalStages(a, b map[string][]string) bool {
	na, nb := normalised(a), normalised(b)
	if len(na) != len(nb) {
		return false
	}
	for id, s := range na {
		if !slices.Equal(s, nb[id]) {
			return false
		}
	}
	return true
}

func TestPutSecretValueMovesLabels(t *testing.T) {
	const v4 = "44444444-4444-4444-8444-444444444444"
	tests := []struct {
		name   string
		stages []string
		want   map[string][]string
	}{
		{name: "omitted stages make the new version current",
			want: map[string][]string{v1: {}, v2: {"AWSPREVIOUS"}, v3: {"AWSPENDING"}, v4: {"AWSCURRENT"}}},
		{name: "an attached label moves without RemoveFromVersionId",
			stages: []string{"AWSPENDING"},
			want:   map[string][]string{v1: {"AWSPREVIOUS"}, v2: {"AWSCURRENT"}, v3: {}, v4: {"AWSPENDING"}}},
		{name: "AWSCURRENT with another label",
			stages: []string{"AWSCURRENT", "AWSPENDING"},
			want:   map[string][]string{v1: {}, v2: {"AWSPREVIOUS"}, v3: {}, v4: {"AWSCURRENT", "AWSPENDING"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			e := startEmulator(t, Options{})
			client := e.adminSecrets(t)
			seedRotatingSecret(t, ctx, client, "team-a")
			_, err := client.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{
				SecretId: aws.String("team-a"), SecretString: aws.String("four"), ClientRequestToken: aws.String(v4),
				VersionStages: tt.stages,
			})
			if err != nil {
				t.Fatalf("PutSecretValue: %v", err)
			}
			if got := stagesByVersion(t, e, "team-a"); !equalStages(got, tt.want) {
				t.Errorf("stages = %v, want %v", normalised(got), tt.want)
			}
			assertDescribeMatchesVersions(t, ctx, e, client, "team-a")
		})
	}
}

func TestSecretsManagerValidationErrors(t *testing.T) {
	ctx := context.Background()
	e := startEmulator(t, Options{})
	client := e.adminSecrets(t)
	seedRotatingSecret(t, ctx, client, "team-a")
	before := stagesByVersion(t, e, "team-a")

	tests := []struct {
		name    string
		call    func() error
		wantErr string
	}{
		{"token shorter than 32", func() error {
			_, err := client.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{
				SecretId: aws.String("team-a"), SecretString: aws.String("x"), ClientRequestToken: aws.String("short")})
			return err
		}, "ValidationException"},
		{"token longer than 64", func() error {
			_, err := client.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{
				SecretId: aws.String("team-a"), SecretString: aws.String("x"), ClientRequestToken: aws.String(strings.Repeat("t", 65))})
			return err
		}, "ValidationException"},
		{"no value", func() error {
			_, err := client.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String("team-a")})
			return err
		}, "InvalidParameterException"},
		{"string and binary", func() error {
			_, err := client.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{
				SecretId: aws.String("team-a"), SecretString: aws.String("x"), SecretBinary: []byte{1}})
			return err
		}, "InvalidParameterException"},
		{"put to an unknown secret", func() error {
			_, err := client.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String("nope"), SecretString: aws.String("x")})
			return err
		}, "ResourceNotFoundException"},
		{"describe an unknown secret", func() error {
			_, err := client.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String("nope")})
			return err
		}, "ResourceNotFoundException"},
		{"invalid secret name", func() error {
			_, err := client.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("bad name!")})
			return err
		}, "ValidationException"},
		{"delete with both recovery options", func() error {
			_, err := client.DeleteSecret(ctx, &secretsmanager.DeleteSecretInput{
				SecretId: aws.String("team-a"), RecoveryWindowInDays: aws.Int64(7), ForceDeleteWithoutRecovery: aws.Bool(true)})
			return err
		}, "InvalidParameterException"},
		{"recovery window too short", func() error {
			_, err := client.DeleteSecret(ctx, &secretsmanager.DeleteSecretInput{SecretId: aws.String("team-a"), RecoveryWindowInDays: aws.Int64(6)})
			return err
		}, "InvalidParameterException"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantAPIError(t, tt.call(), tt.wantErr)
			if got := stagesByVersion(t, e, "team-a"); !equalStages(got, before) {
				t.Errorf("failed call changed the secret: %v", normalised(got))
			}
		})
	}
}

func TestDeleteSecretSchedulesThenForceDeletes(t *testing.T) {
	ctx := context.Background()
	e := startEmulator(t, Options{})
	client := e.adminSecrets(t)
	seedRotatingSecret(t, ctx, client, "team-a")

	deleted, err := client.DeleteSecret(ctx, &secretsmanager.DeleteSecretInput{SecretId: aws.String("team-a"), RecoveryWindowInDays: aws.Int64(7)})
	if err != nil {
		t.Fatalf("DeleteSecret: %v", err)
	}
	if deleted.DeletionDate == nil {
		t.Error("DeletionDate missing")
	}
	desc, err := client.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String("team-a")})
	if err != nil || desc.DeletedDate == nil {
		t.Fatalf("DescribeSecret of a scheduled secret: DeletedDate=%v err=%v", desc, err)
	}
	_, err = client.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("team-a")})
	wantAPIError(t, err, "InvalidRequestException")
	_, err = client.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String("team-a"), SecretString: aws.String("x")})
	wantAPIError(t, err, "InvalidRequestException")
	_, err = client.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("team-a")})
	wantAPIError(t, err, "InvalidRequestException")

	listed := listSecretNames(t, ctx, client, false)
	if slices.Contains(listed, "team-a") {
		t.Errorf("ListSecrets = %v, a scheduled secret is listed without IncludePlannedDeletion", listed)
	}
	if listed := listSecretNames(t, ctx, client, true); !slices.Contains(listed, "team-a") {
		t.Errorf("ListSecrets(IncludePlannedDeletion) = %v, want team-a", listed)
	}

	if _, err := client.DeleteSecret(ctx, &secretsmanager.DeleteSecretInput{SecretId: aws.String("team-a"), ForceDeleteWithoutRecovery: aws.Bool(true)}); err != nil {
		t.Fatalf("force DeleteSecret: %v", err)
	}
	_, err = client.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String("team-a")})
	wantAPIError(t, err, "ResourceNotFoundException")
}

func listSecretNames(t *testing.T, ctx context.Context, client *secretsmanager.Client, includePlannedDeletion bool) []string {
	t.Helper()
	var names []string
	pages := secretsmanager.NewListSecretsPaginator(client, &secretsmanager.ListSecretsInput{
		IncludePlannedDeletion: aws.Bool(includePlannedDeletion), MaxResults: aws.Int32(2),
	})
	for pages.HasMorePages() {
		out, err := pages.NextPage(ctx)
		if err != nil {
			t.Fatalf("ListSecrets: %v", err)
		}
		for _, s := range out.SecretList {
			names = append(names, aws.ToString(s.Name))
		}
	}
	slices.Sort(names)
	return names
}

func TestListSecretsPagesAndFilters(t *testing.T) {
	ctx := context.Background()
	e := startEmulator(t, Options{})
	client := e.adminSecrets(t)
	for _, name := range []string{"ddrotate/a", "ddrotate/b", "ddrotate/c", "other"} {
		if _, err := client.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String(name), SecretString: aws.String("v")}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := client.TagResource(ctx, &secretsmanager.TagResourceInput{
		SecretId: aws.String("ddrotate/b"), Tags: []types.Tag{{Key: aws.String("managed-by"), Value: aws.String("ddrotate")}},
	}); err != nil {
		t.Fatalf("TagResource: %v", err)
	}

	if got, want := listSecretNames(t, ctx, client, false), []string{"ddrotate/a", "ddrotate/b", "ddrotate/c", "other"}; !slices.Equal(got, want) {
		t.Errorf("paged ListSecrets = %v, want %v", got, want)
	}

	tests := []struct {
		filter types.Filter
		want   []string
	}{
		{types.Filter{Key: types.FilterNameStringTypeName, Values: []string{"ddrotate/"}}, []string{"ddrotate/a", "ddrotate/b", "ddrotate/c"}},
		{types.Filter{Key: types.FilterNameStringTypeName, Values: []string{"!ddrotate/"}}, []string{"other"}},
		{types.Filter{Key: types.FilterNameStringTypeTagKey, Values: []string{"managed-by"}}, []string{"ddrotate/b"}},
		{types.Filter{Key: types.FilterNameStringTypeTagValue, Values: []string{"ddrotate"}}, []string{"ddrotate/b"}},
	}
	for _, tt := range tests {
		out, err := client.ListSecrets(ctx, &secretsmanager.ListSecretsInput{Filters: []types.Filter{tt.filter}})
		if err != nil {
			t.Fatalf("ListSecrets(%v): %v", tt.filter, err)
		}
		var got []string
		for _, s := range out.SecretList {
			got = append(got, aws.ToString(s.Name))
			if len(s.SecretVersionsToStages) != 1 {
				t.Errorf("%s SecretVersionsToStages = %v, want one version", aws.ToString(s.Name), s.SecretVersionsToStages)
			}
		}
		slices.Sort(got)
		if !slices.Equal(got, tt.want) {
			t.Errorf("ListSecrets(%s=%v) = %v, want %v", tt.filter.Key, tt.filter.Values, got, tt.want)
		}
	}
}

func TestBinarySecretsAndVersionPaging(t *testing.T) {
	ctx := context.Background()
	e := startEmulator(t, Options{})
	client := e.adminSecrets(t)
	binary := []byte{0, 1, 2, 255}
	if _, err := client.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("bin"), SecretBinary: binary, ClientRequestToken: aws.String(v1)}); err != nil {
		t.Fatalf("CreateSecret: %v", err)
	}
	for _, token := range []string{v2, v3} {
		if _, err := client.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String("bin"), SecretBinary: binary, ClientRequestToken: aws.String(token)}); err != nil {
			t.Fatalf("PutSecretValue: %v", err)
		}
	}

	// v1 is now deprecated, but still readable by its id.
	got, err := client.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("bin"), VersionId: aws.String(v1)})
	if err != nil {
		t.Fatalf("GetSecretValue(deprecated version): %v", err)
	}
	if !slices.Equal(got.SecretBinary, binary) || got.SecretString != nil || len(got.VersionStages) != 0 {
		t.Errorf("deprecated version = %v %v stages %v, want the binary value and no stages", got.SecretBinary, got.SecretString, got.VersionStages)
	}

	var ids []string
	pages := secretsmanager.NewListSecretVersionIdsPaginator(client, &secretsmanager.ListSecretVersionIdsInput{
		SecretId: aws.String("bin"), IncludeDeprecated: aws.Bool(true), MaxResults: aws.Int32(2),
	})
	for pages.HasMorePages() {
		out, err := pages.NextPage(ctx)
		if err != nil {
			t.Fatalf("ListSecretVersionIds: %v", err)
		}
		if len(out.Versions) > 2 {
			t.Errorf("page of %d versions, want at most 2", len(out.Versions))
		}
		for _, v := range out.Versions {
			ids = append(ids, aws.ToString(v.VersionId))
		}
	}
	if want := []string{v1, v2, v3}; !slices.Equal(ids, want) {
		t.Errorf("paged versions = %v, want %v", ids, want)
	}
}

// ListSecrets' filters as the API reference describes them, including the
// ones ddrotate's listtargets step combines: a tag-key and a tag-value
// filter match any tags, not one tag's key and value together.
func TestListSecretsFilterSemantics(t *testing.T) {
	ctx := context.Background()
	e := startEmulator(t, Options{})
	client := e.adminSecrets(t)
	create := func(name, description string, tags ...string) {
		t.Helper()
		in := &secretsmanager.CreateSecretInput{Name: aws.String(name), Description: aws.String(description), SecretString: aws.String("v")}
		for i := 0; i < len(tags); i += 2 {
			in.Tags = append(in.Tags, types.Tag{Key: aws.String(tags[i]), Value: aws.String(tags[i+1])})
		}
		if _, err := client.CreateSecret(ctx, in); err != nil {
			t.Fatal(err)
		}
	}
	create("ddrotate/payments", "Datadog credential of Payments", "ddrotate:deployment", "ddrotate", "ddrotate:target", "payments")
	create("ddrotate/search", "Datadog credential of search", "ddrotate:deployment", "ddrotate-staging", "ddrotate:target", "search")
	create("ddrotate/lookalike", "not ours", "ddrotate:deployment-old", "x", "owner", "ddrotate")
	create("other/db", "database password", "team", "payments")

	tests := []struct {
		name    string
		filters []types.Filter
		want    []string
	}{
		{"tag-key and tag-value match any tags, each a prefix", []types.Filter{
			{Key: types.FilterNameStringTypeTagKey, Values: []string{"ddrotate:deployment"}},
			{Key: types.FilterNameStringTypeTagValue, Values: []string{"ddrotate"}},
		}, []string{"ddrotate/lookalike", "ddrotate/payments", "ddrotate/search"}},
		{"name is a case-sensitive prefix", []types.Filter{{Key: types.FilterNameStringTypeName, Values: []string{"DDROTATE/"}}}, nil},
		{"description is a prefix, case ignored", []types.Filter{{Key: types.FilterNameStringTypeDescription, Values: []string{"datadog CREDENTIAL"}}},
			[]string{"ddrotate/payments", "ddrotate/search"}},
		{"values of one filter are alternatives", []types.Filter{{Key: types.FilterNameStringTypeTagValue, Values: []string{"payments", "search"}}},
			[]string{"ddrotate/payments", "ddrotate/search", "other/db"}},
		{"a negated value", []types.Filter{{Key: types.FilterNameStringTypeName, Values: []string{"!ddrotate/"}}}, []string{"other/db"}},
		{"all splits words and ignores case", []types.Filter{{Key: types.FilterNameStringTypeAll, Values: []string{"Database Password"}}}, []string{"other/db"}},
		{"all matches tags too", []types.Filter{{Key: types.FilterNameStringTypeAll, Values: []string{"staging"}}}, []string{"ddrotate/search"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := client.ListSecrets(ctx, &secretsmanager.ListSecretsInput{Filters: tt.filters})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, s := range out.SecretList {
				got = append(got, aws.ToString(s.Name))
			}
			slices.Sort(got)
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}

	for name, filter := range map[string]types.Filter{
		"no values":                   {Key: types.FilterNameStringTypeName},
		"eleven values":               {Key: types.FilterNameStringTypeName, Values: []string{"a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k"}},
		"a value too long":            {Key: types.FilterNameStringTypeName, Values: []string{strings.Repeat("a", 513)}},
		"a character the API refuses": {Key: types.FilterNameStringTypeTagValue, Values: []string{"a*"}},
	} {
		_, err := client.ListSecrets(ctx, &secretsmanager.ListSecretsInput{Filters: []types.Filter{filter}})
		if err == nil || !strings.Contains(err.Error(), "ValidationException") {
			t.Errorf("%s: %v, want a ValidationException", name, err)
		}
	}
}
