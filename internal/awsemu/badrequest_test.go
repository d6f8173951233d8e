package awsemu

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
)

// signedBy is an Authorization header as SigV4 shapes it; the emulator
// reads the key id and the service from the credential scope.
func signedBy(keyID, service string) string {
	return "AWS4-HMAC-SHA256 Credential=" + keyID + "/20250101/us-east-1/" + service + "/aws4_request, SignedHeaders=host, Signature=00"
}

// rawCall sends a hand-made request, as a client without an SDK would.
func rawCall(t *testing.T, url string, header map[string]string, body string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("request: %v", err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, data
}

// errorCodeOf extracts the AWS error code from a JSON or XML error body.
func errorCodeOf(t *testing.T, body []byte) string {
	t.Helper()
	if bytes.HasPrefix(bytes.TrimSpace(body), []byte("{")) {
		var e struct {
			Type    string `json:"__type"`
			Message string `json:"Message"`
		}
		if err := json.Unmarshal(body, &e); err != nil {
			t.Fatalf("error body is not JSON: %s", body)
		}
		if e.Message == "" {
			t.Errorf("JSON error %s has no Message", e.Type)
		}
		return e.Type
	}
	var e struct {
		Error struct {
			Type    string `xml:"Type"`
			Code    string `xml:"Code"`
			Message string `xml:"Message"`
		} `xml:"Error"`
		RequestID string `xml:"RequestId"`
	}
	if err := xml.Unmarshal(body, &e); err != nil {
		t.Fatalf("error body is not XML: %s", body)
	}
	if e.Error.Message == "" || e.RequestID == "" || e.Error.Type == "" {
		t.Errorf("XML error %s lacks Type, Message or RequestId: %s", e.Error.Code, body)
	}
	return e.Error.Code
}

func TestBadRequestsGetAWSErrorsAndChangeNothing(t *testing.T) {
	ctx := context.Background()
	e := startEmulator(t, Options{})
	client := e.adminSecrets(t)
	seedRotatingSecret(t, ctx, client, "team-a")
	before := stagesByVersion(t, e, "team-a")

	smHeaders := func(action string) map[string]string {
		return map[string]string{
			"Content-Type":  jsonContentType,
			"X-Amz-Target":  "secretsmanager." + action,
			"Authorization": signedBy(adminKey, "secretsmanager"),
		}
	}
	form := func(service string) map[string]string {
		return map[string]string{"Content-Type": "application/x-www-form-urlencoded", "Authorization": signedBy(adminKey, service)}
	}
	tests := []struct {
		name       string
		header     map[string]string
		body       string
		wantStatus int
		wantCode   string
	}{
		{"unsigned Secrets Manager request", map[string]string{"X-Amz-Target": "secretsmanager.GetSecretValue"}, `{"SecretId":"team-a"}`,
			403, "MissingAuthenticationTokenException"},
		{"unsigned SNS request", map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, "Action=Publish&TopicArn=x&Message=m",
			403, "MissingAuthenticationToken"},
		{"unknown Secrets Manager operation", smHeaders("RotateSecret"), `{"SecretId":"team-a"}`, 400, "UnknownOperationException"},
		{"another service's target", map[string]string{"X-Amz-Target": "TrentService.Encrypt", "Authorization": signedBy(adminKey, "kms")}, `{}`,
			400, "UnknownOperationException"},
		{"malformed JSON", smHeaders("PutSecretValue"), `{"SecretId":"team-a","SecretString":`, 400, "SerializationException"},
		{"wrongly typed member", smHeaders("PutSecretValue"), `{"SecretId":"team-a","SecretString":5}`, 400, "SerializationException"},
		{"missing SecretId", smHeaders("GetSecretValue"), `{}`, 400, "ValidationException"},
		{"missing VersionStage", smHeaders("UpdateSecretVersionStage"), `{"SecretId":"team-a","MoveToVersionId":"` + v3 + `"}`, 400, "ValidationException"},
		{"missing Name", smHeaders("CreateSecret"), `{"SecretString":"x"}`, 400, "ValidationException"},
		{"unknown SNS action", form("sns"), "Action=DeleteTopic&TopicArn=x", 400, "InvalidAction"},
		{"no action", form("sns"), "TopicArn=x", 400, "MissingAction"},
		{"malformed form", form("sns"), "Action=Publish&Message=%zz", 404, "MalformedQueryString"},
		{"Publish without TopicArn", form("sns"), "Action=Publish&Message=m", 400, "InvalidParameter"},
		{"AssumeRole without RoleArn", form("sts"), "Action=AssumeRole&RoleSessionName=s", 400, "ValidationError"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := rawCall(t, e.URL, tt.header, tt.body)
			if status != tt.wantStatus {
				t.Errorf("status = %d, want %d (%s)", status, tt.wantStatus, body)
			}
			if code := errorCodeOf(t, body); code != tt.wantCode {
				t.Errorf("code = %s, want %s", code, tt.wantCode)
			}
		})
	}
	if got := stagesByVersion(t, e, "team-a"); !equalStages(got, before) {
		t.Errorf("bad requests changed the secret: %v", normalised(got))
	}
	list, err := client.ListSecrets(ctx, &secretsmanager.ListSecretsInput{})
	if err != nil || len(list.SecretList) != 1 {
		t.Errorf("ListSecrets after bad requests = %v, %v; want only team-a", list, err)
	}
}

// TestSecretValuesNeverLeak checks the call log and the request log for
// values written and read, including in failed requests.
func TestSecretValuesNeverLeak(t *testing.T) {
	const value = "dd-api-key-0123456789abcdef"
	var logs bytes.Buffer
	ctx := context.Background()
	e := startEmulator(t, Options{Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	client := e.adminSecrets(t)
	if _, err := client.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("team-a"), SecretString: aws.String(value), ClientRequestToken: aws.String(v1)}); err != nil {
		t.Fatal(err)
	}
	if _, err := client.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("team-a")}); err != nil {
		t.Fatal(err)
	}
	_, err := client.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String("team-a"), SecretString: aws.String(value + "x"), ClientRequestToken: aws.String(v1)})
	wantAPIError(t, err, "ResourceExistsException")
	_, err = client.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String("team-a"), SecretString: aws.String(value), ClientRequestToken: aws.String("short")})
	wantAPIError(t, err, "ValidationException")
	if strings.Contains(err.Error(), value) {
		t.Errorf("error message contains the secret value: %v", err)
	}

	if logs.Len() == 0 {
		t.Fatal("no request was logged; the check below would prove nothing")
	}
	if strings.Contains(logs.String(), value) {
		t.Errorf("log contains the secret value:\n%s", logs.String())
	}
	for _, c := range e.Calls() {
		if strings.Contains(strings.Join([]string{c.Service, c.Action, c.AccessKeyID, c.SecretID, c.ErrorCode}, " "), value) {
			t.Errorf("call log entry contains the secret value: %+v", c)
		}
	}
}
