package rotation_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/ddrotate/ddrotate/internal/awsemu"
	"github.com/ddrotate/ddrotate/internal/localenv"
	"github.com/ddrotate/ddrotate/shared/credential"
	"github.com/ddrotate/ddrotate/shared/deploy"
	"github.com/ddrotate/ddrotate/shared/rotation"
)

// listSteps returns steps over the given Secrets Manager client that list
// the deployment "ddrotate", logging to logs.
func listSteps(t *testing.T, secrets rotation.SecretsAPI, logs *bytes.Buffer) *rotation.Steps {
	t.Helper()
	cfg := localenv.ClientConfig("http://127.0.0.1:1", "AKIAUNUSED")
	steps, err := rotation.NewSteps(rotation.Config{
		SecretPrefix: secretPrefix, AdminSecretID: secretPrefix + adminTarget,
		TopicARN: "arn:aws:sns:" + region + ":" + accountID + ":t", Site: credential.Site(site), DefaultGrace: defaultGrace,
	}, secrets, sns.NewFromConfig(cfg), sfn.NewFromConfig(cfg),
		func(credential.Admin) (rotation.KeysAPI, error) { return nil, errors.New("unused") },
		slog.New(slog.NewJSONHandler(logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	steps.Fleet = rotation.FleetSettings{Deployment: "ddrotate", MaxConcurrency: 25, ToleratedFailurePercentage: 5}
	return steps
}

// ListTargets finds exactly the deployment's targets, by their tag and over
// many pages, admin first, and skips the secrets that only look like them.
func TestListTargetsFindsTheDeploymentsSecretsByTag(t *testing.T) {
	ctx := context.Background()
	emu := awsemu.New(awsemu.Options{AccountID: accountID, Region: region})
	url, err := emu.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { emu.Close() })
	sm := secretsmanager.NewFromConfig(localenv.ClientConfig(url, "AKIALISTTARGETS00000"))
	create := func(name string, tags ...string) {
		t.Helper()
		in := &secretsmanager.CreateSecretInput{Name: aws.String(name), SecretString: aws.String("{}")}
		for i := 0; i < len(tags); i += 2 {
			in.Tags = append(in.Tags, smtypes.Tag{Key: aws.String(tags[i]), Value: aws.String(tags[i+1])})
		}
		if _, err := sm.CreateSecret(ctx, in); err != nil {
			t.Fatal(err)
		}
	}
	ours := func(target string) {
		create(secretPrefix+target, deploy.TagDeployment, "ddrotate", deploy.TagTarget, target)
	}
	var want []string
	for i := range 230 { // three pages
		name := fmt.Sprintf("team-%03d", 229-i)
		ours(name)
		want = append(want, name)
	}
	ours(adminTarget)
	ours("deleted")
	if _, err := sm.DeleteSecret(ctx, &secretsmanager.DeleteSecretInput{SecretId: aws.String(secretPrefix + "deleted")}); err != nil {
		t.Fatal(err)
	}
	create(secretPrefix+"staging", deploy.TagDeployment, "ddrotate-staging", deploy.TagTarget, "staging") // another deployment
	create(secretPrefix+"moved", deploy.TagDeployment, "ddrotate", deploy.TagTarget, "other")             // tag disagrees with name
	create("elsewhere/team", deploy.TagDeployment, "ddrotate", deploy.TagTarget, "team")                  // not under the prefix
	create(secretPrefix+"untagged", deploy.TagTarget, "untagged", "owner", "ddrotate")                    // no deployment tag

	var logs bytes.Buffer
	listing, err := listSteps(t, sm, &logs).ListTargets(ctx, rotation.ListTargetsRequest{Mode: rotation.ModeScheduled})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(want)
	want = append([]string{adminTarget}, want...)
	if !slices.Equal(listing.Targets, want) || listing.Count != len(want) || listing.MaxConcurrency != 25 || listing.ToleratedFailurePercentage != 5 {
		t.Errorf("listing = %d targets %v..., count %d, settings %d %v", len(listing.Targets), listing.Targets[:3], listing.Count, listing.MaxConcurrency, listing.ToleratedFailurePercentage)
	}
	for _, skipped := range []string{"moved"} { // elsewhere/team is filtered out by name
		if !strings.Contains(logs.String(), skipped) {
			t.Errorf("skipping %s was not logged: %s", skipped, logs.String())
		}
	}
	if strings.Contains(logs.String(), "staging") {
		t.Errorf("another deployment's secret was worth a warning: %s", logs.String())
	}
	pages := 0
	for _, c := range emu.Calls() {
		if c.Action == "ListSecrets" {
			pages++
		}
	}
	if pages < 3 {
		t.Errorf("%d ListSecrets calls, want one per page of at most 100", pages)
	}
}

// fakeLister answers ListSecrets with n of the deployment's secrets whose
// target names have the given length, a page of 100 at a time.
type fakeLister struct {
	rotation.SecretsAPI
	n, nameLength int
}

func (f fakeLister) ListSecrets(_ context.Context, in *secretsmanager.ListSecretsInput, _ ...func(*secretsmanager.Options)) (*secretsmanager.ListSecretsOutput, error) {
	start := 0
	if in.NextToken != nil {
		fmt.Sscan(*in.NextToken, &start)
	}
	out := &secretsmanager.ListSecretsOutput{}
	for i := start; i < min(start+100, f.n); i++ {
		name := fmt.Sprintf("t%0*d", f.nameLength-1, i)
		out.SecretList = append(out.SecretList, smtypes.SecretListEntry{
			Name: aws.String(secretPrefix + name),
			Tags: []smtypes.Tag{{Key: aws.String(deploy.TagDeployment), Value: aws.String("ddrotate")}, {Key: aws.String(deploy.TagTarget), Value: aws.String(name)}},
		})
	}
	if start+100 < f.n {
		out.NextToken = aws.String(fmt.Sprint(start + 100))
	}
	return out, nil
}

// A fleet whose names do not fit in one Step Functions state is refused
// with the limit named, instead of failing the run with
// States.DataLimitExceeded; 10,000 targets with names of 20 characters fit.
func TestListTargetsRefusesAListingBeyondTheStateLimit(t *testing.T) {
	var logs bytes.Buffer
	start := time.Now()
	listing, err := listSteps(t, fakeLister{n: 10000, nameLength: 20}, &logs).ListTargets(context.Background(), rotation.ListTargetsRequest{})
	if err != nil || listing.Count != 10000 {
		t.Fatalf("10,000 targets: %d, %v", listing.Count, err)
	}
	t.Logf("listed 10,000 targets in %v", time.Since(start))
	_, err = listSteps(t, fakeLister{n: 7000, nameLength: 40}, &logs).ListTargets(context.Background(), rotation.ListTargetsRequest{})
	var configErr *rotation.ConfigError
	if !errors.As(err, &configErr) || !strings.Contains(err.Error(), "more than the 262144 bytes (256 KiB)") {
		t.Errorf("7,000 targets of 40 characters: %v", err)
	}
}
