package test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/ddrotate/ddrotate/internal/asl"
	"github.com/ddrotate/ddrotate/internal/localenv"
	"github.com/ddrotate/ddrotate/shared/rotation"
)

// The rules by which Datadog's own software, and the AWS services teams hand
// a secret to, take an API key out of a Secrets Manager secret string. Each
// follows the consumer's documentation, as the README's consumer guide
// describes it; the tests below apply them to a rotated ddrotate secret.

// lambdaExtensionAPIKey is the Datadog Lambda Extension's rule for
// DD_API_KEY_SECRET_ARN (v96 and later): a JSON object with a string field
// dd_api_key yields that field; anything else is used whole, as the key.
func lambdaExtensionAPIKey(secretString string) string {
	var fields map[string]any
	if json.Unmarshal([]byte(secretString), &fields) == nil {
		if v, ok := fields["dd_api_key"].(string); ok {
			return v
		}
	}
	return secretString
}

// forwarderAPIKey is the Datadog Forwarder's rule for DdApiKeySecretArn: a
// plain string is the key; a JSON object gives its DD_API_KEY or apiKey field.
func forwarderAPIKey(secretString string) string {
	var fields map[string]any
	if json.Unmarshal([]byte(secretString), &fields) == nil {
		for _, name := range []string{"DD_API_KEY", "apiKey"} {
			if v, ok := fields[name].(string); ok {
				return v
			}
		}
	}
	return strings.TrimSpace(secretString)
}

// jsonKey is the rule shared by ECS (`valueFrom: <secret-arn>:apiKey::`), the
// Datadog Agent's secrets backend (`ENC[<secret>;apiKey]`) and the External
// Secrets Operator (`property: apiKey`): the secret must be a JSON object and
// the named field a string, or the consumer fails to start.
func jsonKey(secretString, name string) (string, error) {
	var fields map[string]any
	if err := json.Unmarshal([]byte(secretString), &fields); err != nil {
		return "", fmt.Errorf("secret is not a JSON object")
	}
	v, ok := fields[name].(string)
	if !ok {
		return "", fmt.Errorf("secret has no string field %q", name)
	}
	return v, nil
}

// teamSecretReader reads a team's secret as its pipeline does: a principal
// of the team's own account assumes the team's read-only role.
func teamSecretReader(t *testing.T, w *world, team string) func() string {
	t.Helper()
	target := w.Targets[team]
	teamCfg := localenv.ClientConfig(w.AWSURL, target.TeamAccessKeyID)
	assumed, err := sts.NewFromConfig(teamCfg).AssumeRole(context.Background(), &sts.AssumeRoleInput{
		RoleArn:         aws.String(target.RoleARN),
		RoleSessionName: aws.String(team + "-consumer"),
	})
	if err != nil {
		t.Fatalf("team %s assumes its role: %v", team, err)
	}
	roleCfg := teamCfg
	roleCfg.Credentials = credentials.NewStaticCredentialsProvider(aws.ToString(assumed.Credentials.AccessKeyId),
		aws.ToString(assumed.Credentials.SecretAccessKey), aws.ToString(assumed.Credentials.SessionToken))
	client := secretsmanager.NewFromConfig(roleCfg)
	return func() string {
		t.Helper()
		out, err := client.GetSecretValue(context.Background(), &secretsmanager.GetSecretValueInput{SecretId: aws.String(target.SecretARN)})
		if err != nil {
			t.Fatalf("team %s reads its secret: %v", team, err)
		}
		return aws.ToString(out.SecretString)
	}
}

func TestConsumersReadARotatedSecretUnderTheirOwnRules(t *testing.T) {
	for _, team := range []string{"payments", "analytics"} {
		t.Run(team, func(t *testing.T) {
			w := newWorld(t)
			before := w.snapshot()
			read := teamSecretReader(t, w, team)
			oldKey := forwarderAPIKey(read())
			wantStatus(t, w.rotate(t, team, rotation.ModeScheduled), asl.StatusSucceeded)
			secret := read()

			ecs, err := jsonKey(secret, "apiKey")
			if err != nil {
				t.Fatalf("ECS valueFrom %s:apiKey:: fails: %v", team, err)
			}
			extracted := map[string]string{
				"Datadog Lambda Extension (dd_api_key)":      lambdaExtensionAPIKey(secret),
				"Datadog Forwarder (apiKey)":                 forwarderAPIKey(secret),
				"ECS valueFrom / Agent ENC[] / ESO property": ecs,
			}
			for consumer, key := range extracted {
				if key == oldKey {
					t.Errorf("%s: still reads the retired key", consumer)
				}
				if !w.Datadog.APIKeyValid(key) {
					t.Errorf("%s: reads a key that Datadog does not accept", consumer)
				}
			}
			if team == "analytics" {
				appKey, err := jsonKey(secret, "appKey")
				if err != nil || !w.Datadog.AppKeyValid(appKey) {
					t.Errorf("ECS valueFrom %s:appKey:: does not give a working application key (%v)", team, err)
				}
			}
			w.checkAll(t, before)
		})
	}
}

// refreshingConsumer is a team's Go service: it caches its API key, read
// through its role, and reads the secret again when its SNS subscription
// (an HTTP endpoint, filtered to its target) delivers a `rotated` event.
type refreshingConsumer struct {
	read func() string

	mu       sync.Mutex
	key      string
	rotated  []string // versionIds announced by `rotated` events
	refreshC chan struct{}
}

func (c *refreshingConsumer) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	var envelope struct {
		Type    string `json:"Type"`
		Message string `json:"Message"`
	}
	var msg struct {
		Event     string `json:"event"`
		VersionID string `json:"versionId"`
	}
	if json.Unmarshal(body, &envelope) != nil || json.Unmarshal([]byte(envelope.Message), &msg) != nil {
		http.Error(rw, "not an SNS notification", http.StatusBadRequest)
		return
	}
	if msg.Event == "rotated" {
		key := forwarderAPIKey(c.read())
		c.mu.Lock()
		c.key, c.rotated = key, append(c.rotated, msg.VersionID)
		c.mu.Unlock()
		c.refreshC <- struct{}{}
	}
}

func (c *refreshingConsumer) currentKey() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.key
}

func TestConsumerRefreshingOnRotatedHoldsTheNewKeyBeforeTheOldOneDies(t *testing.T) {
	w := newWorld(t)
	before := w.snapshot()
	read := teamSecretReader(t, w, "payments")
	consumer := &refreshingConsumer{read: read, key: forwarderAPIKey(read()), refreshC: make(chan struct{}, 4)}
	oldKey := consumer.currentKey()
	endpoint := httptest.NewServer(consumer)
	defer endpoint.Close()
	filter, _ := json.Marshal(map[string][]string{"target": {"payments"}})
	if _, err := w.Topic.Subscribe(context.Background(), &sns.SubscribeInput{
		TopicArn:   aws.String(w.TopicARN),
		Protocol:   aws.String("http"),
		Endpoint:   aws.String(endpoint.URL),
		Attributes: map[string]string{"FilterPolicy": string(filter)},
	}); err != nil {
		t.Fatalf("subscribe the consumer: %v", err)
	}

	// At DeleteOld the grace period has passed: the consumer must already
	// be on the new key, which must work, while its old one still works.
	checked := false
	w.at("DeleteOld", func(x *asl.Execution) error {
		select {
		case <-consumer.refreshC:
		case <-time.After(10 * time.Second):
			t.Error("the consumer heard no `rotated` event before DeleteOld")
			return nil
		}
		checked = true
		key := consumer.currentKey()
		if key == oldKey || !w.Datadog.APIKeyValid(key) {
			t.Error("after `rotated` the consumer does not hold a new, working key")
		}
		if !w.Datadog.APIKeyValid(oldKey) {
			t.Error("the old key died before DeleteOld")
		}
		return nil
	})
	wantStatus(t, w.rotate(t, "payments", rotation.ModeScheduled), asl.StatusSucceeded)
	if !checked {
		t.Fatal("the execution never reached DeleteOld")
	}
	if w.Datadog.APIKeyValid(oldKey) {
		t.Error("the old key survived the rotation")
	}
	if !w.Datadog.APIKeyValid(consumer.currentKey()) {
		t.Error("the consumer's key does not work after the rotation")
	}
	consumer.mu.Lock()
	announced := consumer.rotated
	consumer.mu.Unlock()
	if len(announced) != 1 || announced[0] != w.CurrentVersion("payments") {
		t.Errorf("rotated events announced versions %v, want exactly the new AWSCURRENT %s", announced, w.CurrentVersion("payments"))
	}
	w.checkAll(t, before)
}
