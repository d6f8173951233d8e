package awsemu

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sns/types"
)

// Conformance of the SNS operations the emulator implements to the SNS API
// reference and the SNS developer guide (message attributes, filter policy
// constraints). SNS answers InvalidParameter with HTTP 400, NotFound with
// 404 and AuthorizationError with 403, as the API model declares.

const queueARN = "arn:aws:sqs:us-east-1:111111111111:events"

func TestCreateTopicConformance(t *testing.T) {
	ctx := context.Background()
	e := startEmulator(t, Options{})
	client := e.snsClient(t, adminKey)
	create := func(in sns.CreateTopicInput) func() error {
		return func() error { _, err := client.CreateTopic(ctx, &in); return err }
	}
	withTags := func(n int) []types.Tag {
		var out []types.Tag
		for i := range n {
			out = append(out, types.Tag{Key: aws.String(fmt.Sprintf("k%d", i)), Value: aws.String("v")})
		}
		return out
	}
	first, err := client.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("events"), Attributes: map[string]string{"DisplayName": "Events"}})
	if err != nil {
		t.Fatal(err)
	}
	runConformance(t, []conformanceCase{
		{"Name is required", func() error { return e.queryRaw(t, adminKey, "sns", "Action=CreateTopic") }, "InvalidParameter", 400},
		{"topic names must be made up of only ASCII letters, numbers, underscores, and hyphens", create(sns.CreateTopicInput{Name: aws.String("bad.name")}), "InvalidParameter", 400},
		{"topic names must be between 1 and 256 characters long", create(sns.CreateTopicInput{Name: aws.String(strings.Repeat("t", 257))}), "InvalidParameter", 400},
		{"a name of 256 characters is accepted", create(sns.CreateTopicInput{Name: aws.String(strings.Repeat("t", 256))}), "", 0},
		{"for a FIFO topic, the name must end with the .fifo suffix", create(sns.CreateTopicInput{Name: aws.String("orders"), Attributes: map[string]string{"FifoTopic": "true"}}), "InvalidParameter", 400},
		{"a .fifo name is a FIFO topic's", create(sns.CreateTopicInput{Name: aws.String("orders.fifo")}), "InvalidParameter", 400},
		{"a FIFO topic", create(sns.CreateTopicInput{Name: aws.String("orders.fifo"), Attributes: map[string]string{"FifoTopic": "true", "ContentBasedDeduplication": "true"}}), "", 0},
		{"ContentBasedDeduplication applies only to FIFO topics", create(sns.CreateTopicInput{Name: aws.String("dedup"), Attributes: map[string]string{"ContentBasedDeduplication": "true"}}), "InvalidParameter", 400},
		{"TracingConfig Active is only supported on standard topics", create(sns.CreateTopicInput{Name: aws.String("traced.fifo"), Attributes: map[string]string{"FifoTopic": "true", "TracingConfig": "Active"}}), "InvalidParameter", 400},
		{"SignatureVersion is 1 or 2", create(sns.CreateTopicInput{Name: aws.String("sig"), Attributes: map[string]string{"SignatureVersion": "3"}}), "InvalidParameter", 400},
		{"<ENDPOINT>SuccessFeedbackSampleRate is a percentage (0-100)", create(sns.CreateTopicInput{Name: aws.String("rate"), Attributes: map[string]string{"HTTPSuccessFeedbackSampleRate": "101"}}), "InvalidParameter", 400},
		{"Policy is a JSON policy", create(sns.CreateTopicInput{Name: aws.String("pol"), Attributes: map[string]string{"Policy": "{not json"}}), "InvalidParameter", 400},
		{"an attribute CreateTopic does not document", create(sns.CreateTopicInput{Name: aws.String("colour"), Attributes: map[string]string{"Colour": "red"}}), "InvalidParameter", 400},
		{"TagLimitExceeded: can't add more than 50 tags to a topic", create(sns.CreateTopicInput{Name: aws.String("tags51"), Tags: withTags(51)}), "TagLimitExceeded", 400},
		{"50 tags are accepted", create(sns.CreateTopicInput{Name: aws.String("tags50"), Tags: withTags(50)}), "", 0},
		{"Tag Key: maximum length of 128", create(sns.CreateTopicInput{Name: aws.String("tagkey"), Tags: []types.Tag{{Key: aws.String(strings.Repeat("k", 129)), Value: aws.String("v")}}}), "InvalidParameter", 400},
		{"Tag Value: maximum length of 256", create(sns.CreateTopicInput{Name: aws.String("tagval"), Tags: []types.Tag{{Key: aws.String("k"), Value: aws.String(strings.Repeat("v", 257))}}}), "InvalidParameter", 400},
		{"idempotent: creating a topic the requester owns returns its ARN", func() error {
			out, err := client.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("events")})
			if err == nil && aws.ToString(out.TopicArn) != aws.ToString(first.TopicArn) {
				return fmt.Errorf("ARN %s, want %s", aws.ToString(out.TopicArn), aws.ToString(first.TopicArn))
			}
			return err
		}, "", 0},
		{"idempotent with the same attributes", create(sns.CreateTopicInput{Name: aws.String("events"), Attributes: map[string]string{"DisplayName": "Events"}}), "", 0},
		{"an existing topic with different attributes", create(sns.CreateTopicInput{Name: aws.String("events"), Attributes: map[string]string{"DisplayName": "Other"}}), "InvalidParameter", 400},
	})
	attrs, err := client.GetTopicAttributes(ctx, &sns.GetTopicAttributesInput{TopicArn: aws.String(aws.ToString(first.TopicArn)[:len(aws.ToString(first.TopicArn))-len("events")] + "orders.fifo")})
	if err != nil || attrs.Attributes["FifoTopic"] != "true" || attrs.Attributes["ContentBasedDeduplication"] != "true" {
		t.Errorf("FIFO topic attributes = %v, %v", attrs, err)
	}
}

func TestSubscribeConformance(t *testing.T) {
	ctx := context.Background()
	e := startEmulator(t, Options{})
	client := e.snsClient(t, adminKey)
	topicARN := createTopic(t, ctx, client, "events")
	subscribeTo := func(protocol, endpoint string, attrs map[string]string) func() error {
		return func() error {
			_, err := client.Subscribe(ctx, &sns.SubscribeInput{TopicArn: aws.String(topicARN), Protocol: aws.String(protocol), Endpoint: aws.String(endpoint), Attributes: attrs, ReturnSubscriptionArn: true})
			return err
		}
	}
	sixKeys := `{"a":["1"],"b":["1"],"c":["1"],"d":["1"],"e":["1"],"f":["1"]}`
	tooComplex := `{"a":["1","2","3","4","5","6"],"b":["1","2","3","4","5"],"c":["1","2","3","4","5","6"]}` // 180 combinations
	runConformance(t, []conformanceCase{
		{"TopicArn is required", func() error {
			return e.queryRaw(t, adminKey, "sns", "Action=Subscribe&Protocol=sqs&Endpoint="+url.QueryEscape(queueARN))
		}, "InvalidParameter", 400},
		{"Protocol is required", func() error {
			return e.queryRaw(t, adminKey, "sns", "Action=Subscribe&TopicArn="+url.QueryEscape(topicARN)+"&Endpoint="+url.QueryEscape(queueARN))
		}, "InvalidParameter", 400},
		{"a TopicArn that is not a topic ARN", func() error {
			_, err := client.Subscribe(ctx, &sns.SubscribeInput{TopicArn: aws.String("events"), Protocol: aws.String("sqs"), Endpoint: aws.String(queueARN)})
			return err
		}, "InvalidParameter", 400},
		{"NotFound: the topic does not exist", func() error {
			_, err := client.Subscribe(ctx, &sns.SubscribeInput{TopicArn: aws.String(topicARN + "-nope"), Protocol: aws.String("sqs"), Endpoint: aws.String(queueARN)})
			return err
		}, "NotFound", 404},
		{"supported protocols: http, https, email, email-json, sms, sqs, application, lambda, firehose", subscribeTo("pigeon", "coo", nil), "InvalidParameter", 400},
		{"for the sqs protocol, the endpoint is the ARN of an Amazon SQS queue", subscribeTo("sqs", "https://sqs.example/queue", nil), "InvalidParameter", 400},
		{"for the lambda protocol, the endpoint is the ARN of a Lambda function", subscribeTo("lambda", "my-function", nil), "InvalidParameter", 400},
		{"for the email protocol, the endpoint is an email address", subscribeTo("email", "not-an-address", nil), "InvalidParameter", 400},
		{"for the sms protocol, the endpoint is a phone number (E.164)", subscribeTo("sms", "555-0100", nil), "InvalidParameter", 400},
		{"for the http protocol, the endpoint is a URL beginning with http://", subscribeTo("http", "https://127.0.0.1:9/hook", nil), "InvalidParameter", 400},
		{"for the firehose protocol, the endpoint is the ARN of a delivery stream", subscribeTo("firehose", queueARN, map[string]string{"SubscriptionRoleArn": "arn:aws:iam::111111111111:role/r"}), "InvalidParameter", 400},
		{"SubscriptionRoleArn is required for Firehose delivery stream subscriptions", subscribeTo("firehose", "arn:aws:firehose:us-east-1:111111111111:deliverystream/s", nil), "InvalidParameter", 400},
		{"SubscriptionRoleArn applies only to Firehose subscriptions", subscribeTo("sqs", queueARN, map[string]string{"SubscriptionRoleArn": "arn:aws:iam::111111111111:role/r"}), "InvalidParameter", 400},
		{"RawMessageDelivery enables raw delivery to Amazon SQS or HTTP/S endpoints, not email", subscribeTo("email", "team@example.com", map[string]string{"RawMessageDelivery": "true"}), "InvalidParameter", 400},
		{"RawMessageDelivery is true or false", subscribeTo("sqs", queueARN, map[string]string{"RawMessageDelivery": "yes"}), "InvalidParameter", 400},
		{"a filter policy can have a maximum of five keys", subscribeTo("sqs", queueARN, map[string]string{"FilterPolicy": sixKeys}), "InvalidParameter", 400},
		{"the total combination of values in a filter policy must not exceed 150", subscribeTo("sqs", queueARN, map[string]string{"FilterPolicy": tooComplex}), "InvalidParameter", 400},
		{"numeric matching: the value can range from -10^9 to 10^9", subscribeTo("sqs", queueARN, map[string]string{"FilterPolicy": `{"n":[1e10]}`}), "InvalidParameter", 400},
		{"an attribute Subscribe does not document", subscribeTo("sqs", queueARN, map[string]string{"Colour": "red"}), "InvalidParameter", 400},
		{"a subscription with a filter policy of five keys", subscribeTo("sqs", queueARN, map[string]string{"FilterPolicy": `{"a":["1"],"b":["1"],"c":["1"],"d":["1"],"e":["1"]}`, "RawMessageDelivery": "true"}), "", 0},
		{"subscribing the same endpoint with the same attributes returns the subscription", subscribeTo("sqs", queueARN, map[string]string{"RawMessageDelivery": "true"}), "", 0},
		{"subscribing the same endpoint with different attributes", subscribeTo("sqs", queueARN, map[string]string{"RawMessageDelivery": "false"}), "InvalidParameter", 400},
		{"a Lambda function", subscribeTo("lambda", "arn:aws:lambda:us-east-1:111111111111:function:notify", nil), "", 0},
		{"a Firehose delivery stream with its role", subscribeTo("firehose", "arn:aws:firehose:us-east-1:111111111111:deliverystream/s", map[string]string{"SubscriptionRoleArn": "arn:aws:iam::111111111111:role/r"}), "", 0},
	})
	subs, err := client.ListSubscriptionsByTopic(ctx, &sns.ListSubscriptionsByTopicInput{TopicArn: aws.String(topicARN)})
	if err != nil || len(subs.Subscriptions) != 3 {
		t.Errorf("subscriptions = %v, %v; want the queue, the function and the stream", subs, err)
	}
}

func TestUnsubscribeAndSetSubscriptionAttributesConformance(t *testing.T) {
	ctx := context.Background()
	e := startEmulator(t, Options{})
	client := e.snsClient(t, adminKey)
	topicARN := createTopic(t, ctx, client, "events")
	queue := subscribe(t, ctx, client, topicARN, "sqs", queueARN, nil)
	email := subscribe(t, ctx, client, topicARN, "email", "team@example.com", nil)
	gone := subscribe(t, ctx, client, topicARN, "sqs", queueARN+"-gone", nil)
	if _, err := client.Unsubscribe(ctx, &sns.UnsubscribeInput{SubscriptionArn: aws.String(gone)}); err != nil {
		t.Fatal(err)
	}
	set := func(arn, name, value string) func() error {
		return func() error {
			_, err := client.SetSubscriptionAttributes(ctx, &sns.SetSubscriptionAttributesInput{SubscriptionArn: aws.String(arn), AttributeName: aws.String(name), AttributeValue: aws.String(value)})
			return err
		}
	}
	runConformance(t, []conformanceCase{
		{"Unsubscribe: SubscriptionArn is required", func() error { return e.queryRaw(t, adminKey, "sns", "Action=Unsubscribe") }, "InvalidParameter", 400},
		{"Unsubscribe: a SubscriptionArn that is not a subscription ARN", func() error {
			_, err := client.Unsubscribe(ctx, &sns.UnsubscribeInput{SubscriptionArn: aws.String(topicARN)})
			return err
		}, "InvalidParameter", 400},
		{"Unsubscribe: NotFound for a deleted subscription", func() error {
			_, err := client.Unsubscribe(ctx, &sns.UnsubscribeInput{SubscriptionArn: aws.String(gone)})
			return err
		}, "NotFound", 404},
		{"SetSubscriptionAttributes: SubscriptionArn is required", func() error {
			return e.queryRaw(t, adminKey, "sns", "Action=SetSubscriptionAttributes&AttributeName=RawMessageDelivery&AttributeValue=true")
		}, "InvalidParameter", 400},
		{"SetSubscriptionAttributes: AttributeName is required", func() error {
			return e.queryRaw(t, adminKey, "sns", "Action=SetSubscriptionAttributes&SubscriptionArn="+url.QueryEscape(queue))
		}, "InvalidParameter", 400},
		{"SetSubscriptionAttributes: NotFound for a deleted subscription", set(gone, "RawMessageDelivery", "true"), "NotFound", 404},
		{"SetSubscriptionAttributes: an attribute it does not document", set(queue, "Colour", "red"), "InvalidParameter", 400},
		{"FilterPolicyScope: MessageAttributes (default) or MessageBody", set(queue, "FilterPolicyScope", "Headers"), "InvalidParameter", 400},
		{"RawMessageDelivery enables raw delivery to Amazon SQS or HTTP/S endpoints, not email", set(email, "RawMessageDelivery", "true"), "InvalidParameter", 400},
		{"a filter policy can have a maximum of five keys", set(queue, "FilterPolicy", `{"a":["1"],"b":["1"],"c":["1"],"d":["1"],"e":["1"],"f":["1"]}`), "InvalidParameter", 400},
		{"the maximum size of a filter policy is 256 KB", set(queue, "FilterPolicy", `{"a":["`+strings.Repeat("x", 256*1024)+`"]}`), "InvalidParameter", 400},
		{"DeliveryPolicy is a JSON policy", set(queue, "DeliveryPolicy", "{"), "InvalidParameter", 400},
		{"RawMessageDelivery on an SQS subscription", set(queue, "RawMessageDelivery", "true"), "", 0},
		{"a valid filter policy", set(queue, "FilterPolicy", `{"target":["payments"]}`), "", 0},
		{"an empty FilterPolicy removes the policy", set(queue, "FilterPolicy", ""), "", 0},
		{"Unsubscribe deletes a subscription", func() error {
			_, err := client.Unsubscribe(ctx, &sns.UnsubscribeInput{SubscriptionArn: aws.String(email)})
			return err
		}, "", 0},
	})
	publish(t, ctx, client, topicARN, "m", map[string]types.MessageAttributeValue{"target": stringAttr("search")})
	if got := e.Inbox(queue); len(got) != 1 {
		t.Errorf("queue received %d messages, want 1 (its filter policy was removed)", len(got))
	}
}

func TestPublishConformance(t *testing.T) {
	ctx := context.Background()
	e := startEmulator(t, Options{})
	client := e.snsClient(t, adminKey)
	topicARN := createTopic(t, ctx, client, "events")
	fifo, err := client.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("orders.fifo"), Attributes: map[string]string{"FifoTopic": "true"}})
	if err != nil {
		t.Fatal(err)
	}
	fifoARN := aws.ToString(fifo.TopicArn)
	queue := subscribe(t, ctx, client, topicARN, "sqs", queueARN, nil)
	lambda := subscribe(t, ctx, client, topicARN, "lambda", "arn:aws:lambda:us-east-1:111111111111:function:f", nil)

	pub := func(in sns.PublishInput) func() error {
		return func() error {
			if in.TopicArn == nil && in.TargetArn == nil && in.PhoneNumber == nil {
				in.TopicArn = aws.String(topicARN)
			}
			_, err := client.Publish(ctx, &in)
			return err
		}
	}
	attr := func(name, dataType, value string) map[string]types.MessageAttributeValue {
		v := types.MessageAttributeValue{DataType: aws.String(dataType), StringValue: aws.String(value)}
		if dataType == "Binary" {
			v = types.MessageAttributeValue{DataType: aws.String(dataType), BinaryValue: []byte(value)}
		}
		return map[string]types.MessageAttributeValue{name: v}
	}
	runConformance(t, []conformanceCase{
		{"Message is required", func() error {
			return e.queryRaw(t, adminKey, "sns", "Action=Publish&TopicArn="+url.QueryEscape(topicARN))
		}, "InvalidParameter", 400},
		{"you must specify a value for TopicArn, TargetArn or PhoneNumber", func() error {
			return e.queryRaw(t, adminKey, "sns", "Action=Publish&Message=m")
		}, "InvalidParameter", 400},
		{"a TopicArn that is not a topic ARN", pub(sns.PublishInput{TopicArn: aws.String("events"), Message: aws.String("m")}), "InvalidParameter", 400},
		{"NotFound: the topic does not exist", pub(sns.PublishInput{TopicArn: aws.String(topicARN + "-nope"), Message: aws.String("m")}), "NotFound", 404},
		{"TargetArn may name the topic", pub(sns.PublishInput{TargetArn: aws.String(topicARN), Message: aws.String("via target")}), "", 0},
		{"messages must be at most 256 KB (262,144 bytes)", pub(sns.PublishInput{Message: aws.String(strings.Repeat("é", 131073))}), "InvalidParameter", 400},
		{"a message of exactly 262,144 bytes", pub(sns.PublishInput{Message: aws.String(strings.Repeat("m", 262144))}), "", 0},
		{"all parts of the message attribute are included in the message size restriction", pub(sns.PublishInput{Message: aws.String(strings.Repeat("m", 262144-10)), MessageAttributes: attr("target", "String", "payments")}), "InvalidParameter", 400},
		{"subjects must be less than 100 characters long", pub(sns.PublishInput{Message: aws.String("m"), Subject: aws.String(strings.Repeat("s", 100))}), "InvalidParameter", 400},
		{"a subject of 99 characters", pub(sns.PublishInput{Message: aws.String("m"), Subject: aws.String(strings.Repeat("s", 99))}), "", 0},
		{"subjects must be UTF-8 text with no line breaks", pub(sns.PublishInput{Message: aws.String("m"), Subject: aws.String("two\nlines")}), "InvalidParameter", 400},
		{"subjects must have no control characters", pub(sns.PublishInput{Message: aws.String("m"), Subject: aws.String("bell\a")}), "InvalidParameter", 400},
		{"MessageStructure: valid value json", pub(sns.PublishInput{Message: aws.String("m"), MessageStructure: aws.String("xml")}), "InvalidParameter", 400},
		{"with MessageStructure json the Message must be a syntactically valid JSON object", pub(sns.PublishInput{Message: aws.String("not json"), MessageStructure: aws.String("json")}), "InvalidParameter", 400},
		{"with MessageStructure json the Message must contain a top-level key default", pub(sns.PublishInput{Message: aws.String(`{"sqs":"q"}`), MessageStructure: aws.String("json")}), "InvalidParameter", 400},
		{"keys that correspond to transport protocols must have simple JSON string values", pub(sns.PublishInput{Message: aws.String(`{"default":"d","sqs":{"x":1}}`), MessageStructure: aws.String("json")}), "InvalidParameter", 400},
		{"a different message for each protocol", pub(sns.PublishInput{Message: aws.String(`{"default":"for everyone","sqs":"for queues"}`), MessageStructure: aws.String("json")}), "", 0},
		{"attribute name: A-Z, a-z, 0-9, underscore, hyphen and period", pub(sns.PublishInput{Message: aws.String("m"), MessageAttributes: attr("has space", "String", "v")}), "InvalidParameter", 400},
		{"attribute name must not start or end with a period", pub(sns.PublishInput{Message: aws.String("m"), MessageAttributes: attr("target.", "String", "v")}), "InvalidParameter", 400},
		{"attribute name should not have successive periods", pub(sns.PublishInput{Message: aws.String("m"), MessageAttributes: attr("a..b", "String", "v")}), "InvalidParameter", 400},
		{"attribute name can be up to 256 characters long", pub(sns.PublishInput{Message: aws.String("m"), MessageAttributes: attr(strings.Repeat("n", 257), "String", "v")}), "InvalidParameter", 400},
		{"attribute name can't start with AWS. (any casing)", pub(sns.PublishInput{Message: aws.String("m"), MessageAttributes: attr("aws.trace", "String", "v")}), "InvalidParameter", 400},
		{"attribute name can't start with Amazon.", pub(sns.PublishInput{Message: aws.String("m"), MessageAttributes: attr("Amazon.id", "String", "v")}), "InvalidParameter", 400},
		{"supported data types are String, String.Array, Number and Binary", pub(sns.PublishInput{Message: aws.String("m"), MessageAttributes: attr("n", "Integer", "1")}), "InvalidParameter", 400},
		{"a custom type suffix: String.team", pub(sns.PublishInput{Message: aws.String("m"), MessageAttributes: attr("n", "String.team", "v")}), "", 0},
		{"the data type can be up to 256 bytes long", pub(sns.PublishInput{Message: aws.String("m"), MessageAttributes: attr("n", "String."+strings.Repeat("t", 250), "v")}), "InvalidParameter", 400},
		{"value must not be empty", pub(sns.PublishInput{Message: aws.String("m"), MessageAttributes: attr("n", "String", "")}), "InvalidParameter", 400},
		{"Number: positive or negative integers or floating-point numbers", pub(sns.PublishInput{Message: aws.String("m"), MessageAttributes: attr("n", "Number", "-1.5e3")}), "", 0},
		{"Number: not a number", pub(sns.PublishInput{Message: aws.String("m"), MessageAttributes: attr("n", "Number", "NaN")}), "ParameterValueInvalid", 400},
		{"Number: hexadecimal is no number", pub(sns.PublishInput{Message: aws.String("m"), MessageAttributes: attr("n", "Number", "0x10")}), "ParameterValueInvalid", 400},
		{"Number: up to 38 digits of precision", pub(sns.PublishInput{Message: aws.String("m"), MessageAttributes: attr("n", "Number", strings.Repeat("1", 39))}), "ParameterValueInvalid", 400},
		{"Number: between 10^-128 and 10^+126", pub(sns.PublishInput{Message: aws.String("m"), MessageAttributes: attr("n", "Number", "1e127")}), "ParameterValueInvalid", 400},
		{"String.Array: strings, numbers, true, false and null", pub(sns.PublishInput{Message: aws.String("m"), MessageAttributes: attr("n", "String.Array", `["a", 1, true, null]`)}), "", 0},
		{"String.Array: an array, formatted as a string", pub(sns.PublishInput{Message: aws.String("m"), MessageAttributes: attr("n", "String.Array", `a,b`)}), "InvalidParameter", 400},
		{"String.Array: no nested objects", pub(sns.PublishInput{Message: aws.String("m"), MessageAttributes: attr("n", "String.Array", `[{"a":1}]`)}), "InvalidParameter", 400},
		{"Binary attributes", pub(sns.PublishInput{Message: aws.String("m"), MessageAttributes: attr("b", "Binary", "\x00\x01")}), "", 0},
		{"attribute names must be unique among all attribute names for the message", func() error {
			return e.queryRaw(t, adminKey, "sns", "Action=Publish&Message=m&TopicArn="+url.QueryEscape(topicARN)+
				"&MessageAttributes.entry.1.Name=a&MessageAttributes.entry.1.Value.DataType=String&MessageAttributes.entry.1.Value.StringValue=1"+
				"&MessageAttributes.entry.2.Name=a&MessageAttributes.entry.2.Value.DataType=String&MessageAttributes.entry.2.Value.StringValue=2")
		}, "InvalidParameter", 400},
		{"MessageDeduplicationId is not valid for a standard topic", pub(sns.PublishInput{Message: aws.String("m"), MessageDeduplicationId: aws.String("d1")}), "InvalidParameter", 400},
		{"MessageGroupId: up to 128 alphanumeric characters and punctuation", pub(sns.PublishInput{Message: aws.String("m"), MessageGroupId: aws.String(strings.Repeat("g", 129))}), "InvalidParameter", 400},
		{"MessageGroupId is optional for standard topics", pub(sns.PublishInput{Message: aws.String("m"), MessageGroupId: aws.String("group-1")}), "", 0},
		{"FIFO topics: every message must include a MessageGroupId", pub(sns.PublishInput{TopicArn: aws.String(fifoARN), Message: aws.String("m"), MessageDeduplicationId: aws.String("d1")}), "InvalidParameter", 400},
		{"FIFO topics without ContentBasedDeduplication: a MessageDeduplicationId is required", pub(sns.PublishInput{TopicArn: aws.String(fifoARN), Message: aws.String("m"), MessageGroupId: aws.String("g")}), "InvalidParameter", 400},
		{"a FIFO message", pub(sns.PublishInput{TopicArn: aws.String(fifoARN), Message: aws.String("m"), MessageGroupId: aws.String("g"), MessageDeduplicationId: aws.String("d1")}), "", 0},
		{"the emulator sends no SMS", pub(sns.PublishInput{PhoneNumber: aws.String("+15550100"), Message: aws.String("m")}), "InvalidParameter", 400},
	})
	bodies := func(arn string) []string { return messageBodies(e.Inbox(arn)) }
	if got := bodies(queue); !slices.Contains(got, "for queues") || !slices.Contains(got, "via target") {
		t.Errorf("queue received %q; want the sqs message of the structured publish", got)
	}
	if got := bodies(lambda); !slices.Contains(got, "for everyone") {
		t.Errorf("function received %q; want the default message of the structured publish", got)
	}
}

func TestSNSListAndGetConformance(t *testing.T) {
	ctx := context.Background()
	e := startEmulator(t, Options{})
	client := e.snsClient(t, adminKey)
	topicARN := createTopic(t, ctx, client, "events")
	for i := range 105 {
		subscribe(t, ctx, client, topicARN, "sqs", fmt.Sprintf("%s-%d", queueARN, i), nil)
	}
	for i := range 101 {
		createTopic(t, ctx, client, fmt.Sprintf("t%03d", i))
	}
	runConformance(t, []conformanceCase{
		{"ListSubscriptionsByTopic: TopicArn is required", func() error { return e.queryRaw(t, adminKey, "sns", "Action=ListSubscriptionsByTopic") }, "InvalidParameter", 400},
		{"ListSubscriptionsByTopic: NotFound", func() error {
			_, err := client.ListSubscriptionsByTopic(ctx, &sns.ListSubscriptionsByTopicInput{TopicArn: aws.String(topicARN + "-nope")})
			return err
		}, "NotFound", 404},
		{"ListSubscriptionsByTopic: each call returns up to 100 subscriptions and a NextToken", func() error {
			out, err := client.ListSubscriptionsByTopic(ctx, &sns.ListSubscriptionsByTopicInput{TopicArn: aws.String(topicARN)})
			if err == nil && (len(out.Subscriptions) != 100 || out.NextToken == nil) {
				return fmt.Errorf("%d subscriptions, NextToken %v", len(out.Subscriptions), out.NextToken)
			}
			return err
		}, "", 0},
		{"ListSubscriptionsByTopic: an invalid NextToken", func() error {
			_, err := client.ListSubscriptionsByTopic(ctx, &sns.ListSubscriptionsByTopicInput{TopicArn: aws.String(topicARN), NextToken: aws.String("bogus")})
			return err
		}, "InvalidParameter", 400},
		{"ListTopics: each call returns up to 100 topics and a NextToken", func() error {
			out, err := client.ListTopics(ctx, &sns.ListTopicsInput{})
			if err == nil && (len(out.Topics) != 100 || out.NextToken == nil) {
				return fmt.Errorf("%d topics, NextToken %v", len(out.Topics), out.NextToken)
			}
			return err
		}, "", 0},
		{"ListTopics: an invalid NextToken", func() error {
			_, err := client.ListTopics(ctx, &sns.ListTopicsInput{NextToken: aws.String("bogus")})
			return err
		}, "InvalidParameter", 400},
		{"GetTopicAttributes: TopicArn is required", func() error { return e.queryRaw(t, adminKey, "sns", "Action=GetTopicAttributes") }, "InvalidParameter", 400},
		{"GetTopicAttributes: a TopicArn that is not a topic ARN", func() error {
			_, err := client.GetTopicAttributes(ctx, &sns.GetTopicAttributesInput{TopicArn: aws.String("events")})
			return err
		}, "InvalidParameter", 400},
		{"GetTopicAttributes: NotFound", func() error {
			_, err := client.GetTopicAttributes(ctx, &sns.GetTopicAttributesInput{TopicArn: aws.String(topicARN + "-nope")})
			return err
		}, "NotFound", 404},
	})
	var all []string
	pages := sns.NewListSubscriptionsByTopicPaginator(client, &sns.ListSubscriptionsByTopicInput{TopicArn: aws.String(topicARN)})
	for pages.HasMorePages() {
		out, err := pages.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range out.Subscriptions {
			all = append(all, aws.ToString(s.SubscriptionArn))
		}
	}
	if len(all) != 105 {
		t.Errorf("paged through %d subscriptions, want 105", len(all))
	}
	attrs, err := client.GetTopicAttributes(ctx, &sns.GetTopicAttributesInput{TopicArn: aws.String(topicARN)})
	if err != nil {
		t.Fatal(err)
	}
	// "SubscriptionsConfirmed – The number of confirmed subscriptions for the
	// topic"; "Owner – The Amazon Web Services account ID of the topic's owner".
	if attrs.Attributes["SubscriptionsConfirmed"] != "105" || attrs.Attributes["Owner"] != "000000000000" || attrs.Attributes["TopicArn"] != topicARN {
		t.Errorf("attributes = %v", attrs.Attributes)
	}
}
