package awsemu

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Rules of the SNS API reference (CreateTopic, Subscribe, Publish,
// SetSubscriptionAttributes) and of the SNS developer guide's pages on
// message attributes and tags, as the emulator enforces them.

// topicAttributeNames are the attributes CreateTopic documents.
var topicAttributeNames = []string{
	"DeliveryPolicy", "DisplayName", "Policy", "TracingConfig", "KmsMasterKeyId", "SignatureVersion",
	"FifoTopic", "ContentBasedDeduplication", "ArchivePolicy", "FifoThroughputScope", "DataProtectionPolicy",
	"HTTPSuccessFeedbackRoleArn", "HTTPSuccessFeedbackSampleRate", "HTTPFailureFeedbackRoleArn",
	"FirehoseSuccessFeedbackRoleArn", "FirehoseSuccessFeedbackSampleRate", "FirehoseFailureFeedbackRoleArn",
	"LambdaSuccessFeedbackRoleArn", "LambdaSuccessFeedbackSampleRate", "LambdaFailureFeedbackRoleArn",
	"ApplicationSuccessFeedbackRoleArn", "ApplicationSuccessFeedbackSampleRate", "ApplicationFailureFeedbackRoleArn",
	"SQSSuccessFeedbackRoleArn", "SQSSuccessFeedbackSampleRate", "SQSFailureFeedbackRoleArn",
}

// fifoOnlyTopicAttributes "apply only to FIFO topics".
var fifoOnlyTopicAttributes = []string{"ContentBasedDeduplication", "ArchivePolicy", "FifoThroughputScope"}

// validateTopicAttributes checks CreateTopic's Attributes: documented names
// only, and the values their descriptions allow.
func validateTopicAttributes(attrs map[string]string) *apiError {
	fifo := attrs["FifoTopic"] == "true"
	for name, value := range attrs {
		if !slices.Contains(topicAttributeNames, name) {
			return snsInvalidParameter("AttributeName")
		}
		bad := false
		switch name {
		case "FifoTopic", "ContentBasedDeduplication":
			bad = value != "true" && value != "false"
		case "TracingConfig":
			// "This is only supported on standard topics."
			bad = (value != "PassThrough" && value != "Active") || (fifo && value == "Active")
		case "SignatureVersion":
			bad = value != "1" && value != "2"
		case "FifoThroughputScope":
			bad = value != "Topic" && value != "MessageGroup"
		case "DeliveryPolicy", "Policy", "ArchivePolicy", "DataProtectionPolicy":
			var doc map[string]any
			bad = json.Unmarshal([]byte(value), &doc) != nil
		default:
			if strings.HasSuffix(name, "SampleRate") {
				n, err := strconv.Atoi(value)
				bad = err != nil || n < 0 || n > 100
			}
		}
		if bad {
			return snsInvalidParameter("Attributes Reason: %s: Invalid value", name)
		}
		if !fifo && slices.Contains(fifoOnlyTopicAttributes, name) {
			return snsInvalidParameter("Attributes Reason: %s applies only to FIFO topics", name)
		}
	}
	return nil
}

// Tag rules of CreateTopic: "Can't add more than 50 tags to a topic" (and
// the Tag shape: key 1 to 128 characters, value 0 to 256).
const maxTopicTags = 50

// topicTags reads CreateTopic's Tags.member.N.Key/.Value.
func topicTags(form url.Values) (map[string]string, *apiError) {
	tags := map[string]string{}
	indexes := queryIndexes(form, "Tags.member.")
	if len(indexes) > maxTopicTags {
		return nil, newAPIError(http.StatusBadRequest, "TagLimitExceeded", "Could not complete request: tag quota of per resource exceeded")
	}
	for _, n := range indexes {
		base := "Tags.member." + strconv.Itoa(n) + "."
		key, value := form.Get(base+"Key"), form.Get(base+"Value")
		if k := utf8.RuneCountInString(key); k < 1 || k > maxTagKeyLength {
			return nil, snsInvalidParameter("Tags Reason: a tag key must have 1 to %d characters", maxTagKeyLength)
		}
		if utf8.RuneCountInString(value) > maxTagValueLength {
			return nil, snsInvalidParameter("Tags Reason: a tag value must have at most %d characters", maxTagValueLength)
		}
		if reservedTagText(key) {
			return nil, snsInvalidParameter("Tags Reason: the aws: prefix is reserved")
		}
		tags[key] = value
	}
	return tags, nil
}

// ARN shapes of SNS parameters. A parameter that is not an ARN of the
// right kind is InvalidParameter, not NotFound.
var (
	topicARNPattern        = regexp.MustCompile(`^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?$`)
	subscriptionARNPattern = regexp.MustCompile(`^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?:[0-9a-f-]{36}$`)
)

// checkTopicARN validates a required TopicArn member.
func checkTopicARN(member, arn string) *apiError {
	if arn == "" {
		return snsInvalidParameter("%s Reason: no value for required parameter", member)
	}
	if !topicARNPattern.MatchString(arn) {
		return snsInvalidParameter("%s Reason: An ARN must have at least 6 elements, not %d", member, len(strings.Split(arn, ":")))
	}
	return nil
}

// checkSubscriptionARN validates a required SubscriptionArn member.
func checkSubscriptionARN(arn string) *apiError {
	if arn == "" {
		return snsInvalidParameter("SubscriptionArn Reason: no value for required parameter")
	}
	if !subscriptionARNPattern.MatchString(arn) {
		return snsInvalidParameter("SubscriptionArn Reason: not a subscription ARN")
	}
	return nil
}

// endpointPatterns are the shapes Subscribe documents for each protocol's
// Endpoint ("For the sqs protocol, the endpoint is the ARN of an Amazon SQS
// queue", ...). http and https are checked by isLoopbackURL.
var endpointPatterns = map[string]*regexp.Regexp{
	"email":       regexp.MustCompile(`^[^@\s]+@[^@\s]+\.[^@\s]+$`),
	"email-json":  regexp.MustCompile(`^[^@\s]+@[^@\s]+\.[^@\s]+$`),
	"sms":         regexp.MustCompile(`^\+[1-9][0-9]{1,14}$`), // E.164
	"sqs":         regexp.MustCompile(`^arn:aws[a-z-]*:sqs:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,80}(\.fifo)?$`),
	"lambda":      regexp.MustCompile(`^arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:[A-Za-z0-9_-]{1,64}(:[A-Za-z0-9$_-]+)?$`),
	"firehose":    regexp.MustCompile(`^arn:aws[a-z-]*:firehose:[a-z0-9-]+:\d{12}:deliverystream/[A-Za-z0-9_.-]{1,64}$`),
	"application": regexp.MustCompile(`^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:endpoint/.+$`),
}

// checkEndpoint validates Subscribe's Endpoint for the protocol.
func checkEndpoint(protocol, endpoint string) *apiError {
	if endpoint == "" {
		return snsInvalidParameter("Endpoint Reason: no value for required parameter")
	}
	switch protocol {
	case "http", "https":
		if !isLoopbackURL(endpoint, protocol) {
			return snsInvalidParameter("Endpoint must be a %s URL on a loopback address in the emulator", protocol)
		}
		return nil
	}
	if !endpointPatterns[protocol].MatchString(endpoint) {
		return snsInvalidParameter("Invalid %s endpoint: %s", protocol, endpoint)
	}
	return nil
}

// Publish's limits: "messages must be UTF-8 encoded strings and at most 256
// KB in size (262,144 bytes, not 262,144 characters)", and "All parts of the
// message attribute, including name, type, and value, are included in the
// message size restriction".
const (
	maxMessageBytes        = 262144
	maxSubjectChars        = 100 // "less than 100 characters long"
	maxAttributeNameChars  = 256
	maxAttributeTypeBytes  = 256
	maxMessageGroupIDChars = 128
)

// checkSubject enforces "Subjects must be UTF-8 text with no line breaks or
// control characters, and less than 100 characters long". A Subject that is
// present must not be empty.
func checkSubject(form url.Values) *apiError {
	if !form.Has("Subject") {
		return nil
	}
	subject := form.Get("Subject")
	if subject == "" || !utf8.ValidString(subject) || utf8.RuneCountInString(subject) >= maxSubjectChars ||
		strings.ContainsFunc(subject, unicode.IsControl) {
		return snsInvalidParameter("Subject")
	}
	return nil
}

// attributeNamePattern: "The message attribute name can contain the
// following characters: A-Z, a-z, 0-9, underscore(_), hyphen(-), and period
// (.). The name must not start or end with a period, and it should not have
// successive periods."
var attributeNamePattern = regexp.MustCompile(`^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$`)

// numberPattern: "Numbers are positive or negative integers or
// floating-point numbers"; "A number can have up to 38 digits of precision,
// and it can be between 10^-128 and 10^+126."
var numberPattern = regexp.MustCompile(`^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$`)

func validNumber(v string) bool {
	if !numberPattern.MatchString(v) {
		return false
	}
	mantissa, _, _ := strings.Cut(strings.ToLower(v), "e")
	digits := strings.Trim(strings.TrimLeft(strings.NewReplacer(".", "", "+", "", "-", "").Replace(mantissa), "0"), "0")
	if len(digits) > 38 {
		return false
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil {
		return false
	}
	abs := max(f, -f)
	return abs == 0 || (abs >= 1e-128 && abs <= 1e126)
}

// validStringArray: "An array, formatted as a string, that can contain
// multiple values. The values can be strings, numbers, or the keywords
// true, false, and null."
func validStringArray(v string) bool {
	var elems []any
	if err := json.Unmarshal([]byte(v), &elems); err != nil {
		return false
	}
	for _, e := range elems {
		switch e.(type) {
		case string, float64, bool, nil:
		default:
			return false
		}
	}
	return true
}

// publishAttributes reads MessageAttributes.entry.N.Name and .Value.{DataType,
// StringValue,BinaryValue}, and checks each against the documented rules.
// It returns the attributes and the bytes they add to the message's size.
func publishAttributes(form url.Values) (map[string]attributeValue, int, *apiError) {
	attrs := map[string]attributeValue{}
	size := 0
	for _, n := range queryIndexes(form, "MessageAttributes.entry.") {
		base := "MessageAttributes.entry." + strconv.Itoa(n) + "."
		name := form.Get(base + "Name")
		dataType := form.Get(base + "Value.DataType")
		if name == "" {
			return nil, 0, snsInvalidParameter("The message attribute name must not be empty")
		}
		if utf8.RuneCountInString(name) > maxAttributeNameChars || !attributeNamePattern.MatchString(name) {
			return nil, 0, snsInvalidParameter("The message attribute name '%s' is invalid: it may contain A-Z, a-z, 0-9, _, - and ., not start or end with a period nor have two in succession, and have at most 256 characters.", name)
		}
		if lower := strings.ToLower(name); strings.HasPrefix(lower, "aws.") || strings.HasPrefix(lower, "amazon.") {
			return nil, 0, snsInvalidParameter("The message attribute name '%s' uses a prefix reserved for AWS (AWS. or Amazon.).", name)
		}
		if _, dup := attrs[name]; dup {
			return nil, 0, snsInvalidParameter("The message attribute name '%s' must be unique among the message's attributes.", name)
		}
		if dataType == "" {
			return nil, 0, snsInvalidParameter("The message attribute '%s' must contain non-empty message attribute type.", name)
		}
		if len(dataType) > maxAttributeTypeBytes {
			return nil, 0, snsInvalidParameter("The message attribute '%s' has a type longer than %d bytes.", name, maxAttributeTypeBytes)
		}
		value := form.Get(base + "Value.StringValue")
		switch baseType(dataType) {
		case "Binary":
			value = form.Get(base + "Value.BinaryValue")
			if _, err := base64.StdEncoding.DecodeString(value); err != nil {
				return nil, 0, snsInvalidParameter("The message attribute '%s' has an invalid binary value.", name)
			}
		case "Number":
			if value != "" && !validNumber(value) {
				return nil, 0, newAPIError(http.StatusBadRequest, "ParameterValueInvalid", "Could not cast message attribute '%s' value to number.", name)
			}
		case "String.Array":
			if value != "" && !validStringArray(value) {
				return nil, 0, snsInvalidParameter("The message attribute '%s' with type 'String.Array' must be a JSON array of strings, numbers, true, false or null.", name)
			}
		case "String":
			if !utf8.ValidString(value) {
				return nil, 0, snsInvalidParameter("The message attribute '%s' must be UTF-8 text.", name)
			}
		default:
			return nil, 0, snsInvalidParameter("The message attribute '%s' has an invalid message attribute type, the set of supported type prefixes is Binary, Number, and String.", name)
		}
		if value == "" {
			return nil, 0, snsInvalidParameter("The message attribute '%s' must contain non-empty message attribute value for message attribute type '%s'.", name, dataType)
		}
		size += len(name) + len(dataType) + len(value)
		attrs[name] = attributeValue{dataType: dataType, value: value}
	}
	return attrs, size, nil
}

// messageGroupIDPattern: "The MessageGroupId can contain up to 128
// alphanumeric characters (a-z, A-Z, 0-9) and punctuation"; the same holds
// for MessageDeduplicationId.
var messageGroupIDPattern = regexp.MustCompile(`^[A-Za-z0-9!"#$%&'()*+,\-./:;<=>?@\[\\\]^_` + "`" + `{|}~]{1,128}$`)

// structuredMessage parses a Message sent with MessageStructure=json: "a
// syntactically valid JSON object; and contain at least a top-level JSON key
// of "default" with a value that is a string", whose keys for protocols
// "must have simple JSON string values".
func structuredMessage(message string) (map[string]string, *apiError) {
	var doc map[string]json.RawMessage
	if err := json.Unmarshal([]byte(message), &doc); err != nil {
		return nil, snsInvalidParameter("Message Structure - JSON message body failed to parse")
	}
	out := map[string]string{}
	for k, raw := range doc {
		var v string
		if err := json.Unmarshal(raw, &v); err != nil {
			return nil, snsInvalidParameter("Message Structure - value of %q must be a JSON string", k)
		}
		out[k] = v
	}
	if _, ok := out["default"]; !ok {
		return nil, snsInvalidParameter("Message Structure - No default entry in JSON message body")
	}
	return out, nil
}
