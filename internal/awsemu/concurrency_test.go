package awsemu

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
)

// labelHolders counts, for each label, how many versions carry it.
func labelHolders(versions []SecretVersion) map[string]int {
	holders := map[string]int{}
	for _, v := range versions {
		for _, stage := range v.Stages {
			holders[stage]++
		}
	}
	return holders
}

// TestConcurrentStagingKeepsLabelsUnique races writers that add pending
// versions and promote them, the rotation's hot path, while a checker reads
// the secret continuously: no label may ever be on two versions, and none
// of AWSCURRENT, AWSPENDING and AWSPREVIOUS may get lost.
func TestConcurrentStagingKeepsLabelsUnique(t *testing.T) {
	const (
		workers    = 8
		iterations = 15
	)
	ctx := context.Background()
	e := startEmulator(t, Options{})
	client := e.adminSecrets(t)
	if _, err := client.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("shared"), SecretString: aws.String("v0")}); err != nil {
		t.Fatal(err)
	}

	done := make(chan struct{})
	checkerErr := make(chan error, 1)
	go func() {
		defer close(checkerErr)
		for {
			versions, err := e.SecretVersions("shared")
			if err != nil {
				checkerErr <- err
				return
			}
			for label, n := range labelHolders(versions) {
				if n > 1 {
					checkerErr <- fmt.Errorf("label %s on %d versions", label, n)
					return
				}
			}
			if labelHolders(versions)["AWSCURRENT"] != 1 {
				checkerErr <- errors.New("AWSCURRENT lost")
				return
			}
			select {
			case <-done:
				return
			default:
			}
		}
	}()

	var puts, promotions atomic.Int64
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range iterations {
				token := fmt.Sprintf("worker-%02d-iteration-%02d-0000000000000", w, i)
				if _, err := client.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{
					SecretId: aws.String("shared"), SecretString: aws.String(token), ClientRequestToken: aws.String(token),
					VersionStages: []string{"AWSPENDING"},
				}); err != nil {
					t.Errorf("PutSecretValue: %v", err)
					return
				}
				puts.Add(1)
				if promote(t, ctx, client) {
					promotions.Add(1)
				}
			}
		})
	}
	wg.Wait()
	close(done)
	if err := <-checkerErr; err != nil {
		t.Fatalf("invariant broken while writers ran: %v", err)
	}

	versions, err := e.SecretVersions("shared")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := int64(len(versions)), puts.Load()+1; got != want {
		t.Errorf("%d versions, want %d (one per PutSecretValue plus the first)", got, want)
	}
	if promotions.Load() == 0 {
		t.Fatal("no promotion succeeded; the test exercised nothing")
	}
	holders := labelHolders(versions)
	for _, label := range []string{"AWSCURRENT", "AWSPENDING", "AWSPREVIOUS"} {
		if holders[label] != 1 {
			t.Errorf("%s on %d versions, want exactly 1", label, holders[label])
		}
	}
}

// promote moves AWSCURRENT to the version holding AWSPENDING, as the
// rotation's store step does. Losing a race to another writer shows up as
// InvalidParameterException, which is the protection being tested, so it
// only reports false.
func promote(t *testing.T, ctx context.Context, client *secretsmanager.Client) bool {
	desc, err := client.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String("shared")})
	if err != nil {
		t.Errorf("DescribeSecret: %v", err)
		return false
	}
	var current, pending string
	for id, stages := range desc.VersionIdsToStages {
		for _, s := range stages {
			switch s {
			case "AWSCURRENT":
				current = id
			case "AWSPENDING":
				pending = id
			}
		}
	}
	if pending == "" || pending == current {
		return false
	}
	_, err = client.UpdateSecretVersionStage(ctx, &secretsmanager.UpdateSecretVersionStageInput{
		SecretId: aws.String("shared"), VersionStage: aws.String("AWSCURRENT"),
		MoveToVersionId: aws.String(pending), RemoveFromVersionId: aws.String(current),
	})
	var invalid *types.InvalidParameterException
	switch {
	case err == nil:
		return true
	case errors.As(err, &invalid):
		return false
	default:
		t.Errorf("UpdateSecretVersionStage: %v", err)
		return false
	}
}
