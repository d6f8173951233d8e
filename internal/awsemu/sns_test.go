package awsemu

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sns/types"
)

func createTopic(t *testing.T, ctx context.Context, client *sns.Client, name string) string {
	t.Helper()
	out, err := client.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String(name)})
	if err != nil {
		t.Fatalf("CreateTopic: %v", err)
	}
	return aws.ToString(out.TopicArn)
}

func subscribe(t *testing.T, ctx context.Context, client *sns.Client, topicARN, protocol, endpoint string, attrs map[string]string) string {
	t.Helper()
	out, err := client.Subscribe(ctx, &sns.SubscribeInput{
		TopicArn: aws.String(topicARN), Protocol: aws.String(protocol), Endpoint: aws.String(endpoint),
		Attributes: attrs, ReturnSubscriptionArn: true,
	})
	if err != nil {
		t.Fatalf("Subscribe: %v", err)
	}
	return aws.ToString(out.SubscriptionArn)
}

func stringAttr(v string) types.MessageAttributeValue {
	return types.MessageAttributeValue{DataType: aws.String("String"), StringValue: aws.String(v)}
}

func publish(t *testing.T, ctx context.Context, client *sns.Client, topicARN, message string, attrs map[string]types.MessageAttributeValue) string {
	t.Helper()
	out, err := client.Publish(ctx, &sns.PublishInput{TopicArn: aws.String(topicARN), Message: aws.String(message), MessageAttributes: attrs})
	if err != nil {
		t.Fatalf("Publish: %v", err)
	}
	return aws.ToString(out.MessageId)
}

func messageBodies(msgs []Message) []string {
	var out []string
	for _, m := range msgs {
		out = append(out, m.Message)
	}
	return out
}

func TestSNSFilterPoliciesDeliverOnlyMatchingMessages(t *testing.T) {
	ctx := context.Background()
	e := startEmulator(t, Options{})
	client := e.snsClient(t, adminKey)
	topicARN := createTopic(t, ctx, client, "ddrotate-events")
	if again := createTopic(t, ctx, client, "ddrotate-events"); again != topicARN {
		t.Errorf("CreateTopic is not idempotent: %s then %s", topicARN, again)
	}

	teamA := subscribe(t, ctx, client, topicARN, "sqs", "arn:aws:sqs:us-east-1:111111111111:team-a",
		map[string]string{"FilterPolicy": `{"target":["team-a"]}`})
	failures := subscribe(t, ctx, client, topicARN, "email", "ops@example.com", nil)
	if _, err := client.SetSubscriptionAttributes(ctx, &sns.SetSubscriptionAttributesInput{
		SubscriptionArn: aws.String(failures), AttributeName: aws.String("FilterPolicy"),
		AttributeValue: aws.String(`{"event":[{"anything-but":"rotated"}]}`),
	}); err != nil {
		t.Fatalf("SetSubscriptionAttributes: %v", err)
	}
	everything := subscribe(t, ctx, client, topicARN, "lambda", "arn:aws:lambda:us-east-1:000000000000:function:audit", nil)

	publish(t, ctx, client, topicARN, "a rotated", map[string]types.MessageAttributeValue{"target": stringAttr("team-a"), "event": stringAttr("rotated")})
	publish(t, ctx, client, topicARN, "b rotated", map[string]types.MessageAttributeValue{"target": stringAttr("team-b"), "event": stringAttr("rotated")})
	id := publish(t, ctx, client, topicARN, "a failed", map[string]types.MessageAttributeValue{"target": stringAttr("team-a"), "event": stringAttr("rotation-failed")})
	publish(t, ctx, client, topicARN, "no attributes", nil)

	tests := []struct {
		sub  string
		want []string
	}{
		{teamA, []string{"a rotated", "a failed"}},
		{failures, []string{"a failed"}},
		{everything, []string{"a rotated", "b rotated", "a failed", "no attributes"}},
	}
	for _, tt := range tests {
		got := messageBodies(e.Inbox(tt.sub))
		if !slices.Equal(got, tt.want) {
			t.Errorf("inbox of %s = %q, want %q", tt.sub, got, tt.want)
		}
	}
	inbox := e.Inbox(teamA)
	if inbox[1].MessageID != id || inbox[1].Attributes["event"] != "rotation-failed" || inbox[1].SubscriptionArn != teamA || inbox[1].TopicArn != topicARN {
		t.Errorf("inbox message = %+v, want id %s with its attributes", inbox[1], id)
	}
	if got := len(e.Published(topicARN)); got != 4 {
		t.Errorf("Published = %d messages, want 4", got)
	}
}

// receivedPost is what an HTTP subscriber got.
type receivedPost struct {
	header http.Header
	body   []byte
}

// startSubscriber serves an HTTP endpoint that passes every POST to the
// returned channel, after waiting for release (if not nil).
func startSubscriber(t *testing.T, release <-chan struct{}) (string, <-chan receivedPost) {
	t.Helper()
	posts := make(chan receivedPost, 10)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		posts <- receivedPost{header: r.Header.Clone(), body: body}
		if release != nil {
			<-release
		}
	}))
	t.Cleanup(ts.Close)
	return ts.URL + "/sns", posts
}

func waitPost(t *testing.T, posts <-chan receivedPost) receivedPost {
	t.Helper()
	select {
	case p := <-posts:
		return p
	case <-time.After(10 * time.Second):
		t.Fatal("no delivery reached the subscriber")
		return receivedPost{}
	}
}

func TestSNSHTTPDeliverySendsNotificationEnvelope(t *testing.T) {
	ctx := context.Background()
	e := startEmulator(t, Options{})
	client := e.snsClient(t, adminKey)
	topicARN := createTopic(t, ctx, client, "events")
	endpoint, posts := startSubscriber(t, nil)
	subARN := subscribe(t, ctx, client, topicARN, "http", endpoint, nil)

	out, err := client.Publish(ctx, &sns.PublishInput{
		TopicArn: aws.String(topicARN), Subject: aws.String("rotated"), Message: aws.String(`{"target":"team-a"}`),
		MessageAttributes: map[string]types.MessageAttributeValue{"target": stringAttr("team-a")},
	})
	if err != nil {
		t.Fatalf("Publish: %v", err)
	}
	post := waitPost(t, posts)

	wantHeaders := map[string]string{
		"x-amz-sns-message-type":     "Notification",
		"x-amz-sns-message-id":       aws.ToString(out.MessageId),
		"x-amz-sns-topic-arn":        topicARN,
		"x-amz-sns-subscription-arn": subARN,
	}
	for name, want := range wantHeaders {
		if got := post.header.Get(name); got != want {
			t.Errorf("header %s = %q, want %q", name, got, want)
		}
	}
	var env map[string]any
	if err := json.Unmarshal(post.body, &env); err != nil {
		t.Fatalf("body is not JSON: %v", err)
	}
	for key, want := range map[string]string{
		"Type": "Notification", "MessageId": aws.ToString(out.MessageId), "TopicArn": topicARN,
		"Subject": "rotated", "Message": `{"target":"team-a"}`, "SignatureVersion": "1",
	} {
		if env[key] != want {
			t.Errorf("envelope %s = %v, want %q", key, env[key], want)
		}
	}
	for _, key := range []string{"Timestamp", "Signature", "SigningCertURL", "UnsubscribeURL"} {
		if s, _ := env[key].(string); s == "" {
			t.Errorf("envelope %s missing", key)
		}
	}
	attrs, _ := env["MessageAttributes"].(map[string]any)
	target, _ := attrs["target"].(map[string]any)
	if target["Type"] != "String" || target["Value"] != "team-a" {
		t.Errorf("MessageAttributes = %v, want target String team-a", env["MessageAttributes"])
	}
}

func TestSNSRawMessageDelivery(t *testing.T) {
	ctx := context.Background()
	e := startEmulator(t, Options{})
	client := e.snsClient(t, adminKey)
	topicARN := createTopic(t, ctx, client, "events")
	endpoint, posts := startSubscriber(t, nil)
	subscribe(t, ctx, client, topicARN, "http", endpoint, map[string]string{"RawMessageDelivery": "true"})

	publish(t, ctx, client, topicARN, "plain body", nil)
	if post := waitPost(t, posts); string(post.body) != "plain body" {
		t.Errorf("raw delivery body = %q, want the message itself", post.body)
	}
}

func TestSNSPublishDoesNotWaitForSlowSubscriber(t *testing.T) {
	ctx := context.Background()
	e := startEmulator(t, Options{})
	client := e.snsClient(t, adminKey)
	topicARN := createTopic(t, ctx, client, "events")
	release := make(chan struct{})
	defer close(release)
	endpoint, posts := startSubscriber(t, release)
	subARN := subscribe(t, ctx, client, topicARN, "http", endpoint, nil)

	// The subscriber holds every request until released, which happens only
	// when the test ends; a Publish that waited for delivery would run into
	// this deadline, shorter than the delivery timeout.
	publishCtx, cancel := context.WithTimeout(ctx, deliveryTimeout/2)
	defer cancel()
	publish(t, publishCtx, client, topicARN, "first", nil)
	if got := messageBodies(e.Inbox(subARN)); !slices.Equal(got, []string{"first"}) {
		t.Errorf("inbox right after Publish = %q, want [first]", got)
	}
	waitPost(t, posts)
}

func TestSNSSubscriptionManagement(t *testing.T) {
	ctx := context.Background()
	e := startEmulator(t, Options{})
	client := e.snsClient(t, adminKey)
	topicARN := createTopic(t, ctx, client, "events")
	first := subscribe(t, ctx, client, topicARN, "sqs", "arn:aws:sqs:us-east-1:111111111111:a", nil)
	second := subscribe(t, ctx, client, topicARN, "https", "https://127.0.0.1:9/hook", nil)
	if again := subscribe(t, ctx, client, topicARN, "sqs", "arn:aws:sqs:us-east-1:111111111111:a", nil); again != first {
		t.Errorf("re-subscribing the same endpoint made %s, want existing %s", again, first)
	}

	list, err := client.ListSubscriptionsByTopic(ctx, &sns.ListSubscriptionsByTopicInput{TopicArn: aws.String(topicARN)})
	if err != nil {
		t.Fatalf("ListSubscriptionsByTopic: %v", err)
	}
	if len(list.Subscriptions) != 2 || aws.ToString(list.Subscriptions[0].SubscriptionArn) != first ||
		aws.ToString(list.Subscriptions[1].Protocol) != "https" || aws.ToString(list.Subscriptions[1].TopicArn) != topicARN {
		t.Fatalf("subscriptions = %+v, want %s and %s", list.Subscriptions, first, second)
	}

	if _, err := client.Unsubscribe(ctx, &sns.UnsubscribeInput{SubscriptionArn: aws.String(first)}); err != nil {
		t.Fatalf("Unsubscribe: %v", err)
	}
	publish(t, ctx, client, topicARN, "after unsubscribe", nil)
	if got := e.Inbox(first); len(got) != 0 {
		t.Errorf("unsubscribed endpoint received %q", messageBodies(got))
	}

	tests := []struct {
		name    string
		call    func() error
		wantErr string
	}{
		{"unsubscribe twice", func() error {
			_, err := client.Unsubscribe(ctx, &sns.UnsubscribeInput{SubscriptionArn: aws.String(first)})
			return err
		}, "NotFound"},
		{"publish to unknown topic", func() error {
			_, err := client.Publish(ctx, &sns.PublishInput{TopicArn: aws.String(topicARN + "-nope"), Message: aws.String("m")})
			return err
		}, "NotFound"},
		{"publish empty message", func() error {
			_, err := client.Publish(ctx, &sns.PublishInput{TopicArn: aws.String(topicARN), Message: aws.String("")})
			return err
		}, "InvalidParameter"},
		{"http endpoint off the machine", func() error {
			_, err := client.Subscribe(ctx, &sns.SubscribeInput{TopicArn: aws.String(topicARN), Protocol: aws.String("http"), Endpoint: aws.String("http://example.com/hook")})
			return err
		}, "InvalidParameter"},
		{"unknown protocol", func() error {
			_, err := client.Subscribe(ctx, &sns.SubscribeInput{TopicArn: aws.String(topicARN), Protocol: aws.String("pigeon"), Endpoint: aws.String("x")})
			return err
		}, "InvalidParameter"},
		{"invalid filter policy", func() error {
			_, err := client.SetSubscriptionAttributes(ctx, &sns.SetSubscriptionAttributesInput{
				SubscriptionArn: aws.String(second), AttributeName: aws.String("FilterPolicy"), AttributeValue: aws.String(`{"target":"a"}`)})
			return err
		}, "InvalidParameter"},
		{"unknown attribute", func() error {
			_, err := client.SetSubscriptionAttributes(ctx, &sns.SetSubscriptionAttributesInput{
				SubscriptionArn: aws.String(second), AttributeName: aws.String("Colour"), AttributeValue: aws.String("red")})
			return err
		}, "InvalidParameter"},
		{"list subscriptions of unknown topic", func() error {
			_, err := client.ListSubscriptionsByTopic(ctx, &sns.ListSubscriptionsByTopicInput{TopicArn: aws.String(topicARN + "-nope")})
			return err
		}, "NotFound"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { wantAPIError(t, tt.call(), tt.wantErr) })
	}
}
