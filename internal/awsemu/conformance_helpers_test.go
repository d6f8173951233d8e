package awsemu

import (
	"errors"
	"fmt"
	"net/http"
	"testing"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
)

// A conformance case checks one rule of the AWS API reference. Its name
// quotes or paraphrases the rule (the operation's page, its parameters'
// constraints, or the service's quotas), so that a failure says which
// documented behaviour broke.
type conformanceCase struct {
	rule   string
	call   func() error
	code   string // "" when the call must succeed
	status int    // HTTP status of the error; 0 means the service's usual 400
}

// runConformance runs each case as a subtest and checks the error code and
// HTTP status the emulator answered with.
func runConformance(t *testing.T, cases []conformanceCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.rule, func(t *testing.T) {
			err := c.call()
			if c.code == "" {
				if err != nil {
					t.Fatalf("want success, got %v", err)
				}
				return
			}
			code, status := codeAndStatus(err)
			want := c.status
			if want == 0 {
				want = http.StatusBadRequest
			}
			if code != c.code || status != want {
				t.Fatalf("got %s (HTTP %d): %v; want %s (HTTP %d)", code, status, err, c.code, want)
			}
		})
	}
}

// rawError is the answer to a hand-made request: what an SDK would not
// send (a missing required member, an explicitly empty list) still has to
// be answered as AWS answers it.
type rawError struct {
	code   string
	status int
	body   string
}

func (e *rawError) Error() string { return fmt.Sprintf("HTTP %d %s: %s", e.status, e.code, e.body) }

// codeAndStatus reads the AWS error code and HTTP status of an SDK or raw
// call's error.
func codeAndStatus(err error) (string, int) {
	var raw *rawError
	if errors.As(err, &raw) {
		return raw.code, raw.status
	}
	var apiErr smithy.APIError
	var respErr *awshttp.ResponseError
	if !errors.As(err, &apiErr) || !errors.As(err, &respErr) {
		return fmt.Sprintf("not an API error: %v", err), 0
	}
	return apiErr.ErrorCode(), respErr.HTTPStatusCode()
}

// smRaw sends a hand-made Secrets Manager request as the administrator and
// returns its error, or nil on success.
func (e *testEmulator) smRaw(t *testing.T, action, body string) error {
	t.Helper()
	status, resp := rawCall(t, e.URL, map[string]string{
		"Content-Type":  jsonContentType,
		"X-Amz-Target":  "secretsmanager." + action,
		"Authorization": signedBy(adminKey, "secretsmanager"),
	}, body)
	if status == http.StatusOK {
		return nil
	}
	return &rawError{code: errorCodeOf(t, resp), status: status, body: string(resp)}
}

// queryRaw sends a hand-made awsQuery (SNS or STS) request as the given key.
func (e *testEmulator) queryRaw(t *testing.T, keyID, service, body string) error {
	t.Helper()
	status, resp := rawCall(t, e.URL, map[string]string{
		"Content-Type":  "application/x-www-form-urlencoded",
		"Authorization": signedBy(keyID, service),
	}, body)
	if status == http.StatusOK {
		return nil
	}
	return &rawError{code: errorCodeOf(t, resp), status: status, body: string(resp)}
}
