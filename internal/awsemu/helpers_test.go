package awsemu

import (
	"context"
	"errors"
	"net/http/httptest"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
)

// adminKey is an access key id the emulator did not issue: the account's
// administrator.
const adminKey = "AKIAADMINEXAMPLE"

// testEmulator is a Server behind an httptest listener.
type testEmulator struct {
	*Server
	URL string
}

func startEmulator(t *testing.T, opts Options) *testEmulator {
	t.Helper()
	s := New(opts)
	ts := httptest.NewServer(s)
	t.Cleanup(func() {
		ts.Close()
		if err := s.Close(); err != nil {
			t.Errorf("close emulator: %v", err)
		}
	})
	return &testEmulator{Server: s, URL: ts.URL}
}

// awsConfig returns an SDK configuration that signs with the given static
// credentials and sends every request once, so that a test expecting an
// error sees the first one.
func (e *testEmulator) awsConfig(t *testing.T, accessKeyID, secretKey, sessionToken string) aws.Config {
	t.Helper()
	cfg, err := config.LoadDefaultConfig(context.Background(),
		config.WithRegion("us-east-1"),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(accessKeyID, secretKey, sessionToken)),
		config.WithRetryMaxAttempts(1),
		// Keep the machine's own AWS files out of the test.
		config.WithSharedConfigFiles([]string{}),
		config.WithSharedCredentialsFiles([]string{}),
	)
	if err != nil {
		t.Fatalf("load AWS config: %v", err)
	}
	return cfg
}

func (e *testEmulator) secretsClient(t *testing.T, accessKeyID, secretKey, sessionToken string) *secretsmanager.Client {
	cfg := e.awsConfig(t, accessKeyID, secretKey, sessionToken)
	return secretsmanager.NewFromConfig(cfg, func(o *secretsmanager.Options) { o.BaseEndpoint = aws.String(e.URL) })
}

func (e *testEmulator) snsClient(t *testing.T, accessKeyID string) *sns.Client {
	cfg := e.awsConfig(t, accessKeyID, "secret", "")
	return sns.NewFromConfig(cfg, func(o *sns.Options) { o.BaseEndpoint = aws.String(e.URL) })
}

func (e *testEmulator) stsClient(t *testing.T, accessKeyID, secretKey, sessionToken string) *sts.Client {
	cfg := e.awsConfig(t, accessKeyID, secretKey, sessionToken)
	return sts.NewFromConfig(cfg, func(o *sts.Options) { o.BaseEndpoint = aws.String(e.URL) })
}

func (e *testEmulator) adminSecrets(t *testing.T) *secretsmanager.Client {
	return e.secretsClient(t, adminKey, "secret", "")
}

// wantAPIError fails the test unless err is an AWS API error with the code.
func wantAPIError(t *testing.T, err error, code string) {
	t.Helper()
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) {
		t.Fatalf("error = %v, want API error %s", err, code)
	}
	if apiErr.ErrorCode() != code {
		t.Fatalf("error code = %s (%s), want %s", apiErr.ErrorCode(), apiErr.ErrorMessage(), code)
	}
}

// stagesByVersion maps version id to its labels, from the emulator's own
// view, deprecated versions included.
func stagesByVersion(t *testing.T, e *testEmulator, secretID string) map[string][]string {
	t.Helper()
	versions, err := e.SecretVersions(secretID)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	for _, v := range versions {
		out[v.VersionID] = v.Stages
	}
	return out
}
